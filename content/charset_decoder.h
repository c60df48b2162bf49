#pragma once
// Converting decoded part bytes from their declared charset to UTF-8.

#include <string>
#include <string_view>

namespace privmilter::content {

struct Utf8Conversion {
  std::string text;              // always valid UTF-8
  bool charset_unknown = false;  // the declared charset could not be used
};

// Never fails: undecodable bytes become U+FFFD. As browsers do, ISO-8859-1
// and US-ASCII labels are read as windows-1252; text without a usable
// charset is taken as UTF-8 when it validates and as windows-1252 otherwise.
Utf8Conversion convert_to_utf8(std::string_view bytes, std::string_view declared_charset);

// Replaces each invalid UTF-8 sequence with U+FFFD.
std::string make_valid_utf8(std::string_view text);
// Appends one Unicode code point, UTF-8 encoded.
void append_utf8(std::string& out, char32_t code_point);
bool is_valid_utf8(std::string_view text);

// Reads every byte as windows-1252 (WHATWG mapping, C1 gaps kept as controls).
std::string windows1252_to_utf8(std::string_view bytes);

}  // namespace privmilter::content
