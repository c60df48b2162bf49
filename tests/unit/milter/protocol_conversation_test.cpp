// privmilter's own protocol engine below the sockets: framing, and the
// conversation's answers to what MTAs other than the test client send
// (no support for no-reply stages, actions withheld, a new session on the
// same connection, garbage). The daemon's tests run both engines against
// the project's MTA client and real Postfix and Sendmail.

#include <gtest/gtest.h>

#include <cstring>

#include "milter_wire.h"
#include "protocol_conversation.h"
#include "unit/milter/engine_testing.h"
#include "unit/temp_dir.h"

namespace privmilter::milter {
namespace {

using privmilter::testing::TempDir;

std::string packet(char command, std::string_view data = {}) {
  std::string out;
  append_packet(out, command, data);
  return out;
}

std::string negotiation(std::uint32_t actions, std::uint32_t protocol) {
  std::string data;
  append_uint32(data, 6);
  append_uint32(data, actions);
  append_uint32(data, protocol);
  return data;
}

std::string strings(std::initializer_list<std::string_view> items) {
  std::string data;
  for (auto item : items) append_string(data, item);
  return data;
}

// The packets an answer holds, as (command, data).
std::vector<std::pair<char, std::string>> packets_of(std::string bytes) {
  if (bytes.empty()) return {};
  PacketReader reader;
  std::memcpy(reader.prepare(bytes.size()), bytes.data(), bytes.size());
  reader.commit(bytes.size());
  std::vector<std::pair<char, std::string>> out;
  while (auto next = reader.next()) out.emplace_back(next->command, std::string(next->data));
  EXPECT_FALSE(reader.error());
  return out;
}

TEST(PacketReader, FindsPacketsCutAnywhereInTheStream) {
  const std::string stream = packet(SMFIC_HEADER, strings({"Subject", "hello"})) + packet(SMFIC_EOH) +
                             packet(SMFIC_BODY, std::string(70000 - 1, 'x'));
  for (std::size_t cut : {std::size_t{1}, std::size_t{3}, std::size_t{4}, std::size_t{21}, stream.size() - 1}) {
    PacketReader reader;
    std::vector<char> commands;
    std::size_t body = 0;
    for (std::size_t offset = 0; offset < stream.size(); offset += cut) {
      const std::size_t size = std::min(cut, stream.size() - offset);
      std::memcpy(reader.prepare(size), stream.data() + offset, size);
      reader.commit(size);
      while (auto next = reader.next()) {
        commands.push_back(next->command);
        if (next->command == SMFIC_BODY) body = next->data.size();
      }
    }
    EXPECT_EQ(commands, (std::vector<char>{SMFIC_HEADER, SMFIC_EOH, SMFIC_BODY})) << "cut " << cut;
    EXPECT_EQ(body, 70000u - 1);
  }
}

TEST(PacketReader, RefusesAnEmptyOrHugePacket) {
  for (std::uint32_t length : {std::uint32_t{0}, static_cast<std::uint32_t>(kMaxPacketData + 2)}) {
    std::string bytes;
    append_uint32(bytes, length);
    bytes += 'B';
    PacketReader reader;
    std::memcpy(reader.prepare(bytes.size()), bytes.data(), bytes.size());
    reader.commit(bytes.size());
    EXPECT_FALSE(reader.next());
    EXPECT_TRUE(reader.error()) << length;
  }
}

TEST(FieldReader, StopsAtTheEndOfTheData) {
  FieldReader fields(std::string_view("abc\0de", 6));
  EXPECT_EQ(fields.string(), "abc");
  EXPECT_FALSE(fields.string());  // no NUL after "de"
  EXPECT_FALSE(fields.uint32());
  EXPECT_EQ(fields.rest(), "");
}

TEST(ReplyText, KeepsTheReplyOnOneLineAndDoublesPercent) {
  EXPECT_EQ(reply_text("100% sure\r\nsecond"), "100%% sure  second");
}

class ConversationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = testing::make_test_engine(tmp_, R"(version: 1
rules:
  - id: tag-external
    when: { recipient: external }
    action: add_header
    header: { name: X-Privmilter, value: scanned }
)");
    ASSERT_NE(engine_, nullptr);
    conversation_ = std::make_unique<ProtocolConversation>(*engine_);
  }

