// The default policy shipped in config/policy.yaml, against the sample
// firm examplelaw.com.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "policy_test_support.h"

namespace privmilter::policy_test {
namespace {

class BundledPolicy : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* source_dir = std::getenv("PRIVMILTER_SOURCE_DIR");
    ASSERT_NE(source_dir, nullptr) << "PRIVMILTER_SOURCE_DIR is not set";
    auto loaded = load_policy_file(std::filesystem::path(source_dir) / "config" / "policy.yaml");
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    policy_ = *loaded;
  }

  Verdict decide(const MessageFacts& facts, std::vector<std::string> recipients) const {
    return evaluate(*policy_, facts, envelope_to(std::move(recipients)), firm_directory());
  }

  std::shared_ptr<const Policy> policy_;
};

const HeaderField kScannedTag{"X-Privmilter", "scanned"};

MessageFacts privileged_memo(EncryptionState encryption = EncryptionState::none) {
  return message({subject("Re: settlement strategy"),
                  body("PRIVILEGED & CONFIDENTIAL\nATTORNEY-CLIENT\nCOMMUNICATION\n\nDear Ms. Chen, ...")},
                 encryption);
}

TEST_F(BundledPolicy, HasItsThreeRules) { EXPECT_EQ(rule_count(*policy_), 3u); }

TEST_F(BundledPolicy, QuarantinesPrivilegedClearTextToOutsiders) {
  const Verdict verdict = decide(privileged_memo(), {"chen@client.example"});
  EXPECT_EQ(verdict.action, Action::quarantine);
  EXPECT_EQ(verdict.deciding_rule, "privileged-unencrypted-external");
  EXPECT_FALSE(verdict.reply.has_value());
  ASSERT_FALSE(verdict.evidence.empty());
  EXPECT_EQ(verdict.evidence.front().detector, "list:privilege_markings");
  EXPECT_EQ(verdict.evidence.front().location, "1 text/plain");
}

TEST_F(BundledPolicy, FindsMarkingsInAttachmentsToo) {
  const Verdict verdict = decide(
      message({subject("documents"), body("Please see attached."),
               attachment("Memorandum\nAttorney Work Product\nDraft 3", "2 application/pdf")}),
      {"chen@client.example"});
  EXPECT_EQ(verdict.action, Action::quarantine);
}

TEST_F(BundledPolicy, RejectsAnSsnInClearTextToOutsiders) {
  const Verdict verdict = decide(message({subject("form"), body("Employee SSN: 123-45-6789")}),
                                 {"hr@vendor.example"});
  EXPECT_EQ(verdict.action, Action::reject);
  EXPECT_EQ(verdict.deciding_rule, "ssn-unencrypted-external");
  ASSERT_TRUE(verdict.reply.has_value());
  EXPECT_EQ(verdict.reply->code, "550");
  EXPECT_EQ(verdict.reply->xcode, "5.7.1");
  EXPECT_TRUE(contains(verdict.reply->text, "SSN")) << verdict.reply->text;
  for (const Evidence& evidence : verdict.evidence) {
    EXPECT_FALSE(contains(evidence.masked_match, "123-45-6789"));
  }
}

TEST_F(BundledPolicy, LeavesNumbersThatCannotBeSsnsAlone) {
  for (const char* number : {"000-12-3456", "666-12-3456", "912-34-5678", "123-00-4567", "123-45-0000"}) {
    const Verdict verdict = decide(message({body(std::string("ref ") + number)}), {"hr@vendor.example"});
    EXPECT_EQ(verdict.action, Action::add_header) << number;
  }
}

TEST_F(BundledPolicy, TagsOrdinaryMailToOutsiders) {
  const Verdict verdict =
      decide(message({subject("lunch"), body("Noon at the usual place?")}), {"friend@gmail.example"});
  EXPECT_EQ(verdict.action, Action::add_header);
  EXPECT_EQ(verdict.deciding_rule, "tag-external");
  EXPECT_EQ(verdict.add_headers, std::vector<HeaderField>{kScannedTag});
}

TEST_F(BundledPolicy, DeliversEncryptedPrivilegedMailWithTheTag) {
  const Verdict verdict = decide(privileged_memo(EncryptionState::smime_enveloped), {"chen@client.example"});
  // add_header is "accept, and tag": the message goes out, marked as checked.
  EXPECT_EQ(verdict.action, Action::add_header);
  EXPECT_EQ(verdict.matched_rules, std::vector<std::string>{"tag-external"});
  EXPECT_EQ(verdict.add_headers, std::vector<HeaderField>{kScannedTag});
}

TEST_F(BundledPolicy, AcceptsMailThatStaysInsideTheFirm) {
  const Verdict verdict =
      decide(privileged_memo(), {"partner@examplelaw.com", "associate@boston.examplelaw.com"});
  EXPECT_EQ(verdict.action, Action::accept);
  EXPECT_TRUE(verdict.matched_rules.empty());
  EXPECT_TRUE(verdict.add_headers.empty());
}

}  // namespace
}  // namespace privmilter::policy_test
