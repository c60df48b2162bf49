// The daemon's milter stages driven with random conversations: the
// Connection that the libmilter callbacks (milter/callbacks.cpp) adapt,
// against a real Engine with the shipped policy and firm directory, a
// quarantine and an audit log in a temporary folder. Stages arrive in any
// order with any arguments, as a broken or hostile MTA or client could
// make them; the input format is in milter_session_script.h.
//
// Besides crashes, hangs and leaks, it checks what must hold for any
// conversation: replies match their disposition, a release token never
// reaches a mailbox, removed recipients were recipients.

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine.h"
#include "fuzz/fuzz_daemon.h"
#include "fuzz/fuzz_support.h"
#include "milter_session_script.h"
#include "privmilter/release_token.h"
#include "privmilter/strings.h"
#include "session.h"
#include "unit/temp_dir.h"

namespace {

namespace fs = std::filesystem;
using privmilter::fuzzing::require;
using privmilter::fuzzing::ScriptStep;
using privmilter::fuzzing::Stage;
using privmilter::milter::Connection;
using privmilter::milter::StageReply;

using privmilter::fuzzing::Daemon;
using privmilter::fuzzing::daemon_instance;

std::string argument(const ScriptStep& step, std::size_t index, std::string_view otherwise = {}) {
  return index < step.arguments.size() ? step.arguments[index] : std::string(otherwise);
}

// What the rest of this message will carry, read ahead in the script, so
// that a release header can hold a token issued for exactly that message.
struct MessageAhead {
  std::string body;
  std::vector<std::string> recipients;
};

MessageAhead read_ahead(const std::vector<ScriptStep>& steps, std::size_t from, const Connection& connection) {
  MessageAhead ahead;
  if (connection.message()) ahead.recipients = connection.message()->envelope.recipients;
  bool headers_ended = false;
  for (std::size_t i = from; i < steps.size(); ++i) {
    const ScriptStep& step = steps[i];
    if (step.stage == Stage::eom || step.stage == Stage::abort || step.stage == Stage::mail ||
        step.stage == Stage::connect || step.stage == Stage::close) {
      break;
    }
    if (step.stage == Stage::rcpt) ahead.recipients.push_back(privmilter::strip_smtp_path(argument(step, 0)));
    if (step.stage == Stage::eoh) headers_ended = true;
    if (step.stage == Stage::body && headers_ended) ahead.body += argument(step, 0);
  }
  return ahead;
}

// A token as privmilterctl issues it when a reviewer releases an entry:
// the entry is held, the nonce recorded (unless "stale"), the token signed.
std::string issue_release_token(const std::string& kind, const MessageAhead& ahead) {
  Daemon& daemon = daemon_instance();
  auto& quarantine = daemon.engine->quarantine();
  const std::string id = "20260101T000000Z-" + privmilter::hex_encode(
      reinterpret_cast<const unsigned char*>(&daemon.entries_held), sizeof daemon.entries_held);
  daemon.entries_held += 1;
  privmilter::Envelope envelope;
  envelope.sender = "alice@examplelaw.com";
  envelope.recipients = ahead.recipients;
  privmilter::Verdict verdict;
  verdict.action = kind == "encrypt" ? privmilter::Action::encrypt : privmilter::Action::quarantine;
  verdict.deciding_rule = "privileged-unencrypted-external";
  privmilter::MessageSpool held(daemon.folder / "spool", 1 << 20);
  require(held.append("Subject: held\r\n\r\n" + ahead.body).ok(), "spool for a held entry");
  const auto now = std::chrono::system_clock::now();
  require(quarantine.store(id, envelope, verdict, held, now).ok(), "quarantine stores an entry");
  const auto expires = kind == "expired" ? now - std::chrono::minutes(1) : now + std::chrono::hours(1);
  const auto token = privmilter::make_release_token(id, ahead.body, expires, ahead.recipients);
  if (kind != "stale") require(quarantine.record_release_token(token.nonce, id, expires).ok(), "token recorded");
  return privmilter::format_release_token(token, daemon.engine->snapshot()->release_key);
}

std::size_t count_deletions(const privmilter::MtaEdits& edits, std::string_view name) {
  return static_cast<std::size_t>(std::count_if(edits.change_headers.begin(), edits.change_headers.end(),
                                                [&](const privmilter::HeaderChange& change) {
                                                  return privmilter::iequals(change.name, name) && !change.value;
                                                }));
}

bool adds_field(const privmilter::MtaEdits& edits, std::string_view name) {
  return std::any_of(edits.add_headers.begin(), edits.add_headers.end(),
                     [&](const privmilter::HeaderField& field) { return privmilter::iequals(field.name, name); });
}

// What the stages left of a message, to hold the end of message against.
struct MessageSent {
  privmilter::Envelope envelope;
  std::size_t release_tokens = 0;
  std::size_t delivery_fields = 0;
  std::size_t route_fields = 0;
};

// What the end of message may answer, whatever came before.
void check_edits(const privmilter::MtaEdits& edits, const MessageSent& message) {
  using privmilter::Disposition;
  if (edits.disposition == Disposition::reject) {
    require(edits.reply && edits.reply->code.starts_with('5'), "a rejection carries a 5xx reply");
  }
  if (edits.disposition == Disposition::tempfail && edits.reply) {
    require(edits.reply->code.starts_with('4'), "a deferral carries a 4xx reply");
  }
  if (edits.disposition == Disposition::accept) {
    require(count_deletions(edits, privmilter::kReleaseHeader) >= message.release_tokens,
            "a delivered message loses every release token");
    if (adds_field(edits, privmilter::kDeliveryHeaderName) || adds_field(edits, privmilter::kRouteHeaderName)) {
      require(count_deletions(edits, privmilter::kDeliveryHeaderName) >= message.delivery_fields &&
                  count_deletions(edits, privmilter::kRouteHeaderName) >= message.route_fields,
              "only privmilter's routing fields steer delivery");
    }
  }
  for (const auto& removed : edits.remove_recipients) {
    const auto& recipients = message.envelope.recipients;
    require(std::find(recipients.begin(), recipients.end(), removed) != recipients.end(),
            "only recipients are removed");
  }
}

// One conversation, as callbacks.cpp adapts it: stages after MAIL are not
// answered, so the first decision to let the message go or defer it is kept
// until end of message and the stages in between are skipped.
class Conversation {
 public:
  explicit Conversation(const privmilter::milter::Engine& engine) : engine_(engine) { connect({}); }

