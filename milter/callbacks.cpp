#include "callbacks.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <memory>
#include <string>

#include "edit_application.h"
#include "milter_wire.h"
#include "negotiation.h"
#include "session.h"

namespace privmilter::milter {

namespace {

std::atomic<const Engine*> g_engine{nullptr};

sfsistat on_error_status() {
  const Engine* engine = g_engine.load();
  if (engine != nullptr && engine->snapshot()->config->on_error == OnError::accept) return SMFIS_ACCEPT;
  return SMFIS_TEMPFAIL;
}

std::string log_subject(SMFICTX* ctx);

// The one exception barrier at the C boundary: nothing thrown inside a
// stage may unwind into libmilter.
template <typename Stage>
sfsistat guarded(const char* stage_name, Stage&& stage, SMFICTX* ctx = nullptr) noexcept {
  try {
    return stage();
  } catch (const std::exception& e) {
    try {
      spdlog::error("{}: internal error at {}: {}", log_subject(ctx), stage_name, e.what());
    } catch (...) {
    }
  } catch (...) {
    try {
      spdlog::error("{}: internal error at {}: unknown exception", log_subject(ctx), stage_name);
    } catch (...) {
    }
  }
  return on_error_status();
}

Connection* connection_of(SMFICTX* ctx) { return static_cast<Connection*>(smfi_getpriv(ctx)); }

std::string macro(SMFICTX* ctx, const char* name) {
  const char* value = smfi_getsymval(ctx, const_cast<char*>(name));
  return value != nullptr ? std::string(value) : std::string();
}

// Whom a log line is about: the message by its queue id, or else the client.
std::string log_subject(SMFICTX* ctx) {
  if (ctx == nullptr) return "milter";
  if (std::string queue_id = macro(ctx, "i"); !queue_id.empty()) return "queue " + queue_id;
  const std::string client = macro(ctx, "{client_addr}");
  return "client [" + (client.empty() ? std::string("unknown") : client) + "]";
}

sfsistat to_status(StageReply reply) {
  switch (reply) {
    case StageReply::proceed: return SMFIS_CONTINUE;
    case StageReply::accept: return SMFIS_ACCEPT;
    case StageReply::tempfail: return SMFIS_TEMPFAIL;
  }
  return SMFIS_TEMPFAIL;
}

std::string address_text(const sockaddr* address) {
  if (address == nullptr) return {};
  std::array<char, INET6_ADDRSTRLEN> text{};
  if (address->sa_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(address);
    if (inet_ntop(AF_INET, &v4->sin_addr, text.data(), text.size()) != nullptr) return text.data();
  } else if (address->sa_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(address);
    if (inet_ntop(AF_INET6, &v6->sin6_addr, text.data(), text.size()) != nullptr) return text.data();
  }
  return {};
}

sfsistat xx_negotiate(SMFICTX* ctx, unsigned long f0, unsigned long f1, unsigned long, unsigned long,
                      unsigned long* pf0, unsigned long* pf1, unsigned long* pf2, unsigned long* pf3) {
  return guarded("negotiate", [&] {
    *pf0 = f0 & kFilterActions;
    *pf1 = f1 & (kSkippedStages | kUnansweredStages);
    *pf2 = 0;
    *pf3 = 0;
    if ((f0 & SMFIF_SETSYMLIST) != 0) {
      for (const auto& [stage, names] : kMacros) {
        if (smfi_setsymlist(ctx, stage, const_cast<char*>(names)) != MI_SUCCESS) {
          spdlog::warn("could not request macros for stage {}", stage);
        }
      }
    }
    return SMFIS_CONTINUE;
  });
}

// A stage the MTA does not wait on. Its decision (let the message go,
// defer it) is kept for end of message; once there is one, the rest of the
// message is not looked at. Nothing thrown may reach libmilter here either.
template <typename Stage>
sfsistat unanswered(SMFICTX* ctx, const char* stage_name, Stage&& stage) noexcept {
  Connection* connection = connection_of(ctx);
  if (connection == nullptr) return SMFIS_NOREPLY;  // end of message answers per on_error
  try {
    const StageReply reply = stage(*connection);
    if (reply != StageReply::proceed) connection->defer(reply);
  } catch (const std::exception& e) {
    try {
      spdlog::error("{}: internal error at {}: {}", log_subject(ctx), stage_name, e.what());
      if (const Engine* engine = g_engine.load()) engine->metrics().count_error(ErrorKind::internal);
      connection->defer(connection->failure_reply());
    } catch (...) {
      connection->defer(StageReply::tempfail);
    }
  } catch (...) {
    connection->defer(StageReply::tempfail);
  }
  return SMFIS_NOREPLY;
}

// The stages after MAIL: skipped once the message's answer is known.
template <typename Stage>
sfsistat unanswered_in_message(SMFICTX* ctx, const char* stage_name, Stage&& stage) noexcept {
  const Connection* connection = connection_of(ctx);
  if (connection != nullptr && connection->deferred()) return SMFIS_NOREPLY;
  return unanswered(ctx, stage_name, std::forward<Stage>(stage));
}

// Unanswered like the stages after it: without a connection object (no
// engine yet, out of memory) end of message answers per on_error.
sfsistat xx_connect(SMFICTX* ctx, char* hostname, _SOCK_ADDR* hostaddr) {
  guarded("connect", [&] {
    const Engine* engine = g_engine.load();
    if (engine == nullptr) return SMFIS_NOREPLY;
    auto connection = std::make_unique<Connection>(*engine);
    std::string client_addr = address_text(hostaddr);
    if (client_addr.empty()) client_addr = macro(ctx, "{client_addr}");
    connection->on_connect(hostname != nullptr ? hostname : "", client_addr, macro(ctx, "{daemon_name}"));
    if (smfi_setpriv(ctx, connection.get()) == MI_SUCCESS) connection.release();  // owned by libmilter's context until xx_close
    return SMFIS_NOREPLY;
  });
  return SMFIS_NOREPLY;
}

sfsistat xx_envfrom(SMFICTX* ctx, char** argv) {
  return unanswered(ctx, "MAIL", [&](Connection& connection) {
    const char* sender = (argv != nullptr && argv[0] != nullptr) ? argv[0] : "";
    return connection.on_mail(sender, macro(ctx, "{auth_authen}"), macro(ctx, "i"));
  });
}

sfsistat xx_envrcpt(SMFICTX* ctx, char** argv) {
  return unanswered_in_message(ctx, "RCPT", [&](Connection& connection) {
    const char* recipient = (argv != nullptr && argv[0] != nullptr) ? argv[0] : "";
    return connection.on_rcpt(recipient);
  });
}

sfsistat xx_data(SMFICTX* ctx) {
  return unanswered_in_message(ctx, "DATA", [&](Connection& connection) { return connection.on_data(); });
}

sfsistat xx_header(SMFICTX* ctx, char* name, char* value) {
  return unanswered_in_message(ctx, "header", [&](Connection& connection) {
    return connection.on_header(name != nullptr ? name : "", value != nullptr ? value : "");
  });
}

sfsistat xx_eoh(SMFICTX* ctx) {
  return unanswered_in_message(ctx, "end of headers",
                               [&](Connection& connection) { return connection.on_end_of_headers(); });
}

sfsistat xx_body(SMFICTX* ctx, unsigned char* chunk, size_t length) {
  return unanswered_in_message(ctx, "body", [&](Connection& connection) {
    return connection.on_body(std::string_view(reinterpret_cast<const char*>(chunk), length));
  });
}

// Edits through libmilter, which refuses what was not negotiated.
class LibmilterEditor final : public MessageEditor {
 public:
  explicit LibmilterEditor(SMFICTX* ctx) : ctx_(ctx) {}

