// The milter client against a real libmilter peer (privmilter-null-milter).

#include <atomic>
#include <thread>

#include "support/tests/null_milter_fixture.h"

namespace privmilter::miltertest {
namespace {

using namespace std::chrono_literals;

// Parses the X-Null-Milter-Report header ("recipients=3 headers=2 ...").
std::string report_field(const MessageResult& result, const std::string& key) {
  const auto report = result.added_header("X-Null-Milter-Report");
  if (!report) return "<no report>";
  const std::string prefix = key + "=";
  auto start = report->find(prefix);
  if (start == std::string::npos) return "<no " + key + ">";
  start += prefix.size();
  return report->substr(start, report->find(' ', start) - start);
}

TEST_F(NullMilterTest, NegotiatesVersionSixWithEverythingOffered) {
  start_milter({"--request-macros", "eom:i {auth_authen}"});
  auto client = open_client();
  ASSERT_NE(client, nullptr);
  const Negotiation& negotiation = client->negotiation();
  EXPECT_EQ(negotiation.version, 6u);
  EXPECT_TRUE(negotiation.has_action(SMFIF_ADDHDRS | SMFIF_QUARANTINE | SMFIF_CHGBODY));
  EXPECT_TRUE(negotiation.has_protocol(SMFIP_SKIP));
  for (Stage stage : {Stage::connect, Stage::helo, Stage::mail, Stage::rcpt, Stage::data, Stage::header,
                      Stage::eoh, Stage::body}) {
    EXPECT_TRUE(negotiation.sends(stage)) << to_string(stage);
    EXPECT_TRUE(negotiation.replies_to(stage)) << to_string(stage);
  }
  ASSERT_EQ(negotiation.requested_macros.count(SMFIM_EOM), 1u);
  EXPECT_EQ(negotiation.requested_macros.at(SMFIM_EOM), "i {auth_authen}");
}

TEST_F(NullMilterTest, OfferWithoutSkipIsRespected) {
  start_milter();
  ClientOptions options;
  options.protocol = kAllMtaProtocolBits & ~SMFIP_SKIP;
  auto client = open_client(options);
  ASSERT_NE(client, nullptr);
  EXPECT_FALSE(client->negotiation().has_protocol(SMFIP_SKIP));
}

TEST_F(NullMilterTest, FullMessageIsAcceptedStepByStep) {
  start_milter();
  auto client = open_client();
  ASSERT_NE(client, nullptr);
  auto reply = client->connect("client.example.net", SMFIA_INET, 40025, "192.0.2.25");
  ASSERT_TRUE(reply.ok()) << reply.error().message;
  EXPECT_EQ(reply->kind, ReplyKind::continue_);
  for (auto step : {client->helo("client.example.net"), client->mail_from("alice@lawfirm.example"),
                    client->rcpt_to("bob@client.example"), client->data(),
                    client->header("Subject", "hello"), client->end_of_headers(),
                    client->body("hello\r\n")}) {
    ASSERT_TRUE(step.ok()) << step.error().message;
    EXPECT_EQ(step->kind, ReplyKind::continue_);
  }
  auto result = client->end_of_message();
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_TRUE(result->verdict.delivers());
  EXPECT_TRUE(result->modifications.empty());
  EXPECT_TRUE(client->quit().ok());
  EXPECT_FALSE(client->is_open());
}

TEST_F(NullMilterTest, SendMessageDeliversEverythingTheMilterShouldSee) {
  start_milter({"--report"});
  auto client = open_client();
  ASSERT_NE(client, nullptr);
  auto envelope = envelope_to({"bob@client.example", "carol@client.example"});
  envelope.auth_authen = "alice";
  envelope.queue_id = "4ZQUEUE42";
  auto result = client->send_message(envelope, kSimpleMessage);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->decided_at, Stage::eom);
  EXPECT_TRUE(result->verdict.delivers());
  EXPECT_EQ(report_field(*result, "recipients"), "2");
  EXPECT_EQ(report_field(*result, "headers"), "3");
  // Two LF body lines become CRLF lines: 11 + 32 bytes.
  EXPECT_EQ(report_field(*result, "body_bytes"), "43");
  EXPECT_EQ(report_field(*result, "queue_id"), "4ZQUEUE42");
  EXPECT_EQ(report_field(*result, "auth"), "alice");
}

TEST_F(NullMilterTest, HeadersAddedAtEndOfMessageArriveInOrder) {
  start_milter({"--add-header", "X-First:one", "--add-header", "X-Second:two words"});
  auto client = open_client();
  ASSERT_NE(client, nullptr);
  auto result = client->send_message(envelope_to({"bob@client.example"}), kSimpleMessage);
  ASSERT_TRUE(result.ok()) << result.error().message;
  ASSERT_EQ(result->count(ModificationKind::add_header), 2u);
  EXPECT_EQ(result->modifications[0].name, "X-First");
  EXPECT_EQ(result->modifications[0].value, "one");
  EXPECT_EQ(result->added_header("x-second"), "two words");
  EXPECT_TRUE(result->verdict.delivers());
}

TEST_F(NullMilterTest, RejectWithReplyCodeAtRcpt) {
  start_milter({"--reply-at", "rcpt", "--reply", "reject", "--reply-message", "550 5.7.1 Recipient refused"});
  auto client = open_client();
  ASSERT_NE(client, nullptr);
  auto result = client->send_message(envelope_to({"bob@client.example"}), kSimpleMessage);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->decided_at, Stage::rcpt);
  EXPECT_EQ(result->verdict.kind, ReplyKind::replycode);
  EXPECT_EQ(result->verdict.text, "550 5.7.1 Recipient refused");
  EXPECT_EQ(result->verdict.smtp_reply(), "550 5.7.1 Recipient refused");
  // The client aborted the transaction, so the connection carries on.
  auto next = client->mail_from("alice@lawfirm.example");
  ASSERT_TRUE(next.ok()) << next.error().message;
  EXPECT_EQ(next->kind, ReplyKind::continue_);
}

