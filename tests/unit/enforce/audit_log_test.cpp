#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sstream>
#include <thread>

#include "privmilter/enforce.h"
#include "unit/json_lines.h"
#include "unit/temp_dir.h"

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
  return AuditRecord{.time = std::chrono::system_clock::time_point(std::chrono::milliseconds(1795000000123)),
                     .reference = reference,
                     .queue_id = "4ABC123",
                     .sender = "alice@examplelaw.com",
                     .recipients = {"bob@client.example"},
                     .action = "quarantine",
                     .disposition = "discard",
                     .verdict = sample_verdict(),
                     .quarantine_id = reference,
                     .error = {}};
}

TEST(AuditLog, AppendsOneJsonLinePerDecision) {
  TempDir tmp;
  AuditLog log(tmp / "audit" / "audit.log");
  ASSERT_TRUE(log.open().ok());
  ASSERT_TRUE(log.append(sample_record("ref-1")).ok());
  ASSERT_TRUE(log.append(sample_record("ref-2")).ok());

  auto lines = testing::read_json_lines(tmp / "audit" / "audit.log");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["ref"], "ref-1");
  EXPECT_EQ(lines[1]["ref"], "ref-2");
  EXPECT_EQ(lines[0]["time"], "2026-11-18T11:06:40.123Z");
  EXPECT_EQ(lines[0]["action"], "quarantine");
  EXPECT_EQ(lines[0]["disposition"], "discard");
  EXPECT_EQ(lines[0]["recipients"][0], "bob@client.example");
  EXPECT_EQ(lines[0]["evidence"][0]["match"], "***-**-**89");
  EXPECT_EQ(lines[0]["evidence"][0]["offset"], 12);
  EXPECT_EQ(lines[0]["rules"][0], "privileged-unencrypted-external");
  EXPECT_FALSE(lines[0].contains("monitor_rules"));
}

TEST(AuditLog, RecordsMonitorRulesRemovalsAndConfirmations) {
  TempDir tmp;
  AuditLog log(tmp / "audit.log");
  ASSERT_TRUE(log.open().ok());
  AuditRecord record = sample_record("ref-3");
  record.verdict.fired[0].monitor = true;
  record.verdict.monitor_action = Action::quarantine;
  record.verdict.action = Action::accept;
  record.verdict.removed_recipients = {"x@other.example"};
  record.verdict.confirmation = Confirmation{"client asked for it"};
  record.verdict.new_subject = "Secret subject";
  ASSERT_TRUE(log.append(record).ok());
  auto lines = testing::read_json_lines(tmp / "audit.log");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["monitor_rules"][0], "privileged-unencrypted-external");
  EXPECT_TRUE(lines[0]["rules"].empty());
  EXPECT_EQ(lines[0]["monitor_action"], "quarantine");
  EXPECT_EQ(lines[0]["removed_recipients"][0], "x@other.example");
  EXPECT_EQ(lines[0]["confirmation"], "client asked for it");
  // The subject is message content: never in the audit log.
  EXPECT_EQ(lines[0].dump().find("Secret subject"), std::string::npos);
}

TEST(AuditLog, KeepsLinesWholeUnderConcurrentWriters) {
  TempDir tmp;
  AuditLog log(tmp / "audit.log");
  ASSERT_TRUE(log.open().ok());
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&log, t] {
      for (int i = 0; i < 200; ++i) EXPECT_TRUE(log.append(sample_record(std::to_string(t) + "-" + std::to_string(i))).ok());
    });
  }
  for (auto& writer : writers) writer.join();
  EXPECT_EQ(testing::read_json_lines(tmp / "audit.log").size(), 800u);
}

TEST(AuditLog, ReportsAFullDisk) {
  AuditLog log("/dev/full");
  ASSERT_TRUE(log.open().ok());
  auto appended = log.append(sample_record("ref"));
  ASSERT_FALSE(appended.ok());
  EXPECT_NE(appended.error().message.find("No space"), std::string::npos);
}

TEST(AuditLog, InvalidUtf8InAnAddressDoesNotBreakTheRecord) {
  TempDir tmp;
  AuditLog log(tmp / "audit.log");
  ASSERT_TRUE(log.open().ok());
  auto record = sample_record("ref");
  record.sender = "al\xff\xfeice@examplelaw.com";
  ASSERT_TRUE(log.append(record).ok());
  EXPECT_EQ(testing::read_json_lines(tmp / "audit.log").size(), 1u);
}

}  // namespace
}  // namespace privmilter
