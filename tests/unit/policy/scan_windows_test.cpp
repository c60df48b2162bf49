// DetectorSet confines each detector's exact scan to windows around its
// prefilter matches (phrases, regexes) or its candidates' digit runs
// (identifiers). The findings must be exactly those of every detector
// scanning every segment whole, however the text places them: random
// texts built from the pieces that matter, and the edges of each window
// rule.

#include <gtest/gtest.h>

#include <cctype>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "detector_set_testing.h"

namespace privmilter {
namespace {

std::string repeated(std::string_view piece, std::size_t times) {
  std::string out;
  for (std::size_t i = 0; i < times; ++i) out += piece;
  return out;
}

// Random texts for the comparisons with whole scans: pieces that matter,
// often with filler between them so that windows stand apart, and pieces
// right at the edges of the segment.
class RandomTexts {
 public:
  explicit RandomTexts(unsigned seed) : random_(seed) {}

  std::size_t number(std::size_t lo, std::size_t hi) { return std::uniform_int_distribution<std::size_t>(lo, hi)(random_); }
  bool one_in(std::size_t odds) { return number(1, odds) == 1; }

  const std::string& pick(const std::vector<std::string>& from) {
    return from[number(0, from.size() - 1)];
  }

  // `count` texts of 1 to `most_pieces` pieces; before each piece but the
  // first, filler one time in `filler_odds` (never when 0).
  std::vector<std::string> texts(const std::vector<std::string>& pieces, std::size_t count, std::size_t most_pieces,
                                 std::size_t filler_odds = 0) {
    static const std::vector<std::string> kFiller = {" lorem ipsum dolor sit amet ", " consectetur ",
                                                     repeated("sed do eiusmod ", 8)};
    std::vector<std::string> out;
    for (std::size_t round = 0; round < count; ++round) {
      std::string text;
      const std::size_t length = number(1, most_pieces);
      for (std::size_t i = 0; i < length; ++i) {
        if (i > 0 && filler_odds > 0 && one_in(filler_odds)) text += pick(kFiller);
        text += pick(pieces);
      }
      out.push_back(std::move(text));
    }
    return out;
  }

  // `phrase` as mail may write it: any run of whitespace, ASCII or not,
  // between its words, and letters in either case.
  std::string written_loosely(std::string_view phrase) {
    static const std::vector<std::string> kWhitespace = {
        " ", "  ", "\n", "\r\n", "\t \t", "\u00a0", "\u2003", "\u3000", " \u2028 ", "\u202f", repeated(" ", 300)};
    std::string out;
    for (std::size_t i = 0; i < phrase.size(); ++i) {
      if (phrase[i] == ' ') {
        while (i + 1 < phrase.size() && phrase[i + 1] == ' ') ++i;
        out += pick(kWhitespace);
      } else {
        const auto byte = static_cast<unsigned char>(phrase[i]);
        out += one_in(3) ? static_cast<char>(std::toupper(byte)) : phrase[i];
      }
    }
    return out;
  }