TEST_F(NullMilterTest, PlainRejectAtRcpt) {
  start_milter({"--reply-at", "rcpt", "--reply", "reject"});
  auto client = open_client();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->connect("h", SMFIA_INET, 1, "192.0.2.1").ok());
  ASSERT_TRUE(client->mail_from("a@example.com").ok());
  auto reply = client->rcpt_to("b@example.com");
  ASSERT_TRUE(reply.ok()) << reply.error().message;
  EXPECT_EQ(reply->kind, ReplyKind::reject);
  EXPECT_EQ(reply->smtp_reply(), "550 5.7.1 Command rejected");
}

TEST_F(NullMilterTest, TempfailAtEndOfMessage) {
  start_milter({"--reply-at", "eom", "--reply", "tempfail", "--add-header", "X-Ignored:yes"});
  auto client = open_client();
  ASSERT_NE(client, nullptr);
  auto result = client->send_message(envelope_to({"bob@client.example"}), kSimpleMessage);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->decided_at, Stage::eom);
  EXPECT_EQ(result->verdict.kind, ReplyKind::tempfail);
  EXPECT_FALSE(result->verdict.delivers());
  EXPECT_EQ(result->verdict.smtp_reply().substr(0, 9), "451 4.7.1");
}

TEST_F(NullMilterTest, TempfailWithReplyCodeAtData) {
  start_milter({"--reply-at", "data", "--reply", "tempfail", "--reply-message", "451 4.7.1 Try later"});
  auto client = open_client();
  ASSERT_NE(client, nullptr);
  auto result = client->send_message(envelope_to({"bob@client.example"}), kSimpleMessage);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->decided_at, Stage::data);
  EXPECT_EQ(result->verdict.kind, ReplyKind::replycode);
  EXPECT_EQ(result->verdict.text, "451 4.7.1 Try later");
}

