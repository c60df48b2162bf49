// Reloading the running daemon with SIGUSR1: a valid policy is swapped in
// for the next message, an invalid one is rejected and the running one
// stays, and a message already under way finishes on the policy it began
// with. Outcomes are read from the reload status file beside the pid file.

#include <signal.h>
#include <sys/stat.h>

#include <thread>

#include "reload_fixture.h"

namespace privmilter::integration {
namespace {

TEST_F(ReloadTest, PidFileNamesTheDaemonAndGoesAwayOnStop) {
  start_reloadable("alpha");
  EXPECT_EQ(read_text(pid_file()), std::to_string(daemon_->pid()) + "\n");
  struct stat info {};
  ASSERT_EQ(::stat(pid_file().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0644u);
  auto status = reload_status();
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ((*status)["pid"], daemon_->pid());
  EXPECT_EQ((*status)["attempts"], 0);
  EXPECT_EQ((*status)["generation"], 1);
  EXPECT_EQ((*status)["config"], path("privmilter.yaml").string());

  // Serving: libmilter's signal thread, which turns SIGTERM into a clean stop, is running.
  EXPECT_EQ(stamp_of_next_message(), "alpha");
  auto stopped = daemon_->stop(std::chrono::seconds(15), SIGTERM);
  ASSERT_TRUE(stopped.has_value());
  EXPECT_TRUE(WIFEXITED(*stopped) && WEXITSTATUS(*stopped) == 0) << *stopped;
  EXPECT_FALSE(std::filesystem::exists(pid_file()));
  EXPECT_FALSE(std::filesystem::exists(status_file()));
}

TEST_F(ReloadTest, SignalSwapsInTheNewPolicyForTheNextMessage) {
  start_reloadable("alpha");
  EXPECT_EQ(stamp_of_next_message(), "alpha");

  write_policy("beta", 1);
  ASSERT_EQ(::kill(daemon_->pid(), SIGUSR1), 0);
  auto status = wait_for_attempt(1);
  ASSERT_TRUE(status.has_value()) << "no reload reported";
  EXPECT_EQ((*status)["ok"], true) << status->dump();
  EXPECT_EQ((*status)["generation"], 2);
  EXPECT_EQ((*status)["rules"], 2);
  EXPECT_EQ((*status)["error"], "");

  EXPECT_EQ(stamp_of_next_message(), "beta");
}

TEST_F(ReloadTest, InvalidPolicyIsRejectedAndTheRunningOneStays) {
  start_reloadable("alpha");
  write_broken_policy();
  ASSERT_EQ(::kill(daemon_->pid(), SIGUSR1), 0);
  auto status = wait_for_attempt(1);
  ASSERT_TRUE(status.has_value()) << "no reload reported";
  EXPECT_EQ((*status)["ok"], false);
  EXPECT_EQ((*status)["generation"], 1);
  const std::string error = (*status)["error"];
  EXPECT_NE(error.find(path("policy.yaml").string() + ":4"), std::string::npos) << error;

  EXPECT_TRUE(daemon_running());
  EXPECT_EQ(stamp_of_next_message(), "alpha");

  // Once fixed, the next reload succeeds as generation 2.
  write_policy("beta");
  ASSERT_EQ(::kill(daemon_->pid(), SIGUSR1), 0);
  status = wait_for_attempt(2);
  ASSERT_TRUE(status.has_value()) << "no reload reported";
  EXPECT_EQ((*status)["ok"], true) << status->dump();
  EXPECT_EQ((*status)["generation"], 2);
  EXPECT_EQ(stamp_of_next_message(), "beta");
}

TEST_F(ReloadTest, MessageInFlightFinishesOnThePolicyItBeganWith) {
  start_reloadable("alpha");
  // An MTA that waits for every stage's answer (no SMFIP_NR_*), so that
  // MAIL FROM has certainly been seen before the reload.
  miltertest::ClientOptions waits_for_every_stage;
  waits_for_every_stage.protocol &= ~static_cast<std::uint32_t>(SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_MAIL |
                                                                 SMFIP_NR_RCPT | SMFIP_NR_DATA | SMFIP_NR_UNKN |
                                                                 SMFIP_NR_HDR | SMFIP_NR_EOH | SMFIP_NR_BODY);
  auto opened = MilterClient::open(address(), waits_for_every_stage);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  auto& connection = *opened;
  // A client on the firm's network (10.0.0.0/8) counts as outgoing without authentication.
  ASSERT_TRUE(connection->connect("ws1.examplelaw.com", SMFIA_INET, 40000, "10.1.2.3").ok());
  ASSERT_TRUE(connection->mail_from("alice@examplelaw.com").ok());
  ASSERT_TRUE(connection->rcpt_to("bob@client.example").ok());
  ASSERT_TRUE(connection->data().ok());
  ASSERT_TRUE(connection->header("Subject", "Schedule").ok());
  ASSERT_TRUE(connection->end_of_headers().ok());
  ASSERT_TRUE(connection->body("The first half of the schedule.\r\n").ok());

  write_policy("beta");
  ASSERT_EQ(::kill(daemon_->pid(), SIGUSR1), 0);
  auto status = wait_for_attempt(1);
  ASSERT_TRUE(status.has_value()) << "no reload reported";
  ASSERT_EQ((*status)["ok"], true) << status->dump();

  ASSERT_TRUE(connection->body("The second half.\r\n").ok());
  auto finished = connection->end_of_message();
  ASSERT_TRUE(finished.ok()) << finished.error().message;
  EXPECT_EQ(finished->added_header("X-Policy-Version"), "alpha");

  // The next message on the same connection begins after the reload.
  auto next = connection->send_message(outgoing({"bob@client.example"}), kSchedule);
  ASSERT_TRUE(next.ok()) << next.error().message;
  EXPECT_EQ(next->added_header("X-Policy-Version"), "beta");
}

TEST_F(ReloadTest, SettingsBoundAtStartNeedARestart) {
  start_reloadable("alpha");
  std::string config = read_text(path("privmilter.yaml"));
  const std::string socket = path("privmilter.sock").string();
  config.replace(config.find(socket), socket.size(), path("elsewhere.sock").string());
  std::ofstream(path("privmilter.yaml")) << config;
  ASSERT_EQ(::kill(daemon_->pid(), SIGUSR1), 0);
  auto status = wait_for_attempt(1);
  ASSERT_TRUE(status.has_value()) << "no reload reported";
  EXPECT_EQ((*status)["ok"], true) << status->dump();
  EXPECT_EQ((*status)["restart_required"], nlohmann::json::array({"milter.socket"}));
  EXPECT_EQ(stamp_of_next_message(), "alpha");
  EXPECT_FALSE(std::filesystem::exists(path("elsewhere.sock")));
}

TEST_F(ReloadTest, PidFileOptionOverridesTheConfiguration) {
  write_policy("alpha");
  write_config("pid_file: run/privmilter.pid\n");
  const auto override_path = path("elsewhere/privmilter.pid");
  auto child = ChildProcess::spawn(
      {PRIVMILTER_DAEMON_PATH, "-f", "-P", override_path.string(), "-c", path("privmilter.yaml").string()});
  ASSERT_TRUE(child.ok()) << child.error().message;
  daemon_.emplace(std::move(*child));
  ASSERT_TRUE(miltertest::wait_until_listening(address(), std::chrono::seconds(10), &*daemon_).ok());
  ASSERT_TRUE(wait_for_file(override_path));
  EXPECT_EQ(read_text(override_path), std::to_string(daemon_->pid()) + "\n");
  EXPECT_FALSE(std::filesystem::exists(pid_file()));
}

}  // namespace
}  // namespace privmilter::integration
