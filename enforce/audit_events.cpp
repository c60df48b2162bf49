// The audit record of a decision on an outgoing message. Never the subject
// or any other message content: rules, masked evidence and the envelope.

#include "privmilter/audit.h"
#include "privmilter/json.h"

namespace privmilter {

nlohmann::json decision_event(const AuditRecord& record) {
  const Verdict& verdict = record.verdict;
  nlohmann::json evidence = nlohmann::json::array();
  std::vector<std::string> rules;
  std::vector<std::string> monitor_rules;
  for (const FiredRule& fired : verdict.fired) {
    (fired.monitor ? monitor_rules : rules).push_back(fired.rule_id);
    for (const auto& item : fired.evidence) evidence.push_back(to_json_value(item));
  }
  nlohmann::json event{{"time", format_utc(record.time)},
                       {"type", "decision"},
                       {"ref", record.reference},
                       {"queue_id", record.queue_id},
                       {"sender", record.sender},
                       {"recipients", record.recipients},
                       {"action", record.action},
                       {"disposition", record.disposition},
                       {"rules", rules},
                       {"evidence", evidence}};
  if (!monitor_rules.empty()) event["monitor_rules"] = monitor_rules;
  if (verdict.monitor_action) event["monitor_action"] = to_string(*verdict.monitor_action);
  if (!verdict.removed_recipients.empty()) event["removed_recipients"] = verdict.removed_recipients;
  // The sender's stated reason for overriding a rule is the record the
  // confirmation exists for.
  if (verdict.confirmation) event["confirmation"] = verdict.confirmation->justification;
  if (verdict.notify_sender || !verdict.notify_also.empty()) {
    event["notify"] = {{"sender", verdict.notify_sender}, {"also", verdict.notify_also}};
  }
  if (!record.quarantine_id.empty()) event["quarantine_id"] = record.quarantine_id;
  if (!record.error.empty()) event["error"] = record.error;
  if (!record.enforcement.empty()) event["enforcement"] = record.enforcement;
  return event;
}

std::string audit_record_to_json(const AuditRecord& record) {
  // Invalid UTF-8 in an address must not make the record unwritable.
  return decision_event(record).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace privmilter