TEST_F(NullMilterTest, AcceptAtConnectEndsTheSession) {
  start_milter({"--reply-at", "connect", "--reply", "accept"});
  auto client = open_client();
  ASSERT_NE(client, nullptr);
  auto result = client->send_message(envelope_to({"bob@client.example"}), kSimpleMessage);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->decided_at, Stage::connect);
  EXPECT_EQ(result->verdict.kind, ReplyKind::accept);
  EXPECT_FALSE(client->is_open());
}

TEST_F(NullMilterTest, DiscardAtHeader) {
  start_milter({"--reply-at", "header", "--reply", "discard"});
  auto client = open_client();
  ASSERT_NE(client, nullptr);
  auto result = client->send_message(envelope_to({"bob@client.example"}), kSimpleMessage);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->decided_at, Stage::header);
  EXPECT_EQ(result->verdict.kind, ReplyKind::discard);
}

TEST_F(NullMilterTest, AbortThenNewMessageOnTheSameConnection) {
  start_milter({"--report"});
  auto client = open_client();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->connect("h", SMFIA_INET, 1, "192.0.2.1").ok());
  ASSERT_TRUE(client->helo("h").ok());
  ASSERT_TRUE(client->mail_from("a@example.com").ok());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(client->rcpt_to("r" + std::to_string(i) + "@example.com").ok());
  ASSERT_TRUE(client->data().ok());
  ASSERT_TRUE(client->header("Subject", "abandoned").ok());
  ASSERT_TRUE(client->abort().ok());

  auto result = client->send_message(envelope_to({"bob@client.example"}), kSimpleMessage);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_TRUE(result->verdict.delivers());
  // Only the second message's envelope and header count.
  EXPECT_EQ(report_field(*result, "recipients"), "1");
  EXPECT_EQ(report_field(*result, "headers"), "3");
}

TEST_F(NullMilterTest, SeveralMessagesOnOneConnection) {
  start_milter({"--report"});
  auto client = open_client();
  ASSERT_NE(client, nullptr);
  for (int i = 1; i <= 3; ++i) {
    std::vector<std::string> recipients;
    for (int r = 0; r < i; ++r) recipients.push_back("r" + std::to_string(r) + "@example.com");
    auto result = client->send_message(envelope_to(recipients), kSimpleMessage);
    ASSERT_TRUE(result.ok()) << result.error().message;
    EXPECT_EQ(report_field(*result, "recipients"), std::to_string(i));
  }
}

TEST_F(NullMilterTest, NoReplyStagesAreNotAwaited) {
  start_milter({"--no-reply-at", "rcpt", "--no-reply-at", "header", "--report"});
  ClientOptions options;
  options.timeout = 2s;  // waiting for a reply that never comes would time out
  auto client = open_client(options);
  ASSERT_NE(client, nullptr);
  EXPECT_FALSE(client->negotiation().replies_to(Stage::rcpt));
  EXPECT_FALSE(client->negotiation().replies_to(Stage::header));
  EXPECT_TRUE(client->negotiation().replies_to(Stage::mail));
  ASSERT_TRUE(client->connect("h", SMFIA_INET, 1, "192.0.2.1").ok());
  ASSERT_TRUE(client->mail_from("a@example.com").ok());
  auto rcpt = client->rcpt_to("b@example.com");
  ASSERT_TRUE(rcpt.ok()) << rcpt.error().message;
  EXPECT_EQ(rcpt->kind, ReplyKind::no_reply);
  auto data = client->data();
  ASSERT_TRUE(data.ok()) << data.error().message;
  EXPECT_EQ(data->kind, ReplyKind::continue_);
  ASSERT_TRUE(client->abort().ok());

  auto result = client->send_message(envelope_to({"b@example.com", "c@example.com"}), kSimpleMessage);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(report_field(*result, "recipients"), "2");
  EXPECT_EQ(report_field(*result, "headers"), "3");
}

