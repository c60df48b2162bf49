#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "privmilter/json.h"
#include "privmilter/enforce.h"
#include "privmilter/file_io.h"

namespace privmilter {

std::string audit_record_to_json(const AuditRecord& record) {
  const Verdict& verdict = record.verdict;
  nlohmann::json evidence = nlohmann::json::array();
  std::vector<std::string> rules;
  std::vector<std::string> monitor_rules;
  for (const FiredRule& fired : verdict.fired) {
    (fired.monitor ? monitor_rules : rules).push_back(fired.rule_id);
    for (const auto& item : fired.evidence) evidence.push_back(to_json_value(item));
  }
  nlohmann::json line{{"time", format_utc(record.time)},
                      {"type", "decision"},
                      {"ref", record.reference},
                      {"queue_id", record.queue_id},
                      {"sender", record.sender},
                      {"recipients", record.recipients},
                      {"action", record.action},
                      {"disposition", record.disposition},
                      {"rules", rules},
                      {"evidence", evidence}};
  if (!monitor_rules.empty()) line["monitor_rules"] = monitor_rules;
  if (verdict.monitor_action) line["monitor_action"] = to_string(*verdict.monitor_action);
  if (!verdict.removed_recipients.empty()) line["removed_recipients"] = verdict.removed_recipients;
  // The sender's stated reason for overriding a rule is the record the
  // confirmation exists for.
  if (verdict.confirmation) line["confirmation"] = verdict.confirmation->justification;
  if (verdict.notify_sender || !verdict.notify_also.empty()) {
    line["notify"] = {{"sender", verdict.notify_sender}, {"also", verdict.notify_also}};
  }
  if (!record.quarantine_id.empty()) line["quarantine_id"] = record.quarantine_id;
  if (!record.error.empty()) line["error"] = record.error;
  // Invalid UTF-8 in an address must not make the record unwritable.
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

AuditLog::AuditLog(std::filesystem::path path) : path_(std::move(path)) {}

AuditLog::~AuditLog() {
  if (fd_ >= 0) ::close(fd_);
}

Status AuditLog::open() {
  std::lock_guard lock(mutex_);
  if (fd_ >= 0) return {};
  if (auto made = ensure_private_directory(path_.parent_path()); !made) return made;
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd_ < 0) return make_error("cannot open audit log " + path_.string() + ": " + errno_text(errno));
  return {};
}

Status AuditLog::append(const AuditRecord& record) {
  std::string line = audit_record_to_json(record);
  line += '\n';
  std::lock_guard lock(mutex_);
  if (fd_ < 0) return make_error("audit log " + path_.string() + " is not open");
  // One write per record on an O_APPEND descriptor keeps lines whole.
  return write_all(fd_, line);
}

}  // namespace privmilter
