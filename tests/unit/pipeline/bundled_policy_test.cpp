// The example policy shipped in config/policy/, loaded the way the daemon
// loads it (config/privmilter.yaml: the policy folder together with the
// sample firm's directory in config/directory/), against the decisions the
// end-to-end tests and the firm's mail flow rely on. config/policy-tests/
// covers each rule in more detail through privmilterctl test-policy.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <optional>

#include "privmilter/config.h"
#include "privmilter/policy_bundle.h"
#include "unit/policy/policy_test_support.h"

namespace privmilter::policy_test {
namespace {

const HeaderField kScannedTag{"X-Privmilter", "scanned"};

class BundledPolicy : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* source_dir = std::getenv("PRIVMILTER_SOURCE_DIR");
    ASSERT_NE(source_dir, nullptr) << "PRIVMILTER_SOURCE_DIR is not set";
    auto config = load_config_file(std::filesystem::path(source_dir) / "config" / "privmilter.yaml");
    ASSERT_TRUE(config.ok()) << config.error().message;
    auto bundle = load_policy_bundle(*config);
    ASSERT_TRUE(bundle.ok()) << bundle.error().message;
    bundle_.emplace(std::move(bundle).value());
  }

  // From an authenticated user of the sample firm, or from an address the
  // directory does not know (the e2e tests' alice) when `login` is empty.
  Verdict decide(const MessageFacts& facts, std::vector<std::string> recipients,
                 const std::string& login = "") const {
    Envelope envelope = envelope_to(std::move(recipients));
    if (!login.empty()) {
      envelope.sender = login + "@examplelaw.com";
      envelope.auth_authen = login;
    }
    return evaluate(*bundle_->policy, facts, envelope, bundle_->directory);
  }

  std::optional<PolicyBundle> bundle_;
};

MessageFacts privileged_memo(EncryptionState encryption = EncryptionState::none) {
  return message({subject("Re: settlement strategy"),
                  body("PRIVILEGED & CONFIDENTIAL\nATTORNEY-CLIENT\nCOMMUNICATION\n\nDear Ms. Chen, ...")},
                 encryption);
}

const char* const kFirmFooter =
    "This e-mail is from Example Law LLP and may contain privileged and confidential\n"
    "information. If you are not the intended recipient, please notify the sender by\n"
    "reply and delete this message; do not copy, forward or disclose its contents.";

TEST_F(BundledPolicy, LoadsWithTheSampleFirmDirectory) {
  const FirmDirectory& firm = bundle_->directory.firm();
  EXPECT_GT(firm.matter_count(), 0u);
  EXPECT_GT(firm.wall_count(), 0u);
  EXPECT_NE(firm.user_by_login("jdoe"), nullptr);
}

TEST_F(BundledPolicy, QuarantinesPrivilegedClearTextToOutsiders) {
  const Verdict verdict = decide(privileged_memo(), {"bob@client.example", "carol@examplelaw.com"});
  EXPECT_EQ(verdict.action, Action::quarantine);
  EXPECT_EQ(verdict.deciding_rule, "privileged-unencrypted-external");
  EXPECT_FALSE(verdict.reply.has_value());
  ASSERT_FALSE(verdict.all_evidence().empty());
  EXPECT_EQ(verdict.all_evidence().front().detector, "list:privilege_markings");
  EXPECT_EQ(verdict.all_evidence().front().location, "1 text/plain");
}

TEST_F(BundledPolicy, FindsMarkingsInAttachmentsToo) {
  const Verdict verdict = decide(
      message({subject("documents"), body("Please see attached."),
               attachment("Memorandum\nAttorney Work Product\nDraft 3", "2 application/pdf")}),
      {"chen@client.example"});
  EXPECT_EQ(verdict.action, Action::quarantine);
  EXPECT_EQ(verdict.deciding_rule, "privileged-unencrypted-external");
}

