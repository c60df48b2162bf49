// privmilterctl runs the daemon's pipeline offline for admins.

#include <nlohmann/json.hpp>

#include "command_output.h"
#include "daemon_fixture.h"

namespace privmilter::integration {
namespace {

class PrivmilterctlTest : public DaemonTest {
 protected:
  CommandOutput scan(const std::string& message, const std::string& recipient, const std::string& extra = "") {
    write_config();
    return run_command(std::string(PRIVMILTERCTL_PATH) + " scan " + message + " -c " +
                       path("privmilter.yaml").string() + " --from alice@examplelaw.com --rcpt " + recipient + " " +
                       extra);
  }
  static std::string fixture(const std::string& name) {
    return (std::filesystem::path(PRIVMILTER_SOURCE_ROOT) / "tests" / "fixtures" / name).string();
  }
};

TEST_F(PrivmilterctlTest, ScanExplainsAQuarantineVerdict) {
  auto result = scan(fixture("privileged-memo.eml"), "bob@client.example");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("verdict: quarantine (rule privileged-unencrypted-external)"), std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("    list:privilege_markings "), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("  tag-external: tag"), std::string::npos) << result.output;
}

TEST_F(PrivmilterctlTest, ScanToAnInternalRecipientAccepts) {
  auto result = scan(fixture("privileged-memo.eml"), "carol@examplelaw.com");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("verdict: accept"), std::string::npos) << result.output;
}

TEST_F(PrivmilterctlTest, ScanPrintsJson) {
  auto result = scan(fixture("privileged-memo.eml"), "bob@client.example", "--json");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  auto json = nlohmann::json::parse(result.output);
  EXPECT_EQ(json["action"], "quarantine");
  EXPECT_EQ(json["facts"]["encryption"], "none");
  // multipart/alternative: the text is counted once, not once per alternative.
  int bodies = 0;
  for (const auto& segment : json["facts"]["segments"]) bodies += segment["kind"] == "body";
  EXPECT_EQ(bodies, 1);
}

TEST_F(PrivmilterctlTest, ScanReportsAMissingFile) {
  auto result = scan(path("missing.eml").string(), "bob@client.example");
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.output.find("cannot read"), std::string::npos) << result.output;
}

TEST_F(PrivmilterctlTest, ExtractPrintsTheTreeWithTextPreviews) {
  auto result = run_command(std::string(PRIVMILTERCTL_PATH) + " extract " + fixture("zipped-notes.eml"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("encryption: none"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("2 'bundle.zip' declared=application/zip detected=application/zip size=232 "
                               "flags=attachment\n"),
            std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("2/notes.txt 'notes.txt'"), std::string::npos) << result.output;
  // The first 80 characters, on one line, then an ellipsis.
  EXPECT_NE(result.output.find("attachment 2/notes.txt (155 bytes): Privileged and confidential: draft settlement "
                               "terms for the Acme matter.\\nThe cli...\n"),
            std::string::npos)
      << result.output;
  EXPECT_EQ(result.output.find("confidentiality clause stays"), std::string::npos) << result.output;

  auto all = run_command(std::string(PRIVMILTERCTL_PATH) + " extract --all-text " + fixture("zipped-notes.eml"));
  ASSERT_EQ(all.exit_code, 0) << all.output;
  EXPECT_NE(all.output.find("The client accepts the figure of 2.4 million if the confidentiality clause stays."),
            std::string::npos)
      << all.output;
}

TEST_F(PrivmilterctlTest, ExtractPrintsJson) {
  auto result = run_command(std::string(PRIVMILTERCTL_PATH) + " extract --json --all-text " +
                            fixture("zipped-notes.eml"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  auto json = nlohmann::json::parse(result.output);
  EXPECT_EQ(json["encryption"], "none");
  EXPECT_EQ(json["encrypted"], false);
  // The cover note (1), the zip (2) and the file inside it.
  ASSERT_EQ(json["parts"].size(), 3u);
  EXPECT_EQ(json["parts"][0]["path"], "1");
  EXPECT_EQ(json["parts"][0]["flags"], nlohmann::json::array());
  EXPECT_EQ(json["parts"][1]["path"], "2");
  EXPECT_EQ(json["parts"][1]["detected_type"], "application/zip");
  EXPECT_EQ(json["parts"][2]["path"], "2/notes.txt");
  EXPECT_EQ(json["parts"][2]["flags"], nlohmann::json::array({"attachment"}));
  bool found = false;
  for (const auto& segment : json["segments"]) {
    if (segment["location"] != "2/notes.txt") continue;
    found = true;
    EXPECT_EQ(segment["kind"], "attachment");
    EXPECT_EQ(segment["length"], 155);
    EXPECT_NE(segment["text"].get<std::string>().find("2.4 million"), std::string::npos);
  }
  EXPECT_TRUE(found) << result.output;
}

TEST_F(PrivmilterctlTest, ExtractAppliesTheConfiguredLimits) {
  write_config("limits: {max_mime_depth: 1}\n");  // the zip (depth 1) is opened, its entries (depth 2) are not
  auto result = run_command(std::string(PRIVMILTERCTL_PATH) + " extract -c " + path("privmilter.yaml").string() +
                            " " + fixture("zipped-notes.eml"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("uninspectable=\"limit:max_depth\""), std::string::npos) << result.output;
}

TEST_F(PrivmilterctlTest, ExtractReportsAMissingFile) {
  auto result = run_command(std::string(PRIVMILTERCTL_PATH) + " extract " + path("missing.eml").string());
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.output.find("cannot read"), std::string::npos) << result.output;
}

TEST_F(PrivmilterctlTest, CheckPolicyNamesFileAndLine) {
  std::ofstream(path("bad.yaml")) << "version: 1\nrules:\n  - id: r1\n    when: { recipient: outside }\n    action: accept\n";
  auto result = run_command(std::string(PRIVMILTERCTL_PATH) + " check-policy " + path("bad.yaml").string());
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("bad.yaml:4"), std::string::npos) << result.output;
  auto good = run_command(std::string(PRIVMILTERCTL_PATH) + " check-policy -c " +
                          (std::filesystem::path(PRIVMILTER_SOURCE_ROOT) / "config" / "privmilter.yaml").string());
  EXPECT_EQ(good.exit_code, 0) << good.output;
  EXPECT_EQ(good.output.rfind("OK: ", 0), 0u) << good.output;
  EXPECT_NE(good.output.find(" files; directory: "), std::string::npos) << good.output;
}

}  // namespace
}  // namespace privmilter::integration
