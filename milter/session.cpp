#include "session.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "privmilter/pipeline.h"
#include "privmilter/release_gate.h"
#include "privmilter/release_token.h"
#include "privmilter/strings.h"

namespace privmilter::milter {

MessageState::MessageState(std::shared_ptr<const Snapshot> snapshot_in, Envelope envelope_in)
    : snapshot(std::move(snapshot_in)),
      envelope(std::move(envelope_in)),
      spool(snapshot->config->spool_directory, snapshot->config->session_limits.spool_memory_threshold) {}

void Connection::on_connect(std::string_view client_name, std::string_view client_addr, std::string_view daemon_name) {
  client_name_ = client_name;
  client_addr_ = client_addr;
  daemon_name_ = daemon_name;
}

namespace {

StageReply failure_reply_for(const Config& config) {
  return config.on_error == OnError::accept ? StageReply::accept : StageReply::tempfail;
}

MtaEdits failure_edits_for(const Config& config, const std::string& reason) {
  MtaEdits edits;
  if (config.on_error == OnError::accept) return edits;
  edits.disposition = Disposition::tempfail;
  edits.reply = SmtpReply{"451", "4.3.0", "Message deferred: " + reason};
  return edits;
}

// Deleted from the highest occurrence down, so that the numbering of the
// ones still to delete does not depend on how the MTA counts deleted fields.
void delete_fields(std::string_view name, std::size_t count, std::vector<HeaderChange>& changes) {
  for (std::size_t i = count; i > 0; --i) changes.push_back({std::string(name), i, std::nullopt});
}

void delete_routing_fields(const MessageState& message, std::vector<HeaderChange>& changes) {
  delete_fields(kDeliveryHeaderName, message.delivery_fields, changes);
  delete_fields(kRouteHeaderName, message.route_fields, changes);
}

// What finish_release answered: a release carried out (marked, or refused
// for want of a certificate), a deferral, or a colleague's copy let go.
MessageAction release_outcome(const MtaEdits& edits) {
  const bool marked = std::any_of(edits.add_headers.begin(), edits.add_headers.end(),
                                  [](const HeaderField& field) { return field.name == "X-Privmilter-Released"; });
  if (marked || edits.disposition == Disposition::reject || edits.disposition == Disposition::discard) {
    return MessageAction::released;
  }
  return edits.disposition == Disposition::tempfail ? MessageAction::failed : MessageAction::not_inspected;
}

}  // namespace

// A message in progress answers by the snapshot it started with, like
// everything else about it; between messages the current one applies.
std::shared_ptr<const Config> Connection::config_in_force() const {
  return message_ ? message_->snapshot->config : engine_.snapshot()->config;
}

StageReply Connection::failure_reply() const { return failure_reply_for(*config_in_force()); }

MtaEdits Connection::failure_edits(const std::string& reason) const {
  return failure_edits_for(*config_in_force(), reason);
}

StageReply Connection::fail(std::string_view stage, const std::string& reason) {
  const StageReply reply = failure_reply();
  Metrics& metrics = engine_.metrics();
  if (!message_) {
    spdlog::error("client {}[{}]: {} at {}; answering per on_error", client_name_, client_addr_, reason, stage);
    metrics.count_error(ErrorKind::protocol);
    return reply;
  }
  const std::string& queue_id = message_->envelope.queue_id;
  spdlog::error("queue {}: {} at {}; answering per on_error", queue_id.empty() ? "-" : queue_id, reason, stage);
  // With a message in progress the only failures are its limits and its spool.
  metrics.count_error(reason.find("(limits.") != std::string::npos ? ErrorKind::limit : ErrorKind::spool);
  metrics.count_message(message_->inspect ? Direction::outgoing : Direction::internal, MessageAction::failed,
                        reply == StageReply::accept ? Disposition::accept : Disposition::tempfail);
  message_.reset();
  return reply;
}

bool Connection::is_outgoing() const {
  const auto& directory = message_->snapshot->directory;
  const auto& envelope = message_->envelope;
  const bool from_inside = envelope.authenticated() || directory.is_internal_client(envelope.client_addr);
  if (!from_inside || envelope.recipients.empty()) return false;
  return directory.has_external_recipient(envelope.recipients) ||
         inspects_internal_mail(*message_->snapshot->policy);
}

StageReply Connection::on_mail(std::string_view sender, std::string_view auth_authen, std::string_view queue_id) {
  deferred_.reset();
  Envelope envelope{.queue_id = std::string(queue_id),
                    .sender = strip_smtp_path(sender),
                    .recipients = {},
                    .auth_authen = std::string(auth_authen),
                    .client_addr = client_addr_,
                    .client_name = client_name_,
                    .daemon_name = daemon_name_};
  message_.emplace(engine_.snapshot(), std::move(envelope));
  const auto& directory = message_->snapshot->directory;
  if (!message_->envelope.authenticated() && !directory.is_internal_client(client_addr_)) {
    // Neither authenticated nor from the firm's networks: inbound or relayed
    // mail, which this filter does not inspect.
    message_.reset();
    engine_.metrics().count_message(Direction::inbound, MessageAction::not_inspected, Disposition::accept);
    return StageReply::accept;
  }
  return StageReply::proceed;
}

StageReply Connection::on_rcpt(std::string_view recipient) {
  if (!message_) return fail("RCPT", "recipient without a message");
  auto& recipients = message_->envelope.recipients;
  if (recipients.size() >= message_->snapshot->config->session_limits.max_recipients) {
    return fail("RCPT", "too many recipients (limits.max_recipients)");
  }
  recipients.push_back(strip_smtp_path(recipient));
  return StageReply::proceed;
}

StageReply Connection::on_data() {
  if (!message_) return fail("DATA", "DATA without a message");
  // Mail that stays inside is not judged, but its headers are still read:
  // a released message may be addressed to a colleague and its release
  // token must not reach the mailbox.
  if (!is_outgoing()) message_->inspect = false;
  return StageReply::proceed;
}

StageReply Connection::on_header(std::string_view name, std::string_view value) {
  if (!message_) return fail("header", "header without a message");
  // Some MTAs skip the DATA stage; decide at the first header instead.
  if (message_->header_count == 0 && !is_outgoing()) message_->inspect = false;
  if (iequals(name, kReleaseHeader)) message_->release_tokens.emplace_back(trim(value));
  if (iequals(name, kDeliveryHeaderName)) message_->delivery_fields += 1;
  if (iequals(name, kRouteHeaderName)) message_->route_fields += 1;
  const auto& limits = message_->snapshot->config->session_limits;
  message_->header_count += 1;
  message_->header_bytes += name.size() + value.size() + 4;
  if (message_->header_count > limits.max_header_count) return fail("header", "too many header fields (limits.max_header_count)");
  if (message_->header_bytes > limits.max_header_bytes) return fail("header", "header block too large (limits.max_header_bytes)");
  std::string line;
  line.reserve(name.size() + value.size() + 4);
  line.append(name).append(": ").append(value).append("\r\n");
  if (auto appended = message_->spool.append(line); !appended) return fail("header", appended.error().message);
  return StageReply::proceed;
}

StageReply Connection::on_end_of_headers() {
  if (!message_) return fail("end of headers", "end of headers without a message");
  if (message_->header_count == 0 && !is_outgoing()) message_->inspect = false;
  if (!message_->inspect && message_->release_tokens.empty()) {
    message_.reset();
    engine_.metrics().count_message(Direction::internal, MessageAction::not_inspected, Disposition::accept);
    return StageReply::accept;
  }
  message_->headers_ended = true;
  if (auto appended = message_->spool.append("\r\n"); !appended) return fail("end of headers", appended.error().message);
  return StageReply::proceed;
}

StageReply Connection::on_body(std::string_view chunk) {
  if (!message_) return fail("body", "body without a message");
  if (auto appended = message_->spool.append(chunk); !appended) return fail("body", appended.error().message);
  return StageReply::proceed;
}

MtaEdits Connection::on_end_of_message(std::string_view queue_id) {
  if (!message_) {
    fail("end of message", "end of message without a message");
    return failure_edits("internal error");
  }
  // The message is dropped whatever happens below: a new MAIL starts afresh.
  MessageState message = std::move(*message_);
  message_.reset();
  MessageMeter meter(engine_.metrics(), message.inspect ? Direction::outgoing : Direction::internal,
                     message.spool.size());
  if (!queue_id.empty()) message.envelope.queue_id = queue_id;
  if (!message.headers_ended) {
    if (auto appended = message.spool.append("\r\n"); !appended) {
      spdlog::error("queue {}: {}", message.envelope.queue_id, appended.error().message);
      return meter.fail(ErrorKind::spool, failure_edits_for(*message.snapshot->config, "spool unavailable"));
    }
  }

  std::vector<HeaderChange> strip;
  delete_fields(kReleaseHeader, message.release_tokens.size(), strip);
  if (!message.release_tokens.empty()) {
    // Without an answer here the token was refused: the message is judged
    // like any other below.
    if (auto answered = finish_release(message, strip)) {
      return meter.finish(release_outcome(*answered), std::move(*answered));
    }
  }
  delete_routing_fields(message, strip);

  const auto& snapshot = *message.snapshot;
  auto decision = decide(message.envelope, message.spool, *snapshot.policy, snapshot.directory,
                         snapshot.config->content_limits);
  if (!decision) {
    spdlog::error("queue {}: cannot inspect message: {}", message.envelope.queue_id, decision.error().message);
    return meter.fail(ErrorKind::extraction, failure_edits_for(*snapshot.config, "message could not be inspected"));
  }
  engine_.metrics().count_inspection_limits(decision->facts);
  const auto& verdict = decision->verdict;
  auto result = engine_.enforcer().enforce(message.envelope, verdict, message.spool, std::chrono::system_clock::now(),
                                           Engine::enforcement_context(snapshot));
  if (result.edits.disposition == Disposition::accept && !strip.empty()) {
    strip.insert(strip.end(), result.edits.change_headers.begin(), result.edits.change_headers.end());
    result.edits.change_headers = std::move(strip);
  }
  spdlog::info("queue {}: from=<{}> nrcpt={} action={} rule={} disposition={} ref={}", message.envelope.queue_id,
               message.envelope.sender, message.envelope.recipients.size(), to_string(verdict.action),
               verdict.deciding_rule.empty() ? "-" : verdict.deciding_rule, to_string(result.edits.disposition),
               result.reference);
  engine_.metrics().count_verdict(verdict);
  if (const auto error = error_kind_of(result.failure)) engine_.metrics().count_error(*error);
  return meter.finish(message_action(verdict.action), std::move(result.edits));
}

// A reviewer's release approves the content, not clear text: a message
// held because it had to be encrypted (a recipient had no certificate)
// leaves encrypted, and is refused if a certificate is still missing,
// rather than held again. Nothing for other entries.
std::optional<MtaEdits> Connection::encrypt_released(MessageState& message, const std::string& quarantine_id) {
  auto held = engine_.quarantine().load(quarantine_id);
  if (!held) {
    // Not knowing why it was held, assume the strictest reason.
    spdlog::warn("queue {}: released entry {} cannot be read ({}); encrypting it", message.envelope.queue_id,
                 quarantine_id, held.error().message);
  } else if (held->summary.action != to_string(Action::encrypt)) {
    return std::nullopt;
  }
  Verdict verdict;
  verdict.action = Action::encrypt;
  verdict.encrypt_fallback = EncryptFallback::reject;
  if (held && !held->summary.rules.empty()) verdict.deciding_rule = held->summary.rules.front();
  const auto& snapshot = *message.snapshot;
  auto result = engine_.enforcer().enforce(message.envelope, verdict, message.spool, std::chrono::system_clock::now(),
                                           Engine::enforcement_context(snapshot));
  return std::move(result.edits);
}

// A message carrying a release token. An accepted release passes without
// inspection; a refused one that is not outgoing passes with the token
// removed; for a refused outgoing one there is no answer yet.
std::optional<MtaEdits> Connection::finish_release(MessageState& message, std::vector<HeaderChange>& strip) {
  MtaEdits edits;
  auto content = message.spool.read_all();
  if (!content) {
    spdlog::error("queue {}: {}", message.envelope.queue_id, content.error().message);
    return failure_edits_for(*message.snapshot->config, "spool unavailable");
  }
  auto check = check_release(message.release_tokens, *content, message.envelope, message.snapshot->release_key,
                             engine_.quarantine(), engine_.audit(), std::chrono::system_clock::now());
  if (!check) {
    // Unrecorded, so not carried out: the MTA keeps the message.
    spdlog::error("queue {}: {}; deferring", message.envelope.queue_id, check.error().message);
    engine_.metrics().count_error(ErrorKind::release_record);
    edits.disposition = Disposition::tempfail;
    edits.reply = SmtpReply{"451", "4.3.0", "Message deferred: release could not be recorded, try again later"};
    return edits;
  }
  if (check->accepted) {
    delete_routing_fields(message, strip);
    if (auto encrypted = encrypt_released(message, check->quarantine_id)) {
      if (encrypted->disposition != Disposition::accept) return encrypted;
      edits = std::move(*encrypted);
    }
    strip.insert(strip.end(), edits.change_headers.begin(), edits.change_headers.end());
    edits.change_headers = std::move(strip);
    edits.add_headers.push_back({"X-Privmilter-Released", check->quarantine_id});
    return edits;
  }
  if (!message.inspect) {
    edits.change_headers = std::move(strip);
    return edits;
  }
  return std::nullopt;
}

}  // namespace privmilter::milter
