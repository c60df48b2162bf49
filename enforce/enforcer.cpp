#include <spdlog/spdlog.h>

#include <algorithm>

#include "header_encoding.h"
#include "privmilter/enforce.h"
#include "privmilter/strings.h"
#include "smime_certificate.h"

namespace privmilter {

namespace {

// The message goes on to its (remaining) recipients, with the edits the
// verdict asks for. Enforced TLS and the encryption gateway are header
// fields the MTA's own configuration routes on (config/postfix/).
MtaEdits delivery_edits(const Verdict& verdict) {
  MtaEdits edits;
  edits.disposition = Disposition::accept;
  edits.add_headers = verdict.add_headers;
  if (verdict.action == Action::require_tls) {
    edits.add_headers.push_back({std::string(kDeliveryHeaderName), "require-tls"});
  }
  if (verdict.action == Action::route) edits.add_headers.push_back({std::string(kRouteHeaderName), verdict.route});
  if (verdict.new_subject) edits.replace_subject = encode_header_text(*verdict.new_subject);
  edits.remove_recipients = verdict.removed_recipients;
  return edits;
}

SmtpReply tempfail_reply(const std::string& reference) {
  return SmtpReply{"451", "4.3.0", "Message deferred: policy enforcement unavailable, try again later [ref " + reference + "]"};
}

MtaEdits tempfail_edits(const std::string& reference) {
  MtaEdits edits;
  edits.disposition = Disposition::tempfail;
  edits.reply = tempfail_reply(reference);
  return edits;
}

MtaEdits reject_edits(SmtpReply reply, const Verdict& verdict, const std::string& reference) {
  reply.text += " [rule " + verdict.deciding_rule + ", ref " + reference + "]";
  MtaEdits edits;
  edits.disposition = Disposition::reject;
  edits.reply = std::move(reply);
  return edits;
}

std::string joined(const std::vector<std::string>& items, std::string_view separator) {
  std::string text;
  for (const std::string& item : items) {
    if (!text.empty()) text += separator;
    text += item;
  }
  return text;
}

bool contains_address(const std::vector<std::string>& addresses, const std::string& address) {
  return std::any_of(addresses.begin(), addresses.end(), [&](const std::string& a) { return iequals(a, address); });
}

// Who still receives the message: the envelope less the removed recipients.
std::vector<std::string> remaining_recipients(const Envelope& envelope, const Verdict& verdict) {
  std::vector<std::string> remaining;
  for (const std::string& recipient : envelope.recipients) {
    if (!contains_address(verdict.removed_recipients, recipient)) remaining.push_back(recipient);
  }
  return remaining;
}

// What stood in the way of encryption; empty `missing` when the problem is
// not a certificate (encryption itself failed, S/MIME not configured).
struct EncryptionProblem {
  std::vector<std::string> missing;  // recipients without a usable certificate
  std::vector<std::string> reasons;  // one per missing recipient, or the failure
};

// One enforcement: the inputs and what it has decided so far.
struct Run {
  QuarantineStore& quarantine_store;
  const Envelope& envelope;
  const Verdict& verdict;
  const MessageSpool& message;
  std::chrono::system_clock::time_point now;
  EnforcementResult& result;
  AuditRecord& record;
  std::string_view delivered_as;  // how an accepted message goes on, for the notification

  void quarantine() {
    // The message leaves the mail flow only once it is durably ours.
    if (auto stored = quarantine_store.store(result.reference, envelope, verdict, message, now); !stored) {
      spdlog::error("queue {}: quarantine write failed, deferring: {}", envelope.queue_id, stored.error().message);
      record.error = "quarantine write failed: " + stored.error().message;
      result.edits = tempfail_edits(result.reference);
      result.failure = EnforcementFailure::quarantine_write;
    } else {
      result.quarantine_id = result.reference;
      record.quarantine_id = result.reference;
      result.edits.disposition = Disposition::discard;
    }
  }