  void run(const std::vector<ScriptStep>& steps) {
    for (std::size_t i = 0; i < steps.size(); ++i) step(steps, i);
  }

 private:
  void connect(const ScriptStep& step) {
    connection_ = std::make_unique<Connection>(engine_);
    connection_->on_connect(argument(step, 0, "ws1.examplelaw.com"), argument(step, 1, "10.1.2.3"),
                            argument(step, 2, "smtpd"));
  }

  void unanswered(StageReply reply) {
    if (reply != StageReply::proceed) connection_->defer(reply);
  }

  void step(const std::vector<ScriptStep>& steps, std::size_t index) {
    const ScriptStep& step = steps[index];
    if (step.stage == Stage::connect) return connect(step);
    if (!connection_) return;  // libmilter has no connection to call
    Connection& connection = *connection_;
    const bool skipped = connection.deferred().has_value();
    switch (step.stage) {
      case Stage::connect: break;
      case Stage::close: connection_.reset(); break;
      case Stage::abort: connection.on_abort(); break;
      case Stage::mail:
        unanswered(connection.on_mail(argument(step, 0), argument(step, 1), argument(step, 2)));
        break;
      case Stage::rcpt:
        if (!skipped) unanswered(connection.on_rcpt(argument(step, 0)));
        break;
      case Stage::data:
        if (!skipped) unanswered(connection.on_data());
        break;
      case Stage::header:
        if (!skipped) unanswered(connection.on_header(argument(step, 0), argument(step, 1)));
        break;
      case Stage::release:
        if (!skipped) {
          const std::string token = issue_release_token(argument(step, 0), read_ahead(steps, index + 1, connection));
          unanswered(connection.on_header(privmilter::kReleaseHeader, token));
        }
        break;
      case Stage::eoh:
        if (!skipped) unanswered(connection.on_end_of_headers());
        break;
      case Stage::body:
        if (!skipped) unanswered(connection.on_body(argument(step, 0)));
        break;
      case Stage::eom: end_of_message(argument(step, 0)); break;
    }
  }

  void end_of_message(const std::string& queue_id) {
    Connection& connection = *connection_;
    if (connection.deferred()) {
      connection.on_abort();
      return;
    }
    std::optional<MessageSent> sent;
    if (const auto& message = connection.message()) {
      sent = MessageSent{.envelope = message->envelope,
                         .release_tokens = message->release_tokens.size(),
                         .delivery_fields = message->delivery_fields,
                         .route_fields = message->route_fields};
    }
    const privmilter::MtaEdits edits = connection.on_end_of_message(queue_id);
    require(!connection.has_message(), "end of message ends the message");
    if (sent) {
      check_edits(edits, *sent);
    } else {
      require(edits.disposition == privmilter::Disposition::tempfail, "no message: answered per on_error");
    }
  }

  const privmilter::milter::Engine& engine_;
  std::unique_ptr<Connection> connection_;
};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  privmilter::fuzzing::silence_logging();
  daemon_instance();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto steps = privmilter::fuzzing::parse_script(std::string_view(reinterpret_cast<const char*>(data), size));
  Conversation conversation(*daemon_instance().engine);
  conversation.run(steps);
  return 0;
}
