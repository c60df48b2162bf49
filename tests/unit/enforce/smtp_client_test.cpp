#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "privmilter/smtp_client.h"
#include "support/smtp_sink.h"

namespace privmilter {
namespace {

using miltertest::SmtpSink;
using miltertest::SmtpStage;
using namespace std::chrono_literals;

constexpr auto kTimeout = 5000ms;

class SmtpClient : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(sink_.start().ok()); }

  Result<std::string> send(const std::string& message, std::vector<std::string> recipients = {"bob@client.example"},
                           std::string sender = "alice@examplelaw.com") {
    return send_smtp(sink_.target(), SmtpDelivery{std::move(sender), std::move(recipients), message}, kTimeout);
  }

  bool received_command(const std::string& command) const {
    const auto commands = sink_.commands();
    return std::find(commands.begin(), commands.end(), command) != commands.end();
  }

  SmtpSink sink_;
};

TEST_F(SmtpClient, DeliversEnvelopeAndDataExactly) {
  // Lines that would end or corrupt DATA unless dot-stuffed.
  const std::string message =
      "From: alice@examplelaw.com\r\nTo: bob@client.example\r\nSubject: dots\r\n\r\n"
      ".\r\n..two dots\r\n.leading\r\nmiddle . dot\r\n.\r\nlast line\r\n";
  auto sent = send(message, {"bob@client.example", "carol@other.example"});
  ASSERT_TRUE(sent.ok()) << sent.error().message;
  EXPECT_NE(sent->find("250"), std::string::npos) << *sent;
  EXPECT_NE(sent->find("queued as SINK1"), std::string::npos) << *sent;

  const auto messages = sink_.messages();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].helo, "client.test");
  EXPECT_EQ(messages[0].sender, "alice@examplelaw.com");
  EXPECT_EQ(messages[0].recipients, (std::vector<std::string>{"bob@client.example", "carol@other.example"}));
  EXPECT_EQ(messages[0].data, message);
  EXPECT_TRUE(received_command("QUIT"));
}

TEST_F(SmtpClient, NormalisesBareLineFeedsAndAddsTheFinalLineEnd) {
  auto sent = send("Subject: bare\n\n.dot\nmixed\r\nend without newline");
  ASSERT_TRUE(sent.ok()) << sent.error().message;
  const auto messages = sink_.messages();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].data, "Subject: bare\r\n\r\n.dot\r\nmixed\r\nend without newline\r\n");
}

TEST_F(SmtpClient, EmptySenderIsTheNullPath) {
  auto sent = send("Subject: notice\r\n\r\nhello\r\n", {"alice@examplelaw.com"}, "");
  ASSERT_TRUE(sent.ok()) << sent.error().message;
  EXPECT_TRUE(received_command("MAIL FROM:<>"));
  ASSERT_EQ(sink_.messages().size(), 1u);
  EXPECT_EQ(sink_.messages()[0].sender, "");
}

TEST_F(SmtpClient, AnnouncesEightBitBodyWhenTheServerSupportsIt) {
  const std::string message = "Subject: caf\xC3\xA9\r\n\r\nna\xC3\xAFve\r\n";
  auto sent = send(message);
  ASSERT_TRUE(sent.ok()) << sent.error().message;
  ASSERT_EQ(sink_.messages().size(), 1u);
  EXPECT_EQ(sink_.messages()[0].mail_parameters, "BODY=8BITMIME");
  EXPECT_EQ(sink_.messages()[0].data, message);
}

TEST_F(SmtpClient, FallsBackToHeloWhenEhloIsNotUnderstood) {
  sink_.fail_next(SmtpStage::ehlo, "502 5.5.2 EHLO not implemented");
  auto sent = send("Subject: old server\r\n\r\nhello\r\n");
  ASSERT_TRUE(sent.ok()) << sent.error().message;
  EXPECT_TRUE(received_command("HELO client.test"));
  ASSERT_EQ(sink_.messages().size(), 1u);
  EXPECT_EQ(sink_.messages()[0].helo, "client.test");
}

struct StageFailure {
  SmtpStage stage;
  std::string reply;
  std::string expected_prefix;
  std::string expected_stage;
};

class SmtpClientStageFailure : public SmtpClient, public ::testing::WithParamInterface<StageFailure> {};

