#include "protocol_conversation.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "negotiation.h"

namespace privmilter::milter {

namespace {

constexpr std::size_t kOtherMacros = 7;

std::size_t macro_slot(char command) {
  switch (command) {
    case SMFIC_CONNECT: return SMFIM_CONNECT;
    case SMFIC_HELO: return SMFIM_HELO;
    case SMFIC_MAIL: return SMFIM_ENVFROM;
    case SMFIC_RCPT: return SMFIM_ENVRCPT;
    case SMFIC_DATA: return SMFIM_DATA;
    case SMFIC_BODYEOB: return SMFIM_EOM;
    case SMFIC_EOH: return SMFIM_EOH;
    default: return kOtherMacros;
  }
}

// "i" and "{i}" name the same macro, as libmilter's lookup has it.
bool same_macro(std::string_view wanted, std::string_view sent) {
  if (wanted == sent) return true;
  auto bare = [](std::string_view name) {
    return name.size() == 3 && name.front() == '{' && name.back() == '}' ? name.substr(1, 1) : name;
  };
  return bare(wanted) == bare(sent);
}

// Edits as protocol packets, refused when the MTA did not grant the action.
class WireEditor final : public MessageEditor {
 public:
  WireEditor(std::uint32_t actions, std::string& out) : actions_(actions), out_(out) {}

  bool change_header(std::string_view name, std::size_t occurrence, const std::optional<std::string>& value) override {
    if (!granted(SMFIF_CHGHDRS) || occurrence > UINT32_MAX) return false;
    std::string data;
    append_uint32(data, static_cast<std::uint32_t>(occurrence));
    append_string(data, name);
    append_string(data, value.value_or(std::string()));
    append_packet(out_, SMFIR_CHGHEADER, data);
    return true;
  }

  bool replace_body(std::string_view body) override {
    if (!granted(SMFIF_CHGBODY)) return false;
    std::size_t offset = 0;
    do {
      const std::size_t length = std::min(kReplyBodyChunk, body.size() - offset);
      append_packet(out_, SMFIR_REPLBODY, body.substr(offset, length));
      offset += length;
    } while (offset < body.size());
    return true;
  }

  bool add_header(std::string_view name, std::string_view value) override {
    if (!granted(SMFIF_ADDHDRS)) return false;
    std::string data;
    append_string(data, name);
    append_string(data, value);
    append_packet(out_, SMFIR_ADDHEADER, data);
    return true;
  }

  bool delete_recipient(std::string_view path) override {
    if (!granted(SMFIF_DELRCPT)) return false;
    std::string data;
    append_string(data, path);
    append_packet(out_, SMFIR_DELRCPT, data);
    return true;
  }

  bool set_reply(const SmtpReply& reply) override {
    if (reply.code.size() != 3 || (reply.code[0] != '4' && reply.code[0] != '5')) return false;
    reply_ = reply.code + " " + (reply.xcode.empty() ? std::string() : reply.xcode + " ") + reply_text(reply.text);
    return true;
  }

  const std::string& reply() const { return reply_; }

 private:
  bool granted(std::uint32_t action) const { return (actions_ & action) == action; }