  // Feeds one packet; returns the reply bytes and checks what comes next.
  std::string feed(const std::string& bytes, ProtocolConversation::Next expected = ProtocolConversation::Next::read_more) {
    PacketReader reader;
    std::memcpy(reader.prepare(bytes.size()), bytes.data(), bytes.size());
    reader.commit(bytes.size());
    auto next = reader.next();
    EXPECT_TRUE(next);
    std::string out;
    if (!next) return out;
    EXPECT_EQ(conversation_->on_packet(*next, out), expected);
    return out;
  }

  // One external message from MAIL to end of message; the answer's packets.
  std::vector<std::pair<char, std::string>> send_external_message(std::string& stage_replies) {
    stage_replies += feed(packet(SMFIC_MAIL, strings({"<alice@examplelaw.com>"})));
    stage_replies += feed(packet(SMFIC_RCPT, strings({"<bob@client.example>"})));
    stage_replies += feed(packet(SMFIC_HEADER, strings({"From", "alice@examplelaw.com"})));
    stage_replies += feed(packet(SMFIC_HEADER, strings({"To", "bob@client.example"})));
    stage_replies += feed(packet(SMFIC_EOH));
    stage_replies += feed(packet(SMFIC_BODY, "Hello Bob.\r\n"));
    stage_replies += feed(packet(SMFIC_BODYEOB), ProtocolConversation::Next::judge_message);
    std::string answer;
    conversation_->finish_message(answer);
    return packets_of(answer);
  }

  TempDir tmp_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<ProtocolConversation> conversation_;
};

TEST_F(ConversationTest, AsksForOnlyWhatTheMtaOffersAndTheMacrosItReads) {
  const auto reply = packets_of(feed(packet(SMFIC_OPTNEG, negotiation(SMFI_CURR_ACTS, SMFI_CURR_PROT))));
  ASSERT_EQ(reply.size(), 1u);
  FieldReader fields(reply[0].second);
  EXPECT_EQ(fields.uint32(), 6u);
  EXPECT_EQ(fields.uint32(), std::uint32_t{SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY | SMFIF_DELRCPT | SMFIF_SETSYMLIST});
  const auto protocol = fields.uint32();
  ASSERT_TRUE(protocol);
  EXPECT_EQ(*protocol & SMFIP_NR_HDR, std::uint32_t{SMFIP_NR_HDR});
  EXPECT_EQ(*protocol & SMFIP_NOHELO, std::uint32_t{SMFIP_NOHELO});
  EXPECT_EQ(*protocol & SMFIP_NOCONNECT, 0u);
  EXPECT_EQ(fields.uint32(), std::uint32_t{SMFIM_CONNECT});
  EXPECT_EQ(fields.string(), "{daemon_name} {client_addr}");

  // An MTA that offers neither no-reply stages nor macro lists gets neither.
  conversation_ = std::make_unique<ProtocolConversation>(*engine_);
  const auto old = packets_of(feed(packet(SMFIC_OPTNEG, negotiation(SMFIF_ADDHDRS, SMFIP_NOHELO))));
  ASSERT_EQ(old.size(), 1u);
  EXPECT_EQ(old[0].second, negotiation(SMFIF_ADDHDRS, SMFIP_NOHELO));
}

TEST_F(ConversationTest, AnMtaThatWaitsAtEveryStageIsAnsweredContinue) {
  feed(packet(SMFIC_OPTNEG, negotiation(SMFI_CURR_ACTS, 0)));
  EXPECT_EQ(feed(packet(SMFIC_CONNECT, std::string("mta\0" "4\0\x19" "10.1.2.3\0", 16))), packet(SMFIR_CONTINUE));
  EXPECT_EQ(feed(packet(SMFIC_HELO, strings({"mta.example"}))), packet(SMFIR_CONTINUE));
  std::string stage_replies;
  const auto answer = send_external_message(stage_replies);
  std::string six_continues;
  for (int i = 0; i < 6; ++i) six_continues += packet(SMFIR_CONTINUE);
  EXPECT_EQ(stage_replies, six_continues);
  ASSERT_EQ(answer.size(), 2u);
  EXPECT_EQ(answer[0].first, SMFIR_ADDHEADER);
  EXPECT_EQ(answer[0].second, strings({"X-Privmilter", "scanned"}));
  EXPECT_EQ(answer[1].first, SMFIR_CONTINUE);
}

