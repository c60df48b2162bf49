#pragma once
// Header values as the MTA must receive them. The policy works on decoded
// UTF-8 (a subject prefix is added to what the reader sees); the wire
// needs RFC 2047 encoded-words for anything beyond printable ASCII.

#include <string>
#include <string_view>

namespace privmilter {

// Printable ASCII passes unchanged; anything else becomes a run of
// "=?UTF-8?B?...?=" words of at most 75 characters each, split only on
// character boundaries, separated by single spaces (which RFC 2047 readers
// drop between encoded-words; the MTA folds long lines if it must).
std::string encode_header_text(std::string_view utf8);

}  // namespace privmilter
