// Rule evaluation: conditions, combinators, and how fired rules become
// one verdict.

#include <gtest/gtest.h>

#include "policy_test_support.h"

namespace privmilter::policy_test {
namespace {

const char* const kExternal = "counsel@client.example";
const char* const kInternal = "bob@examplelaw.com";

std::shared_ptr<const Policy> single_rule(const std::string& when) {
  return load("version: 1\nrules:\n  - id: r\n    when: " + when + "\n    action: quarantine\n");
}

bool holds(const std::string& when, const MessageFacts& facts, std::vector<std::string> recipients = {kExternal}) {
  const auto policy = single_rule(when);
  if (!policy) return false;
  return fired(evaluate_for(*policy, facts, std::move(recipients)), "r");
}

const MessageFacts kPlain = message({subject("lunch"), body("see you at noon")});
const MessageFacts kMarked = message({subject("draft"), body("PRIVILEGED and confidential")});
const MessageFacts kEncrypted = message({subject("draft")}, EncryptionState::smime_enveloped);

TEST(Conditions, Unencrypted) {
  EXPECT_TRUE(holds("{ unencrypted: true }", kPlain));
  EXPECT_FALSE(holds("{ unencrypted: true }", kEncrypted));
  EXPECT_FALSE(holds("{ unencrypted: false }", kPlain));
  EXPECT_TRUE(holds("{ unencrypted: false }", kEncrypted));
  EXPECT_TRUE(holds("{ unencrypted: false }", message({}, EncryptionState::pgp_mime_encrypted)));
}

TEST(Conditions, ExternalRecipientUsesTheDirectory) {
  const std::string when = "{ recipient: external }";
  EXPECT_TRUE(holds(when, kPlain, {kExternal}));
  EXPECT_TRUE(holds(when, kPlain, {kInternal, kExternal}));
  EXPECT_FALSE(holds(when, kPlain, {kInternal}));
  EXPECT_FALSE(holds(when, kPlain, {"carol@NY.ExampleLaw.com", kInternal}));  // subdomain, any case
  EXPECT_TRUE(holds(when, kPlain, {"eve@notexamplelaw.com"}));               // look-alike domain
  EXPECT_FALSE(holds(when, kPlain, {}));
}

TEST(Conditions, InternalRecipientSelectsTheFirmsRecipients) {
  const std::string when = "{ recipient: internal }";
  EXPECT_TRUE(holds(when, kPlain, {kInternal}));
  EXPECT_TRUE(holds(when, kPlain, {kInternal, "carol@ny.examplelaw.com"}));
  EXPECT_TRUE(holds(when, kPlain, {kInternal, kExternal}));  // selects bob only
  EXPECT_FALSE(holds(when, kPlain, {kExternal}));
  EXPECT_FALSE(holds(when, kPlain, {}));
}

TEST(Conditions, EveryRecipientInternalIsNotExternal) {
  const std::string when = "{ all: [ { recipient: internal }, { not: { recipient: external } } ] }";
  EXPECT_TRUE(holds(when, kPlain, {kInternal, "carol@ny.examplelaw.com"}));
  EXPECT_FALSE(holds(when, kPlain, {kInternal, kExternal}));
  EXPECT_FALSE(holds(when, kPlain, {}));  // nothing to vouch for
}

TEST(Conditions, RecipientEvidenceNamesTheDomainNotThePerson) {
  const auto policy = single_rule("{ recipient: external }");
  ASSERT_NE(policy, nullptr);
  const Verdict verdict = evaluate_for(*policy, kPlain, {kInternal, "Counsel@Client.Example"});
  ASSERT_EQ(verdict.all_evidence().size(), 1u);
  EXPECT_EQ(verdict.all_evidence()[0].detector, "recipient:external");
  EXPECT_EQ(verdict.all_evidence()[0].location, "envelope");
  EXPECT_EQ(verdict.all_evidence()[0].masked_match, "client.example");
}

TEST(Conditions, AllNeedsEveryChild) {
  const std::string when = "{ all: [ { unencrypted: true }, { recipient: external } ] }";
  EXPECT_TRUE(holds(when, kPlain, {kExternal}));
  EXPECT_FALSE(holds(when, kPlain, {kInternal}));
  EXPECT_FALSE(holds(when, kEncrypted, {kExternal}));
}

TEST(Conditions, AnyNeedsOneChild) {
  const std::string when = "{ any: [ { unencrypted: false }, { recipient: internal } ] }";
  EXPECT_TRUE(holds(when, kEncrypted, {kExternal}));
  EXPECT_TRUE(holds(when, kPlain, {kInternal}));
  EXPECT_FALSE(holds(when, kPlain, {kExternal}));
}

TEST(Conditions, NotInverts) {
  EXPECT_TRUE(holds("{ not: { recipient: internal } }", kPlain, {kExternal}));
  EXPECT_FALSE(holds("{ not: { recipient: internal } }", kPlain, {kInternal, kExternal}));
  EXPECT_FALSE(holds("{ not: { recipient: internal } }", kPlain, {kInternal}));
  EXPECT_TRUE(holds("{ not: { content: { phrases: [privileged] } } }", kPlain));
  EXPECT_FALSE(holds("{ not: { content: { phrases: [privileged] } } }", kMarked));
}

TEST(Conditions, NestFreely) {
  const std::string when =
      "{ all: [ { any: [ { content: { phrases: [privileged] } }, { content: { regex: 'noon' } } ] },"
      " { not: { all: [ { unencrypted: false }, { recipient: external } ] } } ] }";
  EXPECT_TRUE(holds(when, kMarked, {kExternal}));
  EXPECT_TRUE(holds(when, kPlain, {kExternal}));
  EXPECT_FALSE(holds(when, message({body("nothing")}), {kExternal}));
  EXPECT_FALSE(holds(when, message({body("privileged")}, EncryptionState::smime_enveloped), {kExternal}));
}

TEST(Conditions, EvidenceComesOnlyFromConditionsThatHeld) {
  const auto policy = load(R"(version: 1
rules:
  - id: r
    when:
      all:
        - content: { phrases: [privileged] }
        - not: { content: { phrases: [noon] } }
        - any:
            - content: { phrases: [absent phrase] }
            - unencrypted: true
    action: quarantine
)");
  ASSERT_NE(policy, nullptr);
  const Verdict verdict = evaluate_for(*policy, kMarked);
  ASSERT_EQ(verdict.all_evidence().size(), 2u);
  EXPECT_EQ(verdict.all_evidence()[0].detector, "phrases:inline");
  EXPECT_EQ(verdict.all_evidence()[0].masked_match, "privileged");
  EXPECT_EQ(verdict.all_evidence()[1].detector, "unencrypted");
  EXPECT_EQ(verdict.all_evidence()[1].location, "message");

  // A rule that does not fire leaves no evidence behind, even from the
  // conditions that held before one failed.
  EXPECT_TRUE(evaluate_for(*policy, message({body("privileged, see you at noon")})).all_evidence().empty());
}

TEST(Verdicts, NoRuleFiringMeansAccept) {
  const auto policy = single_rule("{ recipient: external }");
  ASSERT_NE(policy, nullptr);
  const Verdict verdict = evaluate_for(*policy, kPlain, {kInternal});
  EXPECT_EQ(verdict.action, Action::accept);
  EXPECT_TRUE(verdict.deciding_rule.empty());
  EXPECT_TRUE(verdict.matched_rules().empty());
  EXPECT_TRUE(verdict.add_headers.empty());
  EXPECT_TRUE(verdict.all_evidence().empty());
  EXPECT_FALSE(verdict.reply.has_value());
}

TEST(Verdicts, ARuleWithoutConditionsAlwaysFires) {
  const auto policy = load("version: 1\nrules:\n  - id: everything\n    action: quarantine\n");
  ASSERT_NE(policy, nullptr);
  const Verdict verdict = evaluate_for(*policy, message({}), {kInternal});
  EXPECT_EQ(verdict.action, Action::quarantine);
  EXPECT_EQ(verdict.deciding_rule, "everything");
}

const char* const kLayeredPolicy = R"(version: 1
rules:
  - id: tag
    when: { recipient: external }
    action: add_header
    header: { name: X-Scanned, value: "yes" }
  - id: hold-marked
    when: { content: { phrases: [privileged] } }
    action: quarantine
  - id: refuse-clear
    when: { unencrypted: true }
    action: reject
    reply: { text: "Encrypt it" }
  - id: hold-clear
    when: { unencrypted: true }
    action: quarantine
  - id: refuse-clear-again
    when: { unencrypted: true }
    action: reject
)";

TEST(Verdicts, TheMostProtectiveActionWinsAndEveryFiredRuleIsKept) {
  const auto policy = load(kLayeredPolicy);
  ASSERT_NE(policy, nullptr);
  const Verdict verdict = evaluate_for(*policy, kMarked);
  EXPECT_EQ(verdict.action, Action::reject);
  EXPECT_EQ(verdict.deciding_rule, "refuse-clear");  // the first of the reject rules
  EXPECT_EQ(verdict.matched_rules(),
            (std::vector<std::string>{"tag", "hold-marked", "refuse-clear", "hold-clear", "refuse-clear-again"}));
  ASSERT_TRUE(verdict.reply.has_value());
  EXPECT_EQ(verdict.reply->code, "550");
  EXPECT_EQ(verdict.reply->xcode, "5.7.1");
  EXPECT_EQ(verdict.reply->text, "Encrypt it");
  EXPECT_EQ(verdict.add_headers, (std::vector<HeaderField>{{"X-Scanned", "yes"}}));
}

TEST(Verdicts, QuarantineBeatsAddHeaderAndCarriesNoReply) {
  const auto policy = load(kLayeredPolicy);
  ASSERT_NE(policy, nullptr);
  const Verdict verdict = evaluate_for(*policy, message({body("privileged")}, EncryptionState::smime_enveloped));
  EXPECT_EQ(verdict.action, Action::quarantine);
  EXPECT_EQ(verdict.deciding_rule, "hold-marked");
  EXPECT_EQ(verdict.matched_rules(), (std::vector<std::string>{"tag", "hold-marked"}));
  EXPECT_FALSE(verdict.reply.has_value());
}

TEST(Verdicts, RejectWithoutReplyGetsTheDefaultReply) {
  const auto policy = load("version: 1\nrules:\n  - id: no\n    action: reject\n");
  ASSERT_NE(policy, nullptr);
  const Verdict verdict = evaluate_for(*policy, kPlain);
  ASSERT_TRUE(verdict.reply.has_value());
  EXPECT_EQ(verdict.reply->code, "550");
  EXPECT_EQ(verdict.reply->xcode, "5.7.1");
  EXPECT_EQ(verdict.reply->text, "Message blocked by firm policy");
}

TEST(Verdicts, AcceptStopsEvaluationButKeepsWhatFiredBefore) {
  const auto policy = load(R"(version: 1
rules:
  - id: tag
    action: add_header
    header: { name: X-Scanned, value: "yes" }
  - id: allow-encrypted
    when: { unencrypted: false }
    action: accept
  - id: hold-everything
    action: quarantine
  - id: tag-later
    action: add_header
    header: { name: X-Late, value: "yes" }
)");
  ASSERT_NE(policy, nullptr);

  const Verdict allowed = evaluate_for(*policy, kEncrypted);
  EXPECT_EQ(allowed.matched_rules(), (std::vector<std::string>{"tag", "allow-encrypted"}));
  EXPECT_EQ(allowed.action, Action::tag);  // still the strongest that fired
  EXPECT_EQ(allowed.deciding_rule, "tag");
  EXPECT_EQ(allowed.add_headers, (std::vector<HeaderField>{{"X-Scanned", "yes"}}));

  const Verdict held = evaluate_for(*policy, kPlain);
  EXPECT_EQ(held.action, Action::quarantine);
  EXPECT_EQ(held.matched_rules(), (std::vector<std::string>{"tag", "hold-everything", "tag-later"}));
  EXPECT_EQ(held.add_headers.size(), 2u);
}

TEST(Verdicts, AnAcceptRuleFirstDecidesAlone) {
  const auto policy = load(R"(version: 1
rules:
  - id: internal-only
    when: { recipient: internal }
    action: accept
  - id: hold-everything
    action: quarantine
)");
  ASSERT_NE(policy, nullptr);
  const Verdict verdict = evaluate_for(*policy, kMarked, {kInternal});
  EXPECT_EQ(verdict.action, Action::accept);
  EXPECT_EQ(verdict.deciding_rule, "internal-only");
  EXPECT_EQ(verdict.matched_rules(), (std::vector<std::string>{"internal-only"}));
  EXPECT_EQ(evaluate_for(*policy, kMarked, {kExternal}).action, Action::quarantine);
}

TEST(Verdicts, HeadersAccumulateWithoutDuplicates) {
  const auto policy = load(R"(version: 1
rules:
  - id: a
    action: add_header
    header: { name: X-Privmilter, value: scanned }
  - id: b
    action: add_header
    header: { name: X-Privmilter, value: scanned }
  - id: c
    action: add_header
    header: { name: X-Privmilter, value: external }
)");
  ASSERT_NE(policy, nullptr);
  const Verdict verdict = evaluate_for(*policy, kPlain);
  EXPECT_EQ(verdict.action, Action::tag);
  EXPECT_EQ(verdict.deciding_rule, "a");
  EXPECT_EQ(verdict.matched_rules(), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(verdict.add_headers,
            (std::vector<HeaderField>{{"X-Privmilter", "scanned"}, {"X-Privmilter", "external"}}));
}

TEST(Verdicts, EvaluationIsDeterministic) {
  const auto policy = load(kLayeredPolicy);
  ASSERT_NE(policy, nullptr);
  const Verdict first = evaluate_for(*policy, kMarked);
  const Verdict second = evaluate_for(*policy, kMarked);
  EXPECT_EQ(first.matched_rules(), second.matched_rules());
  EXPECT_EQ(first.deciding_rule, second.deciding_rule);
  ASSERT_EQ(first.all_evidence().size(), second.all_evidence().size());
  for (std::size_t i = 0; i < first.all_evidence().size(); ++i) {
    EXPECT_EQ(first.all_evidence()[i].masked_match, second.all_evidence()[i].masked_match);
    EXPECT_EQ(first.all_evidence()[i].location, second.all_evidence()[i].location);
  }
}

}  // namespace
}  // namespace privmilter::policy_test
