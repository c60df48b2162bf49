#include <spdlog/spdlog.h>

#include "privmilter/enforce.h"

namespace privmilter {

namespace {

SmtpReply tempfail_reply(const std::string& reference) {
  return SmtpReply{"451", "4.3.0", "Message deferred: policy enforcement unavailable, try again later [ref " + reference + "]"};
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
                     .rules = verdict.matched_rules,
                     .evidence = verdict.evidence,
                     .quarantine_id = {},
                     .error = {}};
  try {
    result.reference = make_reference_id(now);
    record.reference = result.reference;
    switch (verdict.action) {
      case Action::accept:
      case Action::add_header:
        result.edits.disposition = Disposition::accept;
        result.edits.add_headers = verdict.add_headers;
        break;
      case Action::reject: {
        SmtpReply reply = verdict.reply.value_or(SmtpReply{"550", "5.7.1", "Message refused by firm policy"});
        reply.text += " [rule " + verdict.deciding_rule + ", ref " + result.reference + "]";
        result.edits.disposition = Disposition::reject;
        result.edits.reply = std::move(reply);
        break;
      }
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
    result.edits = MtaEdits{.disposition = Disposition::tempfail, .reply = tempfail_reply(result.reference), .add_headers = {}};
  }

  record.disposition = std::string(to_string(result.edits.disposition));
  if (auto logged = audit_.append(record); !logged) {
    // An unrecorded decision must not take effect: keep the mail at the MTA.
    // A completed quarantine stands, since a retry would only hold it twice.
    spdlog::error("queue {}: audit log write failed, deferring: {}", envelope.queue_id, logged.error().message);
    if (result.edits.disposition != Disposition::discard) {
      result.edits = MtaEdits{.disposition = Disposition::tempfail, .reply = tempfail_reply(result.reference), .add_headers = {}};
    }
  }
  return result;
}

}  // namespace privmilter
