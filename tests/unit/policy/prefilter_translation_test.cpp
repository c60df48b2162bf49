// The RE2-to-Vectorscan rewriting behind DetectorSet: the database must
// name a detector for every text in which RE2 finds something.

#include "policy/prefilter_translation.h"

#include <gtest/gtest.h>
#include <re2/re2.h>

#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "policy/detector_set.h"
#include "policy/utf8.h"

namespace privmilter {
namespace {

std::string utf8(char32_t c) {
  std::string out;
  append_utf8(out, c);
  return out;
}

TEST(PrefilterTranslation, OnlyLongSAndKelvinFoldToAsciiLetters) {
  // The rewriting adds these two by name to case-folded ASCII letters; a
  // newer RE2 folding another character to ASCII must fail this test.
  std::string everything;
  for (char32_t c = 0x80; c <= 0x10FFFF; ++c) {
    if (c < 0xD800 || c > 0xDFFF) everything += utf8(c);
  }
  const RE2 ascii_letter("(?i)([a-z])");
  re2::StringPiece rest(everything);
  std::string found;
  std::vector<std::string> folding;
  while (RE2::FindAndConsume(&rest, ascii_letter, &found)) folding.push_back(found);
  EXPECT_EQ(folding, (std::vector<std::string>{utf8(0x17F), utf8(0x212A)}));
}

TEST(PrefilterTranslation, RefusesWhatVectorscanCannotExpress) {
  PrefilterTranslator translator;
  EXPECT_FALSE(translator.translate({R"(a\Cb)", false}));
  EXPECT_FALSE(translator.translate({"(unbalanced", false}));
  EXPECT_FALSE(translator.translate({"[^\\x00-\\x{10FFFF}]", false}));  // matches nothing
  EXPECT_TRUE(translator.translate({R"(\b\d{3}-\d{2}-\d{4}\b)", false}));
  EXPECT_TRUE(translator.translate({"privileged[\\s\\p{Z}]+and", true}));
}

TEST(PrefilterTranslation, Utf8IsReadAsRe2ReadsIt) {
  EXPECT_TRUE(is_valid_utf8("plain ASCII, and more than eight bytes of it"));
  EXPECT_TRUE(is_valid_utf8("Jörg Müller – 機密 – \U0001F97A – \u212A"));
  EXPECT_TRUE(is_valid_utf8(std::string("nul \0 inside", 12)));
  EXPECT_FALSE(is_valid_utf8("stray \x80 continuation"));
  EXPECT_FALSE(is_valid_utf8("cut short \xE2\x84"));
  EXPECT_FALSE(is_valid_utf8("overlong \xC0\xAF slash"));
  EXPECT_FALSE(is_valid_utf8("surrogate \xED\xA0\x80 half"));
  EXPECT_FALSE(is_valid_utf8("beyond U+10FFFF \xF4\x90\x80\x80"));
  EXPECT_FALSE(is_valid_utf8("\xFF"));
}

TEST(PrefilterTranslation, Utf8IsWrittenInItsShortestForm) {
  EXPECT_EQ(utf8(0x24), "$");
  EXPECT_EQ(utf8(0xE9), "\xC3\xA9");
  EXPECT_EQ(utf8(0x212A), "\xE2\x84\xAA");
  EXPECT_EQ(utf8(0x1F97A), "\xF0\x9F\xA5\xBA");
  for (const char32_t c : {0x0, 0x7F, 0x80, 0x7FF, 0x800, 0xD7FF, 0xE000, 0xFFFF, 0x10000, 0x10FFFF}) {
    const std::string written = utf8(c);
    EXPECT_EQ(written.size(), c < 0x80 ? 1u : c < 0x800 ? 2u : c < 0x10000 ? 3u : 4u) << std::hex << +c;
    std::size_t position = 0;
    EXPECT_EQ(decode_utf8(written, position), c);
    EXPECT_EQ(position, written.size());
  }
}

// Random patterns built from the constructs where RE2 and Vectorscan part
// ways, against random texts built from the characters where they do: the
// set must find exactly what every pattern's own scan finds.
TEST(PrefilterTranslation, RandomPatternsNeverMissWhatRe2Finds) {
  const std::vector<std::string> atoms = {
      "a", "k", "s", "x", "é", "É", "ß", "ა", "σ", "Σ", "ǅ", "中", "-", R"(\x{212A})", R"(\x{17F})", R"(\x{1C90})",
      R"(\x{8B3})", R"(\v)", ".", R"(\d)", R"(\D)", R"(\w)", R"(\W)", R"(\s)", R"(\S)", R"(\pL)", R"(\p{Lu})",
      R"(\p{Ll})", R"(\PL)", R"(\p{Greek})", R"(\p{So})", "[a-z]", "[^a-z]", "[[:alpha:]]", "[[:^space:]]",
      R"([^\s])", R"([^\W])", R"([\pL\d])", R"([^\p{Lu}k])", "[à-ÿ]", "[ᲐᲑ]", "[^é]", "(?:ab|ς)", "(?i:k)",
      R"(\b)", R"(\B)", "^", "$"};
  const std::vector<std::string> quantifiers = {"", "", "", "*", "+", "?", "{2}", "{1,3}", "+?"};
  const std::vector<std::string> flags = {"", "", "(?i)", "(?s)", "(?m)", "(?is)"};
  const std::vector<std::string> characters = {
      "a",  "A",  "k", "K", "s", "S",  "x",  "é", "É",      "ß",      "ẞ",      "ა",      "Ა",      "σ", "ς",
      "Σ",  "ǅ",  "Ǆ", "ǆ", "中", " ", "\n", "\v", "\t",     "1",      "-",      "_",      "\u212A", "\u017F",
      "\u08B3", "\U0001F97A", "ab"};

  std::mt19937 random(20240607);
  const auto pick = [&](const std::vector<std::string>& from) {
    return from[std::uniform_int_distribution<std::size_t>(0, from.size() - 1)(random)];
  };
  std::vector<std::shared_ptr<const TextMatcher>> matchers;
  while (matchers.size() < 150) {
    std::string pattern = pick(flags);
    const int pieces = std::uniform_int_distribution<int>(1, 4)(random);
    for (int i = 0; i < pieces; ++i) pattern += pick(atoms) + pick(quantifiers);
    if (std::uniform_int_distribution<int>(0, 4)(random) == 0) pattern += "|" + pick(atoms) + pick(atoms);
    auto matcher = compile_regex_matcher(pattern, pattern);  // refused: invalid, or matches the empty string
    if (matcher.ok()) matchers.push_back(std::move(matcher).value());
  }
  auto compiled = DetectorSet::compile(matchers);
  ASSERT_TRUE(compiled.ok()) << compiled.error().message;
  const DetectorSet& set = **compiled;

  std::size_t prefiltered = 0;
  for (std::size_t i = 0; i < set.size(); ++i) prefiltered += set.always_runs(i) ? 0 : 1;
  EXPECT_GT(prefiltered, set.size() * 9 / 10);

  std::size_t findings = 0;
  for (int round = 0; round < 400; ++round) {
    std::string text;
    const int length = std::uniform_int_distribution<int>(1, 10)(random);
    for (int i = 0; i < length; ++i) text += pick(characters);
    const auto hits = set.scan({text}, 1000);
    for (std::size_t i = 0; i < set.size(); ++i) {
      std::vector<std::pair<std::size_t, std::size_t>> own;
      std::map<std::string, std::size_t> repeats;
      set.matcher(i).scan(text, [&](TextMatch match) {
        if (repeats[match.identity]++ < DetectorSet::kRepeatsKeptPerSegment) own.emplace_back(match.offset, match.length);
        return true;
      });
      std::vector<std::pair<std::size_t, std::size_t>> kept;
      for (const DetectorHit& hit : hits[i]) kept.emplace_back(hit.match.offset, hit.match.length);
      EXPECT_EQ(kept, own) << set.matcher(i).detector() << " in '" << text << "'";
      findings += own.size();
    }
  }
  EXPECT_GT(findings, 1000u);  // the texts do exercise the patterns
}

}  // namespace
}  // namespace privmilter
