// SIGTERM while a message is under way. The daemon stops listening at
// once (a new connection is refused), lets connections in progress finish
// for up to milter.shutdown_timeout_seconds, and exits 0. A connection
// still open then is cut: its message was not answered, so the MTA keeps
// it and tries again later.

#include <signal.h>
#include <sys/wait.h>

#include "daemon_fixture.h"
#include "scripted_mta.h"

namespace privmilter::integration {
namespace {

std::string privileged_body() {
  std::string body = "PRIVILEGED & CONFIDENTIAL\r\nATTORNEY-CLIENT COMMUNICATION\r\n\r\n";
  while (body.size() < 100000) body += "Our position on the settlement figure is as follows.\r\n";
  return body;
}

class Shutdown : public DaemonTest {
 protected:
  // A message from the firm's network, sent up to the middle of its body.
  // The MTA waits for the answer to each stage (no SMFIP_NR_*), so the
  // daemon has taken all of it when this returns.
  std::unique_ptr<ScriptedMta> message_half_sent() {
    auto opened = ScriptedMta::open(address(), miltertest::kAllMtaProtocolBits & ~ScriptedMta::kNoReplyBits);
    EXPECT_TRUE(opened.ok()) << opened.error().message;
    if (!opened.ok()) return nullptr;
    auto& mta = **opened;
    const std::string body = privileged_body();
    for (const auto& reply :
         {mta.connect("ws1.examplelaw.com", "10.1.2.3"), mta.mail("alice@examplelaw.com", "4ZINFLIGHT"),
          mta.rcpt("bob@client.example", "4ZINFLIGHT"), mta.data(), mta.header("Subject", "Draft settlement"),
          mta.end_of_headers(), mta.body(std::string_view(body).substr(0, 50000))}) {
      EXPECT_TRUE(reply.ok() && reply->proceeds());
    }
    return std::move(*opened);
  }

  bool refuses_connections() const {
    miltertest::ClientOptions brief;
    brief.timeout = std::chrono::seconds(2);
    return !MilterClient::open(address(), brief).ok();
  }

  // The daemon's exit status, once it has exited by itself.
  std::optional<int> exit_status() {
    // Signal 0 only waits; the grace is far beyond any bound under test.
    auto status = daemon_->stop(std::chrono::seconds(90), 0);
    if (!status || !WIFEXITED(*status)) return std::nullopt;
    return WEXITSTATUS(*status);
  }
};

TEST_F(Shutdown, MessageInProgressFinishesWhileNewConnectionsAreRefused) {
  start_daemon();
  auto mta = message_half_sent();
  ASSERT_TRUE(mta);
  ASSERT_EQ(::kill(daemon_->pid(), SIGTERM), 0);
  EXPECT_TRUE(wait_until([&] { return refuses_connections(); })) << "still accepting connections after SIGTERM";
  EXPECT_TRUE(daemon_running());

  const std::string body = privileged_body();
  auto rest = mta->body(std::string_view(body).substr(50000));
  ASSERT_TRUE(rest.ok()) << rest.error().message;
  auto verdict = mta->end_of_message();
  ASSERT_TRUE(verdict.ok()) << verdict.error().message;
  EXPECT_EQ(verdict->kind, ReplyKind::discard) << to_string(verdict->kind);
  EXPECT_EQ(quarantined(".pmq").size(), 1u);
  ASSERT_EQ(audit_lines().size(), 1u);
  EXPECT_EQ(audit_lines()[0]["queue_id"], "4ZINFLIGHT");

  // The MTA's session ends; nothing is left to wait for.
  mta->hang_up();
  EXPECT_EQ(exit_status(), 0);
}

TEST_F(Shutdown, ConnectionStalledPastTheBoundIsCut) {
  milter_settings_ = ", shutdown_timeout_seconds: 1";
  start_daemon();
  auto mta = message_half_sent();
  ASSERT_TRUE(mta);
  ASSERT_EQ(::kill(daemon_->pid(), SIGTERM), 0);
  // The MTA sends nothing more; the daemon does not wait for it beyond the bound.
  EXPECT_EQ(exit_status(), 0);

  // Cut: the message got no answer, so the MTA still has it.
  auto verdict = mta->end_of_message();
  EXPECT_FALSE(verdict.ok()) << "answered " << to_string(verdict->kind) << " after the daemon exited";
  EXPECT_TRUE(quarantined(".pmq").empty());
  EXPECT_TRUE(audit_lines().empty());
}

}  // namespace
}  // namespace privmilter::integration