TEST_F(BundledPolicy, RejectsAnSsnInClearTextToOutsidersWithTheFirmsReply) {
  const Verdict verdict =
      decide(message({subject("Claim form"), body("The claimant's number is 123-45-6789.")}), {"bob@client.example"});
  EXPECT_EQ(verdict.action, Action::reject);
  EXPECT_EQ(verdict.deciding_rule, "ssn-unencrypted-external");
  ASSERT_TRUE(verdict.reply.has_value());
  EXPECT_EQ(verdict.reply->code, "550");
  EXPECT_EQ(verdict.reply->xcode, "5.7.1");
  EXPECT_TRUE(starts_with(verdict.reply->text, "Message contains a personal identifier (SSN)")) << verdict.reply->text;
  for (const Evidence& evidence : verdict.all_evidence()) {
    EXPECT_FALSE(contains(evidence.masked_match, "123-45-6789"));
  }
}

TEST_F(BundledPolicy, LeavesNumbersThatCannotBeSsnsAlone) {
  for (const char* number : {"000-12-3456", "666-12-3456", "912-34-5678", "123-00-4567", "123-45-0000"}) {
    const Verdict verdict = decide(message({body(std::string("ref ") + number)}), {"hr@vendor.example"});
    EXPECT_EQ(verdict.action, Action::tag) << number;
  }
}

TEST_F(BundledPolicy, OrdinaryMailToOutsidersOnlyGetsTheHeader) {
  const Verdict verdict = decide(message({subject("Lunch"), body("Are you free on Friday?")}), {"bob@client.example"});
  EXPECT_EQ(verdict.action, Action::tag);
  EXPECT_EQ(verdict.deciding_rule, "tag-external");
  EXPECT_EQ(verdict.matched_rules(), std::vector<std::string>{"tag-external"});
  EXPECT_EQ(verdict.add_headers, std::vector<HeaderField>{kScannedTag});
  EXPECT_FALSE(verdict.new_subject.has_value());
  EXPECT_TRUE(verdict.removed_recipients.empty());
  EXPECT_FALSE(verdict.notify_sender);
  EXPECT_TRUE(verdict.notify_also.empty());
  EXPECT_FALSE(verdict.monitor_action.has_value());
}

TEST_F(BundledPolicy, DeliversEncryptedPrivilegedMailWithTheHeader) {
  const Verdict verdict = decide(privileged_memo(EncryptionState::smime_enveloped), {"bob@client.example"});
  EXPECT_EQ(verdict.action, Action::tag);
  EXPECT_EQ(verdict.matched_rules(), std::vector<std::string>{"tag-external"});
  EXPECT_EQ(verdict.add_headers, std::vector<HeaderField>{kScannedTag});
}

TEST_F(BundledPolicy, FiresNothingOnMailThatStaysInsideTheFirm) {
  const Verdict verdict = decide(privileged_memo(), {"partner@examplelaw.com", "associate@boston.examplelaw.com"});
  EXPECT_EQ(verdict.action, Action::accept);
  EXPECT_TRUE(verdict.matched_rules().empty());
  EXPECT_TRUE(verdict.add_headers.empty());
}

TEST_F(BundledPolicy, TheFirmsFooterAloneIsNotAPrivilegeMarking) {
  const Verdict footer_only =
      decide(message({subject("Friday"), body(std::string("Thanks for the call.\n\n") + kFirmFooter)}),
             {"gc@acme-widgets.example"}, "jdoe");
  EXPECT_EQ(footer_only.action, Action::tag);

  const Verdict marked = decide(
      message({subject("Advice"), body(std::string("ATTORNEY-CLIENT PRIVILEGED\nOur advice.\n\n") + kFirmFooter)}),
      {"gc@acme-widgets.example"}, "jdoe");
  EXPECT_EQ(marked.action, Action::quarantine);
}

TEST_F(BundledPolicy, TakesAWalledColleagueOffMailAboutTheMatter) {
  // walls.yaml screens the corporate group (lgarcia) from Acme v. Globex.
  const Verdict verdict =
      decide(message({subject("10042-0007: claim construction"), body("The brief is due next week.")}),
             {"gc@acme-widgets.example", "lgarcia@examplelaw.com"}, "jdoe");
  EXPECT_EQ(verdict.action, Action::tag);
  EXPECT_EQ(verdict.removed_recipients, std::vector<std::string>{"lgarcia@examplelaw.com"});
  EXPECT_TRUE(fired(verdict, "walled-recipient"));
}

}  // namespace
}  // namespace privmilter::policy_test
