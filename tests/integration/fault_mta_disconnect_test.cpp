// The MTA hanging up at every stage of a conversation (its process died, or
// it gave up waiting): the daemon stays up, drops what it had of the
// message, and judges the next one as before. Nothing is held or recorded
// for a message cut before the daemon read its end; one cut after that has
// been decided and carried out (held and recorded) although the MTA never
// read the answer: it still has the message and offers it again.

#include <functional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "daemon_fixture.h"
#include "scripted_mta.h"

namespace privmilter::integration {
namespace {

enum class HangUp {
  after_connect,
  after_helo,
  after_mail,
  after_rcpt,
  after_data,
  after_first_header,
  after_second_header,
  after_last_header,
  after_end_of_headers,
  after_body_chunk,
  with_end_of_message_unanswered,
  after_abort,
};

struct HangUpCase {
  const char* name;
  HangUp point;
  bool decided;  // the end of the message reached the daemon: it was judged
};

std::string privileged_body() {
  std::string body = "PRIVILEGED & CONFIDENTIAL\r\nATTORNEY-CLIENT COMMUNICATION\r\n\r\n";
  while (body.size() < 100000) body += "Our position on the settlement figure is as follows.\r\n";
  return body;
}

constexpr const char* kPrivileged =
    "From: Alice <alice@examplelaw.com>\n"
    "To: Bob <bob@client.example>\n"
    "Subject: Draft settlement\n"
    "\n"
    "PRIVILEGED & CONFIDENTIAL\n"
    "ATTORNEY-CLIENT COMMUNICATION\n";

void PrintTo(const HangUpCase& test, std::ostream* out) { *out << test.name; }

class MtaHangsUp : public DaemonTest, public ::testing::WithParamInterface<HangUpCase> {
 protected:
  // Plays the conversation up to `point`, then closes the socket. The MTA
  // waits for the answer to every stage (it offers no SMFIP_NR_*, so
  // libmilter answers for privmilter), so that it hangs up only once the
  // daemon has taken the stage: libmilter reads nothing more from a socket
  // whose peer has closed, and what was still unread would be lost.
  void converse_until(HangUp point) {
    auto opened = ScriptedMta::open(address(), miltertest::kAllMtaProtocolBits & ~ScriptedMta::kNoReplyBits);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    ScriptedMta& mta = **opened;
    const std::string body = privileged_body();
    // The first chunk takes the message past the spool's memory threshold
    // (64 KiB here): from then on it is in a spool file.
    const std::string_view first_chunk = std::string_view(body).substr(0, MILTER_CHUNK_SIZE);
    const std::string_view last_chunk = std::string_view(body).substr(MILTER_CHUNK_SIZE);
    // A client on the firm's network: outgoing without authentication.
    const std::vector<std::pair<HangUp, std::function<Result<ScriptedMta::Reply>()>>> conversation = {
        {HangUp::after_connect, [&] { return mta.connect("ws1.examplelaw.com", "10.1.2.3"); }},
        {HangUp::after_helo, [&] { return mta.helo("ws1.examplelaw.com"); }},
        {HangUp::after_mail, [&] { return mta.mail("alice@examplelaw.com", "4ZCUTMESSAGE"); }},
        {HangUp::after_rcpt, [&] { return mta.rcpt("bob@client.example", "4ZCUTMESSAGE"); }},
        {HangUp::after_data, [&] { return mta.data(); }},
        {HangUp::after_first_header, [&] { return mta.header("From", "Alice <alice@examplelaw.com>"); }},
        {HangUp::after_second_header, [&] { return mta.header("To", "Bob <bob@client.example>"); }},
        {HangUp::after_last_header, [&] { return mta.header("Subject", "Draft settlement"); }},
        {HangUp::after_end_of_headers, [&] { return mta.end_of_headers(); }},
        {HangUp::after_body_chunk, [&] { return mta.body(first_chunk); }},
    };
    for (const auto& [after, stage] : conversation) {
      auto reply = stage();
      ASSERT_TRUE(reply.ok()) << reply.error().message;
      ASSERT_TRUE(reply->proceeds()) << to_string(reply->kind);
      if (after != point) continue;
      if (after == HangUp::after_body_chunk) {
        ASSERT_EQ(open_spool_files(), 1u);
      }
      return mta.hang_up();
    }
    auto reply = mta.body(last_chunk);
    ASSERT_TRUE(reply.ok() && reply->proceeds());
    if (point == HangUp::with_end_of_message_unanswered) {
      ASSERT_TRUE(mta.end_of_message_unanswered().ok());
      // Once the daemon is carrying out its decision. (Hung up before the
      // daemon read the end of the message, it is dropped like one cut
      // earlier.)
      ASSERT_TRUE(wait_until([&] { return !quarantined(".pmq").empty() || !quarantined(".tmp").empty(); }));
    } else {
      ASSERT_TRUE(mta.abort().ok());
    }
    mta.hang_up();
  }