  bool change_header(std::string_view name, std::size_t occurrence, const std::optional<std::string>& value) override {
    std::string name_text(name);
    std::string value_text = value.value_or(std::string());
    return smfi_chgheader(ctx_, name_text.data(), static_cast<int>(occurrence),
                          value ? value_text.data() : nullptr) == MI_SUCCESS;
  }

  bool replace_body(std::string_view body) override {
    for (std::size_t offset = 0; offset < body.size() || offset == 0; offset += kReplyBodyChunk) {
      const std::size_t length = std::min(kReplyBodyChunk, body.size() - offset);
      auto* bytes = reinterpret_cast<unsigned char*>(const_cast<char*>(body.data() + offset));
      if (smfi_replacebody(ctx_, bytes, static_cast<int>(length)) != MI_SUCCESS) return false;
      if (body.empty()) break;
    }
    return true;
  }

  bool add_header(std::string_view name, std::string_view value) override {
    std::string name_text(name);
    std::string value_text(value);
    return smfi_addheader(ctx_, name_text.data(), value_text.data()) == MI_SUCCESS;
  }

  bool delete_recipient(std::string_view path) override {
    std::string path_text(path);
    return smfi_delrcpt(ctx_, path_text.data()) == MI_SUCCESS;
  }

  bool set_reply(const SmtpReply& reply) override {
    std::string code = reply.code;
    std::string xcode = reply.xcode;
    std::string text = reply_text(reply.text);
    return smfi_setreply(ctx_, code.data(), xcode.data(), text.data()) == MI_SUCCESS;
  }