  void encrypt(const SmimeContext* smime) {
    const std::vector<std::string> recipients = remaining_recipients(envelope, verdict);
    EncryptionProblem problem;
    std::vector<std::shared_ptr<const Certificate>> certificates;
    if (smime == nullptr || !smime->certificates) {
      problem.missing = recipients;
      problem.reasons.push_back("S/MIME encryption is not configured (smime.certificates)");
    } else {
      for (const std::string& recipient : recipients) {
        auto found = smime->certificates->find(recipient, now);
        if (found) {
          certificates.push_back(std::move(*found));
        } else {
          problem.missing.push_back(recipient);
          problem.reasons.push_back(found.error().message);
        }
      }
      if (recipients.empty()) problem.reasons.push_back("no recipient remains to encrypt to");
      if (smime->escrow) {
        if (auto reason = unusable_reason(*smime->escrow, now)) {
          problem.reasons.push_back("escrow certificate " + smime->escrow->describe() + ": " + *reason);
        }
      }
    }
    if (problem.reasons.empty()) {
      const std::size_t recipient_count = certificates.size();
      if (smime->escrow) certificates.push_back(smime->escrow);
      auto encrypted = encrypt_spool(certificates);
      if (encrypted) {
        result.edits = delivery_edits(verdict);
        result.edits.change_headers = std::move(encrypted->change_headers);
        result.edits.add_headers.insert(result.edits.add_headers.end(), encrypted->add_headers.begin(),
                                        encrypted->add_headers.end());
        result.edits.replace_body = std::move(encrypted->body);
        record.enforcement = "encrypted for " + std::to_string(recipient_count) +
                             (recipient_count == 1 ? " recipient" : " recipients") + (smime->escrow ? " + escrow" : "");
        delivered_as = kOutcomeEncrypted;
        return;
      }
      problem.reasons.push_back("encryption failed: " + encrypted.error().message);
    }
    fall_back(problem);
  }

  Result<EncryptedMessage> encrypt_spool(const std::vector<std::shared_ptr<const Certificate>>& certificates) const {
    if (message.in_memory()) return encrypt_message(message.memory(), certificates);
    auto text = message.read_all();
    if (!text) return make_error("spool unreadable: " + text.error().message);
    return encrypt_message(*text, certificates);
  }

  // Never delivers in clear to the recipients themselves: quarantine, the
  // gateway, or a refusal; and when even that cannot be done, a tempfail.
  void fall_back(const EncryptionProblem& problem) {
    const std::string why = joined(problem.reasons, "; ");
    const EncryptFallback fallback = verdict.encrypt_fallback;
    spdlog::warn("queue {}: cannot encrypt, fallback {}: {}", envelope.queue_id, to_string(fallback), why);
    record.enforcement = "fallback " + std::string(to_string(fallback)) + ": " + why;
    switch (fallback) {
      case EncryptFallback::quarantine:
        quarantine();
        break;
      case EncryptFallback::route:
        if (verdict.route.empty()) {
          record.error = "encrypt fallback route names no gateway";
          result.edits = tempfail_edits(result.reference);
          result.failure = EnforcementFailure::enforcement;
          break;
        }
        result.edits = delivery_edits(verdict);
        result.edits.add_headers.push_back({std::string(kRouteHeaderName), verdict.route});
        // Not "encrypted": the gateway encrypts, or holds it, by its own rules.
        delivered_as = kOutcomeRouted;
        break;
      case EncryptFallback::reject:
        result.edits = reject_edits(fallback_reply(problem), verdict, result.reference);
        break;
    }
  }