 private:
  std::mt19937 random_;
};

TEST(ScanWindows, PhrasesAreFoundAcrossAnyWhitespace) {
  for (const std::size_t max_whole_phrases : {std::size_t{1000}, std::size_t{0}}) {
    DetectorSetOptions options;
    options.max_whole_phrases = max_whole_phrases;
    const auto set =
        compile_set({phrases("markings", {"privileged and confidential", "privileged", "work product"}),
                     phrases("footer", {"This e-mail may contain privileged and confidential information"})},
                    options);
    ASSERT_NE(set, nullptr);
    const std::string nbsp = "\u00a0";
    const std::string ideographic = "\u3000";
    const std::size_t found = expect_same_as_own_scans(
        *set,
        {"PRIVILEGED" + repeated(" ", 200) + "AND\r\n\r\n" + repeated("\t", 50) + "CONFIDENTIAL.",
         "privileged" + repeated(nbsp, 100) + "and" + ideographic + "confidential",
         // Longer whitespace than the window walk takes: the segment is scanned whole.
         "(privileged" + repeated(" ", 5000) + "and confidential)" + repeated(" ", 9000) + "work product",
         "Été privileged and confidential, ÉTÉprivileged and confidential, privileged and confidentialité",
         "x" + repeated("privileged and confidential ", 300),
         "This e-mail may contain\r\n privileged and\r\n confidential information. privileged!",
         "ok privileged"}).findings;
    EXPECT_GE(found, 15u);
  }
}

TEST(ScanWindows, PhrasesCutToTheSameWordKeepEachOnesReach) {
  // Cut down to their longest word, these phrases all look for
  // "confidential", with other words before, after or on both sides: one
  // expression in the database, whose windows must hold each phrase.
  DetectorSetOptions options;
  options.max_whole_phrases = 0;
  const auto set = compile_set({phrases("markings", {"privileged and confidential", "confidential information",
                                                     "strictly confidential draft", "confidential"})},
                               options);
  ASSERT_NE(set, nullptr);
  const auto totals = expect_same_as_own_scans(
      *set, {"see the confidential information attached", "a strictly confidential draft, privileged and confidential",
             "CONFIDENTIAL\u00a0\u00a0INFORMATION", "strictly\nconfidential\ndraft", "confidential"});
  EXPECT_EQ(totals.findings, 6u);
}

// Random texts from phrase fragments, the phrases themselves written
// loosely, whitespace of every kind and word characters in several
// scripts, against overlapping phrases, whole in the database and cut
// down to their longest word (as for long lists), some cut to the same
// word.
class RandomPhraseTexts : public testing::TestWithParam<std::size_t> {};

TEST_P(RandomPhraseTexts, FindWhatWholeScansFind) {
  DetectorSetOptions options;
  options.max_whole_phrases = GetParam();
  const std::vector<std::vector<std::string>> lists = {
      {"privileged and confidential", "and", "confidential information", "confidential"},
      {"attorneys' eyes only", "eyes", "only privileged", "for your eyes only"},
      {"straße", "ſecret", "\u212Aelvin work", "client \u00e9t\u00e9 review", "work  product"},
      {"do not forward", "not", "forward this e-mail"}};
  Matchers matchers;
  std::vector<std::string> every_phrase;
  for (std::size_t list = 0; list < lists.size(); ++list) {
    matchers.push_back(phrases(std::to_string(list), lists[list]));
    every_phrase.insert(every_phrase.end(), lists[list].begin(), lists[list].end());
  }
  const auto set = compile_set(matchers, options);
  ASSERT_NE(set, nullptr);
  RandomTexts random(20241128);
  std::vector<std::string> pieces = {"privileged", "and", "confidential", "information", "attorneys'", "eyes",
                                     "only", "STRASSE", "straße", "STRAẞE", "secret", "ſecret", "kelvin", "work",
                                     " ", "  ", "\n", "\u00a0", "\u3000", "\u2028", "é", "x", "_", ".", "-", "'",
                                     "’", "\v", "中", "client", "ÉTÉ", "review", "forward", "not"};
  for (int i = 0; i < 40; ++i) pieces.push_back(random.written_loosely(random.pick(every_phrase)));
  std::vector<std::string> texts = random.texts(pieces, 300, 40);
  const std::vector<std::string> sparse = random.texts(pieces, 200, 40, 2);
  texts.insert(texts.end(), sparse.begin(), sparse.end());
  EXPECT_GT(expect_same_as_own_scans(*set, texts).findings, 1000u);
}

INSTANTIATE_TEST_SUITE_P(ScanWindows, RandomPhraseTexts, testing::Values(std::size_t{1000}, std::size_t{0}));

TEST(ScanWindows, BoundedRegexesAreFoundWithTheirContext) {
  const auto set = compile_set({regex(R"(\b\d{5}[-./]\d{4}\b)"), regex(R"(\b\d{3}-\d{2}-\d{4}\b)"),
                                regex(R"((?i)\bmatter\s+no\.?\s*\d+)"), regex(R"(^Subject: \w+)"),
                                regex(R"(end$)"), regex(R"((?i)\bmatter\s+no\.?\s*\d{1,6}\b)"),
                                regex(R"(privileged\s+and[ \t]*confidential)")});
  ASSERT_NE(set, nullptr);
  const std::size_t found = expect_same_as_own_scans(
      *set, {"Re 10042-0007 and x10042-0007 and 10042-00071 and 10042.0007.",
             "SSN 536-22-1234, 1536-22-1234, 536-22-12345; Matter   No.  42 and MATTER\n\nno 7",
             "Subject: first line then Subject: second, the end", "end of the end",
             repeated("10042-0007 ", 2000), repeated("1", 3000) + "0042-0007",
             "matter" + repeated("\n", 300) + "no." + repeated(" ", 3000) + "1234567 matter no 123456",
             "matter" + repeated(" ", 5000) + "no 1, privileged\r\n\r\nand \t confidential",
             "xprivileged  and  confidentially; matter no 0 matter no 1"}).findings;
  EXPECT_GE(found, 20u);
}

// Random patterns, bounded and not, with and without a literal, against
// random texts that place their pieces apart and at the segment's edges.
TEST(ScanWindows, RandomRegexTextsFindWhatWholeScansFind) {
  const std::vector<std::string> atoms = {"a", "k", "s", "é", "中", "-", R"(\x{212A})", ".", R"(\d)", R"(\D)", R"(\w)",
                                          R"(\W)", R"(\s)", R"(\S)", R"(\pL)", "[a-z]", "[^a-z]", "(?:ab|ς)", R"(\b)",
                                          R"(\B)", "^", "$", "abc", "privileged", "matter", R"(\s+)", R"(\s*)", " "};
  const std::vector<std::string> quantifiers = {"", "", "", "", "*", "+", "?", "{2}", "{1,3}", "+?", "{0,5}"};
  const std::vector<std::string> flags = {"", "", "", "(?i)", "(?s)", "(?m)"};
  RandomTexts random(20241130);
  // Besides the random ones, some as long as their runs of \s make them.
  Matchers matchers = {regex(R"((?i)matter\s+no\.?\s*\d{1,6}\b)"), regex(R"(privileged\s+ab\s*c)"),
                       regex(R"(\bk\s*\S\s+s\b)")};
  while (matchers.size() < 60) {
    std::string pattern = random.pick(flags);
    const std::size_t pieces = random.number(1, 5);
    for (std::size_t i = 0; i < pieces; ++i) pattern += random.pick(atoms) + random.pick(quantifiers);
    if (random.one_in(5)) pattern += "|" + random.pick(atoms) + random.pick(atoms);
    auto matcher = compile_regex_matcher(pattern, pattern);  // refused: matches the empty string
    if (matcher.ok()) matchers.push_back(std::move(matcher).value());
  }
  const auto set = compile_set(matchers);
  ASSERT_NE(set, nullptr);
  const std::vector<std::string> pieces = {
      "a", "A", "k", "K", "s", "x", "é", "ß", "中", " ", "  ", "\n", "\v", "\t", "1", "-", "_", "\u212A", "\u017F",
      "\u00a0", "\u3000", "ab", "abc", "privileged", "PRIVILEGED", "matter", "matter  no 42", "\r\n", "12345",
      "MATTER\n\nNo. 7", "privileged \t ab\nc", "k  x  s", repeated(" ", 100)};
  std::vector<std::string> texts = random.texts(pieces, 100, 30);
  const std::vector<std::string> sparse = random.texts(pieces, 100, 60, 2);
  texts.insert(texts.end(), sparse.begin(), sparse.end());
  EXPECT_GT(expect_same_as_own_scans(*set, texts).findings, 5000u);
}

TEST(ScanWindows, IdentifiersAreFoundAroundTheirDigits) {
  const auto set = compile_set({identifier(IdentifierKind::payment_card), identifier(IdentifierKind::us_ssn),
                                identifier(IdentifierKind::us_ssn, {"ssn", "social security"}),
                                identifier(IdentifierKind::aba_routing), identifier(IdentifierKind::iban),
                                identifier(IdentifierKind::iban, {"iban", "bank"})});
  ASSERT_NE(set, nullptr);
  const std::size_t found = expect_same_as_own_scans(
      *set,
      {"card 4111 1111 1111 1111 123, 4111-1111-1111-1111, 4111111111111111, 3782 822463 10005, 12-4111111111111111",
       "SSN 536-22-1234 and 536 22 1234 and 536221234; routing 021000021 and 011000015",
       "IBAN DE89 3704 0044 0532 0130 00, GB82WEST12345698765432 and GB82 WEST 1234 5698 7654 32 at the bank",
       "4111 1111 1111 1111-1111 1111 1111 1111 and 5555555555554444 5555555555554444",
       repeated("536221234x", 3000) + " ssn",      // more candidates than windows pay for
       repeated("4111 ", 5000) + "1111 1111 1111",  // one cluster of many groups
       "no digits at all, only DE89 words"}).findings;
  EXPECT_GE(found, 20u);
}

// Random texts from digits, separators, letters IBANs start with and the
// keywords, against every identifier kind: identifiers next to each
// other, apart, and at the segment's edges.
TEST(ScanWindows, RandomDigitTextsFindWhatWholeScansFind) {
  const auto set = compile_set({identifier(IdentifierKind::payment_card), identifier(IdentifierKind::us_ssn),
                                identifier(IdentifierKind::us_ssn, {"ssn"}), identifier(IdentifierKind::aba_routing),
                                identifier(IdentifierKind::iban), identifier(IdentifierKind::iban, {"bank"}),
                                regex(R"(\b\d{5}[-./]\d{4}\b)")});
  ASSERT_NE(set, nullptr);
  const std::vector<std::string> pieces = {
      "4111", "1111", "536", "22", "1234", "0210", "00021", "DE", "89", "GB", "82", "WEST", "3704", "0044", "0",
      "5", " ", " ", "-", "-", ".", "x", "ssn ", "\n", "é", "10042", "0007", "4111111111111111",
      "4111 1111 1111 1111", "536-22-1234", "536 22 1234", "021000021", "GB82WEST12345698765432",
      "DE89 3704 0044 0532 0130 00", " ", "x", ", ", ", ", "bank ", "4222222222222", "4111111111111111110",
      "6011 0009 9013 9424", "3782 822463 10005", "3056 930902 5904", "MT84 MALT 0110 0001 2345 MTLC AST0 01S",
      "MT84MALT011000012345MTLCAST001S"};
  RandomTexts random(20241129);
  std::vector<std::string> texts = random.texts(pieces, 400, 30);
  const std::vector<std::string> sparse = random.texts(pieces, 200, 40, 2);
  texts.insert(texts.end(), sparse.begin(), sparse.end());
  EXPECT_GT(expect_same_as_own_scans(*set, texts).findings, 300u);
}

TEST(ScanWindows, ManySegmentsReuseTheirScratchAcrossSets) {
  // Two sets in one thread, one after the other and interleaved: each scan
  // starts from a clean plan whatever the one before left.
  const auto small = compile_set({phrases("m", {"privileged"})});
  const auto large = compile_set({regex(R"(\d{3}-\d{2}-\d{4})"), phrases("m", {"work product"}),
                                  identifier(IdentifierKind::payment_card)});
  ASSERT_NE(small, nullptr);
  ASSERT_NE(large, nullptr);
  const std::vector<std::string> texts = {"privileged work product 536-22-1234 4111 1111 1111 1111",
                                          repeated("work product ", 500), ""};
  for (int round = 0; round < 3; ++round) {
    expect_same_as_own_scans(*large, texts);
    expect_same_as_own_scans(*small, texts);
  }
}

}  // namespace
}  // namespace privmilter
