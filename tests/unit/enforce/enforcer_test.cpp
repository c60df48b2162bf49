#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <regex>

#include "privmilter/enforce.h"
#include "unit/json_lines.h"
#include "unit/temp_dir.h"

namespace privmilter {
namespace {

using testing::TempDir;

class EnforcerTest : public ::testing::Test {
 protected:
  EnforcerTest()
      : quarantine_(tmp_ / "quarantine"), audit_(tmp_ / "audit.log"), enforcer_(quarantine_, audit_),
        spool_(tmp_ / "spool", 1 << 20) {
    EXPECT_TRUE(quarantine_.open().ok());
    EXPECT_TRUE(audit_.open().ok());
    EXPECT_TRUE(spool_.append("From: alice@examplelaw.com\r\nSubject: memo\r\n\r\nbody\r\n").ok());
  }

  Envelope envelope() const {
    return Envelope{.queue_id = "Q1", .sender = "alice@examplelaw.com", .recipients = {"bob@client.example"},
                    .auth_authen = "alice", .client_addr = "10.0.0.5", .client_name = "", .daemon_name = ""};
  }

  std::vector<nlohmann::json> audit_lines() const { return testing::read_json_lines(tmp_ / "audit.log"); }

  TempDir tmp_;
  QuarantineStore quarantine_;
  AuditLog audit_;
  Enforcer enforcer_;
  MessageSpool spool_;
};

TEST_F(EnforcerTest, AcceptCarriesTheVerdictHeaders) {
  Verdict verdict;
  verdict.action = Action::tag;
  verdict.fired.push_back({"tag-external", verdict.action, false, false, {}, {}});
  verdict.add_headers = {{"X-Privmilter", "scanned"}};
  auto result = enforcer_.enforce(envelope(), verdict, spool_, std::chrono::system_clock::now());
  EXPECT_EQ(result.edits.disposition, Disposition::accept);
  ASSERT_EQ(result.edits.add_headers.size(), 1u);
  EXPECT_EQ(result.edits.add_headers[0].value, "scanned");
  auto lines = audit_lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["action"], "tag");
  EXPECT_EQ(lines[0]["ref"], result.reference);
}

TEST_F(EnforcerTest, QuarantineStoresThenDiscards) {
  Verdict verdict;
  verdict.action = Action::quarantine;
  verdict.deciding_rule = "privileged";
  auto result = enforcer_.enforce(envelope(), verdict, spool_, std::chrono::system_clock::now());
  EXPECT_EQ(result.edits.disposition, Disposition::discard);
  ASSERT_FALSE(result.quarantine_id.empty());
  EXPECT_TRUE(std::filesystem::exists(tmp_ / "quarantine" / (result.quarantine_id + ".eml")));
  EXPECT_TRUE(std::filesystem::exists(tmp_ / "quarantine" / (result.quarantine_id + ".json")));
  EXPECT_EQ(audit_lines().at(0)["quarantine_id"], result.quarantine_id);
}

TEST_F(EnforcerTest, QuarantineFailureTempfailsSoTheMtaKeepsTheMessage) {
  TempDir other;
  testing::write_file(other / "file", "x");
  QuarantineStore broken(other / "file" / "quarantine");
  Enforcer enforcer(broken, audit_);
  Verdict verdict;
  verdict.action = Action::quarantine;
  auto result = enforcer.enforce(envelope(), verdict, spool_, std::chrono::system_clock::now());
  EXPECT_EQ(result.edits.disposition, Disposition::tempfail);
  ASSERT_TRUE(result.edits.reply);
  EXPECT_EQ(result.edits.reply->code, "451");
  auto lines = audit_lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["disposition"], "tempfail");
  EXPECT_NE(lines[0]["error"].get<std::string>().find("quarantine"), std::string::npos);
}

TEST_F(EnforcerTest, RejectQuotesRuleAndReference) {
  Verdict verdict;
  verdict.action = Action::reject;
  verdict.deciding_rule = "ssn-external";
  verdict.reply = SmtpReply{"550", "5.7.1", "Personal identifiers cannot be sent unencrypted"};
  auto result = enforcer_.enforce(envelope(), verdict, spool_, std::chrono::system_clock::now());
  EXPECT_EQ(result.edits.disposition, Disposition::reject);
  ASSERT_TRUE(result.edits.reply);
  EXPECT_EQ(result.edits.reply->xcode, "5.7.1");
  EXPECT_NE(result.edits.reply->text.find("ssn-external"), std::string::npos);
  EXPECT_NE(result.edits.reply->text.find(result.reference), std::string::npos);
  EXPECT_TRUE(std::regex_match(result.reference, std::regex(R"(\d{8}T\d{6}Z-[0-9a-f]{16})")));
}

TEST_F(EnforcerTest, AnUnrecordableDecisionIsDeferred) {
  AuditLog full("/dev/full");
  ASSERT_TRUE(full.open().ok());
  Enforcer enforcer(quarantine_, full);
  Verdict verdict;
  verdict.action = Action::accept;
  auto result = enforcer.enforce(envelope(), verdict, spool_, std::chrono::system_clock::now());
  EXPECT_EQ(result.edits.disposition, Disposition::tempfail);
}

TEST(ReferenceId, IsUniqueAndTimeStamped) {
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1795000000));
  const auto a = make_reference_id(now);
  const auto b = make_reference_id(now);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.substr(0, 16), "20261118T110640Z");
}

}  // namespace
}  // namespace privmilter
