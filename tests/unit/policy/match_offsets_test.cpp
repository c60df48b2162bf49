// Where each matcher says its findings are: byte offset and length in the
// segment text, which evidence reports beside the part's path.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "policy/identifier_matcher.h"
#include "policy/text_matcher.h"

namespace privmilter {
namespace {

// The text each finding points at.
std::vector<std::string> pointed_at(const TextMatcher& matcher, std::string_view text) {
  std::vector<std::string> spans;
  matcher.scan(text, [&](TextMatch match) {
    EXPECT_LE(match.offset + match.length, text.size());
    spans.emplace_back(text.substr(match.offset, match.length));
    return true;
  });
  return spans;
}

TEST(MatchOffsets, PhrasesPointAtThePhraseWithoutItsBoundaries) {
  auto matcher = compile_phrase_matcher("list:markings", {"privileged and confidential", "privileged"});
  ASSERT_TRUE(matcher.ok());
  const std::string text = "Été: PRIVILEGED\n  AND CONFIDENTIAL (privileged)privileged";
  EXPECT_EQ(pointed_at(**matcher, text),
            (std::vector<std::string>{"PRIVILEGED\n  AND CONFIDENTIAL", "privileged", "privileged"}));
  std::vector<std::size_t> offsets;
  (*matcher)->scan(text, [&](TextMatch match) {
    offsets.push_back(match.offset);
    return true;
  });
  EXPECT_EQ(offsets, (std::vector<std::size_t>{7, 38, 49}));  // "Été: " is 7 bytes
}

TEST(MatchOffsets, RegexesPointAtTheMatch) {
  auto matcher = compile_regex_matcher("regex:ssn", R"(\b\d{3}-\d{2}-\d{4}\b)");
  ASSERT_TRUE(matcher.ok());
  EXPECT_EQ(pointed_at(**matcher, "Müller 536-22-1234, then 123-45-6789."),
            (std::vector<std::string>{"536-22-1234", "123-45-6789"}));

  // Empty matches are stepped over, not reported, and do not shift offsets.
  auto optional_word = compile_regex_matcher("regex:word", R"(\bx*)");
  ASSERT_TRUE(optional_word.ok());
  EXPECT_EQ(pointed_at(**optional_word, "é y xx y"), (std::vector<std::string>{"xx"}));
}

TEST(MatchOffsets, IdentifiersPointAtTheValidatedNumber) {
  auto cards = compile_identifier_matcher({});
  ASSERT_TRUE(cards.ok());
  // The security code after the card is not part of it.
  EXPECT_EQ(pointed_at(**cards, "Karte: 4111 1111 1111 1111 123 und 5555-5555-5555-4444."),
            (std::vector<std::string>{"4111 1111 1111 1111", "5555-5555-5555-4444"}));

  IdentifierOptions near_ssn;
  near_ssn.kind = IdentifierKind::us_ssn;
  near_ssn.near = {"ssn"};
  auto ssns = compile_identifier_matcher(near_ssn);
  ASSERT_TRUE(ssns.ok());
  EXPECT_EQ(pointed_at(**ssns, "order 536-22-1234; SSN: 536-22-1235"), (std::vector<std::string>{"536-22-1234",
                                                                                                   "536-22-1235"}));
}

}  // namespace
}  // namespace privmilter
