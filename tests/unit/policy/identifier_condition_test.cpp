// `content: { identifier: ... }`: candidates in running text, their
// boundaries and formatting, proximity keywords, min_count, evidence, and
// the loader's checks of the condition.

#include <gtest/gtest.h>

#include "policy_test_support.h"

namespace privmilter::policy_test {
namespace {

std::shared_ptr<const Policy> identifier_policy(const std::string& options) {
  return load("version: 1\nrules:\n  - id: found\n    when:\n      content: { " + options +
              " }\n    action: reject\n");
}

// Whether the condition holds for a message whose body is `text`.
bool finds(const std::string& options, const std::string& text) {
  const auto policy = identifier_policy(options);
  if (!policy) return false;
  return fired(evaluate_for(*policy, message({body(text)})), "found");
}

TEST(IdentifierCondition, FindsCardsWrittenWithSpacesDashesOrNothing) {
  const std::string card = "identifier: payment_card";
  EXPECT_TRUE(finds(card, "card 4111111111111111 exp 12/27"));
  EXPECT_TRUE(finds(card, "card 4111 1111 1111 1111 exp 12/27"));
  EXPECT_TRUE(finds(card, "card 4111-1111-1111-1111."));
  EXPECT_TRUE(finds(card, "amex 3782 822463 10005"));
  EXPECT_TRUE(finds(card, "diners 3056-930902-5904"));
  EXPECT_TRUE(finds(card, "(4012888888881881)"));
  EXPECT_TRUE(finds(card, "4111111111111111"));  // the whole text
}

TEST(IdentifierCondition, IgnoresCardLookalikes) {
  const std::string card = "identifier: payment_card";
  EXPECT_FALSE(finds(card, "order 4111111111111112 shipped"));     // Luhn
  EXPECT_FALSE(finds(card, "ref 1234 5678 1234 5670"));            // no issuer
  EXPECT_FALSE(finds(card, "card 4111 1111-1111 1111"));           // mixed separators
  EXPECT_FALSE(finds(card, "tracking 94111111111111111 arrived"));  // inside a longer run
  EXPECT_FALSE(finds(card, "id x4111111111111111"));               // glued to a letter
  EXPECT_FALSE(finds(card, "id 4111111111111111b"));
  EXPECT_FALSE(finds(card, "pi 3.4111111111111111"));              // decimal digits
  EXPECT_FALSE(finds(card, "serial 12-4111111111111111"));         // dash-joined number
}

TEST(IdentifierCondition, FindsACardFollowedByItsSecurityCode) {
  EXPECT_TRUE(finds("identifier: payment_card", "4111 1111 1111 1111 123"));
  // Joined by dashes the extra digits are part of the number, which is not a card.
  EXPECT_FALSE(finds("identifier: payment_card", "4111-1111-1111-1111-123"));
}

TEST(IdentifierCondition, FindsSsnsInEachWrittenForm) {
  const std::string ssn = "identifier: us_ssn";
  EXPECT_TRUE(finds(ssn, "SSN 536-22-1234 on file"));
  EXPECT_TRUE(finds(ssn, "SSN 536 22 1234 on file"));
  EXPECT_TRUE(finds(ssn, "SSN:536221234"));
  EXPECT_TRUE(finds(ssn, "SSN 123-45-6789"));
}

TEST(IdentifierCondition, IgnoresNumbersThatCannotBeSsns) {
  const std::string ssn = "identifier: us_ssn";
  for (const char* text : {"000-12-3456", "666-12-3456", "912-34-5678", "536-00-1234", "536-22-0000",
                           "078-05-1120", "219-09-9999", "536-22 1234", "call 536-22-12345",
                           "ref 9536-22-1234", "acct 4111111111111111", "phone 1-536-22-1234",
                           "SSN536-22-1234"}) {
    EXPECT_FALSE(finds(ssn, text)) << text;
  }
}

TEST(IdentifierCondition, FindsRoutingNumbersAndIbans) {
  EXPECT_TRUE(finds("identifier: aba_routing", "wire to routing 021000021, account 12345"));
  EXPECT_FALSE(finds("identifier: aba_routing", "wire to routing 021000022, account 12345"));
  EXPECT_FALSE(finds("identifier: aba_routing", "invoice 0210000215"));
  EXPECT_TRUE(finds("identifier: iban", "IBAN DE89 3704 0044 0532 0130 00 please"));
  EXPECT_TRUE(finds("identifier: iban", "IBAN: GB82WEST12345698765432."));
  EXPECT_TRUE(finds("identifier: iban", "IBAN ES91 2100 0418 4502 0005 1332 THEN pay"));  // a word after it
  EXPECT_FALSE(finds("identifier: iban", "IBAN DE89 3704 0044 0532 0130 01"));
  EXPECT_FALSE(finds("identifier: iban", "IBAN XDE89370400440532013000"));
}

TEST(IdentifierCondition, NearRequiresAKeywordWithinTheDistance) {
  const std::string near = "identifier: us_ssn, near: [ssn, social security], within: 20";
  EXPECT_TRUE(finds(near, "Her SSN is 536-22-1234."));
  EXPECT_TRUE(finds(near, "536-22-1234 is her Social\nSecurity number"));  // after, across a line break
  EXPECT_TRUE(finds(near, "ssn: 536-22-1234"));                           // any case
  EXPECT_FALSE(finds(near, "Order 536-22-1234 shipped"));
  EXPECT_FALSE(finds(near, "SSN requested. The parcel number for the shipment is 536-22-1234"));
  EXPECT_FALSE(finds(near, "SSNs are sensitive 536-22-1234"));  // keywords are whole words
}

TEST(IdentifierCondition, WithinCountsCharactersNotBytes) {
  const std::string near = "identifier: us_ssn, near: [ssn], within: 5";
  EXPECT_TRUE(finds(near, "SSN \xC3\xA9\xC3\xA9\xC3\xA9 536-22-1234"));    // 5 characters, 8 bytes
  EXPECT_FALSE(finds(near, "SSN \xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9 536-22-1234"));  // 6 characters
}

TEST(IdentifierCondition, MinCountCountsDistinctIdentifiersAcrossTheMessage) {
  const auto policy = identifier_policy("identifier: payment_card, min_count: 2");
  ASSERT_NE(policy, nullptr);
  EXPECT_FALSE(fired(evaluate_for(*policy, message({body("4111111111111111")})), "found"));
  // The same card twice, however written, is one card.
  EXPECT_FALSE(fired(evaluate_for(*policy, message({body("4111111111111111 and 4111-1111-1111-1111")})),
                     "found"));
  EXPECT_TRUE(fired(evaluate_for(*policy, message({subject("card 4111111111111111"),
                                                   attachment("5555 5555 5555 4444")})),
                    "found"));
}

TEST(IdentifierCondition, MinCountSeesPastTheEvidenceCap) {
  const auto policy = identifier_policy("identifier: payment_card, min_count: 3");
  ASSERT_NE(policy, nullptr);
  std::string text;
  for (int i = 0; i < 8; ++i) text += "4111111111111111 ";
  EXPECT_FALSE(fired(evaluate_for(*policy, message({body(text)})), "found"));
  text += "5555555555554444 6011111111111117";
  const Verdict verdict = evaluate_for(*policy, message({body(text)}));
  EXPECT_TRUE(fired(verdict, "found"));
  // One entry for the one text location, counting what was found there.
  ASSERT_EQ(verdict.all_evidence().size(), 1u);
  EXPECT_GE(verdict.all_evidence()[0].count, 3u);
}

TEST(IdentifierCondition, MinCountAppliesToPhraseListsToo) {
  EXPECT_FALSE(finds("phrases: [privileged, confidential], min_count: 2", "privileged, privileged"));
  EXPECT_TRUE(finds("phrases: [privileged, confidential], min_count: 2", "privileged and confidential"));
}

TEST(IdentifierCondition, EvidenceIsMaskedAndNamesTheKind) {
  const auto card = identifier_policy("identifier: payment_card");
  const auto ssn = identifier_policy("identifier: us_ssn");
  const auto iban = identifier_policy("identifier: iban");
  ASSERT_TRUE(card && ssn && iban);
  const MessageFacts facts = message({subject("Card 4111-1111-1111-1111"), body("SSN 536 22 1234"),
                                      attachment("IBAN DE89 3704 0044 0532 0130 00")});
  const Verdict by_card = evaluate_for(*card, facts);
  ASSERT_EQ(by_card.all_evidence().size(), 1u);
  EXPECT_EQ(by_card.all_evidence()[0].detector, "identifier:payment_card");
  EXPECT_EQ(by_card.all_evidence()[0].location, "subject");
  EXPECT_EQ(by_card.all_evidence()[0].masked_match, "****-****-****-1111");

  const Verdict by_ssn = evaluate_for(*ssn, facts);
  ASSERT_EQ(by_ssn.all_evidence().size(), 1u);
  EXPECT_EQ(by_ssn.all_evidence()[0].detector, "identifier:us_ssn");
  EXPECT_EQ(by_ssn.all_evidence()[0].location, "1 text/plain");
  EXPECT_EQ(by_ssn.all_evidence()[0].masked_match, "*** ** **34");

  const Verdict by_iban = evaluate_for(*iban, facts);
  ASSERT_EQ(by_iban.all_evidence().size(), 1u);
  EXPECT_EQ(by_iban.all_evidence()[0].location, "2 application/pdf");
  EXPECT_EQ(by_iban.all_evidence()[0].masked_match, "**** **** **** **** **30 00");
}

TEST(IdentifierCondition, InLimitsWhereItLooks) {
  const auto policy = identifier_policy("identifier: payment_card, in: [attachment]");
  ASSERT_NE(policy, nullptr);
  EXPECT_FALSE(fired(evaluate_for(*policy, message({body("4111111111111111")})), "found"));
  EXPECT_TRUE(fired(evaluate_for(*policy, message({attachment("4111111111111111")})), "found"));
}

// Asserts "test.yaml:<line>:<column>: " followed by a message containing `part`.
void expect_error_at(const std::string& yaml, int line, const std::string& part) {
  const std::string error = load_error(yaml);
  EXPECT_TRUE(located_at_line(error, line)) << error;
  EXPECT_TRUE(contains(error, part)) << "expected '" << part << "' in: " << error;
}

std::string condition_yaml(const std::string& content_lines) {
  return "version: 1\nrules:\n  - id: r\n    when:\n      content:\n" + content_lines + "    action: reject\n";
}

TEST(IdentifierConditionLoading, RefusesAnUnknownIdentifier) {
  expect_error_at(condition_yaml("        identifier: ssn\n"), 6,
                  "unknown identifier 'ssn' (expected payment_card, us_ssn, aba_routing or iban)");
}

TEST(IdentifierConditionLoading, RefusesBadNearWithinAndMinCount) {
  expect_error_at(condition_yaml("        identifier: us_ssn\n        near: []\n"), 7, "'near' needs at least one phrase");
  expect_error_at(condition_yaml("        identifier: us_ssn\n        near: [ssn]\n        within: 0\n"), 8,
                  "'within' must be from 1 to 10000");
  expect_error_at(condition_yaml("        identifier: us_ssn\n        near: [ssn]\n        within: ten\n"), 8,
                  "'within' must be a whole number");
  expect_error_at(condition_yaml("        identifier: us_ssn\n        within: 20\n"), 7, "'within' needs 'near'");
  expect_error_at(condition_yaml("        identifier: us_ssn\n        min_count: -1\n"), 7,
                  "'min_count' must be a whole number");
  expect_error_at(condition_yaml("        identifier: us_ssn\n        min_count: 1001\n"), 7,
                  "'min_count' must be from 1 to 1000");
}

TEST(IdentifierConditionLoading, RefusesNearOnOtherContent) {
  expect_error_at(condition_yaml("        phrases: [x]\n        near: [ssn]\n"), 7,
                  "'near' belongs only to identifier conditions");
}

}  // namespace
}  // namespace privmilter::policy_test
