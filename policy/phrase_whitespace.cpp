#include "phrase_whitespace.h"

#include <re2/re2.h>

#include <algorithm>
#include <bitset>
#include <string>
#include <vector>

#include "utf8.h"

namespace privmilter {
namespace {

struct WhitespaceTable {
  std::bitset<128> ascii;
  std::vector<char32_t> beyond_ascii;  // sorted

  WhitespaceTable() {
    RE2::Options options;
    options.set_log_errors(false);
    const RE2 member{std::string(kPhraseWhitespace), options};
    for (char32_t c = 0; c < 128; ++c) ascii[c] = RE2::FullMatch(std::string(1, static_cast<char>(c)), member);
    // Every character beyond ASCII (no surrogates), a plane at a time;
    // RE2 finds the few members in one pass over each.
    constexpr char32_t kPlane = 0x10000;
    for (char32_t plane = 0; plane <= 0x10FFFF; plane += kPlane) {
      std::string characters;
      for (char32_t c = std::max<char32_t>(plane, 0x80); c < plane + kPlane; ++c) {
        if (c < 0xD800 || c > 0xDFFF) append_utf8(characters, c);
      }
      re2::StringPiece found;
      std::size_t position = 0;
      while (member.Match(characters, position, characters.size(), RE2::UNANCHORED, &found, 1)) {
        // One character each; decoding it moves past it.
        position = static_cast<std::size_t>(found.data() - characters.data());
        beyond_ascii.push_back(*decode_utf8(characters, position));
      }
    }
  }
};

const WhitespaceTable& table() {
  static const WhitespaceTable kTable;
  return kTable;
}

}  // namespace

bool is_phrase_whitespace(char32_t c) {
  const WhitespaceTable& known = table();
  if (c < 128) return known.ascii[c];
  return std::binary_search(known.beyond_ascii.begin(), known.beyond_ascii.end(), c);
}

}  // namespace privmilter
