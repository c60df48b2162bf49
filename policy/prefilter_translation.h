#pragma once
// Rewriting a matcher's RE2 prefilter expressions for Vectorscan.
//
// Vectorscan reads patterns the PCRE way and with Unicode tables many
// versions older than RE2's. Given an RE2 pattern as written it misses text
// that RE2 matches: letters added to Unicode since (\pL and U+08B3), case
// pairs added since ((?i) and Georgian Mtavruli), the vertical tab (in \s
// for PCRE, not for RE2, so \S differs), (?i) on \p{Lu}. A prefilter that
// misses is a finding that is never made, so expressions are rewritten into
// a form whose meaning depends on neither library's tables:
//
// * Every character set (literal under case folding, bracket class, \d,
//   \s, \w, \p{..}, [:alpha:], .) becomes an explicit list of code point
//   ranges. Its ASCII part is exactly RE2's, asked of RE2 itself. Beyond
//   ASCII, literal code points and ranges are kept as written; what depends
//   on Unicode tables (\p groups, case partners of non-ASCII letters)
//   widens to "any non-ASCII character", and in a negated class is left out
//   of what is excluded.
// * No flags reach Vectorscan. Where any group of the pattern sets (?i) or
//   (?s), the whole pattern is read as if it were set, which only widens
//   it. Anchors (^ $ \A \z, which Vectorscan refuses inside an expression)
//   and repeated assertions (\b+) are left out, which widens too. Lazy
//   quantifiers become greedy, capture groups plain groups.
// * When the pattern is a plain sequence (no top-level alternatives) with
//   a run of at least three literal characters and also repeats a class
//   beyond ASCII (\pL+), only the longest such run is kept: every match
//   contains it, and Vectorscan compiles and finds literals far faster.
//   Phrases (PrefilterExpression::characters_outside_whitespace), whose
//   words are often common on their own, only when the translator is told
//   so.
//
// The result matches wherever RE2 finds a match of the pattern (and may
// match elsewhere), provided the text is valid UTF-8.
//
// The translator reads the RE2 syntax; prefilter_pattern_builder.h writes
// the Vectorscan pattern and keeps what is known of its shape.

#include <optional>
#include <string>
#include <string_view>

#include "re2_character_sets.h"
#include "text_matcher.h"

namespace privmilter {

struct VectorscanPrefilter {
  std::string pattern;       // for HS_FLAG_UTF8 and no other semantic flag
  bool has_literal = false;  // every match contains a run of at least 3 literal characters
  bool whole = true;         // false: cut down to a literal run, so its matches are only part of RE2's
  // When whole and a plain sequence: the most characters a match holds
  // besides what repeats of ASCII whitespace (\s+) match; nothing when
  // unbounded otherwise (\pL+) or not known (groups, alternatives).
  std::optional<std::size_t> characters_outside_whitespace = std::nullopt;
  // When cut: the characters of the kept run, and the pattern's single
  // characters (not repeated, not in a group) before and after it.
  std::size_t kept_characters = 0;
  std::size_t characters_before = 0;
  std::size_t characters_after = 0;
};

class PrefilterTranslator {
 public:
  explicit PrefilterTranslator(bool keep_phrases_whole = true) : keep_phrases_whole_(keep_phrases_whole) {}

  // Nothing when the pattern uses what Vectorscan cannot express (\C, any
  // single byte) or is not a valid RE2 pattern.
  std::optional<VectorscanPrefilter> translate(const PrefilterExpression& expression);

 private:
  bool keep_phrases_whole_;
  Re2CharacterSets character_sets_;  // RE2's answers, reused across expressions
};

}  // namespace privmilter