TEST_P(SmtpClientStageFailure, NamesTheStageAndReplyAndSendsNothing) {
  const auto& failure = GetParam();
  sink_.fail_next(failure.stage, failure.reply);
  auto sent = send("Subject: x\r\n\r\nbody\r\n");
  ASSERT_FALSE(sent.ok());
  const std::string& error = sent.error().message;
  EXPECT_TRUE(error.starts_with(failure.expected_prefix)) << error;
  EXPECT_NE(error.find(failure.expected_stage), std::string::npos) << error;
  EXPECT_NE(error.find(failure.reply), std::string::npos) << error;
  EXPECT_FALSE(smtp_outcome_unknown(sent.error())) << error;  // an answer: certainly not queued
  EXPECT_TRUE(sink_.messages().empty());

  // The failure was for one transaction only: the next one goes through.
  auto again = send("Subject: x\r\n\r\nbody\r\n");
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(sink_.messages().size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(
    EachStage, SmtpClientStageFailure,
    ::testing::Values(
        StageFailure{SmtpStage::greeting, "421 4.3.2 shutting down", "temporary: ", "greeting"},
        StageFailure{SmtpStage::greeting, "554 5.7.1 no service for you", "permanent: ", "greeting"},
        StageFailure{SmtpStage::ehlo, "421 4.7.0 too busy", "temporary: ", "EHLO"},
        StageFailure{SmtpStage::mail, "451 4.3.0 sender check failed", "temporary: ", "MAIL FROM"},
        StageFailure{SmtpStage::mail, "553 5.1.8 sender rejected", "permanent: ", "MAIL FROM"},
        StageFailure{SmtpStage::rcpt, "450 4.2.0 mailbox busy", "temporary: ", "RCPT TO"},
        StageFailure{SmtpStage::rcpt, "550 5.1.1 no such user", "permanent: ", "RCPT TO"},
        StageFailure{SmtpStage::data, "451 4.3.0 no DATA now", "temporary: ", "DATA"},
        StageFailure{SmtpStage::data, "554 5.5.1 no valid recipients", "permanent: ", "DATA"},
        StageFailure{SmtpStage::end_of_data, "452 4.3.1 insufficient storage", "temporary: ", "end of data"},
        StageFailure{SmtpStage::end_of_data, "550 5.7.1 content rejected", "permanent: ", "end of data"}));

TEST_F(SmtpClient, AnyRefusedRecipientAbandonsTheDeliveryAndNamesIt) {
  sink_.fail_next(SmtpStage::rcpt, "550 5.1.1 unknown user", 1);
  auto sent = send("Subject: x\r\n\r\nbody\r\n", {"gone@client.example", "bob@client.example"});
  ASSERT_FALSE(sent.ok());
  EXPECT_TRUE(sent.error().message.starts_with("permanent: ")) << sent.error().message;
  EXPECT_NE(sent.error().message.find("<gone@client.example> 550 5.1.1 unknown user"), std::string::npos)
      << sent.error().message;
  EXPECT_EQ(sent.error().message.find("bob@client.example"), std::string::npos) << sent.error().message;
  EXPECT_TRUE(received_command("RSET"));
  EXPECT_TRUE(received_command("QUIT"));
  EXPECT_FALSE(received_command("DATA"));
  EXPECT_TRUE(sink_.messages().empty());
}

TEST_F(SmtpClient, RefusesAddressesThatWouldInjectCommands) {
  auto sent = send("Subject: x\r\n\r\nbody\r\n", {"bob@client.example>\r\nRCPT TO:<eve@evil.example"});
  ASSERT_FALSE(sent.ok());
  EXPECT_TRUE(sent.error().message.starts_with("permanent: ")) << sent.error().message;
  EXPECT_EQ(sink_.connections(), 0u);
}

TEST_F(SmtpClient, ConnectionRefusedIsTemporary) {
  const auto target = sink_.target();
  sink_.stop();
  auto sent = send_smtp(target, SmtpDelivery{"alice@examplelaw.com", {"bob@client.example"}, "Subject: x\r\n\r\n"},
                        kTimeout);
  ASSERT_FALSE(sent.ok());
  EXPECT_TRUE(sent.error().message.starts_with("temporary: ")) << sent.error().message;
  EXPECT_NE(sent.error().message.find("connect"), std::string::npos) << sent.error().message;
  EXPECT_FALSE(smtp_outcome_unknown(sent.error()));
}

// A listener that never accepts: the kernel completes the connection, but
// no greeting ever comes.
class SilentListener {
 public:
  SilentListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(fd_, 4) != 0) {
      throw std::runtime_error("cannot listen");
    }
    socklen_t length = sizeof address;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
  }
  ~SilentListener() { ::close(fd_); }
  SilentListener(const SilentListener&) = delete;
  SilentListener& operator=(const SilentListener&) = delete;
  unsigned short port() const { return port_; }

 private:
  int fd_ = -1;
  unsigned short port_ = 0;
};

TEST(SmtpClientTimeout, AServerThatNeverAnswersTimesOut) {
  SilentListener silent;
  SmtpTarget target;
  target.host = "127.0.0.1";
  target.port = silent.port();
  auto sent = send_smtp(target, SmtpDelivery{"alice@examplelaw.com", {"bob@client.example"}, "Subject: x\r\n\r\n"},
                        300ms);
  ASSERT_FALSE(sent.ok());
  EXPECT_TRUE(sent.error().message.starts_with("temporary: greeting: no answer")) << sent.error().message;
  EXPECT_NE(sent.error().message.find("300 ms"), std::string::npos) << sent.error().message;
}

TEST_F(SmtpClient, AServerThatFallsSilentAfterTheDataTimesOut) {
  sink_.stall_at(SmtpStage::end_of_data);
  auto sent = send_smtp(sink_.target(),
                        SmtpDelivery{"alice@examplelaw.com", {"bob@client.example"}, "Subject: x\r\n\r\nbody\r\n"},
                        500ms);
  ASSERT_FALSE(sent.ok());
  EXPECT_TRUE(sent.error().message.starts_with("temporary: end of data: no answer")) << sent.error().message;
  // The whole message went out: the server may have queued it.
  EXPECT_TRUE(smtp_outcome_unknown(sent.error()));
  EXPECT_TRUE(sink_.messages().empty());
}

}  // namespace
}  // namespace privmilter
