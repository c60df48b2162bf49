// Patterns, the `in` filter, and masking of what a pattern matched.

#include <gtest/gtest.h>

#include "policy_test_support.h"

namespace privmilter::policy_test {
namespace {

std::shared_ptr<const Policy> pattern_policy(const std::string& pattern, const std::string& in = "") {
  std::string yaml = "version: 1\npatterns:\n  secret: '" + pattern + "'\nrules:\n  - id: found\n"
                     "    when:\n      content:\n        pattern: secret\n";
  if (!in.empty()) yaml += "        in: " + in + "\n";
  yaml += "    action: reject\n";
  return load(yaml);
}

const char* const kSsnPattern = R"(\b\d{3}-\d{2}-\d{4}\b)";

TEST(RegexMatching, FiresOnANamedPattern) {
  const auto policy = pattern_policy(kSsnPattern);
  ASSERT_NE(policy, nullptr);
  EXPECT_TRUE(fired(evaluate_for(*policy, message({body("SSN 123-45-6789 on file")})), "found"));
  EXPECT_FALSE(fired(evaluate_for(*policy, message({body("call 123-456-7890")})), "found"));
  EXPECT_FALSE(fired(evaluate_for(*policy, message({body("ref 9123-45-67890")})), "found"));
}

TEST(RegexMatching, IsCaseSensitiveUnlessThePatternSaysOtherwise) {
  const auto exact = pattern_policy("Matter No[.] \\d+");
  const auto folded = pattern_policy("(?i)Matter No[.] \\d+");
  ASSERT_NE(exact, nullptr);
  ASSERT_NE(folded, nullptr);
  const MessageFacts shouting = message({body("MATTER NO. 2231")});
  EXPECT_FALSE(fired(evaluate_for(*exact, shouting), "found"));
  EXPECT_TRUE(fired(evaluate_for(*folded, shouting), "found"));
}

TEST(RegexMatching, EvidenceMasksTheMatchAndNeverCarriesTheNumber) {
  const auto policy = pattern_policy(kSsnPattern);
  ASSERT_NE(policy, nullptr);
  const Verdict verdict = evaluate_for(
      *policy, message({subject("Client 987-65-4321"), body("Her SSN is 123-45-6789, DOB 1970.")}));
  ASSERT_EQ(verdict.all_evidence().size(), 2u);
  EXPECT_EQ(verdict.all_evidence()[0].detector, "regex:secret");
  EXPECT_EQ(verdict.all_evidence()[0].location, "subject");
  EXPECT_EQ(verdict.all_evidence()[0].masked_match, "***-**-**21");
  EXPECT_EQ(verdict.all_evidence()[1].location, "1 text/plain");
  EXPECT_EQ(verdict.all_evidence()[1].masked_match, "***-**-**89");
  for (const Evidence& evidence : verdict.all_evidence()) {
    for (const std::string& field : {evidence.rule_id, evidence.detector, evidence.location, evidence.masked_match}) {
      EXPECT_FALSE(contains(field, "123-45-6789")) << field;
      EXPECT_FALSE(contains(field, "6789")) << field;
      EXPECT_FALSE(contains(field, "DOB")) << field;
      EXPECT_FALSE(contains(field, "Her")) << field;
    }
  }
}

TEST(RegexMatching, ShortMatchesAreMaskedCompletely) {
  const auto policy = pattern_policy(R"(PIN \d{3})");
  ASSERT_NE(policy, nullptr);
  const Verdict verdict = evaluate_for(*policy, message({body("your PIN 482 is")}));
  ASSERT_EQ(verdict.all_evidence().size(), 1u);
  // 7 characters: too short to reveal anything.
  EXPECT_EQ(verdict.all_evidence()[0].masked_match, "*** ***");
}

TEST(RegexMatching, MasksLettersBeyondAsciiAndControlCharacters) {
  const auto policy = pattern_policy(R"((?s)Geheim.{16})");
  ASSERT_NE(policy, nullptr);
  const Verdict verdict = evaluate_for(*policy, message({body("Geheimnis: Jörg\tMüller")}));
  ASSERT_EQ(verdict.all_evidence().size(), 1u);
  // 22 characters: all masked but the last two, the tab turned into a space.
  EXPECT_EQ(verdict.all_evidence()[0].masked_match, "*********: **** ****er");
}

TEST(RegexMatching, CutsVeryLongMatchesShort) {
  const auto policy = pattern_policy(R"(BEGIN [A-Z ]+ END)");
  ASSERT_NE(policy, nullptr);
  std::string long_match = "BEGIN ";
  for (int i = 0; i < 100; ++i) long_match += "SECRET ";
  long_match += "END";
  const Verdict verdict = evaluate_for(*policy, message({body(long_match)}));
  ASSERT_EQ(verdict.all_evidence().size(), 1u);
  const std::string shown = verdict.all_evidence()[0].masked_match;
  EXPECT_EQ(shown.size(), 64u + 3u);
  EXPECT_TRUE(shown.ends_with("...")) << shown;
  EXPECT_FALSE(contains(shown, "END")) << shown;
}

TEST(RegexMatching, InlineRegexIsNamedInline) {
  const auto policy = load(R"(version: 1
rules:
  - id: card
    when: { content: { regex: '\b4\d{15}\b' } }
    action: quarantine
)");
  ASSERT_NE(policy, nullptr);
  const Verdict verdict = evaluate_for(*policy, message({body("card 4111111111111111 exp")}));
  ASSERT_EQ(verdict.all_evidence().size(), 1u);
  EXPECT_EQ(verdict.all_evidence()[0].detector, "regex:inline");
  EXPECT_EQ(verdict.all_evidence()[0].masked_match, "**************11");
}

TEST(RegexMatching, SkipsEmptyMatchesInsteadOfFiring) {
  // \b matches only the empty string at a word edge; that is not a hit.
  const auto policy = pattern_policy(R"(\b)");
  ASSERT_NE(policy, nullptr);
  EXPECT_FALSE(fired(evaluate_for(*policy, message({body("plenty of words here")})), "found"));
}

TEST(RegexMatching, NestedRepetitionCannotBacktrackCatastrophically) {
  // A backtracking engine needs about 2^100000 steps to give up here; RE2
  // answers in one linear pass, so this test finishes or hangs.
  const auto policy = pattern_policy(R"((a+)+b)");
  ASSERT_NE(policy, nullptr);
  EXPECT_FALSE(fired(evaluate_for(*policy, message({body(std::string(100000, 'a'))})), "found"));
  EXPECT_TRUE(fired(evaluate_for(*policy, message({body(std::string(100000, 'a') + "b")})), "found"));
}

TEST(ContentFilter, LooksOnlyWhereInSays) {
  const auto subject_only = pattern_policy(kSsnPattern, "[subject]");
  const auto attachments_only = pattern_policy(kSsnPattern, "[attachment]");
  const auto body_and_attachments = pattern_policy(kSsnPattern, "[body, attachment]");
  ASSERT_NE(subject_only, nullptr);
  ASSERT_NE(attachments_only, nullptr);
  ASSERT_NE(body_and_attachments, nullptr);

  const MessageFacts in_body = message({subject("hello"), body("123-45-6789")});
  const MessageFacts in_subject = message({subject("123-45-6789"), body("hello")});
  const MessageFacts in_attachment = message({subject("hello"), body("see attached"), attachment("123-45-6789")});

  EXPECT_FALSE(fired(evaluate_for(*subject_only, in_body), "found"));
  EXPECT_TRUE(fired(evaluate_for(*subject_only, in_subject), "found"));
  EXPECT_FALSE(fired(evaluate_for(*subject_only, in_attachment), "found"));

  EXPECT_FALSE(fired(evaluate_for(*attachments_only, in_body), "found"));
  EXPECT_TRUE(fired(evaluate_for(*attachments_only, in_attachment), "found"));

  EXPECT_TRUE(fired(evaluate_for(*body_and_attachments, in_body), "found"));
  EXPECT_TRUE(fired(evaluate_for(*body_and_attachments, in_attachment), "found"));
  EXPECT_FALSE(fired(evaluate_for(*body_and_attachments, in_subject), "found"));

  const Verdict verdict = evaluate_for(*attachments_only, in_attachment);
  ASSERT_EQ(verdict.all_evidence().size(), 1u);
  EXPECT_EQ(verdict.all_evidence()[0].location, "2 application/pdf");
}

TEST(ContentFilter, LooksEverywhereByDefault) {
  const auto policy = pattern_policy(kSsnPattern);
  ASSERT_NE(policy, nullptr);
  EXPECT_TRUE(fired(evaluate_for(*policy, message({subject("123-45-6789")})), "found"));
  EXPECT_TRUE(fired(evaluate_for(*policy, message({body("123-45-6789")})), "found"));
  EXPECT_TRUE(fired(evaluate_for(*policy, message({attachment("123-45-6789")})), "found"));
}

}  // namespace
}  // namespace privmilter::policy_test