  std::uint32_t actions_;
  std::string& out_;
  std::string reply_;
};

}  // namespace

void append_answer(std::string& out, FinalAnswer answer, const std::string& reply) {
  switch (answer) {
    case FinalAnswer::proceed: return append_packet(out, SMFIR_CONTINUE);
    case FinalAnswer::accept: return append_packet(out, SMFIR_ACCEPT);
    case FinalAnswer::discard: return append_packet(out, SMFIR_DISCARD);
    case FinalAnswer::reject:
    case FinalAnswer::tempfail: {
      // As libmilter: a reply is used only with a verdict of its class.
      const char reply_class = answer == FinalAnswer::reject ? '5' : '4';
      if (!reply.empty() && reply.front() == reply_class) {
        std::string data;
        append_string(data, reply);
        return append_packet(out, SMFIR_REPLYCODE, data);
      }
      return append_packet(out, answer == FinalAnswer::reject ? SMFIR_REJECT : SMFIR_TEMPFAIL);
    }
  }
}

ProtocolConversation::Next ProtocolConversation::fail(std::string reason) {
  close_reason_ = std::move(reason);
  return Next::close;
}

ProtocolConversation::Next ProtocolConversation::on_packet(const Packet& packet, std::string& out) {
  if (!negotiated_ && packet.command != SMFIC_OPTNEG && packet.command != SMFIC_QUIT) {
    return fail(std::string("command '") + packet.command + "' before option negotiation");
  }
  switch (packet.command) {
    case SMFIC_OPTNEG:
      // Only before a session starts (first, or after QUIT_NC), as libmilter.
      if (connection_) return fail("option negotiation in the middle of a session");
      return negotiate(packet.data, out);
    case SMFIC_MACRO: store_macros(packet.data); return Next::read_more;
    case SMFIC_CONNECT:
      connect(packet.data);
      reply_unless(SMFIP_NR_CONN, out);
      return Next::read_more;
    case SMFIC_HELO: reply_unless(SMFIP_NR_HELO, out); return Next::read_more;
    case SMFIC_UNKNOWN: reply_unless(SMFIP_NR_UNKN, out); return Next::read_more;
    case SMFIC_MAIL: {
      FieldReader fields(packet.data);
      const std::string sender(fields.string().value_or(""));
      stage("MAIL", SMFIP_NR_MAIL, false, [&](Connection& connection) {
        return connection.on_mail(sender, macro("{auth_authen}"), macro("i"));
      }, out);
      return Next::read_more;
    }
    case SMFIC_RCPT: {
      FieldReader fields(packet.data);
      const std::string recipient(fields.string().value_or(""));
      stage("RCPT", SMFIP_NR_RCPT, true, [&](Connection& connection) { return connection.on_rcpt(recipient); }, out);
      return Next::read_more;
    }
    case SMFIC_DATA:
      stage("DATA", SMFIP_NR_DATA, true, [](Connection& connection) { return connection.on_data(); }, out);
      return Next::read_more;
    case SMFIC_HEADER: {
      FieldReader fields(packet.data);
      const auto name = fields.string();
      const auto value = fields.string();
      if (!name || !value) return fail("a header packet without name and value");
      stage("header", SMFIP_NR_HDR, true, [&](Connection& connection) { return connection.on_header(*name, *value); },
            out);
      return Next::read_more;
    }
    case SMFIC_EOH:
      stage("end of headers", SMFIP_NR_EOH, true,
            [](Connection& connection) { return connection.on_end_of_headers(); }, out);
      return Next::read_more;
    case SMFIC_BODY:
      stage("body", SMFIP_NR_BODY, true, [&](Connection& connection) { return connection.on_body(packet.data); }, out);
      return Next::read_more;
    case SMFIC_BODYEOB:
      // The last piece of the body may come with the end of the message.
      if (!packet.data.empty()) {
        std::string ignored;
        stage("body", SMFIP_NR_BODY, true, [&](Connection& connection) { return connection.on_body(packet.data); },
              ignored);
      }
      return Next::judge_message;
    case SMFIC_ABORT:
      if (connection_) connection_->on_abort();
      forget_message_macros();
      return Next::read_more;
    case SMFIC_QUIT_NC:
      // The MTA keeps the connection for a new SMTP session.
      connection_.reset();
      for (auto& list : macros_) list.clear();
      return Next::read_more;
    case SMFIC_QUIT: return fail("");
    default: return fail(std::string("unknown command '") + packet.command + "'");
  }
}

ProtocolConversation::Next ProtocolConversation::negotiate(std::string_view data, std::string& out) {
  FieldReader fields(data);
  const auto version = fields.uint32();
  const auto offered_actions = fields.uint32();
  const auto offered_protocol = fields.uint32();
  if (!version || !offered_actions || !offered_protocol) return fail("a short option negotiation");
  if (*version < 2) return fail("protocol version " + std::to_string(*version) + " is too old");
  actions_ = *offered_actions & kFilterActions;
  protocol_ = *offered_protocol & (kSkippedStages | kUnansweredStages);
  negotiated_ = true;
  std::string reply;
  append_uint32(reply, SMFI_PROT_VERSION);
  append_uint32(reply, actions_);
  append_uint32(reply, protocol_);
  if ((actions_ & SMFIF_SETSYMLIST) != 0) {
    for (const auto& [stage, names] : kMacros) {
      append_uint32(reply, static_cast<std::uint32_t>(stage));
      append_string(reply, names);
    }
  }
  append_packet(out, SMFIC_OPTNEG, reply);
  return Next::read_more;
}

void ProtocolConversation::store_macros(std::string_view data) {
  FieldReader fields(data);
  const auto stage = fields.byte();
  if (!stage) return;
  MacroList& list = macros_[macro_slot(*stage)];
  list.clear();
  while (!fields.at_end()) {
    const auto name = fields.string();
    const auto value = fields.string();
    if (!name || !value) break;
    list.emplace_back(*name, *value);
  }
}

std::string ProtocolConversation::macro(std::string_view name) const {
  // The latest stage's value first, as the MTA updates macros as it goes.
  for (std::size_t slot : {kOtherMacros, std::size_t{SMFIM_EOH}, std::size_t{SMFIM_EOM}, std::size_t{SMFIM_DATA},
                           std::size_t{SMFIM_ENVRCPT}, std::size_t{SMFIM_ENVFROM}, std::size_t{SMFIM_HELO},
                           std::size_t{SMFIM_CONNECT}}) {
    for (const auto& [sent, value] : macros_[slot]) {
      if (same_macro(name, sent)) return value;
    }
  }
  return {};
}

void ProtocolConversation::forget_message_macros() {
  for (std::size_t slot : {std::size_t{SMFIM_ENVFROM}, std::size_t{SMFIM_ENVRCPT}, std::size_t{SMFIM_DATA},
                           std::size_t{SMFIM_EOM}, std::size_t{SMFIM_EOH}, kOtherMacros}) {
    macros_[slot].clear();
  }
}

void ProtocolConversation::connect(std::string_view data) {
  FieldReader fields(data);
  const std::string host(fields.string().value_or(""));
  std::string address;
  if (const auto family = fields.byte(); family && *family != SMFIA_UNKNOWN) {
    fields.uint16();  // the client's port: not used
    address = std::string(fields.string().value_or(""));
    if (*family == SMFIA_UNIX) address.clear();
    if (address.size() > 5 && address.compare(0, 5, "IPv6:") == 0) address.erase(0, 5);
  }
  if (address.empty()) address = macro("{client_addr}");
  try {
    connection_ = std::make_unique<Connection>(engine_);
    connection_->on_connect(host, address, macro("{daemon_name}"));
  } catch (const std::exception& e) {
    // Without a connection object, end of message answers per on_error.
    spdlog::error("{}: internal error at connect: {}", log_subject(), e.what());
    connection_.reset();
  }
}

template <typename Stage>
void ProtocolConversation::stage(const char* name, std::uint32_t no_reply, bool in_message, Stage&& run,
                                 std::string& out) {
  reply_unless(no_reply, out);
  if (!connection_ || (in_message && connection_->deferred())) return;
  try {
    const StageReply reply = run(*connection_);
    if (reply != StageReply::proceed) connection_->defer(reply);
  } catch (const std::exception& e) {
    spdlog::error("{}: internal error at {}: {}", log_subject(), name, e.what());
    engine_.metrics().count_error(ErrorKind::internal);
    connection_->defer(connection_->failure_reply());
  }
}

void ProtocolConversation::reply_unless(std::uint32_t no_reply, std::string& out) const {
  if ((protocol_ & no_reply) == 0) append_packet(out, SMFIR_CONTINUE);
}

FinalAnswer ProtocolConversation::on_error_answer() const {
  return engine_.snapshot()->config->on_error == OnError::accept ? FinalAnswer::accept : FinalAnswer::tempfail;
}

std::string ProtocolConversation::log_subject() const {
  if (std::string queue_id = macro("i"); !queue_id.empty()) return "queue " + queue_id;
  const std::string client = macro("{client_addr}");
  return "client [" + (client.empty() ? std::string("unknown") : client) + "]";
}

void ProtocolConversation::finish_message(std::string& out) {
  const std::size_t mark = out.size();
  try {
    if (!connection_) {
      append_answer(out, on_error_answer(), {});
    } else if (const auto deferred = connection_->deferred()) {
      const StageReply reply = *deferred;
      connection_->on_abort();
      append_answer(out,
                    reply == StageReply::proceed  ? FinalAnswer::proceed
                    : reply == StageReply::accept ? FinalAnswer::accept
                                                  : FinalAnswer::tempfail,
                    {});
    } else {
      const MtaEdits edits = connection_->on_end_of_message(macro("i"));
      WireEditor editor(actions_, out);
      const FinalAnswer answer = apply_edits(edits, editor, log_subject(), &engine_.metrics(), on_error_answer());
      append_answer(out, answer, editor.reply());
    }
  } catch (const std::exception& e) {
    out.resize(mark);
    try {
      spdlog::error("{}: internal error at end of message: {}", log_subject(), e.what());
      engine_.metrics().count_error(ErrorKind::internal);
    } catch (...) {
    }
    append_answer(out, on_error_answer(), {});
  }
  forget_message_macros();
}

}  // namespace privmilter::milter
