#pragma once
// Small ASCII string helpers shared by the stages. Mail protocol tokens
// (domains, header names, macro names) are ASCII and case-insensitive.

#include <string>
#include <string_view>

namespace privmilter {

std::string ascii_lower(std::string_view text);
std::string_view trim(std::string_view text);
bool iequals(std::string_view a, std::string_view b);
// Lowercase hexadecimal, two digits per byte (digests, MACs, keys).
std::string hex_encode(const unsigned char* bytes, std::size_t size);

}  // namespace privmilter