TEST_F(NullMilterTest, NoReplyIsFakedByLibmilterWhenNotOffered) {
  start_milter({"--no-reply-at", "rcpt"});
  ClientOptions options;
  options.protocol = kAllMtaProtocolBits & ~SMFIP_NR_RCPT;
  auto client = open_client(options);
  ASSERT_NE(client, nullptr);
  EXPECT_TRUE(client->negotiation().replies_to(Stage::rcpt));
  ASSERT_TRUE(client->connect("h", SMFIA_INET, 1, "192.0.2.1").ok());
  ASSERT_TRUE(client->mail_from("a@example.com").ok());
  auto rcpt = client->rcpt_to("b@example.com");
  ASSERT_TRUE(rcpt.ok()) << rcpt.error().message;
  EXPECT_EQ(rcpt->kind, ReplyKind::continue_);
}

TEST_F(NullMilterTest, StagesNegotiatedAwayAreNotSent) {
  // The milter would reject HELO, so receiving it would show.
  start_milter({"--no-send", "helo", "--reply-at", "helo", "--reply", "reject"});
  auto client = open_client();
  ASSERT_NE(client, nullptr);
  EXPECT_FALSE(client->negotiation().sends(Stage::helo));
  auto helo = client->helo("client.example.net");
  ASSERT_TRUE(helo.ok()) << helo.error().message;
  EXPECT_EQ(helo->kind, ReplyKind::not_sent);
  auto result = client->send_message(envelope_to({"bob@client.example"}), kSimpleMessage);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_TRUE(result->verdict.delivers());
}

TEST_F(NullMilterTest, ThousandRecipients) {
  start_milter({"--report"});
  auto client = open_client();
  ASSERT_NE(client, nullptr);
  std::vector<std::string> recipients;
  for (int i = 0; i < 1000; ++i) recipients.push_back("user" + std::to_string(i) + "@client.example");
  auto result = client->send_message(envelope_to(recipients), kSimpleMessage);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_TRUE(result->verdict.delivers());
  EXPECT_EQ(report_field(*result, "recipients"), "1000");
}

TEST_F(NullMilterTest, FiveMegabyteBodyGoesInChunks) {
  start_milter({"--report"});
  auto client = open_client();
  ASSERT_NE(client, nullptr);
  std::string raw = "Subject: big\n\n";
  const std::string line(76, 'x');
  std::size_t crlf_body_size = 0;
  while (crlf_body_size < 5 * 1024 * 1024) {
    raw += line + "\n";
    crlf_body_size += line.size() + 2;
  }
  auto result = client->send_message(envelope_to({"bob@client.example"}), raw);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_TRUE(result->verdict.delivers());
  EXPECT_EQ(report_field(*result, "body_bytes"), std::to_string(crlf_body_size));
  const std::size_t chunks = (crlf_body_size + MILTER_CHUNK_SIZE - 1) / MILTER_CHUNK_SIZE;
  EXPECT_EQ(report_field(*result, "body_chunks"), std::to_string(chunks));
}

TEST_F(NullMilterTest, FiveMegabyteBodyWithoutBodyReplies) {
  start_milter({"--report", "--no-reply-at", "body"});
  auto client = open_client();
  ASSERT_NE(client, nullptr);
  const std::string body(5 * 1024 * 1024, 'y');
  auto result = client->send_message(envelope_to({"bob@client.example"}), "Subject: big\n\n" + body);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(report_field(*result, "body_bytes"), std::to_string(body.size() + 2));
}

TEST_F(NullMilterTest, SkipAtBodyStopsTheRemainingChunks) {
  start_milter({"--report", "--reply-at", "body", "--reply", "skip"});
  auto client = open_client();
  ASSERT_NE(client, nullptr);
  const std::string body(200 * 1024, 'z');
  auto result = client->send_message(envelope_to({"bob@client.example"}), "Subject: skip\n\n" + body);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->decided_at, Stage::eom);
  EXPECT_EQ(report_field(*result, "body_chunks"), "1");
}

