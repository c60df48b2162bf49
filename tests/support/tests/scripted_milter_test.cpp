// The milter client against a scripted peer that answers with exact bytes:
// wire encoding, every end-of-message edit, and protocol violations that
// libmilter itself would never produce.

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>
#include <functional>
#include <poll.h>
#include <thread>

#include "support/child_process.h"
#include "support/milter_client.h"

namespace privmilter::miltertest {
namespace {

using namespace std::chrono_literals;

std::string packet(char command, std::string_view data = {}) {
  std::string bytes;
  PacketBuilder(bytes, command).bytes(data);
  return bytes;
}

std::string be32(std::uint32_t value) {
  std::string bytes;
  PacketBuilder(bytes, 'x').uint32(value);
  return bytes.substr(5);
}

std::string optneg_reply(std::uint32_t version, std::uint32_t actions, std::uint32_t protocol) {
  return packet(SMFIC_OPTNEG, be32(version) + be32(actions) + be32(protocol));
}

// Accepts one connection; for each step reads one packet and writes the
// step's answer (possibly nothing), then closes the connection.
class ScriptedMilter {
 public:
  using Step = std::function<std::string(const Packet&)>;

  explicit ScriptedMilter(std::vector<Step> steps) {
    auto directory = TempDirectory::create("miltertest-scripted");
    if (!directory) return;
    directory_.emplace(std::move(*directory));
    const std::string path = (directory_->path() / "scripted.sock").string();
    address_ = "unix:" + path;
    listener_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un bound{};
    bound.sun_family = AF_UNIX;
    std::memcpy(bound.sun_path, path.c_str(), path.size() + 1);
    if (::bind(listener_.get(), reinterpret_cast<sockaddr*>(&bound), sizeof(bound)) != 0 ||
        ::listen(listener_.get(), 1) != 0) {
      return;
    }
    thread_ = std::thread([this, steps = std::move(steps)] { serve(steps); });
  }

  ~ScriptedMilter() {
    if (thread_.joinable()) thread_.join();
  }

  const std::string& address() const { return address_; }

  // Every packet the peer read; call after the client is done.
  const std::vector<Packet>& received() {
    if (thread_.joinable()) thread_.join();
    return received_;
  }

 private:
  void serve(const std::vector<Step>& steps) {
    pollfd waiter{listener_.get(), POLLIN, 0};
    if (::poll(&waiter, 1, 5000) != 1) return;
    UniqueFd connection(::accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!connection.valid()) return;
    PacketChannel channel(std::move(connection), 5s);
    for (const auto& step : steps) {
      auto received = channel.receive();
      if (!received) return;
      received_.push_back(*received);
      channel.outgoing() += step(*received);
      if (!channel.flush()) return;
    }
  }

