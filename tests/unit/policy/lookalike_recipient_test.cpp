// `recipient: lookalike` in a rule: the evaluator's use of the lookalike
// check (the check itself is tested in tests/unit/core/lookalike_test.cpp).

#include <gtest/gtest.h>

#include "policy_test_support.h"

namespace privmilter::policy_test {
namespace {

TEST(LookalikeRecipient, FiresWithEvidenceNamingBothDomains) {
  const auto policy = load(
      "version: 1\nrules:\n  - id: r\n    when: { recipient: lookalike }\n    action: quarantine\n");
  ASSERT_NE(policy, nullptr);
  const MessageFacts facts = message({subject("hello")});
  EXPECT_FALSE(fired(evaluate_for(*policy, facts, {"bob@examplelaw.com", "counsel@client.example"}), "r"));
  EXPECT_FALSE(fired(evaluate_for(*policy, facts, {}), "r"));
  const Verdict verdict =
      evaluate_for(*policy, facts, {"bob@examplelaw.com", "Bob@Examp1eLaw.com", "bob@examp1elaw.com"});
  EXPECT_TRUE(fired(verdict, "r"));
  ASSERT_EQ(verdict.all_evidence().size(), 1u);  // one entry per imitating domain
  EXPECT_EQ(verdict.all_evidence()[0].detector, "recipient:lookalike");
  EXPECT_EQ(verdict.all_evidence()[0].location, "envelope");
  EXPECT_EQ(verdict.all_evidence()[0].masked_match, "examp1elaw.com imitates examplelaw.com");
}

TEST(LookalikeRecipient, LoaderNamesTheChoices) {
  const std::string error = load_error(
      "version: 1\nrules:\n  - id: r\n    when: { recipient: lookalikes }\n    action: quarantine\n");
  EXPECT_TRUE(located_at_line(error, 4)) << error;
  EXPECT_TRUE(contains(error, "external, internal, lookalike, webmail, unauthorized or walled")) << error;
}

}  // namespace
}  // namespace privmilter::policy_test
