#pragma once
// UTF-8 as RE2 and Vectorscan read it: scalar values up to U+10FFFF in
// their shortest form, no surrogates.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace privmilter {

// Decodes the character at `position` and moves past it; nothing (and
// `position` unchanged) when the bytes there are not valid UTF-8.
std::optional<char32_t> decode_utf8(std::string_view text, std::size_t& position);

bool is_valid_utf8(std::string_view text);

// Appends `c` (a scalar value) in its shortest form.
void append_utf8(std::string& out, char32_t c);

}  // namespace privmilter
