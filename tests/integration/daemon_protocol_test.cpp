// The daemon with the bundled policy, driven over the milter protocol.

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "daemon_fixture.h"
#include "sample_messages.h"

namespace privmilter::integration {
namespace {

TEST_F(DaemonTest, NegotiatesOnlyTheStagesAndMacrosItUses) {
  start_daemon();
  auto connection = client();
  ASSERT_TRUE(connection);
  const auto& negotiation = connection->negotiation();
  EXPECT_FALSE(negotiation.sends(miltertest::Stage::helo));
  EXPECT_FALSE(negotiation.sends(miltertest::Stage::data));
  EXPECT_TRUE(negotiation.sends(miltertest::Stage::body));
  EXPECT_TRUE(negotiation.has_action(SMFIF_ADDHDRS));
  EXPECT_TRUE(negotiation.has_action(SMFIF_CHGHDRS));  // subject prefix, confirmation tag
  EXPECT_TRUE(negotiation.has_action(SMFIF_DELRCPT));  // remove_recipients
  EXPECT_TRUE(negotiation.has_action(SMFIF_CHGBODY));  // S/MIME encryption
  EXPECT_FALSE(negotiation.has_action(SMFIF_ADDRCPT));
  // One round trip per message: only end of message is answered.
  for (auto stage : {miltertest::Stage::connect, miltertest::Stage::mail, miltertest::Stage::rcpt,
                     miltertest::Stage::header, miltertest::Stage::eoh, miltertest::Stage::body}) {
    EXPECT_FALSE(negotiation.replies_to(stage)) << static_cast<int>(stage);
  }
  EXPECT_TRUE(negotiation.replies_to(miltertest::Stage::eom));
  ASSERT_TRUE(negotiation.requested_macros.contains(SMFIM_ENVFROM));
  EXPECT_EQ(negotiation.requested_macros.at(SMFIM_ENVFROM), "i {auth_authen}");
  EXPECT_EQ(negotiation.requested_macros.at(SMFIM_CONNECT), "{daemon_name} {client_addr}");
  EXPECT_EQ(negotiation.requested_macros.at(SMFIM_EOM), "i");
}

TEST_F(DaemonTest, OrdinaryExternalMessageIsDeliveredWithTheHeader) {
  start_daemon();
  auto result = send(outgoing({"bob@client.example"}), kOrdinary);
  EXPECT_EQ(result.decided_at, miltertest::Stage::eom);
  EXPECT_TRUE(result.verdict.delivers()) << to_string(result.verdict.kind);
  EXPECT_EQ(result.added_header("X-Privmilter"), "scanned");
  auto lines = audit_lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["action"], "tag");
  EXPECT_EQ(lines[0]["queue_id"], "4ZTESTQUEUEID");
}

// Known at MAIL FROM; said at end of message, the only stage answered.
TEST_F(DaemonTest, InboundMailIsAcceptedAndNotLogged) {
  start_daemon();
  SmtpEnvelope inbound;
  inbound.sender = "someone@sender.example";
  inbound.recipients = {"alice@examplelaw.com"};
  auto result = send(inbound, kPrivileged);
  EXPECT_EQ(result.decided_at, miltertest::Stage::eom);
  EXPECT_EQ(result.verdict.kind, ReplyKind::accept);
  EXPECT_FALSE(std::filesystem::exists(path("audit/audit.log")) && !read_text(path("audit/audit.log")).empty());
}

// Its headers are still read, for a release token, but the body is not kept.
TEST_F(DaemonTest, InternalOnlyMailIsAcceptedWithoutWallRules) {
  std::ofstream(path("policy.yaml")) << "version: 1\nrules:\n  - id: hold\n    action: quarantine\n";
  start_daemon();
  auto result = send(outgoing({"bob@examplelaw.com", "carol@ny.examplelaw.com"}), kPrivileged);
  EXPECT_EQ(result.decided_at, miltertest::Stage::eom);
  EXPECT_EQ(result.verdict.kind, ReplyKind::accept);
  EXPECT_TRUE(quarantined(".pmq").empty());
}

// The bundled policy has ethical-wall rules, which apply between
// colleagues too: internal mail is inspected, and passes unchanged.
TEST_F(DaemonTest, InternalMailIsInspectedForEthicalWalls) {
  start_daemon();
  auto result = send(outgoing({"bob@examplelaw.com", "carol@ny.examplelaw.com"}), kPrivileged);
  EXPECT_EQ(result.decided_at, miltertest::Stage::eom);
  EXPECT_EQ(result.verdict.kind, ReplyKind::continue_);  // delivered
  EXPECT_TRUE(result.modifications.empty());
  EXPECT_TRUE(quarantined(".pmq").empty());
}

TEST_F(DaemonTest, PrivilegedExternalMessageIsQuarantinedExactly) {
  start_daemon();
  auto result = send(outgoing({"bob@client.example", "carol@examplelaw.com"}), kPrivileged);
  EXPECT_EQ(result.decided_at, miltertest::Stage::eom);
  EXPECT_EQ(result.verdict.kind, ReplyKind::discard);
  auto messages = quarantined(".pmq");
  ASSERT_EQ(messages.size(), 1u);
  // Encrypted at rest: the file holds neither the text nor the envelope.
  EXPECT_EQ(read_text(messages[0]).find("PRIVILEGED"), std::string::npos);
  EXPECT_EQ(read_text(messages[0]).find("alice@examplelaw.com"), std::string::npos);
  auto lines = audit_lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["disposition"], "discard");
  const auto record = quarantine_entry(messages[0].stem().string());
  EXPECT_EQ(lines[0]["quarantine_id"], record["id"]);
  const std::string stored = record["message"];
  EXPECT_NE(stored.find("Subject: Draft settlement\r\n"), std::string::npos);
  EXPECT_NE(stored.find("\r\n\r\nPRIVILEGED & CONFIDENTIAL\r\n"), std::string::npos);
  EXPECT_EQ(record["envelope"]["recipients"].size(), 2u);
  EXPECT_EQ(record["verdict"]["deciding_rule"], "privileged-unencrypted-external");
  // Evidence names the policy's phrase, never the message text around it.
  EXPECT_EQ(read_text(path("audit/audit.log")).find("settlement figure"), std::string::npos);
}

