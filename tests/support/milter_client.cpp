#include "support/milter_client.h"

#include <cstdio>

#include "support/milter_address.h"
#include "support/raw_message.h"

namespace privmilter::miltertest {
namespace {

std::string describe(char command) {
  const auto byte = static_cast<unsigned char>(command);
  if (byte >= 33 && byte <= 126) return std::string("'") + command + "'";
  char hex[8];
  std::snprintf(hex, sizeof(hex), "0x%02x", byte);
  return hex;
}

// Maps a verdict packet to its kind; nullopt for anything else.
std::optional<ReplyKind> verdict_kind(char command) {
  switch (command) {
    case SMFIR_CONTINUE: return ReplyKind::continue_;
    case SMFIR_ACCEPT: return ReplyKind::accept;
    case SMFIR_REJECT: return ReplyKind::reject;
    case SMFIR_TEMPFAIL: return ReplyKind::tempfail;
    case SMFIR_DISCARD: return ReplyKind::discard;
    case SMFIR_REPLYCODE: return ReplyKind::replycode;
    case SMFIR_SKIP: return ReplyKind::skip;
    case SMFIR_SHUTDOWN: return ReplyKind::shutdown;
    case SMFIR_CONN_FAIL: return ReplyKind::connection_fail;
    default: return std::nullopt;
  }
}

// Reads the fields a modification packet carries; false when malformed.
bool parse_modification(const Packet& packet, Modification& out) {
  PacketReader reader(packet.data);
  switch (packet.command) {
    case SMFIR_ADDHEADER:
      out.kind = ModificationKind::add_header;
      return reader.cstring(out.name) && reader.cstring(out.value) && reader.at_end();
    case SMFIR_INSHEADER:
    case SMFIR_CHGHEADER:
      out.kind = packet.command == SMFIR_INSHEADER ? ModificationKind::insert_header
                                                   : ModificationKind::change_header;
      return reader.uint32(out.index) && reader.cstring(out.name) && reader.cstring(out.value) &&
             reader.at_end();
    case SMFIR_ADDRCPT:
    case SMFIR_DELRCPT:
      out.kind = packet.command == SMFIR_ADDRCPT ? ModificationKind::add_recipient
                                                 : ModificationKind::delete_recipient;
      return reader.cstring(out.name) && reader.at_end();
    case SMFIR_ADDRCPT_PAR:
    case SMFIR_CHGFROM:
      // The ESMTP arguments are optional.
      out.kind = packet.command == SMFIR_CHGFROM ? ModificationKind::change_sender
                                                 : ModificationKind::add_recipient_with_args;
      if (!reader.cstring(out.name)) return false;
      return reader.at_end() || (reader.cstring(out.value) && reader.at_end());
    case SMFIR_REPLBODY:
      out.kind = ModificationKind::replace_body;
      out.value.assign(reader.rest());
      return true;
    case SMFIR_QUARANTINE:
      out.kind = ModificationKind::quarantine;
      return reader.cstring(out.value) && reader.at_end();
    default:
      return false;
  }
}

std::string in_brackets(std::string_view address) {
  std::string path;
  path.reserve(address.size() + 2);
  path.append("<").append(address).append(">");
  return path;
}

bool is_message_stage(Stage stage) { return stage != Stage::connect && stage != Stage::helo; }

}  // namespace

Result<std::unique_ptr<MilterClient>> MilterClient::open(std::string_view address, ClientOptions options) {
  auto parsed = parse_milter_address(address);
  if (!parsed) return parsed.error();
  auto socket = connect_to_milter(*parsed, options.timeout);
  if (!socket) return socket.error();
  auto client = std::make_unique<MilterClient>(Passkey{}, PacketChannel(std::move(*socket), options.timeout),
                                               options);
  if (Status negotiated = client->negotiate(); !negotiated) return negotiated.error();
  return client;
}

MilterClient::MilterClient(Passkey, PacketChannel channel, ClientOptions options)
    : channel_(std::move(channel)), options_(options) {}

MilterClient::~MilterClient() { (void)quit(); }

std::uint64_t MilterClient::round_trips() const {
  std::lock_guard lock(mutex_);
  return channel_.round_trips();
}

std::chrono::steady_clock::time_point MilterClient::last_sent_at() const {
  std::lock_guard lock(mutex_);
  return channel_.last_sent_at();
}

bool MilterClient::is_open() const {
  std::lock_guard lock(mutex_);
  return channel_.is_open();
}

Error MilterClient::fail(std::string message) {
  channel_.close();
  return make_error(std::move(message));
}

Status MilterClient::negotiate() {
  std::lock_guard lock(mutex_);
  PacketBuilder(channel_.outgoing(), SMFIC_OPTNEG)
      .uint32(options_.version)
      .uint32(options_.actions)
      .uint32(options_.protocol);
  auto packet = channel_.receive();
  if (!packet) return fail("option negotiation: " + packet.error().message);
  if (packet->command != SMFIC_OPTNEG) {
    return fail("option negotiation: milter answered " + describe(packet->command));
  }
  Negotiation negotiation;
  PacketReader reader(packet->data);
  if (!reader.uint32(negotiation.version) || !reader.uint32(negotiation.actions) ||
      !reader.uint32(negotiation.protocol)) {
    return fail("option negotiation: reply too short");
  }
  while (!reader.at_end()) {
    std::uint32_t stage = 0;
    std::string names;
    if (!reader.uint32(stage) || !reader.cstring(names)) return fail("option negotiation: bad macro list");
    negotiation.requested_macros[stage] = std::move(names);
  }
  // Postfix drops a milter that asks for more than it was offered.
  if (negotiation.version < 2 || negotiation.version > options_.version) {
    return fail("option negotiation: milter chose protocol version " + std::to_string(negotiation.version));
  }
  if ((negotiation.actions & ~options_.actions) != 0) {
    return fail("option negotiation: milter wants actions " + std::to_string(negotiation.actions) +
                " beyond the offered " + std::to_string(options_.actions));
  }
  if ((negotiation.protocol & ~(options_.protocol | SMFI_INTERNAL)) != 0) {
    return fail("option negotiation: milter selected protocol bits " + std::to_string(negotiation.protocol) +
                " beyond the offered " + std::to_string(options_.protocol));
  }
  negotiation_ = std::move(negotiation);
  skipped_stage_.reset();
  session_started_ = false;
  return Status::success();
}

Status MilterClient::macros(char stage_command, const MacroList& values) {
  std::lock_guard lock(mutex_);
  if (!channel_.is_open()) return make_error("milter connection is closed");
  if (values.empty()) return Status::success();
  {
    PacketBuilder packet(channel_.outgoing(), SMFIC_MACRO);
    packet.byte(stage_command);
    for (const auto& [name, value] : values) packet.cstring(name).cstring(value);
  }
  if (Status flushed = channel_.flush_if_large(); !flushed) return fail(flushed.error().message);
  return Status::success();
}

template <typename FillPacket>
Result<Reply> MilterClient::send_stage(Stage stage, FillPacket&& fill) {
  if (!channel_.is_open()) return make_error("milter connection is closed");
  if (skipped_stage_) {
    if (*skipped_stage_ == stage) return Reply{ReplyKind::not_sent, {}};
    skipped_stage_.reset();
  }
  if (!negotiation_.sends(stage)) return Reply{ReplyKind::not_sent, {}};
  {
    PacketBuilder packet(channel_.outgoing(), command_of(stage));
    fill(packet);
  }
  if (!negotiation_.replies_to(stage)) {
    if (Status flushed = channel_.flush_if_large(); !flushed) {
      return fail(std::string(to_string(stage)) + ": " + flushed.error().message);
    }
    return Reply{ReplyKind::no_reply, {}};
  }
  return read_reply(stage);
}

Result<Reply> MilterClient::read_reply(Stage stage) {
  for (;;) {
    auto packet = channel_.receive();
    if (!packet) return fail(std::string(to_string(stage)) + ": " + packet.error().message);
    if (packet->command == SMFIR_PROGRESS && packet->data.empty()) continue;
    const auto kind = verdict_kind(packet->command);
    if (!kind) {
      return fail(std::string(to_string(stage)) + ": milter sent " + describe(packet->command) +
                  " where only a verdict is allowed");
    }
    Reply reply{*kind, {}};
    if (*kind == ReplyKind::replycode) {
      if (packet->data.empty() || packet->data.back() != '\0') {
        return fail(std::string(to_string(stage)) + ": reply code without terminating NUL");
      }
      reply.text = packet->data.substr(0, packet->data.size() - 1);
    } else if (!packet->data.empty()) {
      return fail(std::string(to_string(stage)) + ": verdict " + describe(packet->command) + " carries data");
    }
    if (*kind == ReplyKind::skip) skipped_stage_ = stage;
    return reply;
  }
}

Result<MessageResult> MilterClient::read_end_of_message() {
  MessageResult result;
  for (;;) {
    auto packet = channel_.receive();
    if (!packet) return fail("eom: " + packet.error().message);
    if (packet->command == SMFIR_PROGRESS && packet->data.empty()) {
      ++result.progress_packets;
      continue;
    }
    if (const auto kind = verdict_kind(packet->command)) {
      result.verdict.kind = *kind;
      if (*kind == ReplyKind::replycode) {
        if (packet->data.empty() || packet->data.back() != '\0') {
          return fail("eom: reply code without terminating NUL");
        }
        result.verdict.text = packet->data.substr(0, packet->data.size() - 1);
      } else if (!packet->data.empty()) {
        return fail("eom: verdict " + describe(packet->command) + " carries data");
      }
      return result;
    }
    Modification modification;
    if (!parse_modification(*packet, modification)) {
      return fail("eom: malformed or unknown modification " + describe(packet->command));
    }
    result.modifications.push_back(std::move(modification));
  }
}

Result<Reply> MilterClient::connect(std::string_view host, char family, std::uint16_t port,
                                    std::string_view address) {
  std::lock_guard lock(mutex_);
  session_started_ = true;
  return send_stage(Stage::connect, [&](PacketBuilder& packet) {
    packet.cstring(host).byte(family);
    if (family != SMFIA_UNKNOWN) packet.uint16(port).cstring(address);
  });
}

Result<Reply> MilterClient::helo(std::string_view name) {
  std::lock_guard lock(mutex_);
  return send_stage(Stage::helo, [&](PacketBuilder& packet) { packet.cstring(name); });
}

Result<Reply> MilterClient::mail_from(std::string_view address, const std::vector<std::string>& esmtp_args) {
  std::lock_guard lock(mutex_);
  return send_stage(Stage::mail, [&](PacketBuilder& packet) {
    packet.cstring(in_brackets(address));
    for (const auto& arg : esmtp_args) packet.cstring(arg);
  });
}

Result<Reply> MilterClient::rcpt_to(std::string_view address, const std::vector<std::string>& esmtp_args) {
  std::lock_guard lock(mutex_);
  return send_stage(Stage::rcpt, [&](PacketBuilder& packet) {
    packet.cstring(in_brackets(address));
    for (const auto& arg : esmtp_args) packet.cstring(arg);
  });
}

Result<Reply> MilterClient::data() {
  std::lock_guard lock(mutex_);
  return send_stage(Stage::data, [](PacketBuilder&) {});
}

Result<Reply> MilterClient::header(std::string_view name, std::string_view value) {
  std::lock_guard lock(mutex_);
  return send_stage(Stage::header, [&](PacketBuilder& packet) { packet.cstring(name).cstring(value); });
}

Result<Reply> MilterClient::end_of_headers() {
  std::lock_guard lock(mutex_);
  return send_stage(Stage::eoh, [](PacketBuilder&) {});
}

Result<Reply> MilterClient::body(std::string_view content) {
  std::lock_guard lock(mutex_);
  return body_chunks(content);
}

Result<Reply> MilterClient::body_chunks(std::string_view content) {
  if (content.empty()) return Reply{ReplyKind::not_sent, {}};
  Reply last{ReplyKind::continue_, {}};
  while (!content.empty()) {
    const std::string_view chunk = content.substr(0, MILTER_CHUNK_SIZE);
    content.remove_prefix(chunk.size());
    auto reply = send_stage(Stage::body, [&](PacketBuilder& packet) { packet.bytes(chunk); });
    if (!reply) return reply;
    if (reply->kind != ReplyKind::continue_ && reply->kind != ReplyKind::no_reply) return reply;
    last = std::move(*reply);
  }
  return last;
}

Result<Reply> MilterClient::unknown(std::string_view command_line) {
  std::lock_guard lock(mutex_);
  return send_stage(Stage::unknown, [&](PacketBuilder& packet) { packet.cstring(command_line); });
}

Result<MessageResult> MilterClient::end_of_message() {
  std::lock_guard lock(mutex_);
  if (!channel_.is_open()) return make_error("milter connection is closed");
  skipped_stage_.reset();
  { PacketBuilder packet(channel_.outgoing(), SMFIC_BODYEOB); }
  return read_end_of_message();
}

Status MilterClient::abort() {
  std::lock_guard lock(mutex_);
  if (!channel_.is_open()) return make_error("milter connection is closed");
  skipped_stage_.reset();
  { PacketBuilder packet(channel_.outgoing(), SMFIC_ABORT); }
  if (Status flushed = channel_.flush_if_large(); !flushed) return fail("abort: " + flushed.error().message);
  return Status::success();
}

Status MilterClient::quit() {
  std::lock_guard lock(mutex_);
  if (!channel_.is_open()) return Status::success();
  { PacketBuilder packet(channel_.outgoing(), SMFIC_QUIT); }
  Status flushed = channel_.flush();
  channel_.close();
  return flushed;
}

Status MilterClient::quit_new_connection() {
  std::lock_guard lock(mutex_);
  if (!channel_.is_open()) return make_error("milter connection is closed");
  { PacketBuilder packet(channel_.outgoing(), SMFIC_QUIT_NC); }
  skipped_stage_.reset();
  session_started_ = false;
  if (Status flushed = channel_.flush_if_large(); !flushed) return fail("quit: " + flushed.error().message);
  return Status::success();
}

MessageResult MilterClient::stop_transaction(Stage stage, Reply reply) {
  MessageResult result;
  result.decided_at = stage;
  result.verdict = std::move(reply);
  const bool connection_lost =
      result.verdict.kind == ReplyKind::shutdown || result.verdict.kind == ReplyKind::connection_fail;
  if (!is_message_stage(stage) || connection_lost) {
    // Postfix stops talking to a milter that decided at connect or helo.
    (void)quit();
  } else {
    (void)abort();
  }
  return result;
}

Result<MessageResult> MilterClient::send_message(const SmtpEnvelope& envelope, std::string_view raw_message) {
  std::lock_guard lock(mutex_);
  if (!session_started_) {
    Status sent = macros(Stage::connect, {{"j", envelope.mta_name},
                                          {"{daemon_name}", envelope.daemon_name},
                                          {"{daemon_addr}", envelope.daemon_addr},
                                          {"v", "Postfix 3.7 (privmilter miltertest)"},
                                          {"_", envelope.client_name + " [" + envelope.client_addr + "]"}});
    if (!sent) return sent.error();
    auto reply = connect(envelope.client_name, envelope.family, envelope.client_port, envelope.client_addr);
    if (!reply) return reply.error();
    if (!reply->proceeds()) return stop_transaction(Stage::connect, std::move(*reply));
    reply = helo(envelope.helo);
    if (!reply) return reply.error();
    if (!reply->proceeds()) return stop_transaction(Stage::helo, std::move(*reply));
  }
  return send_transaction(envelope, raw_message);
}

Result<MessageResult> MilterClient::send_transaction(const SmtpEnvelope& envelope, std::string_view raw_message) {
  MacroList mail_macros{{"{mail_addr}", envelope.sender}};
  if (!envelope.auth_authen.empty()) {
    mail_macros.emplace_back("{auth_type}", envelope.auth_type);
    mail_macros.emplace_back("{auth_authen}", envelope.auth_authen);
  }
  if (Status sent = macros(Stage::mail, mail_macros); !sent) return sent.error();
  auto reply = mail_from(envelope.sender, envelope.mail_args);
  if (!reply) return reply.error();
  if (!reply->proceeds()) return stop_transaction(Stage::mail, std::move(*reply));

  const MacroList queue_id{{"i", envelope.queue_id}};
  for (const auto& recipient : envelope.recipients) {
    Status sent = macros(Stage::rcpt, {{"i", envelope.queue_id}, {"{rcpt_addr}", recipient}});
    if (!sent) return sent.error();
    reply = rcpt_to(recipient);
    if (!reply) return reply.error();
    if (!reply->proceeds()) return stop_transaction(Stage::rcpt, std::move(*reply));
  }

  if (Status sent = macros(Stage::data, queue_id); !sent) return sent.error();
  reply = data();
  if (!reply) return reply.error();
  if (!reply->proceeds()) return stop_transaction(Stage::data, std::move(*reply));

  const SplitMessage message = split_raw_message(raw_message, negotiation_.has_protocol(SMFIP_HDR_LEADSPC));
  for (const auto& field : message.headers) {
    reply = header(field.name, field.value);
    if (!reply) return reply.error();
    if (!reply->proceeds()) return stop_transaction(Stage::header, std::move(*reply));
  }

  if (Status sent = macros(Stage::eoh, queue_id); !sent) return sent.error();
  reply = end_of_headers();
  if (!reply) return reply.error();
  if (!reply->proceeds()) return stop_transaction(Stage::eoh, std::move(*reply));

  reply = body_chunks(message.body);
  if (!reply) return reply.error();
  if (!reply->proceeds()) return stop_transaction(Stage::body, std::move(*reply));

  if (Status sent = macros(Stage::eom, queue_id); !sent) return sent.error();
  return end_of_message();
}

}  // namespace privmilter::miltertest