 private:
  SMFICTX* ctx_;
};

sfsistat to_status(FinalAnswer answer) {
  switch (answer) {
    case FinalAnswer::proceed: return SMFIS_CONTINUE;
    case FinalAnswer::accept: return SMFIS_ACCEPT;
    case FinalAnswer::discard: return SMFIS_DISCARD;
    case FinalAnswer::reject: return SMFIS_REJECT;
    case FinalAnswer::tempfail: return SMFIS_TEMPFAIL;
  }
  return SMFIS_TEMPFAIL;
}

sfsistat apply_edits(SMFICTX* ctx, const MtaEdits& edits) {
  LibmilterEditor editor(ctx);
  const Engine* engine = g_engine.load();
  const FinalAnswer on_error = on_error_status() == SMFIS_ACCEPT ? FinalAnswer::accept : FinalAnswer::tempfail;
  return to_status(apply_edits(edits, editor, log_subject(ctx), engine != nullptr ? &engine->metrics() : nullptr,
                               on_error));
}

sfsistat xx_eom(SMFICTX* ctx) {
  return guarded("end of message", [&] {
    Connection* connection = connection_of(ctx);
    if (connection == nullptr) return on_error_status();
    if (const auto deferred = connection->deferred()) {
      const StageReply reply = *deferred;
      connection->on_abort();
      return to_status(reply);
    }
    const MtaEdits edits = connection->on_end_of_message(macro(ctx, "i"));
    return apply_edits(ctx, edits);
  }, ctx);
}

sfsistat xx_abort(SMFICTX* ctx) {
  return guarded("abort", [&] {
    if (Connection* connection = connection_of(ctx)) connection->on_abort();
    return SMFIS_CONTINUE;
  }, ctx);
}

// Runs exactly once per connection, possibly before connect: the private
// pointer may be null.
sfsistat xx_close(SMFICTX* ctx) {
  return guarded("close", [&] {
    std::unique_ptr<Connection> connection(connection_of(ctx));
    smfi_setpriv(ctx, nullptr);
    return SMFIS_CONTINUE;
  }, ctx);
}

}  // namespace

void set_engine(const Engine* engine) { g_engine.store(engine); }

smfiDesc make_filter_description() {
  smfiDesc description{};
  description.xxfi_name = const_cast<char*>("privmilter");
  description.xxfi_version = SMFI_VERSION;
  description.xxfi_flags = kFilterActions;
  description.xxfi_connect = xx_connect;
  description.xxfi_helo = nullptr;
  description.xxfi_envfrom = xx_envfrom;
  description.xxfi_envrcpt = xx_envrcpt;
  description.xxfi_header = xx_header;
  description.xxfi_eoh = xx_eoh;
  description.xxfi_body = xx_body;
  description.xxfi_eom = xx_eom;
  description.xxfi_abort = xx_abort;
  description.xxfi_close = xx_close;
  description.xxfi_unknown = nullptr;
  description.xxfi_data = xx_data;
  description.xxfi_negotiate = xx_negotiate;
  return description;
}

}  // namespace privmilter::milter
