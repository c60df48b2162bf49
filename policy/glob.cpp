#include "glob.h"

#include <cstddef>

namespace privmilter {
namespace {

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool is_continuation_byte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// Index just past the character starting at `at`.
std::size_t next_character(std::string_view text, std::size_t at) {
  ++at;
  while (at < text.size() && is_continuation_byte(text[at])) ++at;
  return at;
}

}  // namespace

// The classic single-backtrack matcher: on a mismatch, let the most recent
// '*' swallow one more character. Linear in the text for each '*', so no
// pattern can make it run away.
bool glob_matches(std::string_view pattern, std::string_view text) {
  std::size_t p = 0;
  std::size_t t = 0;
  std::size_t star = std::string_view::npos;  // pattern index just past the last '*'
  std::size_t star_text = 0;                  // where that '*' currently stops in the text
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = ++p;
      star_text = t;
    } else if (p < pattern.size() && pattern[p] == '?') {
      ++p;
      t = next_character(text, t);
    } else if (p < pattern.size() && ascii_lower(pattern[p]) == ascii_lower(text[t])) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star;
      star_text = next_character(text, star_text);
      t = star_text;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace privmilter