  SmtpReply fallback_reply(const EncryptionProblem& problem) const {
    SmtpReply reply;  // 550 5.7.1 unless the rule set a security (5.7.x) code
    if (verdict.reply && verdict.reply->code.size() == 3 && verdict.reply->code[0] == '5') {
      reply.code = verdict.reply->code;
    }
    if (verdict.reply && verdict.reply->xcode.rfind("5.7.", 0) == 0) reply.xcode = verdict.reply->xcode;
    // The rule's own text when it has one; the reason follows either way.
    const std::string lead = verdict.reply ? verdict.reply->text + ": " : std::string("Message must be encrypted but ");
    if (problem.missing.empty()) {
      reply.text = lead + (verdict.reply ? "it could not be encrypted" : "could not be encrypted");
      return reply;
    }
    reply.text = lead + "no certificate is available for " + problem.missing.front();
    if (problem.missing.size() > 1) reply.text += " and " + std::to_string(problem.missing.size() - 1) + " more";
    return reply;
  }
};

// The outcome as compose_notification words it (the kOutcome* values).
std::string outcome_for_notification(const MtaEdits& edits, const Verdict& verdict, std::string_view delivered) {
  switch (edits.disposition) {
    case Disposition::discard:
      return std::string(kOutcomeQuarantined);
    case Disposition::reject:
      return std::string(kOutcomeRejected);
    case Disposition::tempfail:
    case Disposition::accept:
      break;
  }
  // That some recipients were dropped matters most to the sender.
  if (!verdict.removed_recipients.empty()) return std::string(kOutcomeRecipientsRemoved);
  return std::string(delivered.empty() ? kOutcomeDelivered : delivered);
}

bool wants_notification(const Verdict& verdict) {
  return verdict.notify_sender || !verdict.notify_also.empty() || verdict.action == Action::notify;
}

}  // namespace

EnforcementResult Enforcer::enforce(const Envelope& envelope, const Verdict& verdict, const MessageSpool& message,
                                    std::chrono::system_clock::time_point now,
                                    const EnforcementContext& context) const {
  EnforcementResult result;
  AuditRecord record{.time = now,
                     .reference = {},
                     .queue_id = envelope.queue_id,
                     .sender = envelope.sender,
                     .recipients = envelope.recipients,
                     .action = std::string(to_string(verdict.action)),
                     .disposition = {},
                     .verdict = verdict,
                     .quarantine_id = {},
                     .error = {},
                     .enforcement = {}};
  Run run{quarantine_, envelope, verdict, message, now, result, record, {}};
  try {
    result.reference = make_reference_id(now);
    record.reference = result.reference;
    switch (verdict.action) {
      case Action::accept:
      case Action::tag:
      case Action::notify:
      case Action::require_tls:
      case Action::route:
      case Action::remove_recipients:  // never the verdict's action; delivering is the safe reading
        result.edits = delivery_edits(verdict);
        break;
      case Action::reject:
      case Action::reject_unless_confirmed:
        result.edits = reject_edits(verdict.reply.value_or(SmtpReply{"550", "5.7.1", "Message refused by firm policy"}),
                                    verdict, result.reference);
        break;
      case Action::encrypt:
        run.encrypt(context.smime);
        break;
      case Action::quarantine:
        run.quarantine();
        break;
    }
  } catch (const std::exception& e) {
    spdlog::error("queue {}: enforcement failed, deferring: {}", envelope.queue_id, e.what());
    record.error = std::string("enforcement failed: ") + e.what();
    // A completed quarantine stands; anything else is retried by the MTA.
    if (result.edits.disposition != Disposition::discard) result.edits = tempfail_edits(result.reference);
    if (result.failure == EnforcementFailure::none) result.failure = EnforcementFailure::enforcement;
  }

  record.disposition = std::string(to_string(result.edits.disposition));
  if (auto logged = audit_.append(record); !logged) {
    // An unrecorded decision must not take effect: keep the mail at the MTA.
    // A completed quarantine stands, since a retry would only hold it twice.
    spdlog::error("queue {}: audit log write failed, deferring: {}", envelope.queue_id, logged.error().message);
    result.failure = EnforcementFailure::audit_write;
    if (result.edits.disposition != Disposition::discard) {
      result.edits = tempfail_edits(result.reference);
    }
  }
  notify(envelope, verdict, result, outcome_for_notification(result.edits, verdict, run.delivered_as), context);
  return result;
}

void Enforcer::notify(const Envelope& envelope, const Verdict& verdict, const EnforcementResult& result,
                      const std::string& outcome, const EnforcementContext& context) const {
  // A deferred message is not yet decided: the MTA offers it again.
  if (notifier_ == nullptr || context.notify == nullptr || !wants_notification(verdict) ||
      result.edits.disposition == Disposition::tempfail) {
    return;
  }
  try {
    const Notification notification = compose_notification(*context.notify, context.firm_name, envelope.sender,
                                                           envelope.recipients, verdict, outcome, result.reference);
    if (notification.to.empty()) return;
    if (auto queued = notifier_->enqueue(notification); !queued) {
      spdlog::error("queue {}: notification {} not queued: {}", envelope.queue_id, result.reference,
                    queued.error().message);
    }
  } catch (const std::exception& e) {
    spdlog::error("queue {}: notification {} failed: {}", envelope.queue_id, result.reference, e.what());
  }
}

}  // namespace privmilter