TEST_F(ConversationTest, AnMtaThatWithholdsAddingHeadersGetsTheMessageDeferred) {
  feed(packet(SMFIC_OPTNEG, negotiation(SMFIF_CHGBODY, SMFI_CURR_PROT)));
  feed(packet(SMFIC_CONNECT, std::string("mta\0" "4\0\x19" "10.1.2.3\0", 16)));
  std::string stage_replies;
  const auto answer = send_external_message(stage_replies);
  EXPECT_EQ(stage_replies, "");  // every stage negotiated unanswered
  ASSERT_EQ(answer.size(), 1u);
  EXPECT_EQ(answer[0].first, SMFIR_TEMPFAIL);
}

TEST_F(ConversationTest, ANewSessionOnTheSameConnectionStartsAfresh) {
  feed(packet(SMFIC_OPTNEG, negotiation(SMFI_CURR_ACTS, SMFI_CURR_PROT)));
  feed(packet(SMFIC_CONNECT, std::string("mta\0" "4\0\x19" "10.1.2.3\0", 16)));
  std::string ignored;
  EXPECT_EQ(send_external_message(ignored).front().first, SMFIR_ADDHEADER);
  EXPECT_EQ(feed(packet(SMFIC_QUIT_NC)), "");
  // A new session may negotiate again.
  EXPECT_EQ(packets_of(feed(packet(SMFIC_OPTNEG, negotiation(SMFI_CURR_ACTS, SMFI_CURR_PROT)))).size(), 1u);
  feed(packet(SMFIC_CONNECT, std::string("mta\0" "4\0\x19" "10.1.2.4\0", 16)));
  const auto second = send_external_message(ignored);
  ASSERT_EQ(second.size(), 2u);
  EXPECT_EQ(second[0].first, SMFIR_ADDHEADER);
  EXPECT_EQ(engine_->active_connections(), 1);
}

TEST_F(ConversationTest, ProtocolErrorsCloseTheConnection) {
  std::string out;
  feed(packet(SMFIC_MAIL, strings({"<a@b>"})), ProtocolConversation::Next::close);
  EXPECT_NE(conversation_->close_reason().find("before option negotiation"), std::string::npos);
  conversation_ = std::make_unique<ProtocolConversation>(*engine_);
  feed(packet(SMFIC_OPTNEG, "short"), ProtocolConversation::Next::close);
  conversation_ = std::make_unique<ProtocolConversation>(*engine_);
  feed(packet(SMFIC_OPTNEG, negotiation(SMFI_CURR_ACTS, SMFI_CURR_PROT)));
  feed(packet('Z'), ProtocolConversation::Next::close);
  EXPECT_NE(conversation_->close_reason().find("unknown command"), std::string::npos);
  conversation_ = std::make_unique<ProtocolConversation>(*engine_);
  feed(packet(SMFIC_OPTNEG, negotiation(SMFI_CURR_ACTS, SMFI_CURR_PROT)));
  feed(packet(SMFIC_CONNECT, std::string("mta\0" "4\0\x19" "10.1.2.3\0", 16)));
  feed(packet(SMFIC_OPTNEG, negotiation(SMFI_CURR_ACTS, 0)), ProtocolConversation::Next::close);
  EXPECT_NE(conversation_->close_reason().find("middle of a session"), std::string::npos);
  conversation_ = std::make_unique<ProtocolConversation>(*engine_);
  feed(packet(SMFIC_QUIT), ProtocolConversation::Next::close);
  EXPECT_EQ(conversation_->close_reason(), "");
}

TEST(AppendAnswer, UsesTheReplyOnlyWithAVerdictOfItsClass) {
  std::string out;
  append_answer(out, FinalAnswer::reject, "550 5.7.1 No");
  EXPECT_EQ(out, packet(SMFIR_REPLYCODE, strings({"550 5.7.1 No"})));
  out.clear();
  append_answer(out, FinalAnswer::tempfail, "550 5.7.1 No");
  EXPECT_EQ(out, packet(SMFIR_TEMPFAIL));
  out.clear();
  append_answer(out, FinalAnswer::tempfail, "451 4.7.1 Later");
  EXPECT_EQ(out, packet(SMFIR_REPLYCODE, strings({"451 4.7.1 Later"})));
}

}  // namespace
}  // namespace privmilter::milter
