#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "session.h"
#include "unit/json_lines.h"
#include "unit/temp_dir.h"

namespace privmilter::milter {
namespace {

using privmilter::testing::read_file;
using privmilter::testing::TempDir;
using privmilter::testing::write_file;

const char* kPolicy = R"(version: 1
lists:
  privilege_markings:
    - privileged & confidential
    - attorney-client privileged
rules:
  - id: privileged-unencrypted-external
    when:
      all:
        - content: { list: privilege_markings }
        - unencrypted: true
        - recipient: external
    action: quarantine
  - id: tag-external
    when: { recipient: external }
    action: add_header
    header: { name: X-Privmilter, value: scanned }
)";

class SessionTest : public ::testing::Test {
 protected:
  std::unique_ptr<Engine> make_engine(const std::string& extra_config = "") {
    write_file(tmp_ / "policy.yaml", kPolicy);
    const std::string yaml = "milter: {socket: 'inet:8891@127.0.0.1'}\n"
                             "firm: {internal_domains: [examplelaw.com], internal_networks: [10.0.0.0/8]}\n"
                             "policy: policy.yaml\n"
                             "quarantine: {directory: quarantine, key_file: keys/quarantine.key}\n"
                             "audit: {log: audit.log, key_file: keys/audit.key}\n"
                             "release: {key_file: keys/release.key}\n"
                             "spool: {directory: spool, memory_threshold: 256}\n"
                             "limits: {max_header_count: 20}\n" + extra_config;
    privmilter::testing::write_test_keys(tmp_.path());
    auto config = load_config_string(yaml, tmp_.path(), "test.yaml");
    EXPECT_TRUE(config.ok()) << config.error().message;
    auto engine = Engine::create(std::move(config).value());
    EXPECT_TRUE(engine.ok()) << engine.error().message;
    return std::move(engine).value();
  }

  // Drives one message from MAIL to end of headers; returns the first
  // non-proceed reply, or proceed.
  static StageReply start_message(Connection& connection, const std::vector<std::string>& recipients,
                                  std::string_view auth = "alice") {
    if (auto r = connection.on_mail("<alice@examplelaw.com>", auth, "Q1"); r != StageReply::proceed) return r;
    for (const auto& rcpt : recipients) {
      if (auto r = connection.on_rcpt("<" + rcpt + ">"); r != StageReply::proceed) return r;
    }
    if (auto r = connection.on_data(); r != StageReply::proceed) return r;
    if (auto r = connection.on_header("From", "alice@examplelaw.com"); r != StageReply::proceed) return r;
    if (auto r = connection.on_header("Subject", "Draft agreement"); r != StageReply::proceed) return r;
    return connection.on_end_of_headers();
  }

  std::vector<nlohmann::json> audit_lines() const { return privmilter::testing::read_json_lines(tmp_ / "audit.log"); }

  TempDir tmp_;
};

TEST_F(SessionTest, InboundMailIsAcceptedAtMailFrom) {
  auto engine = make_engine();
  Connection connection(*engine);
  connection.on_connect("mx.sender.example", "192.0.2.10", "smtpd");
  EXPECT_EQ(connection.on_mail("<someone@sender.example>", "", "Q1"), StageReply::accept);
  EXPECT_FALSE(connection.has_message());
}

TEST_F(SessionTest, InternalOnlyMailIsAcceptedAtEndOfHeaders) {
  auto engine = make_engine();
  Connection connection(*engine);
  connection.on_connect("ws1", "192.0.2.10", "submission");
  EXPECT_EQ(start_message(connection, {"bob@examplelaw.com", "carol@ny.examplelaw.com"}), StageReply::accept);
  EXPECT_FALSE(connection.has_message());
}

TEST_F(SessionTest, InternalNetworkCountsAsOutgoingWithoutAuthentication) {
  auto engine = make_engine();
  Connection connection(*engine);
  connection.on_connect("dms", "10.1.1.1", "smtpd");
  EXPECT_EQ(start_message(connection, {"bob@client.example"}, ""), StageReply::proceed);
  ASSERT_TRUE(connection.has_message());
  EXPECT_EQ(connection.message()->envelope.client_addr, "10.1.1.1");
}

TEST_F(SessionTest, OrdinaryExternalMessageIsTagged) {
  auto engine = make_engine();
  Connection connection(*engine);
  connection.on_connect("ws1", "192.0.2.10", "submission");
  ASSERT_EQ(start_message(connection, {"bob@client.example", "carol@examplelaw.com"}), StageReply::proceed);
  ASSERT_EQ(connection.on_body("Please find the schedule below.\r\n"), StageReply::proceed);
  const MtaEdits edits = connection.on_end_of_message("Q1");
  EXPECT_EQ(edits.disposition, Disposition::accept);
  ASSERT_EQ(edits.add_headers.size(), 1u);
  EXPECT_EQ(edits.add_headers[0], (HeaderField{"X-Privmilter", "scanned"}));
  EXPECT_FALSE(connection.has_message());
  auto lines = audit_lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["recipients"].size(), 2u);
  EXPECT_EQ(lines[0]["sender"], "alice@examplelaw.com");
}

