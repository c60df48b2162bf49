// privmilterctl reload against the running daemon: it checks the files
// first and signals only when they are valid, then reports the daemon's
// answer. Exit 0 reloaded, 1 invalid or rejected, 2 no daemon or no answer.

#include <unistd.h>

#include "command_output.h"
#include "reload_fixture.h"

namespace privmilter::integration {
namespace {

class ReloadCommandTest : public ReloadTest {
 protected:
  CommandOutput reload(const std::string& arguments = "") const {
    return run_command(std::string(PRIVMILTERCTL_PATH) + " reload -c " + path("privmilter.yaml").string() +
                       " --timeout 20 " + arguments);
  }
};

TEST_F(ReloadCommandTest, ValidPolicyIsReloadedAndApplies) {
  start_reloadable("alpha");
  write_policy("beta", 1);
  auto result = reload();
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("privmilter (pid " + std::to_string(daemon_->pid()) +
                               ") reloaded: generation 2, 2 rules"),
            std::string::npos)
      << result.output;
  EXPECT_EQ(stamp_of_next_message(), "beta");
}

TEST_F(ReloadCommandTest, InvalidPolicyIsRefusedWithoutSignallingTheDaemon) {
  start_reloadable("alpha");
  write_broken_policy();
  auto result = reload();
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find(path("policy.yaml").string() + ":4"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("not reloading"), std::string::npos) << result.output;
  // Had it signalled, it would have waited for the attempt to be reported.
  auto status = reload_status();
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ((*status)["attempts"], 0);
  EXPECT_EQ(stamp_of_next_message(), "alpha");
}

TEST_F(ReloadCommandTest, InvalidConfigurationIsRefusedWithItsLine) {
  start_reloadable("alpha");
  write_config(std::string(kPidFileConfig) + "on_error: sometimes\n");
  auto result = reload();
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("privmilter.yaml:9: on_error must be tempfail or accept"), std::string::npos)
      << result.output;
  EXPECT_EQ((*reload_status())["attempts"], 0);
}

// The daemon reads its own configuration, which may differ from the one
// checked here: its rejection is reported with its error.
TEST_F(ReloadCommandTest, DaemonsRejectionIsReported) {
  start_reloadable("alpha");
  std::filesystem::create_directory(path("staging"));
  std::ofstream(path("staging/privmilter.yaml"))
      << "milter: {socket: 'inet:8891@127.0.0.1'}\n"
      << "firm: {internal_domains: [examplelaw.com]}\n"
      << "policy: ../staging-policy.yaml\n"
      << "quarantine: {directory: q, key_file: ../keys/quarantine.key}\n"
      << "audit: {log: a.log, key_file: ../keys/audit.key}\n"
      << "release: {key_file: ../keys/release.key}\n";
  std::filesystem::copy_file(path("policy.yaml"), path("staging-policy.yaml"));
  write_broken_policy();
  auto result = run_command(std::string(PRIVMILTERCTL_PATH) + " reload -c " +
                            path("staging/privmilter.yaml").string() + " --pid-file " + pid_file().string() +
                            " --timeout 20");
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("note: the daemon reads " + path("privmilter.yaml").string()), std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("rejected the reload: " + path("policy.yaml").string() + ":4"), std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("generation 1 stays in force"), std::string::npos) << result.output;
  EXPECT_EQ(stamp_of_next_message(), "alpha");
}

TEST_F(ReloadCommandTest, NoRunningDaemonIsReported) {
  write_policy("alpha");
  write_config(kPidFileConfig);
  auto missing = reload();
  EXPECT_EQ(missing.exit_code, 2) << missing.output;
  EXPECT_NE(missing.output.find("no running privmilter found"), std::string::npos) << missing.output;

  // A pid file left behind, naming a process that is not privmilter (this test).
  std::filesystem::create_directories(pid_file().parent_path());
  std::ofstream(pid_file()) << ::getpid() << "\n";
  auto stale = reload();
  EXPECT_EQ(stale.exit_code, 2) << stale.output;
  EXPECT_NE(stale.output.find("is not privmilter"), std::string::npos) << stale.output;
}

TEST_F(ReloadCommandTest, ConfigurationWithoutAPidFileNeedsTheOption) {
  write_policy("alpha");
  write_config();
  auto result = reload();
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("sets no pid_file"), std::string::npos) << result.output;
}

TEST_F(ReloadCommandTest, UsageErrorsExitTwo) {
  auto result = run_command(std::string(PRIVMILTERCTL_PATH) + " reload --timeout soon");
  EXPECT_EQ(result.exit_code, 2) << result.output;
}

}  // namespace
}  // namespace privmilter::integration
