// privmilterctl audit verify|query and report against a log the filter's
// own AuditLog wrote.

#include <nlohmann/json.hpp>

#include <algorithm>
#include <regex>
#include <sstream>
#include <tuple>

#include "command_output.h"
#include "daemon_fixture.h"
#include "privmilter/audit.h"
#include "privmilter/key_file.h"

namespace privmilter::integration {
namespace {

class PrivmilterctlAuditTest : public DaemonTest {
 protected:
  void SetUp() override {
    DaemonTest::SetUp();
    write_config();
    auto key = load_key_file(path("keys/audit.key"));
    ASSERT_TRUE(key.ok()) << key.error().message;
    AuditLogOptions options;
    options.path = log_path();
    options.key = *key;
    options.rotate_bytes = 4096;
    AuditLog log(std::move(options));
    ASSERT_TRUE(log.open().ok());
    const std::vector<std::tuple<std::string, std::string, std::string, std::string>> decisions{
        {"2026-11-02T09:00:00.000Z", "alice@examplelaw.com", "bob@client.example", "quarantine"},
        {"2026-11-03T09:00:00.000Z", "alice@examplelaw.com", "carol@other.example", "tag"},
        {"2026-11-04T09:00:00.000Z", "dave@examplelaw.com", "bob@client.example", "quarantine"},
        {"2026-11-05T09:00:00.000Z", "dave@examplelaw.com", "erin@client.example", "reject"},
    };
    for (int round = 0; round < 5; ++round) {
      for (const auto& [time, sender, recipient, action] : decisions) {
        ASSERT_TRUE(log.append(nlohmann::json{{"type", "decision"},
                                              {"time", time},
                                              {"ref", "ref-" + std::to_string(round) + "-" + action},
                                              {"sender", sender},
                                              {"recipients", {recipient}},
                                              {"action", action},
                                              {"disposition", action == "tag" ? "accept" : "discard"},
                                              {"rules", {action == "tag" ? "tag-external" : "privileged-external"}},
                                              {"evidence", nlohmann::json::array()}})
                        .ok());
      }
    }
    ASSERT_TRUE(log.append(nlohmann::json{{"type", "reviewer"},
                                          {"time", "2026-11-06T10:00:00.000Z"},
                                          {"action", "release"},
                                          {"quarantine_id", "ref-0-quarantine"},
                                          {"reviewer", "sec@examplelaw.com"}})
                    .ok());
  }

  std::filesystem::path log_path() const { return path("audit/audit.log"); }

  CommandOutput ctl(const std::string& arguments) const {
    return run_command(std::string(PRIVMILTERCTL_PATH) + " " + arguments);
  }
  std::string config() const { return " -c " + path("privmilter.yaml").string(); }

  static std::vector<nlohmann::json> json_lines(const std::string& output) {
    std::vector<nlohmann::json> lines;
    std::istringstream in(output);
    for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
    return lines;
  }
};

TEST_F(PrivmilterctlAuditTest, VerifyAcceptsTheIntactChainAcrossRotatedFiles) {
  auto result = ctl("audit verify" + config());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  std::smatch match;
  ASSERT_TRUE(std::regex_search(result.output, match, std::regex("OK, ([0-9]+) records in ([0-9]+) files")))
      << result.output;
  const int files = std::stoi(match[2]);
  EXPECT_GE(files, 2);
  EXPECT_EQ(std::stoi(match[1]), 21 + files - 1);  // the events, and a rotate record opening each later file
}

TEST_F(PrivmilterctlAuditTest, VerifyNamesTheFirstTamperedRecord) {
  std::string content = read_text(log_path());
  const auto at = content.find("\"reject\"");
  ASSERT_NE(at, std::string::npos);
  content.replace(at, 8, "\"accept\"");
  std::ofstream(log_path(), std::ios::binary | std::ios::trunc) << content;
  const std::size_t line = 1 + static_cast<std::size_t>(std::count(content.begin(), content.begin() + at, '\n'));

  auto result = ctl("audit verify" + config());
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("TAMPERED: " + log_path().string() + ":" + std::to_string(line) + ": MAC mismatch"),
            std::string::npos)
      << result.output;
}

TEST_F(PrivmilterctlAuditTest, VerifyTakesTheLogAndKeyDirectly) {
  auto result = ctl("audit verify --log " + log_path().string() + " --key " + path("keys/audit.key").string());
  EXPECT_EQ(result.exit_code, 0) << result.output;
  // Another key: every MAC fails, from the first record on.
  auto wrong = ctl("audit verify --log " + log_path().string() + " --key " + path("keys/release.key").string());
  EXPECT_EQ(wrong.exit_code, 1) << wrong.output;
  EXPECT_NE(wrong.output.find(":1: MAC mismatch"), std::string::npos) << wrong.output;
}

TEST_F(PrivmilterctlAuditTest, VerifyCannotRunWithoutALog) {
  auto result = ctl("audit verify --log " + path("nowhere.log").string() + " --key " + path("keys/audit.key").string());
  EXPECT_EQ(result.exit_code, 2) << result.output;
  auto no_config = ctl("audit verify -c " + path("missing.yaml").string());
  EXPECT_EQ(no_config.exit_code, 2) << no_config.output;
}

TEST_F(PrivmilterctlAuditTest, VerifyDetectsRecordsCutOffTheEnd) {
  std::string content = read_text(log_path());
  content.erase(content.rfind('\n', content.size() - 2) + 1);
  std::ofstream(log_path(), std::ios::binary | std::ios::trunc) << content;
  auto result = ctl("audit verify" + config());
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("log truncated"), std::string::npos) << result.output;
}