TEST_F(SessionTest, PrivilegedExternalMessageIsQuarantinedAndDiscarded) {
  auto engine = make_engine();
  Connection connection(*engine);
  connection.on_connect("ws1", "192.0.2.10", "submission");
  ASSERT_EQ(start_message(connection, {"bob@client.example"}), StageReply::proceed);
  // Large enough to be spooled to a file (threshold 256 bytes).
  std::string body = "PRIVILEGED &\r\n CONFIDENTIAL\r\n";
  for (int i = 0; i < 50; ++i) body += "Terms of the settlement, paragraph " + std::to_string(i) + ".\r\n";
  ASSERT_EQ(connection.on_body(body), StageReply::proceed);
  ASSERT_FALSE(connection.message()->spool.in_memory());
  const MtaEdits edits = connection.on_end_of_message("Q7");
  EXPECT_EQ(edits.disposition, Disposition::discard);
  auto lines = audit_lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["action"], "quarantine");
  EXPECT_EQ(lines[0]["queue_id"], "Q7");
  const std::string id = lines[0]["quarantine_id"];
  auto entry = engine->quarantine().load(id);
  ASSERT_TRUE(entry.ok()) << entry.error().message;
  const std::string& stored = entry->message;
  EXPECT_NE(stored.find("Subject: Draft agreement\r\n\r\nPRIVILEGED &"), std::string::npos);
  EXPECT_NE(stored.find("paragraph 49."), std::string::npos);
}

TEST_F(SessionTest, HeaderFloodAnswersPerOnError) {
  auto engine = make_engine();
  Connection connection(*engine);
  connection.on_connect("ws1", "192.0.2.10", "submission");
  ASSERT_EQ(start_message(connection, {"bob@client.example"}), StageReply::proceed);
  StageReply reply = StageReply::proceed;
  for (int i = 0; i < 30 && reply == StageReply::proceed; ++i) reply = connection.on_header("X-Filler", "x");
  EXPECT_EQ(reply, StageReply::tempfail);
  EXPECT_FALSE(connection.has_message());
}

TEST_F(SessionTest, OnErrorAcceptLetsAFailedMessageThrough) {
  auto engine = make_engine("on_error: accept\n");
  Connection connection(*engine);
  connection.on_connect("ws1", "192.0.2.10", "submission");
  ASSERT_EQ(start_message(connection, {"bob@client.example"}), StageReply::proceed);
  StageReply reply = StageReply::proceed;
  for (int i = 0; i < 30 && reply == StageReply::proceed; ++i) reply = connection.on_header("X-Filler", "x");
  EXPECT_EQ(reply, StageReply::accept);
}

TEST_F(SessionTest, AbortAndNewMailStartAfresh) {
  auto engine = make_engine();
  Connection connection(*engine);
  connection.on_connect("ws1", "192.0.2.10", "submission");
  ASSERT_EQ(start_message(connection, {"bob@client.example"}), StageReply::proceed);
  ASSERT_EQ(connection.on_body("privileged & confidential\r\n"), StageReply::proceed);
  connection.on_abort();
  EXPECT_FALSE(connection.has_message());
  ASSERT_EQ(start_message(connection, {"dave@other.example"}), StageReply::proceed);
  ASSERT_EQ(connection.message()->envelope.recipients, std::vector<std::string>{"dave@other.example"});
  ASSERT_EQ(connection.on_body("Lunch on Friday?\r\n"), StageReply::proceed);
  EXPECT_EQ(connection.on_end_of_message("Q2").disposition, Disposition::accept);
}

TEST_F(SessionTest, ThousandRecipientsAreAllRecorded) {
  auto engine = make_engine();
  Connection connection(*engine);
  connection.on_connect("ws1", "192.0.2.10", "submission");
  std::vector<std::string> recipients;
  for (int i = 0; i < 1000; ++i) recipients.push_back("user" + std::to_string(i) + "@client.example");
  ASSERT_EQ(start_message(connection, recipients), StageReply::proceed);
  ASSERT_EQ(connection.on_body("Privileged & Confidential\r\n"), StageReply::proceed);
  EXPECT_EQ(connection.on_end_of_message("Q3").disposition, Disposition::discard);
  EXPECT_EQ(audit_lines().at(0)["recipients"].size(), 1000u);
}

TEST_F(SessionTest, EndOfMessageWithoutMessageFailsSafe) {
  auto engine = make_engine();
  Connection connection(*engine);
  EXPECT_EQ(connection.on_end_of_message("Q").disposition, Disposition::tempfail);
  EXPECT_EQ(connection.on_body("stray"), StageReply::tempfail);
}

TEST_F(SessionTest, ConnectionsAreCounted) {
  auto engine = make_engine();
  {
    Connection a(*engine);
    Connection b(*engine);
    EXPECT_EQ(engine->active_connections(), 2);
  }
  EXPECT_EQ(engine->active_connections(), 0);
}

}  // namespace
}  // namespace privmilter::milter
