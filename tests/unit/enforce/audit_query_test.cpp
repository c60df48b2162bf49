#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "privmilter/audit.h"
#include "unit/enforce/audit_test_support.h"

namespace privmilter {
namespace {

using std::chrono::system_clock;

system_clock::time_point at(const std::string& text) {
  auto parsed = parse_audit_time(text, system_clock::now());
  EXPECT_TRUE(parsed.ok()) << text;
  return parsed.ok() ? *parsed : system_clock::time_point{};
}

nlohmann::json decision(const std::string& time, const std::string& sender, const std::string& recipient,
                        const std::string& action, const std::string& rule) {
  return {{"type", "decision"}, {"time", time},     {"sender", sender}, {"recipients", {recipient}},
          {"action", action},   {"rules", {rule}}, {"evidence", nlohmann::json::array()}};
}

TEST(AuditTime, ParsesRelativeAndAbsoluteTimes) {
  const auto now = system_clock::time_point(std::chrono::hours(24 * 20000));
  EXPECT_EQ(*parse_audit_time("7d", now), now - std::chrono::hours(24 * 7));
  EXPECT_EQ(*parse_audit_time("12h", now), now - std::chrono::hours(12));
  EXPECT_EQ(*parse_audit_time("30m", now), now - std::chrono::minutes(30));
  const auto midnight = *parse_audit_time("2026-11-01", now);
  EXPECT_EQ(*parse_audit_time("2026-11-01T00:00:00Z", now), midnight);
  EXPECT_EQ(*parse_audit_time("2026-11-01T12:30", now), midnight + std::chrono::minutes(750));
  EXPECT_EQ(*parse_audit_time("2026-11-01T12:30:05.250Z", now),
            midnight + std::chrono::minutes(750) + std::chrono::milliseconds(5250));
  EXPECT_EQ(*parse_audit_time("2026-11-01T01:00:00+01:00", now), midnight);
  EXPECT_EQ(system_clock::to_time_t(midnight), 1793491200);
  for (const char* bad : {"", "7w", "yesterday", "2026-13-01", "2026-11-01T25:00", "2026-11-01X"}) {
    EXPECT_FALSE(parse_audit_time(bad, now).ok()) << bad;
  }
}

TEST(AuditFilter, SelectsByTimePartyRuleActionAndType) {
  const auto record = decision("2026-11-18T11:06:40.123Z", "Alice@ExampleLaw.com", "bob@client.example",
                               "quarantine", "privileged-external");
  EXPECT_TRUE(audit_record_matches(record, {}));
  AuditFilter filter;
  filter.since = at("2026-11-18T11:06:40.123Z");
  filter.until = at("2026-11-18T11:06:40.124Z");
  EXPECT_TRUE(audit_record_matches(record, filter));
  filter.until = at("2026-11-18T11:06:40.123Z");
  EXPECT_FALSE(audit_record_matches(record, filter));  // until is exclusive

  auto only = [&record](auto set) {
    AuditFilter f;
    set(f);
    return audit_record_matches(record, f);
  };
  EXPECT_TRUE(only([](AuditFilter& f) { f.sender = "alice@examplelaw.com"; }));
  EXPECT_TRUE(only([](AuditFilter& f) { f.sender = "@examplelaw.com"; }));
  EXPECT_TRUE(only([](AuditFilter& f) { f.sender = "examplelaw.com"; }));
  EXPECT_FALSE(only([](AuditFilter& f) { f.sender = "mallory@examplelaw.com"; }));
  EXPECT_FALSE(only([](AuditFilter& f) { f.sender = "law.com"; }));
  EXPECT_TRUE(only([](AuditFilter& f) { f.recipient = "client.example"; }));
  EXPECT_FALSE(only([](AuditFilter& f) { f.recipient = "alice@examplelaw.com"; }));
  EXPECT_TRUE(only([](AuditFilter& f) { f.rule = "privileged-external"; }));
  EXPECT_FALSE(only([](AuditFilter& f) { f.rule = "privileged"; }));
  EXPECT_TRUE(only([](AuditFilter& f) { f.action = "quarantine"; }));
  EXPECT_FALSE(only([](AuditFilter& f) { f.action = "reject"; }));
  EXPECT_TRUE(only([](AuditFilter& f) { f.type = "decision"; }));
  EXPECT_FALSE(only([](AuditFilter& f) { f.type = "reviewer"; }));

  auto monitored = record;
  monitored["rules"] = nlohmann::json::array();
  monitored["monitor_rules"] = {"privileged-external"};
  AuditFilter by_rule;
  by_rule.rule = "privileged-external";
  EXPECT_TRUE(audit_record_matches(monitored, by_rule));
}

TEST(AuditRecords, ReadsEveryRecordInChainOrderAcrossRotation) {
  testing::TempDir tmp;
  const auto path = tmp / "audit.log";
  {
    AuditLog log(testing::audit_options(path, 1500));
    ASSERT_TRUE(log.open().ok());
    for (int i = 0; i < 20; ++i) {
      ASSERT_TRUE(log.append(decision("2026-11-18T11:00:00Z", "alice@examplelaw.com", "bob@client.example", "tag",
                                      "r" + std::to_string(i)))
                      .ok());
    }
  }
  auto records = read_audit_records(path);
  ASSERT_TRUE(records.ok()) << records.error().message;
  std::vector<std::string> rules;
  std::uint64_t previous_seq = 0;
  for (const auto& record : *records) {
    EXPECT_EQ(record["seq"].get<std::uint64_t>(), previous_seq + 1);
    previous_seq = record["seq"].get<std::uint64_t>();
    if (record["type"] == "decision") rules.push_back(record["rules"][0]);
  }
  ASSERT_EQ(rules.size(), 20u);
  EXPECT_EQ(rules.front(), "r0");
  EXPECT_EQ(rules.back(), "r19");
}

TEST(AuditRecords, StopsAtALineThatIsNotARecord) {
  testing::TempDir tmp;
  const auto path = tmp / "audit.log";
  testing::write_events(path, 3);
  auto lines = testing::read_lines(path);
  lines[1] = "not json";
  testing::write_lines(path, lines);
  auto records = read_audit_records(path);
  ASSERT_FALSE(records.ok());
  EXPECT_NE(records.error().message.find("audit.log:2: not a JSON record"), std::string::npos)
      << records.error().message;
}

}  // namespace
}  // namespace privmilter
