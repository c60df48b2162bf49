#pragma once
// An MTA that can stop anywhere. It speaks the milter protocol one stage at
// a time and puts each stage on the wire at once (MilterClient batches the
// packets a milter does not answer until its next read), and it hangs up by
// closing its socket without QUIT, as an MTA process that dies or gives up
// does. MilterClient always ends politely; this one need not.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "privmilter/result.h"
#include "support/milter_address.h"
#include "support/milter_protocol.h"
#include "support/packet_channel.h"

namespace privmilter::integration {

class ScriptedMta {
  struct Passkey {
    explicit Passkey() = default;
  };

 public:
  using Reply = miltertest::Reply;
  using ReplyKind = miltertest::ReplyKind;
  using Stage = miltertest::Stage;

  // Every "don't answer" bit of the protocol (SMFIP_NR_*).
  static constexpr std::uint32_t kNoReplyBits = SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_MAIL | SMFIP_NR_RCPT |
                                                SMFIP_NR_DATA | SMFIP_NR_UNKN | SMFIP_NR_HDR | SMFIP_NR_EOH |
                                                SMFIP_NR_BODY;

  // `protocol` is what the MTA offers: by default all of version 6, as
  // Postfix does; without kNoReplyBits the milter answers every stage.
  static Result<std::unique_ptr<ScriptedMta>> open(std::string_view address,
                                                   std::uint32_t protocol = miltertest::kAllMtaProtocolBits,
                                                   std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    auto parsed = miltertest::parse_milter_address(address);
    if (!parsed) return parsed.error();
    auto socket = miltertest::connect_to_milter(*parsed, timeout);
    if (!socket) return socket.error();
    auto mta = std::make_unique<ScriptedMta>(Passkey{}, miltertest::PacketChannel(std::move(*socket), timeout));
    if (auto negotiated = mta->negotiate(protocol); !negotiated) return negotiated.error();
    return mta;
  }

  ScriptedMta(Passkey, miltertest::PacketChannel channel) : channel_(std::move(channel)) {}

  const miltertest::Negotiation& negotiation() const { return negotiation_; }

  // Each stage is sent with its macros, as Postfix sends them, when the
  // milter asked for it, and its answer read when the milter gives one.
  // Otherwise the reply is not_sent or no_reply.
  Result<Reply> connect(std::string_view host, std::string_view address) {
    macros(Stage::connect, {{"j", "mx.example.com"}, {"{daemon_name}", "privmilter-test"}, {"{client_addr}", address}});
    return stage(Stage::connect, [&](miltertest::PacketBuilder& packet) {
      packet.cstring(host).byte(SMFIA_INET).uint16(40025).cstring(address);
    });
  }
  Result<Reply> helo(std::string_view name) {
    return stage(Stage::helo, [&](miltertest::PacketBuilder& packet) { packet.cstring(name); });
  }
  Result<Reply> mail(std::string_view sender, std::string_view queue_id) {
    macros(Stage::mail, {{"i", queue_id}, {"{mail_addr}", sender}});
    return stage(Stage::mail, [&](miltertest::PacketBuilder& packet) { packet.cstring("<" + std::string(sender) + ">"); });
  }
  Result<Reply> rcpt(std::string_view recipient, std::string_view queue_id) {
    macros(Stage::rcpt, {{"i", queue_id}, {"{rcpt_addr}", recipient}});
    return stage(Stage::rcpt,
                 [&](miltertest::PacketBuilder& packet) { packet.cstring("<" + std::string(recipient) + ">"); });
  }
  Result<Reply> data() {
    return stage(Stage::data, [](miltertest::PacketBuilder&) {});
  }
  Result<Reply> header(std::string_view name, std::string_view value) {
    return stage(Stage::header, [&](miltertest::PacketBuilder& packet) { packet.cstring(name).cstring(value); });
  }
  Result<Reply> end_of_headers() {
    return stage(Stage::eoh, [](miltertest::PacketBuilder&) {});
  }
  // One body packet: at most MILTER_CHUNK_SIZE bytes, as an MTA sends them.
  Result<Reply> body(std::string_view chunk) {
    return stage(Stage::body, [&](miltertest::PacketBuilder& packet) { packet.bytes(chunk); });
  }
  // Ends the message and returns the verdict, past any modifications.
  Result<Reply> end_of_message() {
    if (auto sent = end_of_message_unanswered(); !sent) return sent.error();
    return read_verdict();
  }
  // Ends the message but leaves the answer unread.
  Status end_of_message_unanswered() {
    { miltertest::PacketBuilder packet(channel_.outgoing(), SMFIC_BODYEOB); }
    return channel_.flush();
  }
  Status abort() {
    { miltertest::PacketBuilder packet(channel_.outgoing(), SMFIC_ABORT); }
    return channel_.flush();
  }
  // Closes the socket with no QUIT, whatever was under way.
  void hang_up() { channel_.close(); }

 private:
  Status negotiate(std::uint32_t protocol) {
    miltertest::PacketBuilder(channel_.outgoing(), SMFIC_OPTNEG)
        .uint32(SMFI_PROT_VERSION)
        .uint32(miltertest::kAllMtaActions)
        .uint32(protocol);
    auto packet = channel_.receive();
    if (!packet) return packet.error();
    miltertest::PacketReader reader(packet->data);
    if (packet->command != SMFIC_OPTNEG || !reader.uint32(negotiation_.version) ||
        !reader.uint32(negotiation_.actions) || !reader.uint32(negotiation_.protocol)) {
      return make_error("option negotiation: unexpected answer");
    }
    return Status::success();
  }

  void macros(Stage stage, std::initializer_list<std::pair<std::string_view, std::string_view>> values) {
    miltertest::PacketBuilder packet(channel_.outgoing(), SMFIC_MACRO);
    packet.byte(miltertest::command_of(stage));
    for (const auto& [name, value] : values) packet.cstring(name).cstring(value);
  }

  template <typename Fill>
  Result<Reply> stage(Stage stage, Fill&& fill) {
    // Its macros go out with the next stage sent, as Postfix sends them.
    if (!negotiation_.sends(stage)) return Reply{ReplyKind::not_sent, {}};
    {
      miltertest::PacketBuilder packet(channel_.outgoing(), miltertest::command_of(stage));
      fill(packet);
    }
    if (auto flushed = channel_.flush(); !flushed) return flushed.error();
    if (!negotiation_.replies_to(stage)) return Reply{ReplyKind::no_reply, {}};
    return read_verdict();
  }

  Result<Reply> read_verdict() {
    for (;;) {
      auto packet = channel_.receive();
      if (!packet) return packet.error();
      switch (packet->command) {
        case SMFIR_CONTINUE: return Reply{ReplyKind::continue_, {}};
        case SMFIR_ACCEPT: return Reply{ReplyKind::accept, {}};
        case SMFIR_REJECT: return Reply{ReplyKind::reject, {}};
        case SMFIR_TEMPFAIL: return Reply{ReplyKind::tempfail, {}};
        case SMFIR_DISCARD: return Reply{ReplyKind::discard, {}};
        case SMFIR_REPLYCODE: return Reply{ReplyKind::replycode, packet->data.substr(0, packet->data.find('\0'))};
        default: break;  // progress and modifications come before the verdict
      }
    }
  }

  miltertest::PacketChannel channel_;
  miltertest::Negotiation negotiation_;
};

}  // namespace privmilter::integration
