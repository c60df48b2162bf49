#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "privmilter/audit.h"
#include "unit/enforce/audit_test_support.h"
#include "unit/json_lines.h"

namespace privmilter {
namespace {

using testing::TempDir;

Verdict sample_verdict() {
  Verdict verdict;
  verdict.action = Action::quarantine;
  verdict.fired.push_back({"privileged-unencrypted-external", Action::quarantine, false, false, {"bob@client.example"},
                           {{"privileged-unencrypted-external", "regex:us_ssn", "1 text/plain", "***-**-**89", 12, 1}}});
  return verdict;
}

AuditRecord sample_record(const std::string& reference) {
  AuditRecord record;
  record.time = std::chrono::system_clock::time_point(std::chrono::milliseconds(1795000000123));
  record.reference = reference;
  record.queue_id = "4ABC123";
  record.sender = "alice@examplelaw.com";
  record.recipients = {"bob@client.example"};
  record.action = "quarantine";
  record.disposition = "discard";
  record.verdict = sample_verdict();
  record.quarantine_id = reference;
  return record;
}

TEST(AuditEvents, DecisionRecordHoldsTheEnvelopeVerdictAndMaskedEvidence) {
  const auto event = decision_event(sample_record("ref-1"));
  EXPECT_EQ(event["type"], "decision");
  EXPECT_EQ(event["ref"], "ref-1");
  EXPECT_EQ(event["time"], "2026-11-18T11:06:40.123Z");
  EXPECT_EQ(event["queue_id"], "4ABC123");
  EXPECT_EQ(event["sender"], "alice@examplelaw.com");
  EXPECT_EQ(event["action"], "quarantine");
  EXPECT_EQ(event["disposition"], "discard");
  EXPECT_EQ(event["recipients"][0], "bob@client.example");
  EXPECT_EQ(event["evidence"][0]["match"], "***-**-**89");
  EXPECT_EQ(event["evidence"][0]["offset"], 12);
  EXPECT_EQ(event["rules"][0], "privileged-unencrypted-external");
  EXPECT_EQ(event["quarantine_id"], "ref-1");
  for (const char* absent : {"monitor_rules", "monitor_action", "removed_recipients", "confirmation", "notify",
                             "error", "enforcement"}) {
    EXPECT_FALSE(event.contains(absent)) << absent;
  }
}

TEST(AuditEvents, RecordsMonitorRulesRemovalsConfirmationsAndEnforcementButNeverTheSubject) {
  AuditRecord record = sample_record("ref-3");
  record.verdict.fired[0].monitor = true;
  record.verdict.monitor_action = Action::quarantine;
  record.verdict.action = Action::accept;
  record.verdict.removed_recipients = {"x@other.example"};
  record.verdict.confirmation = Confirmation{"client asked for it"};
  record.verdict.new_subject = "Secret subject";
  record.verdict.notify_sender = true;
  record.enforcement = "encrypted for 1 recipient + escrow";
  record.error = "smtp down";
  const auto event = decision_event(record);
  EXPECT_EQ(event["monitor_rules"][0], "privileged-unencrypted-external");
  EXPECT_TRUE(event["rules"].empty());
  EXPECT_EQ(event["monitor_action"], "quarantine");
  EXPECT_EQ(event["removed_recipients"][0], "x@other.example");
  EXPECT_EQ(event["confirmation"], "client asked for it");
  EXPECT_EQ(event["notify"]["sender"], true);
  EXPECT_EQ(event["enforcement"], "encrypted for 1 recipient + escrow");
  EXPECT_EQ(event["error"], "smtp down");
  EXPECT_EQ(event.dump().find("Secret subject"), std::string::npos);
}

TEST(AuditEvents, InvalidUtf8InAnAddressDoesNotMakeTheRecordUnwritable) {
  TempDir tmp;
  auto record = sample_record("ref");
  record.sender = "al\xff\xfeice@examplelaw.com";
  EXPECT_NE(audit_record_to_json(record).find("\xef\xbf\xbd"), std::string::npos);  // U+FFFD

  AuditLog log(testing::audit_options(tmp / "audit.log"));
  ASSERT_TRUE(log.open().ok());
  ASSERT_TRUE(log.append(record).ok());
  const auto lines = testing::read_json_lines(tmp / "audit.log");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["sender"], "al\xef\xbf\xbd\xef\xbf\xbdice@examplelaw.com");
  EXPECT_TRUE(testing::verify(tmp / "audit.log").ok);
}

}  // namespace
}  // namespace privmilter
