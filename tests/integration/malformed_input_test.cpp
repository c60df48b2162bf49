// Hostile and broken input gets a decision or a tempfail, never a crash.

#include "daemon_fixture.h"

namespace privmilter::integration {
namespace {

struct BrokenMessage {
  const char* name;
  std::string raw;
};

std::string nested_multipart(int depth) {
  std::string head = "From: alice@examplelaw.com\nSubject: nested\nMIME-Version: 1.0\n";
  std::string body;
  for (int i = 0; i < depth; ++i) {
    const std::string boundary = "b" + std::to_string(i);
    body += (i == 0 ? head : std::string()) + "Content-Type: multipart/mixed; boundary=\"" + boundary + "\"\n\n--" +
            boundary + "\n";
  }
  body += "Content-Type: text/plain\n\nprivileged & confidential\n";
  for (int i = depth - 1; i >= 0; --i) body += "--b" + std::to_string(i) + "--\n";
  return body;
}

std::vector<BrokenMessage> broken_messages() {
  return {
      {"truncated", "From: alice@examplelaw.com\nSubject: cut\nMIME-Version: 1.0\nContent-Type: multipart/mixed; "
                    "boundary=\"zz\"\n\n--zz\nContent-Type: text/plain\n\nprivileged & conf"},
      {"broken_boundaries", "From: alice@examplelaw.com\nSubject: b\nMIME-Version: 1.0\nContent-Type: multipart/mixed; "
                            "boundary=\"never-used\"\n\n--other\nContent-Type: text/plain\n\nhello\n--other--\n"},
      {"invalid_base64", "From: alice@examplelaw.com\nSubject: b64\nMIME-Version: 1.0\nContent-Type: text/plain\n"
                         "Content-Transfer-Encoding: base64\n\n!!!! not base64 @@@@ ====\n%%%%\n"},
      {"empty_body", "From: alice@examplelaw.com\nSubject: nothing\n\n"},
      {"no_headers_no_body", ""},
      {"binary_garbage", std::string("Subject: bin\n\n") + std::string("\x00\xff\xfe\x01\x80", 5) + std::string(5000, '\x9c')},
      {"deep_nesting", nested_multipart(200)},
      {"long_line", "Subject: long\n\n" + std::string(3 * 1024 * 1024, 'a') + "\n"},
  };
}

TEST_F(DaemonTest, BrokenMessagesGetADecisionAndTheDaemonSurvives) {
  start_daemon();
  for (const auto& message : broken_messages()) {
    SCOPED_TRACE(message.name);
    auto result = send(outgoing({"bob@client.example"}), message.raw);
    EXPECT_EQ(result.decided_at, miltertest::Stage::eom);
    const auto kind = result.verdict.kind;
    EXPECT_TRUE(result.verdict.delivers() || kind == ReplyKind::discard || kind == ReplyKind::replycode ||
                kind == ReplyKind::tempfail)
        << to_string(kind);
    ASSERT_TRUE(daemon_running());
  }
  EXPECT_EQ(audit_lines().size() + 0, broken_messages().size());
}

TEST_F(DaemonTest, ThousandRecipientsAreInspectedAndRecorded) {
  start_daemon();
  std::vector<std::string> recipients;
  for (int i = 0; i < 1000; ++i) recipients.push_back("person" + std::to_string(i) + "@client" + std::to_string(i % 7) + ".example");
  auto result = send(outgoing(recipients), "From: alice@examplelaw.com\nSubject: notice\n\nprivileged and confidential\n");
  EXPECT_EQ(result.verdict.kind, ReplyKind::discard);
  auto lines = audit_lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["recipients"].size(), 1000u);
}

TEST_F(DaemonTest, HeaderFloodIsDeferred) {
  start_daemon("limits: {max_header_count: 50}\n");
  std::string message = "From: alice@examplelaw.com\n";
  for (int i = 0; i < 100; ++i) message += "X-Filler-" + std::to_string(i) + ": x\n";
  message += "\nbody\n";
  auto result = send(outgoing({"bob@client.example"}), message);
  EXPECT_EQ(result.verdict.kind, ReplyKind::tempfail);
  // Decided at the header that overflowed, answered at the only stage the MTA waits on.
  EXPECT_EQ(result.decided_at, miltertest::Stage::eom);
  EXPECT_TRUE(daemon_running());
}

TEST_F(DaemonTest, OversizedMessageFollowsOnError) {
  start_daemon("limits: {max_message_bytes: 2048}\n");
  auto result = send(outgoing({"bob@client.example"}), "Subject: big\n\n" + std::string(10000, 'x') + "\n");
  EXPECT_EQ(result.verdict.kind, ReplyKind::replycode);
  EXPECT_EQ(result.verdict.text.rfind("451 4.3.0", 0), 0u) << result.verdict.text;
}

}  // namespace
}  // namespace privmilter::integration