TEST_F(NullMilterTest, QuarantineReplacedBodyAndProgressAtEndOfMessage) {
  start_milter({"--quarantine", "held for review", "--replace-body", "new body\r\n", "--progress", "2"});
  auto client = open_client();
  ASSERT_NE(client, nullptr);
  auto result = client->send_message(envelope_to({"bob@client.example"}), kSimpleMessage);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->progress_packets, 2u);
  EXPECT_EQ(result->quarantine_reason(), "held for review");
  EXPECT_EQ(result->replacement_body(), "new body\r\n");
  EXPECT_TRUE(result->verdict.delivers());
}

TEST_F(NullMilterTest, HungMilterBecomesATimeoutError) {
  start_milter({"--delay-at", "eoh", "--delay-ms", "3000"});
  ClientOptions options;
  options.timeout = 300ms;
  auto client = open_client(options);
  ASSERT_NE(client, nullptr);
  const auto started = std::chrono::steady_clock::now();
  auto result = client->send_message(envelope_to({"bob@client.example"}), kSimpleMessage);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("timed out"), std::string::npos) << result.error().message;
  EXPECT_NE(result.error().message.find("eoh"), std::string::npos) << result.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
  EXPECT_FALSE(client->is_open());
}

TEST_F(NullMilterTest, QuitWithNewConnectionStartsAnotherSession) {
  start_milter({"--report"});
  auto client = open_client();
  ASSERT_NE(client, nullptr);
  auto first = client->send_message(envelope_to({"a@example.com"}), kSimpleMessage);
  ASSERT_TRUE(first.ok()) << first.error().message;
  Status reconnected = client->quit_new_connection();
  ASSERT_TRUE(reconnected.ok()) << reconnected.error().message;
  auto second = client->send_message(envelope_to({"b@example.com", "c@example.com"}), kSimpleMessage);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(report_field(*second, "recipients"), "2");
}

TEST_F(NullMilterTest, ConcurrentClientsEachWithTheirOwnConnection) {
  start_milter({"--report"});
  constexpr int kThreads = 8;
  constexpr int kMessagesPerThread = 25;
  std::atomic<int> delivered{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto client = MilterClient::open(address_);
      if (!client) return;
      for (int m = 0; m < kMessagesPerThread; ++m) {
        std::vector<std::string> recipients(static_cast<std::size_t>(t + 1), "r@example.com");
        auto result = (*client)->send_message(envelope_to(recipients), kSimpleMessage);
        if (result && result->verdict.delivers() &&
            report_field(*result, "recipients") == std::to_string(t + 1)) {
          ++delivered;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(delivered.load(), kThreads * kMessagesPerThread);
}

// Negotiation, connect, helo, mail, rcpt, data, three headers, end of
// headers, one body chunk and end of message: 12 exchanges when every stage
// is answered, 7 when rcpt, header and body are not.
TEST_F(NullMilterTest, RoundTripsCountEachExchangeOnce) {
  for (const bool lean : {false, true}) {
    SCOPED_TRACE(lean ? "no-reply stages" : "every stage answered");
    std::vector<std::string> options{"--add-header", "X-Seen:yes"};
    if (lean) options.insert(options.end(), {"--no-reply-at", "rcpt", "--no-reply-at", "header",
                                             "--no-reply-at", "body"});
    start_milter(options);
    auto client = open_client();
    ASSERT_NE(client, nullptr);
    EXPECT_EQ(client->round_trips(), 1u);
    const auto before = std::chrono::steady_clock::now();
    auto result = client->send_message(envelope_to({"bob@client.example"}), kSimpleMessage);
    ASSERT_TRUE(result.ok()) << result.error().message;
    // The header and the verdict come back in one exchange.
    EXPECT_EQ(result->added_header("X-Seen"), "yes");
    EXPECT_EQ(client->round_trips(), lean ? 7u : 12u);
    EXPECT_GE(client->last_sent_at(), before);
    TearDown();
  }
}

}  // namespace
}  // namespace privmilter::miltertest
