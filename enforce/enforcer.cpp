#include <spdlog/spdlog.h>

#include "header_encoding.h"
#include "privmilter/enforce.h"

namespace privmilter {

namespace {

// How the MTA learns to deliver only over enforced TLS or through the
// encryption gateway: header-based routing in its own configuration.
constexpr std::string_view kDeliveryHeader = "X-Privmilter-Delivery";
constexpr std::string_view kRouteHeader = "X-Privmilter-Route";

// The message goes on to its (remaining) recipients, with the edits the
// verdict asks for.
MtaEdits delivery_edits(const Verdict& verdict) {
  MtaEdits edits;
  edits.disposition = Disposition::accept;
  edits.add_headers = verdict.add_headers;
  if (verdict.action == Action::require_tls) {
    edits.add_headers.push_back({std::string(kDeliveryHeader), "require-tls"});
  }
  if (verdict.action == Action::route) edits.add_headers.push_back({std::string(kRouteHeader), verdict.route});
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

}  // namespace

EnforcementResult Enforcer::enforce(const Envelope& envelope, const Verdict& verdict, const MessageSpool& message,
                                    std::chrono::system_clock::time_point now) const {
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
                     .error = {}};
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
      case Action::reject_unless_confirmed: {
        SmtpReply reply = verdict.reply.value_or(SmtpReply{"550", "5.7.1", "Message refused by firm policy"});
        reply.text += " [rule " + verdict.deciding_rule + ", ref " + result.reference + "]";
        result.edits.disposition = Disposition::reject;
        result.edits.reply = std::move(reply);
        break;
      }
      // Until S/MIME encryption is configured, a message that must be
      // encrypted is held rather than ever sent in clear.
      case Action::encrypt:
      case Action::quarantine: {
        // The message leaves the mail flow only once it is durably ours.
        if (auto stored = quarantine_.store(result.reference, envelope, verdict, message, now); !stored) {
          spdlog::error("queue {}: quarantine write failed, deferring: {}", envelope.queue_id, stored.error().message);
          record.error = "quarantine write failed: " + stored.error().message;
          result.edits.disposition = Disposition::tempfail;
          result.edits.reply = tempfail_reply(result.reference);
        } else {
          result.quarantine_id = result.reference;
          record.quarantine_id = result.reference;
          result.edits.disposition = Disposition::discard;
        }
        break;
      }
    }
  } catch (const std::exception& e) {
    spdlog::error("queue {}: enforcement failed, deferring: {}", envelope.queue_id, e.what());
    record.error = std::string("enforcement failed: ") + e.what();
    result.edits = tempfail_edits(result.reference);
  }

  record.disposition = std::string(to_string(result.edits.disposition));
  if (auto logged = audit_.append(record); !logged) {
    // An unrecorded decision must not take effect: keep the mail at the MTA.
    // A completed quarantine stands, since a retry would only hold it twice.
    spdlog::error("queue {}: audit log write failed, deferring: {}", envelope.queue_id, logged.error().message);
    if (result.edits.disposition != Disposition::discard) {
      result.edits = tempfail_edits(result.reference);
    }
  }
  return result;
}

}  // namespace privmilter