// The quarantine cannot take the message (here its directory has become a
// file; a full or read-only disk fails the same way): the MTA is told to
// try again, so it keeps the message, and the next attempt is held.
TEST_F(DaemonTest, AnUnwritableQuarantineDefersAndLosesNothing) {
  start_daemon();
  std::filesystem::rename(path("quarantine"), path("quarantine.away"));
  std::ofstream(path("quarantine")) << "not a directory\n";
  auto deferred = send(outgoing({"bob@client.example"}), kPrivileged);
  EXPECT_EQ(deferred.verdict.kind, ReplyKind::replycode);
  EXPECT_EQ(deferred.verdict.text.rfind("451 4.3.0", 0), 0u) << deferred.verdict.text;
  auto lines = audit_lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["disposition"], "tempfail");
  EXPECT_NE(lines[0]["error"].get<std::string>().find("quarantine"), std::string::npos);

  std::filesystem::remove(path("quarantine"));
  std::filesystem::rename(path("quarantine.away"), path("quarantine"));
  auto retried = send(outgoing({"bob@client.example"}), kPrivileged);
  EXPECT_EQ(retried.verdict.kind, ReplyKind::discard);
  EXPECT_EQ(quarantined(".pmq").size(), 1u);
}

TEST_F(DaemonTest, SsnIsRejectedWithTheConfiguredReply) {
  start_daemon();
  auto result = send(outgoing({"bob@client.example"}), kSsn);
  EXPECT_EQ(result.verdict.kind, ReplyKind::replycode);
  EXPECT_EQ(result.verdict.text.rfind("550 5.7.1 Message contains a personal identifier (SSN)", 0), 0u)
      << result.verdict.text;
  EXPECT_NE(result.verdict.text.find("rule ssn-unencrypted-external"), std::string::npos);
  auto lines = audit_lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(result.verdict.text.find(lines[0]["ref"].get<std::string>()), std::string::npos);
  EXPECT_EQ(read_text(path("audit/audit.log")).find("123-45-6789"), std::string::npos);
}

TEST_F(DaemonTest, SeveralMessagesOnOneConnectionAreJudgedSeparately) {
  start_daemon();
  auto connection = client();
  ASSERT_TRUE(connection);
  auto first = connection->send_message(outgoing({"bob@client.example"}), kPrivileged);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->verdict.kind, ReplyKind::discard);
  auto second = connection->send_message(outgoing({"bob@client.example"}), kOrdinary);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_TRUE(second->verdict.delivers());
  EXPECT_EQ(quarantined(".pmq").size(), 1u);
}

TEST_F(DaemonTest, AbortedMessageLeavesNoTrace) {
  start_daemon();
  auto connection = client();
  ASSERT_TRUE(connection);
  ASSERT_TRUE(connection->connect("ws1.examplelaw.com", SMFIA_INET, 40000, "10.1.2.3").ok());
  ASSERT_TRUE(connection->mail_from("alice@examplelaw.com").ok());
  ASSERT_TRUE(connection->rcpt_to("bob@client.example").ok());
  ASSERT_TRUE(connection->data().ok());
  ASSERT_TRUE(connection->header("Subject", "privileged & confidential").ok());
  ASSERT_TRUE(connection->abort().ok());
  auto result = connection->send_message(outgoing({"bob@client.example"}), kOrdinary);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_TRUE(result->verdict.delivers());
  EXPECT_TRUE(quarantined(".pmq").empty());
  EXPECT_EQ(audit_lines().size(), 1u);
}

TEST_F(DaemonTest, ManyConcurrentConnections) {
  start_daemon();
  std::vector<std::thread> senders;
  std::atomic<int> delivered{0};
  for (int t = 0; t < 16; ++t) {
    senders.emplace_back([&] {
      auto opened = MilterClient::open(address());
      if (!opened.ok()) return;
      for (int i = 0; i < 10; ++i) {
        auto result = (*opened)->send_message(outgoing({"bob@client.example"}), kOrdinary);
        if (result.ok() && result->verdict.delivers() && result->added_header("X-Privmilter")) ++delivered;
      }
    });
  }
  for (auto& sender : senders) sender.join();
  EXPECT_EQ(delivered.load(), 160);
  EXPECT_EQ(audit_lines().size(), 160u);
}

}  // namespace
}  // namespace privmilter::integration
