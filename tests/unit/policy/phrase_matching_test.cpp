// How phrase lists find privilege markings in decoded text.

#include <gtest/gtest.h>

#include "policy_test_support.h"

namespace privmilter::policy_test {
namespace {

std::shared_ptr<const Policy> list_policy(const std::vector<std::string>& phrases) {
  std::string yaml = "version: 1\nlists:\n  markings:\n";
  for (const std::string& phrase : phrases) yaml += "    - '" + phrase + "'\n";
  yaml += "rules:\n  - id: marked\n    when: { content: { list: markings } }\n    action: quarantine\n";
  return load(yaml);
}

bool list_matches(const std::vector<std::string>& phrases, const std::string& text) {
  const auto policy = list_policy(phrases);
  if (!policy) return false;
  return fired(evaluate_for(*policy, message({body(text)})), "marked");
}

TEST(PhraseMatching, IgnoresCase) {
  EXPECT_TRUE(list_matches({"attorney-client privileged"}, "ATTORNEY-CLIENT PRIVILEGED\n\nDear Bob,"));
  EXPECT_TRUE(list_matches({"Attorney Work Product"}, "this is attorney work product."));
}

TEST(PhraseMatching, IgnoresCaseBeyondAscii) {
  EXPECT_TRUE(list_matches({"privilégié et confidentiel"}, "PRIVILÉGIÉ ET CONFIDENTIEL"));
  EXPECT_TRUE(list_matches({"STRENG VERTRAULICH"}, "Streng vertraulich – nur für Mandanten"));
}

TEST(PhraseMatching, MatchesAPhraseWrappedOverTwoLines) {
  EXPECT_TRUE(list_matches({"privileged and confidential"}, "This e-mail is privileged and\r\n  confidential."));
  EXPECT_TRUE(list_matches({"privileged and confidential"}, "privileged\tand   confidential"));
  // HTML-to-text conversion leaves no-break spaces where &nbsp; was.
  EXPECT_TRUE(list_matches({"privileged and confidential"}, "privileged\u00a0and\u00a0confidential"));
}

TEST(PhraseMatching, NeedsWhitespaceWhereThePhraseHasIt) {
  EXPECT_FALSE(list_matches({"privileged and confidential"}, "privilegedandconfidential"));
  EXPECT_FALSE(list_matches({"privileged and confidential"}, "privileged-and-confidential"));
}

TEST(PhraseMatching, MatchesWholeWordsOnly) {
  EXPECT_FALSE(list_matches({"privileged"}, "an unprivileged user"));
  EXPECT_FALSE(list_matches({"privileged"}, "privilegedness"));
  EXPECT_FALSE(list_matches({"privileged"}, "privileged_info"));
  EXPECT_FALSE(list_matches({"work product"}, "network productivity"));
  EXPECT_TRUE(list_matches({"privileged"}, "privileged"));
  EXPECT_TRUE(list_matches({"privileged"}, "an unprivileged user, but this is privileged"));
}

TEST(PhraseMatching, AcceptsPunctuationNextToThePhrase) {
  EXPECT_TRUE(list_matches({"privileged"}, "(privileged)"));
  EXPECT_TRUE(list_matches({"privileged"}, "PRIVILEGED:"));
  EXPECT_TRUE(list_matches({"privileged"}, "\"privileged\","));
  EXPECT_TRUE(list_matches({"privileged"}, "--privileged--"));
}

TEST(PhraseMatching, WordBoundariesKnowLettersBeyondAscii) {
  EXPECT_FALSE(list_matches({"privileged"}, "privilegedé"));
  EXPECT_FALSE(list_matches({"école"}, "préécole"));
  EXPECT_TRUE(list_matches({"école"}, "l'école privée"));
  EXPECT_TRUE(list_matches({"école"}, "école"));
}

TEST(PhraseMatching, MatchesAmpersandLiterally) {
  EXPECT_TRUE(list_matches({"privileged & confidential"}, "Privileged & Confidential"));
  EXPECT_FALSE(list_matches({"privileged & confidential"}, "privileged and confidential"));
  EXPECT_FALSE(list_matches({"privileged & confidential"}, "privileged confidential"));
}

TEST(PhraseMatching, TreatsRegexCharactersInPhrasesLiterally) {
  EXPECT_TRUE(list_matches({"c.o.d. (draft)"}, "see c.o.d. (draft) attached"));
  EXPECT_FALSE(list_matches({"c.o.d. (draft)"}, "see cxoxdx draft attached"));
  EXPECT_FALSE(list_matches({"a+b"}, "aab"));
}

TEST(PhraseMatching, BoundsOnlyTheEndsThatAreWordCharacters) {
  // The phrase ends in ':' so nothing is required after it.
  EXPECT_TRUE(list_matches({"privileged:"}, "privileged:yes"));
  EXPECT_FALSE(list_matches({"privileged:"}, "unprivileged:yes"));
}

TEST(PhraseMatching, FindsAnyPhraseOfTheList) {
  const std::vector<std::string> phrases = {"attorney work product", "privileged & confidential"};
  EXPECT_TRUE(list_matches(phrases, "Privileged & Confidential"));
  EXPECT_TRUE(list_matches(phrases, "ATTORNEY WORK PRODUCT"));
  EXPECT_FALSE(list_matches(phrases, "work of an attorney"));
}

TEST(PhraseMatching, EvidenceShowsThePolicyPhraseAndWhereItWasFound) {
  const auto policy = list_policy({"privileged", "Privileged and Confidential"});
  ASSERT_NE(policy, nullptr);
  const Verdict verdict =
      evaluate_for(*policy, message({subject("Re: contract"), body("PRIVILEGED   AND\nCONFIDENTIAL", "1.1 text/plain")}));
  ASSERT_EQ(verdict.all_evidence().size(), 1u);
  const Evidence evidence = verdict.all_evidence().front();
  EXPECT_EQ(evidence.rule_id, "marked");
  EXPECT_EQ(evidence.detector, "list:markings");
  EXPECT_EQ(evidence.location, "1.1 text/plain");
  // The longer phrase is the better evidence, and it is shown as the policy spells it.
  EXPECT_EQ(evidence.masked_match, "Privileged and Confidential");
}

TEST(PhraseMatching, FindsBackToBackOccurrencesUpToTheEvidenceCap) {
  const auto policy = list_policy({"privileged"});
  ASSERT_NE(policy, nullptr);
  std::string text;
  for (int i = 0; i < 3; ++i) text += "privileged ";
  const Verdict few = evaluate_for(*policy, message({body(text)}));
  ASSERT_EQ(few.all_evidence().size(), 1u);  // one entry per location...
  EXPECT_EQ(few.all_evidence()[0].count, 3u);  // ...counting the findings there
  EXPECT_EQ(few.all_evidence()[0].offset, 0u);

  std::string many;
  for (int i = 0; i < 10000; ++i) many += "privileged\n";
  const Verdict verdict = evaluate_for(*policy, message({subject("privileged"), body(many)}));
  ASSERT_EQ(verdict.all_evidence().size(), 2u);
  EXPECT_EQ(verdict.all_evidence()[0].location, "subject");
  EXPECT_EQ(verdict.all_evidence()[1].location, "1 text/plain");
  // Repeats of one phrase are counted up to the detector's repeat cap.
  EXPECT_GE(verdict.all_evidence()[1].count, 5u);
}

TEST(PhraseMatching, InlinePhrasesWorkLikeALists) {
  const auto policy = load(R"(version: 1
rules:
  - id: marked
    when: { content: { phrases: [do not forward] } }
    action: quarantine
)");
  ASSERT_NE(policy, nullptr);
  const Verdict verdict = evaluate_for(*policy, message({body("Please DO NOT\nFORWARD this.")}));
  ASSERT_EQ(verdict.all_evidence().size(), 1u);
  EXPECT_EQ(verdict.all_evidence()[0].detector, "phrases:inline");
  EXPECT_EQ(verdict.all_evidence()[0].masked_match, "do not forward");
  EXPECT_FALSE(fired(evaluate_for(*policy, message({body("do not forwarded")})), "marked"));
}

}  // namespace
}  // namespace privmilter::policy_test
