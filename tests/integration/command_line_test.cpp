// The daemon's command line: --check, --version, --socket, and shutdown.

#include <sys/wait.h>

#include "command_output.h"
#include "daemon_fixture.h"

namespace privmilter::integration {
namespace {

CommandOutput run(const std::string& command) { return run_command(command); }

TEST_F(DaemonTest, CheckAcceptsAValidConfiguration) {
  write_config();
  auto result = run(std::string(PRIVMILTER_DAEMON_PATH) + " -n -c " + path("privmilter.yaml").string());
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find(" OK ("), std::string::npos) << result.output;
}

TEST_F(DaemonTest, CheckNamesTheBrokenPolicyLine) {
  std::ofstream(path("policy.yaml")) << "version: 1\nrules:\n  - id: r1\n    action: rejct\n";
  write_config();
  auto result = run(std::string(PRIVMILTER_DAEMON_PATH) + " -n -c " + path("privmilter.yaml").string());
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.output.find("policy.yaml:4"), std::string::npos) << result.output;
}

TEST_F(DaemonTest, CheckNamesTheBrokenConfigurationLine) {
  write_config("on_error: sometimes\n");
  auto result = run(std::string(PRIVMILTER_DAEMON_PATH) + " -n -c " + path("privmilter.yaml").string());
  EXPECT_EQ(result.exit_code, 78);
  EXPECT_NE(result.output.find("privmilter.yaml:8: on_error must be tempfail or accept"), std::string::npos)
      << result.output;
}

TEST_F(DaemonTest, RefusesABadSocketOverride) {
  write_config();
  auto result = run(std::string(PRIVMILTER_DAEMON_PATH) + " -n -p tcp:25 -c " + path("privmilter.yaml").string());
  EXPECT_EQ(result.exit_code, 78);
  EXPECT_NE(result.output.find("--socket"), std::string::npos) << result.output;
}

TEST_F(DaemonTest, PrintsItsVersion) {
  auto result = run(std::string(PRIVMILTER_DAEMON_PATH) + " --version");
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.output.rfind("privmilter ", 0), 0u) << result.output;
}

TEST_F(DaemonTest, SocketOverrideIsUsed) {
  write_config();
  const std::string other = "unix:" + path("other.sock").string();
  auto child = ChildProcess::spawn({PRIVMILTER_DAEMON_PATH, "-f", "-p", other, "-c", path("privmilter.yaml").string()});
  ASSERT_TRUE(child.ok()) << child.error().message;
  daemon_.emplace(std::move(*child));
  EXPECT_TRUE(miltertest::wait_until_listening(other, std::chrono::seconds(10), &*daemon_).ok());
}

TEST_F(DaemonTest, SigtermStopsCleanly) {
  start_daemon();
  auto result = send(outgoing({"bob@client.example"}), "Subject: hi\n\nhello\n");
  EXPECT_TRUE(result.verdict.delivers());
  auto status = daemon_->stop(std::chrono::seconds(15), SIGTERM);
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFEXITED(*status)) << *status;
  EXPECT_EQ(WEXITSTATUS(*status), 0);
}

}  // namespace
}  // namespace privmilter::integration