  // Spool files have no name (O_TMPFILE): they show only among the
  // daemon's open files.
  std::size_t open_spool_files() {
    std::size_t count = 0;
    std::error_code error;
    const std::string spool = path("spool").string() + "/";
    const auto descriptors = std::filesystem::path("/proc") / std::to_string(daemon_->pid()) / "fd";
    for (const auto& entry : std::filesystem::directory_iterator(descriptors, error)) {
      const auto target = std::filesystem::read_symlink(entry.path(), error);
      if (!error && target.string().rfind(spool, 0) == 0) ++count;
    }
    return count;
  }
};

TEST_P(MtaHangsUp, DaemonSurvivesAndJudgesTheNextMessage) {
  const HangUpCase& cut = GetParam();
  // The cut message's body (100 KB) passes the spool's memory threshold
  // (64 KiB here) and goes to a spool file.
  start_daemon();
  converse_until(cut.point);
  if (HasFatalFailure()) return;

  if (cut.decided) {
    // Judged and carried out although the answer went nowhere.
    ASSERT_TRUE(wait_until([&] { return quarantined(".pmq").size() == 1; })) << "the cut message was not held";
    ASSERT_TRUE(wait_until([&] { return audit_lines().size() == 1; })) << "the cut message was not recorded";
    const auto lines = audit_lines();
    EXPECT_EQ(lines[0]["queue_id"], "4ZCUTMESSAGE");
    EXPECT_EQ(lines[0]["disposition"], "discard");
    EXPECT_EQ(lines[0]["quarantine_id"], quarantined(".pmq")[0].stem().string());
  }

  EXPECT_TRUE(daemon_running());
  auto next = send(outgoing({"bob@client.example"}), kPrivileged);
  EXPECT_EQ(next.verdict.kind, ReplyKind::discard) << to_string(next.verdict.kind);
  const std::size_t expected = cut.decided ? 2 : 1;
  EXPECT_EQ(quarantined(".pmq").size(), expected);
  EXPECT_TRUE(quarantined(".tmp").empty());
  const auto lines = audit_lines();
  ASSERT_EQ(lines.size(), expected);
  EXPECT_EQ(lines.back()["queue_id"], "4ZTESTQUEUEID");
  EXPECT_EQ(lines.back()["disposition"], "discard");
  // What the cut connection had spooled is gone with it.
  EXPECT_TRUE(wait_until([&] { return open_spool_files() == 0; })) << open_spool_files() << " spool files open";
  EXPECT_TRUE(daemon_running());
}

INSTANTIATE_TEST_SUITE_P(
    EveryStage, MtaHangsUp,
    ::testing::Values(HangUpCase{"after_connect", HangUp::after_connect, false},
                      HangUpCase{"after_helo", HangUp::after_helo, false},
                      HangUpCase{"after_mail", HangUp::after_mail, false},
                      HangUpCase{"after_rcpt", HangUp::after_rcpt, false},
                      HangUpCase{"after_data", HangUp::after_data, false},
                      HangUpCase{"after_first_header", HangUp::after_first_header, false},
                      HangUpCase{"after_second_header", HangUp::after_second_header, false},
                      HangUpCase{"after_last_header", HangUp::after_last_header, false},
                      HangUpCase{"after_end_of_headers", HangUp::after_end_of_headers, false},
                      HangUpCase{"after_body_chunk", HangUp::after_body_chunk, false},
                      HangUpCase{"with_end_of_message_unanswered", HangUp::with_end_of_message_unanswered, true},
                      HangUpCase{"after_abort", HangUp::after_abort, false}),
    [](const ::testing::TestParamInfo<HangUpCase>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace privmilter::integration
