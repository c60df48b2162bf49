// Actions and how fired rules combine: precedence, tagging, routing,
// exceptions, monitor mode and the sender's confirmation override.

#include <gtest/gtest.h>

#include "firm_fixture.h"
#include "policy_test_support.h"

namespace privmilter::policy_test {
namespace {

const char* const kExternal = "counsel@client.example";
const char* const kInternal = "bob@examplelaw.com";

const MessageFacts kMarked = message({subject("Draft"), body("PRIVILEGED and confidential")});
const MessageFacts kPlain = message({subject("Lunch"), body("see you at noon")});

TEST(Precedence, MostProtectiveActionWinsAndEveryReasonIsKept) {
  const auto policy = load(R"(version: 1
lists:
  marks: [privileged and confidential]
rules:
  - id: tag-external
    when: { recipient: external }
    action: tag
    header: { name: X-Privmilter, value: scanned }
  - id: tls
    when: { recipient: external }
    action: require_tls
  - id: route
    when: { content: { list: marks } }
    action: route
    route: encryption-gateway
  - id: encrypt
    when: { content: { list: marks } }
    action: encrypt
  - id: confirm
    when: { content: { list: marks } }
    action: reject_unless_confirmed
  - id: hold
    when: { content: { list: marks } }
    action: quarantine
)");
  ASSERT_NE(policy, nullptr);
  const Verdict verdict = evaluate_for(*policy, kMarked);
  EXPECT_EQ(verdict.action, Action::reject_unless_confirmed);
  EXPECT_EQ(verdict.deciding_rule, "confirm");
  EXPECT_EQ(verdict.matched_rules(),
            (std::vector<std::string>{"tag-external", "tls", "route", "encrypt", "confirm", "hold"}));
  EXPECT_EQ(verdict.add_headers, (std::vector<HeaderField>{{"X-Privmilter", "scanned"}}));
  const Verdict plain = evaluate_for(*policy, kPlain);
  EXPECT_EQ(plain.action, Action::require_tls);
  EXPECT_EQ(plain.deciding_rule, "tls");
}

TEST(Precedence, ActionOrderIsTheDocumentedLadder) {
  const std::vector<Action> ladder = {Action::accept,     Action::tag,
                                      Action::notify,     Action::require_tls,
                                      Action::route,      Action::encrypt,
                                      Action::remove_recipients, Action::quarantine,
                                      Action::reject_unless_confirmed, Action::reject};
  EXPECT_TRUE(std::is_sorted(ladder.begin(), ladder.end()));
  for (const Action action : ladder) {
    Action parsed = Action::accept;
    ASSERT_TRUE(parse_action(to_string(action), parsed)) << to_string(action);
    EXPECT_EQ(parsed, action);
  }
  Action legacy = Action::accept;
  ASSERT_TRUE(parse_action("add_header", legacy));
  EXPECT_EQ(legacy, Action::tag);
}

TEST(Tagging, SubjectPrefixIsAddedOnceAndNotRepeatedOnReplies) {
  const auto policy = load(R"(version: 1
rules:
  - id: external
    when: { recipient: external }
    action: tag
    subject_prefix: "[EXTERNAL]"
)");
  ASSERT_NE(policy, nullptr);
  const Verdict fresh = evaluate_for(*policy, message({subject("Draft")}));
  ASSERT_TRUE(fresh.new_subject.has_value());
  EXPECT_EQ(*fresh.new_subject, "[EXTERNAL] Draft");
  const Verdict reply = evaluate_for(*policy, message({subject("Re: [external] Draft")}));
  EXPECT_FALSE(reply.new_subject.has_value());
  EXPECT_FALSE(evaluate_for(*policy, message({subject("Draft")}), {kInternal}).new_subject.has_value());
}

TEST(Tagging, TagRuleNeedsSomethingToAdd) {
  const std::string error = load_error("version: 1\nrules:\n  - id: r\n    action: tag\n");
  EXPECT_TRUE(contains(error, "test.yaml:4:13: a tag rule needs")) << error;
}

TEST(Routing, RouteCarriesItsGateway) {
  const auto policy = load(R"(version: 1
rules:
  - id: gateway
    when: { subject_tag: "[secure]" }
    action: route
    route: encryption-gateway
)");
  ASSERT_NE(policy, nullptr);
  const Verdict verdict = evaluate_for(*policy, message({subject("[SECURE] contract")}));
  EXPECT_EQ(verdict.action, Action::route);
  EXPECT_EQ(verdict.route, "encryption-gateway");
  EXPECT_EQ(evaluate_for(*policy, message({subject("contract")})).action, Action::accept);
}

TEST(Exceptions, ExceptOnTheMessageCancelsTheRule) {
  const auto policy = load(R"(version: 1
rules:
  - id: hold-attachments
    when: { recipient: external }
    except: { subject_tag: "[public]" }
    action: quarantine
)");
  ASSERT_NE(policy, nullptr);
  EXPECT_EQ(evaluate_for(*policy, message({subject("Brochure [public]")})).action, Action::accept);
  EXPECT_EQ(evaluate_for(*policy, message({subject("Brochure")})).action, Action::quarantine);
}

TEST(Exceptions, ExceptOnRecipientsExemptsOnlyThose) {
  const auto policy = load(R"(version: 1
rules:
  - id: no-outsiders
    when: { recipient: external }
    except: { recipient: webmail }
    action: remove_recipients
)");
  ASSERT_NE(policy, nullptr);
  const Verdict verdict =
      evaluate(*policy, kPlain, envelope_to({kExternal, "me@gmail.com", kInternal}), firm_with_matters());
  EXPECT_EQ(verdict.removed_recipients, std::vector<std::string>{kExternal});
  EXPECT_EQ(verdict.fired[0].recipients, std::vector<std::string>{kExternal});
}

TEST(RemoveRecipients, NeedsARecipientCondition) {
  const std::string error = load_error(
      "version: 1\nrules:\n  - id: r\n    when: { unencrypted: true }\n    action: remove_recipients\n");
  EXPECT_TRUE(contains(error, "test.yaml:5:13: remove_recipients needs a recipient condition")) << error;
}

TEST(RemoveRecipients, RulesAboutRemovedRecipientsOnlyNoLongerApply) {
  const auto policy = load(R"(version: 1
rules:
  - id: drop-external
    when: { recipient: external }
    action: remove_recipients
  - id: hold-external
    when: { recipient: external }
    action: quarantine
)");
  ASSERT_NE(policy, nullptr);
  // The external recipient is dropped, so holding the message for them
  // would only delay the internal one.
  const Verdict verdict = evaluate_for(*policy, kPlain, {kExternal, kInternal});
  EXPECT_EQ(verdict.action, Action::accept);
  EXPECT_EQ(verdict.removed_recipients, std::vector<std::string>{kExternal});
  EXPECT_EQ(verdict.recipients.size(), 2u);
  EXPECT_EQ(verdict.recipients[1].action, Action::accept);
}

TEST(MonitorMode, MonitoredRuleIsRecordedButNotEnforced) {
  const auto policy = load(R"(version: 1
lists:
  marks: [privileged and confidential]
rules:
  - id: trial
    when: { content: { list: marks } }
    action: reject
    monitor: true
  - id: tag
    when: { recipient: external }
    action: tag
    header: { name: X-Privmilter, value: scanned }
)");
  ASSERT_NE(policy, nullptr);
  const Verdict verdict = evaluate_for(*policy, kMarked);
  EXPECT_EQ(verdict.action, Action::tag);
  ASSERT_EQ(verdict.fired.size(), 2u);
  EXPECT_TRUE(verdict.fired[0].monitor);
  EXPECT_FALSE(verdict.fired[0].evidence.empty());
  ASSERT_TRUE(verdict.monitor_action.has_value());
  EXPECT_EQ(*verdict.monitor_action, Action::reject);
  EXPECT_FALSE(verdict.reply.has_value());
  EXPECT_EQ(verdict.recipients[0].rules, std::vector<std::string>{"tag"});
}

TEST(MonitorMode, GlobalMonitorEnforcesNothing) {
  const auto policy = load(R"(version: 1
settings: { monitor: true }
rules:
  - id: hold
    when: { recipient: external }
    action: quarantine
  - id: tag
    when: { recipient: external }
    action: tag
    header: { name: X-Privmilter, value: scanned }
  - id: drop
    when: { recipient: external }
    action: remove_recipients
)");
  ASSERT_NE(policy, nullptr);
  const Verdict verdict = evaluate_for(*policy, kPlain);
  EXPECT_EQ(verdict.action, Action::accept);
  EXPECT_TRUE(verdict.add_headers.empty());
  EXPECT_TRUE(verdict.removed_recipients.empty());
  EXPECT_EQ(verdict.fired.size(), 3u);
  ASSERT_TRUE(verdict.monitor_action.has_value());
  EXPECT_EQ(*verdict.monitor_action, Action::reject);  // everyone would have been removed
}

TEST(MonitorMode, MonitoredAcceptDoesNotStopEvaluation) {
  const auto policy = load(R"(version: 1
rules:
  - id: allow
    action: accept
    monitor: true
  - id: hold
    when: { recipient: external }
    action: quarantine
)");
  ASSERT_NE(policy, nullptr);
  EXPECT_EQ(evaluate_for(*policy, kPlain).action, Action::quarantine);
}

const std::string kConfirmPolicy = R"(version: 1
lists:
  marks: [privileged and confidential]
rules:
  - id: first-external-send
    when:
      all:
        - content: { list: marks }
        - recipient: external
    action: reject_unless_confirmed
    reply: { text: "This message is marked privileged" }
)";

TEST(Confirmation, UnconfirmedIsRejectedWithInstructions) {
  const auto policy = load(kConfirmPolicy);
  ASSERT_NE(policy, nullptr);
  const Verdict verdict = evaluate_for(*policy, kMarked);
  EXPECT_EQ(verdict.action, Action::reject_unless_confirmed);
  ASSERT_TRUE(verdict.reply.has_value());
  EXPECT_TRUE(contains(verdict.reply->text, "This message is marked privileged")) << verdict.reply->text;
  EXPECT_TRUE(contains(verdict.reply->text, "[confirmed: <reason>]")) << verdict.reply->text;
  EXPECT_FALSE(verdict.confirmation.has_value());
}

TEST(Confirmation, ConfirmedWithAReasonIsDeliveredRecordedAndStripped) {
  const auto policy = load(kConfirmPolicy);
  ASSERT_NE(policy, nullptr);
  const MessageFacts facts =
      message({subject("Re: Draft [Confirmed: client asked for the draft] v2"), body("PRIVILEGED and confidential")});
  const Verdict verdict = evaluate_for(*policy, facts);
  EXPECT_EQ(verdict.action, Action::accept);
  ASSERT_TRUE(verdict.confirmation.has_value());
  EXPECT_EQ(verdict.confirmation->justification, "client asked for the draft");
  ASSERT_TRUE(verdict.new_subject.has_value());
  EXPECT_EQ(*verdict.new_subject, "Re: Draft v2");
  ASSERT_EQ(verdict.fired.size(), 1u);
  EXPECT_TRUE(verdict.fired[0].confirmed);
}

TEST(Confirmation, TooShortAReasonIsNoConfirmation) {
  const auto policy = load(kConfirmPolicy);
  ASSERT_NE(policy, nullptr);
  const MessageFacts facts = message({subject("Draft [confirmed: ok]"), body("PRIVILEGED and confidential")});
  EXPECT_EQ(evaluate_for(*policy, facts).action, Action::reject_unless_confirmed);
}

TEST(Confirmation, ConfirmationDoesNotOverrideOtherActions) {
  const auto policy = load(kConfirmPolicy + R"(  - id: hold
    when: { content: { list: marks } }
    action: quarantine
)");
  ASSERT_NE(policy, nullptr);
  const MessageFacts facts =
      message({subject("Draft [confirmed: client asked for the draft]"), body("PRIVILEGED and confidential")});
  EXPECT_EQ(evaluate_for(*policy, facts).action, Action::quarantine);
}

TEST(Notify, RuleOptionAndActionBothNotify) {
  const auto policy = load(R"(version: 1
rules:
  - id: heads-up
    when: { recipient: external }
    action: notify
    notify: { also: [compliance@examplelaw.com] }
)");
  ASSERT_NE(policy, nullptr);
  const Verdict verdict = evaluate_for(*policy, kPlain);
  EXPECT_EQ(verdict.action, Action::notify);
  EXPECT_TRUE(verdict.notify_sender);
  EXPECT_EQ(verdict.notify_also, std::vector<std::string>{"compliance@examplelaw.com"});
}

}  // namespace
}  // namespace privmilter::policy_test