TEST_F(PrivmilterctlAuditTest, QuerySelectsRecordsAsJsonLines) {
  auto by_sender = ctl("audit query" + config() + " --sender dave@examplelaw.com --format json");
  ASSERT_EQ(by_sender.exit_code, 0) << by_sender.output;
  const auto lines = json_lines(by_sender.output);
  ASSERT_EQ(lines.size(), 10u);
  for (const auto& line : lines) EXPECT_EQ(line["sender"], "dave@examplelaw.com");
  EXPECT_LT(lines.front()["seq"], lines.back()["seq"]);  // chain order

  auto combined = ctl("audit query" + config() +
                      " --recipient client.example --action quarantine --since 2026-11-03 --until 2026-11-05 "
                      "--format json");
  ASSERT_EQ(combined.exit_code, 0) << combined.output;
  const auto matches = json_lines(combined.output);
  ASSERT_EQ(matches.size(), 5u);
  for (const auto& line : matches) EXPECT_EQ(line["time"], "2026-11-04T09:00:00.000Z");

  auto limited = ctl("audit query" + config() + " --rule tag-external --limit 2 --format json");
  ASSERT_EQ(limited.exit_code, 0) << limited.output;
  const auto last_two = json_lines(limited.output);
  ASSERT_EQ(last_two.size(), 2u);
  EXPECT_EQ(last_two[1]["ref"], "ref-4-tag");

  auto reviewer = ctl("audit query" + config() + " --type reviewer --format json");
  ASSERT_EQ(json_lines(reviewer.output).size(), 1u) << reviewer.output;
}

TEST_F(PrivmilterctlAuditTest, QueryPrintsATable) {
  auto result = ctl("audit query" + config() + " --action reject");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(result.output.rfind("TIME", 0), 0u) << result.output;
  EXPECT_NE(result.output.find("RECIPIENTS"), std::string::npos);
  EXPECT_EQ(std::count(result.output.begin(), result.output.end(), '\n'), 6);  // heading + 5
  EXPECT_NE(result.output.find("ref-2-reject  decision  dave@examplelaw.com  reject  privileged-external  "
                               "erin@client.example\n"),
            std::string::npos)
      << result.output;
  auto bad_time = ctl("audit query" + config() + " --since yesterday");
  EXPECT_EQ(bad_time.exit_code, 2) << bad_time.output;
}

TEST_F(PrivmilterctlAuditTest, ReportCountsDecisionsAndReviewerActions) {
  auto json = ctl("report" + config() + " --format json");
  ASSERT_EQ(json.exit_code, 0) << json.output;
  const auto report = nlohmann::json::parse(json.output);
  EXPECT_EQ(report["decisions"]["total"], 20);
  EXPECT_EQ(report["decisions"]["by_action"]["quarantine"], 10);
  EXPECT_EQ(report["decisions"]["by_action"]["reject"], 5);
  EXPECT_EQ(report["decisions"]["by_rule"]["privileged-external"], 15);
  EXPECT_EQ(report["decisions"]["by_sender"]["alice@examplelaw.com"], 10);
  EXPECT_EQ(report["decisions"]["by_recipient_domain"]["client.example"], 15);
  EXPECT_EQ(report["decisions"]["by_recipient_domain"]["other.example"], 5);
  EXPECT_EQ(report["reviewer_actions"]["release"], 1);

  auto since = ctl("report" + config() + " --since 2026-11-04 --format json");
  ASSERT_EQ(since.exit_code, 0) << since.output;
  EXPECT_EQ(nlohmann::json::parse(since.output)["decisions"]["total"], 10);

  auto text = ctl("report" + config());
  ASSERT_EQ(text.exit_code, 0) << text.output;
  EXPECT_NE(text.output.find("20 decisions"), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("decisions by recipient domain:\n        15  client.example\n         5  other.example\n"),
            std::string::npos)
      << text.output;
}

}  // namespace
}  // namespace privmilter::integration
