// Matters, authorized recipients and ethical walls: the conditions that
// need the firm directory, and the per-recipient decisions they drive.

#include <gtest/gtest.h>

#include "firm_fixture.h"
#include "policy_test_support.h"

namespace privmilter::policy_test {
namespace {

const std::string kPolicy = std::string(R"(version: 1
matters:
  pattern: )") + kMatterPattern + R"(
rules:
  - id: walled-sender
    when: { sender: walled }
    action: reject
    reply: { text: "You are screened from this matter" }
  - id: unauthorized-recipient
    when:
      all:
        - matter: known
        - recipient: unauthorized
    action: remove_recipients
    notify: true
  - id: unknown-matter
    when: { matter: unknown }
    action: tag
    header: { name: X-Matter, value: unknown }
)";

Envelope from(const std::string& sender, std::vector<std::string> recipients, const std::string& login = {}) {
  Envelope envelope = envelope_to(std::move(recipients));
  envelope.sender = sender;
  envelope.auth_authen = login;
  return envelope;
}

Verdict decide(const std::string& text, const Envelope& envelope) {
  const auto policy = load(kPolicy);
  if (!policy) return {};
  return evaluate(*policy, message({subject("Status"), body(text)}), envelope, firm_with_matters());
}

const RecipientVerdict* recipient(const Verdict& verdict, const std::string& address) {
  for (const auto& item : verdict.recipients) {
    if (item.address == address) return &item;
  }
  return nullptr;
}

TEST(MatterRules, ClientCoCounselExpertAndFirmAreAuthorized) {
  const Verdict verdict = decide("Re matter 10042-0007: next steps",
                                 from("alice@examplelaw.com",
                                      {"gc@acme-widgets.example", "lead@cocounsel.example", "expert@forensics.example",
                                       "bob@examplelaw.com", "legal@sub.acme-widgets.example"}));
  EXPECT_EQ(verdict.action, Action::accept);
  EXPECT_TRUE(verdict.removed_recipients.empty());
  EXPECT_FALSE(fired(verdict, "unauthorized-recipient"));
}

TEST(MatterRules, UnauthorizedRecipientIsRemovedAndTheOthersStillReceive) {
  const Verdict verdict = decide("Matter 10042.0007 settlement figures",
                                 from("alice@examplelaw.com", {"gc@acme-widgets.example", "other@globex.example",
                                                               "colleague@forensics.example"}));
  EXPECT_EQ(verdict.action, Action::accept);  // the message itself goes on
  EXPECT_EQ(verdict.removed_recipients,
            (std::vector<std::string>{"colleague@forensics.example", "other@globex.example"}));
  ASSERT_NE(recipient(verdict, "gc@acme-widgets.example"), nullptr);
  EXPECT_EQ(recipient(verdict, "gc@acme-widgets.example")->action, Action::accept);
  EXPECT_EQ(recipient(verdict, "other@globex.example")->action, Action::remove_recipients);
  EXPECT_EQ(recipient(verdict, "other@globex.example")->rules, std::vector<std::string>{"unauthorized-recipient"});
  EXPECT_TRUE(verdict.notify_sender);
  // The evidence names the matter and the domain, never the address.
  bool saw_reason = false;
  for (const Evidence& item : verdict.all_evidence()) {
    if (item.detector == "recipient:unauthorized") {
      saw_reason = true;
      EXPECT_EQ(item.masked_match.find("other@"), std::string::npos);
      EXPECT_NE(item.masked_match.find("10042-0007"), std::string::npos);
    }
  }
  EXPECT_TRUE(saw_reason);
}

TEST(MatterRules, EveryRecipientRemovedMeansTheMessageIsRefused) {
  const Verdict verdict =
      decide("About 20077-0001", from("bob@examplelaw.com", {"someone@acme-widgets.example"}));
  EXPECT_EQ(verdict.action, Action::reject);
  EXPECT_EQ(verdict.deciding_rule, "unauthorized-recipient");
  ASSERT_TRUE(verdict.reply.has_value());
  EXPECT_EQ(verdict.reply->code, "550");
}

TEST(MatterRules, RecipientMustBeAuthorizedForEveryReferencedMatter) {
  // Acme's counsel may read about Acme, not about Northwind.
  const Verdict verdict = decide("Matters 10042-0007 and 20077-0001",
                                 from("alice@examplelaw.com", {"gc@acme-widgets.example", "cfo@northwind.example"}));
  EXPECT_EQ(verdict.removed_recipients.size(), 2u);
  EXPECT_EQ(verdict.action, Action::reject);
}

TEST(MatterRules, WalledSenderIsRefusedBySmtpLoginOrAddress) {
  const Verdict by_login =
      decide("Matter 10042-0007 notes", from("carol.alias@examplelaw.com", {"bob@examplelaw.com"}, "carol"));
  EXPECT_EQ(by_login.action, Action::reject);
  EXPECT_EQ(by_login.deciding_rule, "walled-sender");
  const Verdict by_address = decide("Matter 10042-0007 notes", from("carol@examplelaw.com", {"bob@examplelaw.com"}));
  EXPECT_EQ(by_address.action, Action::reject);
  // The wall is about one matter: Carol may write about the other.
  const Verdict other = decide("Matter 10042-0008 notes", from("carol@examplelaw.com", {"bob@examplelaw.com"}));
  EXPECT_EQ(other.action, Action::accept);
}

TEST(MatterRules, WalledInternalRecipientIsUnauthorized) {
  const Verdict verdict =
      decide("Matter 10042-0007 strategy", from("alice@examplelaw.com", {"bob@examplelaw.com", "carol@examplelaw.com"}));
  EXPECT_EQ(verdict.removed_recipients, std::vector<std::string>{"carol@examplelaw.com"});
  EXPECT_EQ(recipient(verdict, "bob@examplelaw.com")->action, Action::accept);
}

TEST(MatterRules, UnknownMatterNumberIsItsOwnFact) {
  const Verdict verdict = decide("See 99999-0001", from("alice@examplelaw.com", {"gc@acme-widgets.example"}));
  EXPECT_TRUE(fired(verdict, "unknown-matter"));
  EXPECT_FALSE(fired(verdict, "unauthorized-recipient"));
  EXPECT_EQ(verdict.action, Action::tag);
}

TEST(MatterRules, NoMatterNoDecision) {
  const Verdict verdict = decide("Lunch on Friday?", from("alice@examplelaw.com", {"friend@gmail.com"}));
  EXPECT_EQ(verdict.action, Action::accept);
  EXPECT_TRUE(verdict.fired.empty());
}

TEST(MatterRules, MatterConditionsNeedTheMatterPattern) {
  const std::string error = load_error("version: 1\nrules:\n  - id: r\n    when: { recipient: unauthorized }\n"
                                       "    action: remove_recipients\n");
  EXPECT_TRUE(contains(error, "test.yaml:4:24:")) << error;
  EXPECT_TRUE(contains(error, "matters:")) << error;
}

TEST(SenderRules, UserAndGroupComeFromTheDirectory) {
  const auto policy = load(R"(version: 1
rules:
  - id: litigators
    when: { sender: { group: litigation } }
    action: tag
    header: { name: X-Team, value: litigation }
  - id: strangers
    when: { sender: unknown }
    action: quarantine
)");
  ASSERT_NE(policy, nullptr);
  const Directory directory = firm_with_matters();
  const MessageFacts facts = message({subject("hello")});
  EXPECT_EQ(evaluate(*policy, facts, from("alice@examplelaw.com", {"x@y.example"}), directory).action, Action::tag);
  EXPECT_EQ(evaluate(*policy, facts, from("bob@examplelaw.com", {"x@y.example"}), directory).action, Action::accept);
  EXPECT_EQ(evaluate(*policy, facts, from("mallory@examplelaw.com", {"x@y.example"}), directory).action,
            Action::quarantine);
}

TEST(SenderRules, UnknownGroupIsReportedWhereThePolicyNamesIt) {
  const auto policy = load(R"(version: 1
rules:
  - id: r
    when: { sender: { group: litigaton } }
    action: quarantine
)");
  ASSERT_NE(policy, nullptr);
  const Status checked = check_directory_references(*policy, firm_with_matters());
  ASSERT_FALSE(checked.ok());
  EXPECT_TRUE(contains(checked.error().message, "test.yaml:4:30: unknown group 'litigaton'"))
      << checked.error().message;
}

TEST(RecipientRules, WebmailAndClientLookalikes) {
  const auto policy = load(R"(version: 1
rules:
  - id: webmail
    when: { recipient: webmail }
    action: quarantine
  - id: lookalike
    when: { recipient: lookalike }
    action: reject
)");
  ASSERT_NE(policy, nullptr);
  const Directory directory = firm_with_matters();
  const MessageFacts facts = message({subject("hello")});
  EXPECT_EQ(evaluate(*policy, facts, from(kInternalSender, {"me@gmail.com"}), directory).action, Action::quarantine);
  EXPECT_EQ(evaluate(*policy, facts, from(kInternalSender, {"me@mail.outlook.com"}), directory).action,
            Action::quarantine);
  const Verdict firm_lookalike = evaluate(*policy, facts, from(kInternalSender, {"x@examp1elaw.com"}), directory);
  EXPECT_EQ(firm_lookalike.action, Action::reject);
  EXPECT_EQ(evaluate(*policy, facts, from(kInternalSender, {"gc@acme-wldgets.example"}), directory).action,
            Action::reject);
  EXPECT_EQ(evaluate(*policy, facts, from(kInternalSender, {"gc@acme-widgets.example"}), directory).action,
            Action::accept);
}

}  // namespace
}  // namespace privmilter::policy_test