  std::optional<TempDirectory> directory_;
  std::string address_;
  UniqueFd listener_;
  std::thread thread_;
  std::vector<Packet> received_;
};

ScriptedMilter::Step answer(std::string bytes) {
  return [bytes = std::move(bytes)](const Packet&) { return bytes; };
}

const ScriptedMilter::Step kSilent = answer("");

TEST(ScriptedMilter, CommandsAreFramedLikePostfix) {
  ScriptedMilter peer({answer(optneg_reply(6, SMFIF_ADDHDRS, 0)), kSilent,
                       answer(packet(SMFIR_CONTINUE)), answer(packet(SMFIR_CONTINUE))});
  {
    ClientOptions options;
    options.protocol = SMFIP_SKIP | SMFIP_NR_HDR;
    auto client = MilterClient::open(peer.address(), options);
    ASSERT_TRUE(client.ok()) << client.error().message;
    ASSERT_TRUE((*client)->macros(Stage::connect, {{"j", "mx"}, {"{daemon_name}", "d"}}).ok());
    ASSERT_TRUE((*client)->connect("host.example", SMFIA_INET, 0x1234, "192.0.2.1").ok());
    ASSERT_TRUE((*client)->mail_from("a@example.com", {"SIZE=10", "BODY=8BITMIME"}).ok());
  }
  const auto& received = peer.received();
  ASSERT_EQ(received.size(), 4u);
  EXPECT_EQ(received[0].command, SMFIC_OPTNEG);
  EXPECT_EQ(received[0].data, be32(6) + be32(SMFI_CURR_ACTS) + be32(SMFIP_SKIP | SMFIP_NR_HDR));
  EXPECT_EQ(received[1].command, SMFIC_MACRO);
  EXPECT_EQ(received[1].data, std::string("Cj\0mx\0{daemon_name}\0d\0", 22));
  EXPECT_EQ(received[2].command, SMFIC_CONNECT);
  EXPECT_EQ(received[2].data, std::string("host.example\0" "4\x12\x34" "192.0.2.1\0", 26));
  EXPECT_EQ(received[3].command, SMFIC_MAIL);
  EXPECT_EQ(received[3].data, std::string("<a@example.com>\0SIZE=10\0BODY=8BITMIME\0", 38));
}

TEST(ScriptedMilter, EveryEndOfMessageEditIsReported) {
  const std::string edits =
      packet(SMFIR_PROGRESS) + packet(SMFIR_ADDHEADER, std::string("X-A\0one\0", 8)) +
      packet(SMFIR_INSHEADER, be32(0) + std::string("X-B\0two\0", 8)) +
      packet(SMFIR_CHGHEADER, be32(2) + std::string("Subject\0\0", 9)) +
      packet(SMFIR_ADDRCPT, std::string("<new@example.com>\0", 18)) +
      packet(SMFIR_ADDRCPT_PAR, std::string("<par@example.com>\0NOTIFY=NEVER\0", 31)) +
      packet(SMFIR_DELRCPT, std::string("<old@example.com>\0", 18)) +
      packet(SMFIR_CHGFROM, std::string("<bounce@example.com>\0", 21)) +
      packet(SMFIR_REPLBODY, "new ") + packet(SMFIR_REPLBODY, "body\r\n") +
      packet(SMFIR_QUARANTINE, std::string("held\0", 5)) + packet(SMFIR_PROGRESS) +
      packet(SMFIR_REPLYCODE, std::string("554 5.7.1 no\0", 13));
  ScriptedMilter peer({answer(optneg_reply(6, SMFI_CURR_ACTS, SMFIP_NOCONNECT)), answer(edits)});
  auto client = MilterClient::open(peer.address());
  ASSERT_TRUE(client.ok()) << client.error().message;
  auto result = (*client)->end_of_message();
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->progress_packets, 2u);
  EXPECT_EQ(result->verdict.kind, ReplyKind::replycode);
  EXPECT_EQ(result->verdict.text, "554 5.7.1 no");
  ASSERT_EQ(result->modifications.size(), 10u);
  const auto& m = result->modifications;
  EXPECT_EQ(m[0].kind, ModificationKind::add_header);
  EXPECT_EQ(m[1].kind, ModificationKind::insert_header);
  EXPECT_EQ(m[1].index, 0u);
  EXPECT_EQ(m[1].name, "X-B");
  EXPECT_EQ(m[2].kind, ModificationKind::change_header);
  EXPECT_EQ(m[2].index, 2u);
  EXPECT_EQ(m[2].value, "");
  EXPECT_EQ(m[3].kind, ModificationKind::add_recipient);
  EXPECT_EQ(m[3].name, "<new@example.com>");
  EXPECT_EQ(m[4].kind, ModificationKind::add_recipient_with_args);
  EXPECT_EQ(m[4].value, "NOTIFY=NEVER");
  EXPECT_EQ(m[5].kind, ModificationKind::delete_recipient);
  EXPECT_EQ(m[6].kind, ModificationKind::change_sender);
  EXPECT_EQ(m[6].name, "<bounce@example.com>");
  EXPECT_EQ(m[6].value, "");
  EXPECT_EQ(result->replacement_body(), "new body\r\n");
  EXPECT_EQ(result->quarantine_reason(), "held");
  EXPECT_EQ(result->added_header("X-B"), "two");
}

TEST(ScriptedMilter, HigherProtocolVersionIsRefused) {
  ScriptedMilter peer({answer(optneg_reply(7, 0, 0))});
  auto client = MilterClient::open(peer.address());
  ASSERT_FALSE(client.ok());
  EXPECT_NE(client.error().message.find("version 7"), std::string::npos) << client.error().message;
}

TEST(ScriptedMilter, ActionsBeyondTheOfferAreRefused) {
  ScriptedMilter peer({answer(optneg_reply(6, SMFIF_ADDHDRS | SMFIF_CHGBODY, 0))});
  ClientOptions options;
  options.actions = SMFIF_ADDHDRS;
  auto client = MilterClient::open(peer.address(), options);
  ASSERT_FALSE(client.ok());
  EXPECT_NE(client.error().message.find("actions"), std::string::npos) << client.error().message;
}

TEST(ScriptedMilter, EditOutsideEndOfMessageIsAProtocolError) {
  ScriptedMilter peer({answer(optneg_reply(6, SMFI_CURR_ACTS, 0)),
                       answer(packet(SMFIR_ADDHEADER, std::string("X\0y\0", 4)))});
  auto client = MilterClient::open(peer.address());
  ASSERT_TRUE(client.ok()) << client.error().message;
  auto reply = (*client)->helo("h");
  ASSERT_FALSE(reply.ok());
  EXPECT_NE(reply.error().message.find("helo"), std::string::npos) << reply.error().message;
  EXPECT_FALSE((*client)->is_open());
}

TEST(ScriptedMilter, VerdictWithDataIsAProtocolError) {
  ScriptedMilter peer({answer(optneg_reply(6, 0, 0)), answer(packet(SMFIR_CONTINUE, "junk"))});
  auto client = MilterClient::open(peer.address());
  ASSERT_TRUE(client.ok()) << client.error().message;
  EXPECT_FALSE((*client)->data().ok());
}

TEST(ScriptedMilter, AbsurdPacketLengthIsAProtocolError) {
  ScriptedMilter peer({answer(optneg_reply(6, 0, 0)), answer(be32(0xFFFFFFF0) + "c")});
  auto client = MilterClient::open(peer.address());
  ASSERT_TRUE(client.ok()) << client.error().message;
  auto reply = (*client)->data();
  ASSERT_FALSE(reply.ok());
  EXPECT_NE(reply.error().message.find("length"), std::string::npos) << reply.error().message;
}

TEST(ScriptedMilter, PeerHangingUpIsAnError) {
  ScriptedMilter peer({answer(optneg_reply(6, 0, 0)), kSilent});
  auto client = MilterClient::open(peer.address());
  ASSERT_TRUE(client.ok()) << client.error().message;
  auto reply = (*client)->data();
  ASSERT_FALSE(reply.ok());
  EXPECT_NE(reply.error().message.find("closed"), std::string::npos) << reply.error().message;
}

}  // namespace
}  // namespace privmilter::miltertest
