// privmilterctl's policy commands against a small firm
// (tests/fixtures/policy-suite): scan's verdict JSON, check-policy's error
// locations, and test-policy's suites.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "command_output.h"
#include "support/child_process.h"

namespace privmilter::integration {
namespace {

namespace fs = std::filesystem;

const fs::path kFixtures = fs::path(PRIVMILTER_SOURCE_ROOT) / "tests" / "fixtures";
const fs::path kSuite = kFixtures / "policy-suite";
const fs::path kBroken = kFixtures / "broken-policies";

std::string quoted(const fs::path& path) { return "'" + path.string() + "'"; }

CommandOutput privmilterctl(const std::string& arguments) {
  return run_command(std::string(PRIVMILTERCTL_PATH) + " " + arguments);
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

const nlohmann::json* fired_rule(const nlohmann::json& verdict, const std::string& id) {
  for (const auto& rule : verdict["rules"]) {
    if (rule["rule"] == id) return &rule;
  }
  return nullptr;
}

class PolicyCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto directory = miltertest::TempDirectory::create("privmilterctl-policy");
    ASSERT_TRUE(directory.ok()) << directory.error().message;
    dir_.emplace(std::move(*directory));
  }

  fs::path write(const std::string& name, const std::string& content) const {
    const fs::path path = dir_->path() / name;
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  static CommandOutput scan(const fs::path& message, const std::string& arguments) {
    return privmilterctl("scan " + quoted(message) + " -c " + quoted(kSuite / "privmilter.yaml") + " " + arguments);
  }

  static nlohmann::json scan_json(const fs::path& message, const std::string& arguments) {
    const CommandOutput result = scan(message, "--format json " + arguments);
    EXPECT_EQ(result.exit_code, 0) << result.output;
    return nlohmann::json::parse(result.output, nullptr, false);
  }

  std::optional<miltertest::TempDirectory> dir_;
};

TEST_F(PolicyCommandsTest, ScanJsonShowsThePrivilegedMessagesVerdictAtTopLevel) {
  const fs::path message = kSuite / "messages" / "claim-chart.eml";
  const nlohmann::json verdict =
      scan_json(message, "--from jdoe@examplelaw.com --auth jdoe --rcpt gc@acme-widgets.example");
  ASSERT_FALSE(verdict.is_discarded());
  EXPECT_EQ(verdict["message"], message.string());
  EXPECT_EQ(verdict["action"], "quarantine");
  EXPECT_EQ(verdict["deciding_rule"], "privileged-unencrypted-external");
  EXPECT_EQ(verdict["facts"]["encryption"], "none");
  EXPECT_EQ(verdict["facts"]["segments"][0]["kind"], "subject");
  EXPECT_EQ(verdict["removed_recipients"], nlohmann::json::array());
  ASSERT_EQ(verdict["recipients"].size(), 1u);
  EXPECT_EQ(verdict["recipients"][0]["address"], "gc@acme-widgets.example");
  EXPECT_EQ(verdict["recipients"][0]["action"], "quarantine");
  EXPECT_EQ(verdict["add_headers"][0], (nlohmann::json{{"name", "X-Privmilter"}, {"value", "scanned"}}));
  EXPECT_EQ(verdict["new_subject"], "[EXTERNAL] Claim chart");

  const nlohmann::json* held = fired_rule(verdict, "privileged-unencrypted-external");
  ASSERT_NE(held, nullptr) << verdict.dump(2);
  EXPECT_EQ((*held)["action"], "quarantine");
  EXPECT_EQ((*held)["monitor"], false);
  EXPECT_EQ((*held)["confirmed"], false);
  const nlohmann::json& marking = (*held)["hits"][0];
  EXPECT_EQ(marking["detector"], "list:privilege_markings");
  EXPECT_EQ(marking["kind"], "list");
  EXPECT_EQ(marking["location"], "1 text/plain");
  EXPECT_EQ(marking["offset"], 0);
  EXPECT_EQ(marking["match"], "attorney work product");
  EXPECT_EQ(marking["count"], 1);

  // --json is the same as --format json.
  const CommandOutput alias =
      scan(message, "--json --from jdoe@examplelaw.com --auth jdoe --rcpt gc@acme-widgets.example");
  ASSERT_EQ(alias.exit_code, 0) << alias.output;
  EXPECT_EQ(nlohmann::json::parse(alias.output), verdict);
}

TEST_F(PolicyCommandsTest, ScanJsonShowsARemovedRecipient) {
  const nlohmann::json verdict = scan_json(kFixtures / "privileged-memo.eml",
                                           "--from jdoe@examplelaw.com --auth jdoe --rcpt gc@acme-widgets.example "
                                           "--rcpt jane.doe@gmail.com");
  ASSERT_FALSE(verdict.is_discarded());
  EXPECT_EQ(verdict["action"], "tag");
  EXPECT_EQ(verdict["removed_recipients"], nlohmann::json::array({"jane.doe@gmail.com"}));
  ASSERT_EQ(verdict["recipients"].size(), 2u);
  EXPECT_EQ(verdict["recipients"][0]["action"], "tag");
  EXPECT_EQ(verdict["recipients"][1]["address"], "jane.doe@gmail.com");
  EXPECT_EQ(verdict["recipients"][1]["action"], "remove_recipients");
  const nlohmann::json* removal = fired_rule(verdict, "personal-webmail");
  ASSERT_NE(removal, nullptr) << verdict.dump(2);
  EXPECT_EQ((*removal)["recipients"], nlohmann::json::array({"jane.doe@gmail.com"}));
}

TEST_F(PolicyCommandsTest, ScanJsonShowsAMonitoredRule) {
  const fs::path message = write("ssn.eml",
                                 "From: jdoe@examplelaw.com\r\nTo: gc@acme-widgets.example\r\nSubject: Form\r\n\r\n"
                                 "The employee's number is 536-22-1234.\r\n");
  const nlohmann::json verdict = scan_json(message, "--from jdoe@examplelaw.com --rcpt gc@acme-widgets.example");
  ASSERT_FALSE(verdict.is_discarded());
  EXPECT_EQ(verdict["action"], "tag");
  EXPECT_EQ(verdict["monitor_action"], "reject");
  const nlohmann::json* monitored = fired_rule(verdict, "ssn-external");
  ASSERT_NE(monitored, nullptr) << verdict.dump(2);
  EXPECT_EQ((*monitored)["monitor"], true);
  EXPECT_EQ((*monitored)["action"], "reject");
  EXPECT_EQ((*monitored)["hits"][0]["detector"], "regex:us_ssn");
  EXPECT_EQ((*monitored)["hits"][0]["match"], "***-**-**34");
  EXPECT_FALSE(verdict.contains("reply")) << "a monitored reject refuses nothing";
}

TEST_F(PolicyCommandsTest, ScanTextListsEachFiredRuleWithItsHits) {
  const CommandOutput result = scan(kSuite / "messages" / "claim-chart.eml",
                                    "--from jdoe@examplelaw.com --rcpt gc@acme-widgets.example");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(contains(result.output, "verdict: quarantine (rule privileged-unencrypted-external)\n")) << result.output;
  EXPECT_TRUE(contains(result.output, "recipients:\n  gc@acme-widgets.example: quarantine "
                                      "(privileged-unencrypted-external, tag-external)\n"))
      << result.output;
  EXPECT_TRUE(contains(result.output, "  privileged-unencrypted-external: quarantine (recipients: gc@acme-widgets.example)\n"
                                      "    list:privilege_markings 1 text/plain@0 \"attorney work product\"\n"))
      << result.output;

  const fs::path ssn = write("ssn.eml", "From: a@examplelaw.com\r\nSubject: x\r\n\r\n536-22-1234 and 536-22-1234\r\n");
  const CommandOutput monitored = scan(ssn, "--from jdoe@examplelaw.com --rcpt gc@acme-widgets.example");
  ASSERT_EQ(monitored.exit_code, 0) << monitored.output;
  EXPECT_TRUE(contains(monitored.output, "  ssn-external: reject [monitor] (recipients: gc@acme-widgets.example)\n"
                                         "    regex:us_ssn 1 text/plain@0 \"***-**-**34\" (2 findings)\n"))
      << monitored.output;
  EXPECT_TRUE(contains(monitored.output, "monitored rules would have made it: reject\n")) << monitored.output;
}

// The sender is the SMTP AUTH login when there is one: without --auth the
// envelope sender alone decides who sends.
TEST_F(PolicyCommandsTest, ScanIsUnauthenticatedUnlessAuthIsGiven) {
  const fs::path message = kFixtures / "privileged-memo.eml";
  const std::string envelope = "--from records@examplelaw.com --rcpt jane.doe@gmail.com";
  const nlohmann::json unauthenticated = scan_json(message, envelope);
  ASSERT_FALSE(unauthenticated.is_discarded());
  EXPECT_EQ(fired_rule(unauthenticated, "personal-webmail"), nullptr) << unauthenticated.dump(2);
  const nlohmann::json as_litigator = scan_json(message, envelope + " --auth jdoe");
  ASSERT_FALSE(as_litigator.is_discarded());
  EXPECT_NE(fired_rule(as_litigator, "personal-webmail"), nullptr) << as_litigator.dump(2);
}

TEST_F(PolicyCommandsTest, ScanTakesPolicyAndDirectoryOverrides) {
  const fs::path policy = write("policy.yaml", "version: 1\nrules:\n  - id: litigators-only\n"
                                               "    when: { sender: { group: litigation } }\n    action: reject\n");
  const nlohmann::json verdict = scan_json(kFixtures / "privileged-memo.eml",
                                           "--policy " + quoted(policy) + " --directory " +
                                               quoted(kSuite / "directory") +
                                               " --from jdoe@examplelaw.com --rcpt gc@acme-widgets.example");
  ASSERT_FALSE(verdict.is_discarded());
  EXPECT_EQ(verdict["action"], "reject");
  EXPECT_EQ(verdict["deciding_rule"], "litigators-only");
}

TEST_F(PolicyCommandsTest, ScanErrorsExitTwo) {
  const CommandOutput missing = scan(dir_->path() / "missing.eml", "--from a@examplelaw.com --rcpt b@client.example");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_TRUE(contains(missing.output, "cannot read")) << missing.output;
  const CommandOutput broken = scan(kFixtures / "privileged-memo.eml",
                                    "--policy " + quoted(kBroken / "unknown-action.yaml") +
                                        " --from a@examplelaw.com --rcpt b@client.example");
  EXPECT_EQ(broken.exit_code, 2);
  EXPECT_TRUE(contains(broken.output, "unknown-action.yaml:5:13: unknown action 'rejct'")) << broken.output;
}

struct BrokenPolicy {
  std::string policy;    // under tests/fixtures/broken-policies
  std::string location;  // file (under broken-policies):line:column, then the start of the message
};

TEST_F(PolicyCommandsTest, CheckPolicyNamesTheExactLocationOfEachMistake) {
  const std::vector<BrokenPolicy> cases{
      {"unknown-key.yaml", "unknown-key.yaml:6:5: unknown key 'headr' in rule"},
      {"bad-regex.yaml", "bad-regex.yaml:4:18: pattern 'matter_number': invalid regular expression"},
      {"unknown-list.yaml", "unknown-list.yaml:8:28: unknown list 'privilege_marking'"},
      {"unknown-action.yaml", "unknown-action.yaml:5:13: unknown action 'rejct'"},
      {"tab-indent.yaml", "tab-indent.yaml:4:1: "},
      {"missing-list-file.yaml", "missing-list-file.yaml:4:11: cannot open phrase file"},
      {"duplicate-rule-id", "duplicate-rule-id/20-tags.yaml:7:5: duplicate rule id 'hold-external'"},
      {"unknown-group.yaml", "unknown-group.yaml:6:28: unknown group 'litigators'"},
      {"remove-without-recipient.yaml", "remove-without-recipient.yaml:7:13: remove_recipients needs a recipient"},
      {"ignore-within-unknown-list.yaml", "ignore-within-unknown-list.yaml:5:20: unknown list 'firm_disclaimers'"},
  };
  for (const BrokenPolicy& broken : cases) {
    const CommandOutput result = privmilterctl("check-policy -c " + quoted(kSuite / "privmilter.yaml") + " --policy " +
                                               quoted(kBroken / broken.policy));
    EXPECT_EQ(result.exit_code, 1) << broken.policy << ": " << result.output;
    // The message starts with the location, so editors can jump to it.
    EXPECT_EQ(result.output.rfind((kBroken / broken.location).string(), 0), 0u) << broken.policy << ": " << result.output;
  }
  const CommandOutput duplicate = privmilterctl("check-policy -c " + quoted(kSuite / "privmilter.yaml") +
                                                " --policy " + quoted(kBroken / "duplicate-rule-id"));
  EXPECT_TRUE(contains(duplicate.output, "first defined at " + (kBroken / "duplicate-rule-id/10-holds.yaml:3").string()))
      << duplicate.output;
}

TEST_F(PolicyCommandsTest, CheckPolicySummarizesAValidPolicyAndDirectory) {
  const CommandOutput result = privmilterctl("check-policy -c " + quoted(kSuite / "privmilter.yaml"));
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(result.output, "OK: 5 rules in 2 files; directory: 2 users, 2 clients, 2 matters, 1 walls\n");
}

TEST_F(PolicyCommandsTest, CheckPolicyReportsDirectoryMistakes) {
  fs::create_directories(dir_->path() / "directory");
  for (const char* file : {"users.csv", "groups.yaml", "clients.csv", "walls.yaml", "webmail.txt"}) {
    fs::copy_file(kSuite / "directory" / file, dir_->path() / "directory" / file);
  }
  write("directory/matters.csv", "matter,client,name,authorized\n10042-0007,10099,Acme v. Globex,\n");
  const CommandOutput result = privmilterctl("check-policy -c " + quoted(kSuite / "privmilter.yaml") +
                                             " --directory " + quoted(dir_->path() / "directory"));
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_TRUE(contains(result.output, "matters.csv:2:")) << result.output;
}

TEST_F(PolicyCommandsTest, CheckPolicyOfALonePolicyFileNeedsNoConfiguration) {
  const CommandOutput result = privmilterctl("check-policy --policy " + quoted(kSuite / "policy" / "10-detectors.yaml"));
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(result.output, "OK: 0 rules in 1 file; no directory\n");
  const CommandOutput positional = privmilterctl("check-policy " + quoted(kBroken / "unknown-action.yaml"));
  EXPECT_EQ(positional.exit_code, 1) << positional.output;
  EXPECT_TRUE(contains(positional.output, "unknown-action.yaml:5:13:")) << positional.output;
}

TEST_F(PolicyCommandsTest, TestPolicyPassesTheSuiteBesideItsConfiguration) {
  // No -c: tests/fixtures/policy-suite/privmilter.yaml sits beside the tests' folder.
  const CommandOutput result = privmilterctl("test-policy " + quoted(kSuite / "tests"));
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(contains(result.output, "PASS privileged memo to the client in clear text is held\n")) << result.output;
  EXPECT_TRUE(contains(result.output, "PASS an SSN fires the monitored rule only\n")) << result.output;
  EXPECT_TRUE(contains(result.output, "\n10 passed, 0 failed\n")) << result.output;
}

TEST_F(PolicyCommandsTest, TestPolicyReportsAFailingCase) {
  // A single file: the configuration is found beside the folder holding it.
  const CommandOutput result = privmilterctl("test-policy " + quoted(kSuite / "failing" / "one-fails.yaml"));
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_EQ(result.output,
            "PASS tagging external mail\n"
            "FAIL a privileged memo wrongly expected to pass: expected action tag, got quarantine "
            "(rules fired: privileged-unencrypted-external, tag-external)\n"
            "1 passed, 1 failed\n");
}

TEST_F(PolicyCommandsTest, TestPolicyVerboseShowsEachVerdict) {
  const CommandOutput result =
      privmilterctl("test-policy --verbose " + quoted(kSuite / "tests" / "20-recipients.yaml"));
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(contains(result.output, "    removed: rpatel@examplelaw.com\n")) << result.output;
  EXPECT_TRUE(contains(result.output, "      ssn-external: reject [monitor]")) << result.output;
}

struct MalformedTest {
  std::string content;
  std::string location;  // line:column, then the start of the message
};

TEST_F(PolicyCommandsTest, TestPolicyRejectsMalformedTestFilesWithTheirLocation) {
  const std::string head = "tests:\n  - name: a case\n    from: jdoe@examplelaw.com\n    to: [gc@acme-widgets.example]\n";
  const std::vector<MalformedTest> cases{
      {head + "    bdoy: hello\n    expect: { action: tag }\n", "5:5: unknown key 'bdoy' in a test case"},
      {head + "    body: hello\n    expect: { rules: [tag-external] }\n", "6:13: expect needs 'action'"},
      {head + "    body: hello\n    expect: { action: qurantine }\n", "6:23: unknown action 'qurantine'"},
      {head + "    message: messages/nowhere.eml\n    expect: { action: tag }\n",
       "5:14: cannot read message file"},
      {head + "    attachments: [{ name: a.pdf, file: nowhere.pdf }]\n    expect: { action: tag }\n",
       "5:40: cannot read attachment file"},
      {head + "    body: hello\n    expect: { action: tag, removed: [x@client.example] }\n",
       "6:38: 'x@client.example' is not one of the recipients"},
      {head + "    body: hello\n\texpect: { action: tag }\n", "6:1: "},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const fs::path file = write("malformed-" + std::to_string(i) + ".yaml", cases[i].content);
    const CommandOutput result =
        privmilterctl("test-policy -c " + quoted(kSuite / "privmilter.yaml") + " " + quoted(file));
    EXPECT_EQ(result.exit_code, 2) << cases[i].content << result.output;
    EXPECT_EQ(result.output.rfind(file.string() + ":" + cases[i].location, 0), 0u) << cases[i].content << result.output;
  }
  const CommandOutput fixture = privmilterctl("test-policy " + quoted(kSuite / "malformed"));
  EXPECT_EQ(fixture.exit_code, 2) << fixture.output;
  EXPECT_TRUE(contains(fixture.output, (kSuite / "malformed" / "unknown-key.yaml").string() + ":6:5: unknown key 'bdoy'"))
      << fixture.output;
}

}  // namespace
}  // namespace privmilter::integration
