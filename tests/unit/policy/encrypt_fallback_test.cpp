// The encrypt rule's `fallback`: what happens when a recipient has no
// usable certificate. Read from the deciding encrypt rule; refused (with
// file:line:column) on other actions or without its gateway.

#include <gtest/gtest.h>

#include "policy_test_support.h"

namespace privmilter::policy_test {
namespace {

const MessageFacts kMarked = message({subject("Draft"), body("PRIVILEGED and confidential")});

std::string encrypt_rule(const std::string& id, const std::string& options) {
  return "  - id: " + id + "\n    when: { content: { list: marks } }\n    action: encrypt\n" + options;
}

std::string policy_with(const std::string& rules) {
  return "version: 1\nlists:\n  marks: [privileged and confidential]\nrules:\n" + rules;
}

TEST(EncryptFallback, DefaultsToQuarantine) {
  const auto policy = load(policy_with(encrypt_rule("encrypt", "")));
  ASSERT_NE(policy, nullptr);
  const Verdict verdict = evaluate_for(*policy, kMarked);
  EXPECT_EQ(verdict.action, Action::encrypt);
  EXPECT_EQ(verdict.encrypt_fallback, EncryptFallback::quarantine);
  EXPECT_TRUE(verdict.route.empty());
}

TEST(EncryptFallback, EachFallbackReachesTheVerdict) {
  for (const auto& [text, expected] : {std::pair{"quarantine", EncryptFallback::quarantine},
                                       std::pair{"reject", EncryptFallback::reject}}) {
    const auto policy = load(policy_with(encrypt_rule("encrypt", std::string("    fallback: ") + text + "\n")));
    ASSERT_NE(policy, nullptr) << text;
    EXPECT_EQ(evaluate_for(*policy, kMarked).encrypt_fallback, expected) << text;
  }
  const auto routed = load(policy_with(encrypt_rule("encrypt", "    fallback: route\n    route: smime-gateway\n")));
  ASSERT_NE(routed, nullptr);
  const Verdict verdict = evaluate_for(*routed, kMarked);
  EXPECT_EQ(verdict.encrypt_fallback, EncryptFallback::route);
  EXPECT_EQ(verdict.route, "smime-gateway");
}

TEST(EncryptFallback, TheDecidingEncryptRuleSetsItAndItsGatewayWinsOverARouteRule) {
  const auto policy = load(policy_with(
      "  - id: via-tls-gateway\n    when: { recipient: external }\n    action: route\n    route: tls-gateway\n" +
      encrypt_rule("first", "    fallback: route\n    route: smime-gateway\n") +
      encrypt_rule("second", "    fallback: reject\n")));
  ASSERT_NE(policy, nullptr);
  const Verdict verdict = evaluate_for(*policy, kMarked);
  EXPECT_EQ(verdict.action, Action::encrypt);
  EXPECT_EQ(verdict.deciding_rule, "first");
  EXPECT_EQ(verdict.encrypt_fallback, EncryptFallback::route);
  EXPECT_EQ(verdict.route, "smime-gateway");

  // Without the encrypt rules the route rule decides, with its own gateway.
  const Verdict plain = evaluate_for(*policy, message({subject("Lunch"), body("noon")}));
  EXPECT_EQ(plain.action, Action::route);
  EXPECT_EQ(plain.route, "tls-gateway");
  EXPECT_EQ(plain.encrypt_fallback, EncryptFallback::quarantine);
}

TEST(EncryptFallback, AQuarantineRuleStillWinsOverEncryption) {
  const auto policy = load(policy_with(encrypt_rule("encrypt", "    fallback: reject\n") +
                                       "  - id: hold\n    when: { content: { list: marks } }\n    action: quarantine\n"));
  ASSERT_NE(policy, nullptr);
  const Verdict verdict = evaluate_for(*policy, kMarked);
  EXPECT_EQ(verdict.action, Action::quarantine);
  EXPECT_EQ(verdict.encrypt_fallback, EncryptFallback::quarantine);
}

TEST(EncryptFallback, OnlyAnEncryptRuleTakesAFallback) {
  const std::string error = load_error(
      policy_with("  - id: hold\n    when: { content: { list: marks } }\n    action: quarantine\n    fallback: reject\n"));
  EXPECT_TRUE(located_at_line(error, 8)) << error;
  EXPECT_TRUE(contains(error, "'fallback' does not belong to a rule with action quarantine")) << error;
}

TEST(EncryptFallback, UnknownFallbackIsNamedWithItsPosition) {
  const std::string error = load_error(policy_with(encrypt_rule("encrypt", "    fallback: deliver\n")));
  EXPECT_TRUE(contains(error, "test.yaml:8:15: unknown fallback 'deliver'")) << error;
  EXPECT_TRUE(contains(error, "quarantine, route or reject")) << error;
}

TEST(EncryptFallback, RouteFallbackNeedsItsGateway) {
  const std::string error = load_error(policy_with(encrypt_rule("encrypt", "    fallback: route\n")));
  EXPECT_TRUE(located_at_line(error, 8)) << error;
  EXPECT_TRUE(contains(error, "fallback: route needs 'route'")) << error;

  const std::string invalid =
      load_error(policy_with(encrypt_rule("encrypt", "    fallback: route\n    route: \"Not A Name\"\n")));
  EXPECT_TRUE(located_at_line(invalid, 9)) << invalid;
}

TEST(EncryptFallback, ARejectFallbackTakesTheRulesReply) {
  const auto policy = load(policy_with(encrypt_rule(
      "encrypt", "    fallback: reject\n    reply: { xcode: 5.7.5, text: Encrypted mail only for this client }\n")));
  ASSERT_NE(policy, nullptr);
  const Verdict verdict = evaluate_for(*policy, kMarked);
  ASSERT_TRUE(verdict.reply.has_value());
  EXPECT_EQ(verdict.reply->xcode, "5.7.5");
  EXPECT_EQ(verdict.reply->text, "Encrypted mail only for this client");
  EXPECT_FALSE(evaluate_for(*load(policy_with(encrypt_rule("encrypt", "    fallback: reject\n"))), kMarked).reply);

  const std::string error = load_error(policy_with(encrypt_rule("encrypt", "    reply: { text: Nope }\n")));
  EXPECT_TRUE(located_at_line(error, 8)) << error;
  EXPECT_TRUE(contains(error, "only with fallback: reject")) << error;
}

TEST(EncryptFallback, AGatewayWithoutTheRouteFallbackIsRefused) {
  const std::string error =
      load_error(policy_with(encrypt_rule("encrypt", "    fallback: reject\n    route: smime-gateway\n")));
  EXPECT_TRUE(located_at_line(error, 9)) << error;
  EXPECT_TRUE(contains(error, "only with fallback: route")) << error;
  EXPECT_TRUE(located_at_line(load_error(policy_with(encrypt_rule("encrypt", "    route: smime-gateway\n"))), 8));
}

}  // namespace
}  // namespace privmilter::policy_test
