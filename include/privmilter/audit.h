#pragma once
// The tamper-evident audit log: one JSON line per decision on an outgoing
// message, per reviewer action and per release check. Each record carries
// its sequence number, the MAC of the record before it and its own
// HMAC-SHA256 (audit key), so that changing, removing, inserting or
// reordering records, or truncating the log, is detected by verification.
// Rotation starts a new file whose first record continues the chain.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "privmilter/envelope.h"
#include "privmilter/key_file.h"
#include "privmilter/result.h"
#include "privmilter/verdict.h"

namespace privmilter {

// One record per decision on an outgoing message.
struct AuditRecord {
  std::chrono::system_clock::time_point time;
  std::string reference;
  std::string queue_id;
  std::string sender;
  std::vector<std::string> recipients;
  std::string action;        // verdict action
  std::string disposition;   // what the MTA was told
  Verdict verdict;           // rules, masked evidence, removals, confirmation; never the subject
  std::string quarantine_id;
  std::string error;  // why enforcement failed, when it did
  // How it was carried out beyond the disposition ("encrypted for 2
  // recipients + escrow", "fallback quarantine: no certificate for x@y").
  std::string enforcement;
};

// The decision record as a JSON object (without the chain fields).
nlohmann::json decision_event(const AuditRecord& record);
// Compatibility: decision_event(record).dump() with invalid UTF-8 replaced.
std::string audit_record_to_json(const AuditRecord& record);

struct AuditLogOptions {
  std::filesystem::path path;  // the current file; rotated files sit beside it
  SecretKey key;
  std::size_t rotate_bytes = std::size_t{64} << 20;
};

// Thread-safe and safe across processes (the daemon and privmilterctl
// append to the same chain under an exclusive file lock). append() returns
// once the record is on disk: concurrent appends share one fdatasync
// (group commit), so there is no fsync per message under load.
class AuditLog {
 public:
  explicit AuditLog(AuditLogOptions options);
  ~AuditLog();  // flushes what is pending
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Creates the directory (0700) and file (0600) when missing and checks
  // that the last record of the log is intact and signed by this key and
  // that the head file agrees with it (no records cut off the end). A
  // partial last line (a write interrupted by a crash) is closed and
  // followed by a "recovered" record that names it, so the damage stays
  // visible and the chain verifiable. A log written before the chain
  // existed (no head file, unchained records) is set aside as
  // <log>.unchained-<UTC> and a new chain begins.
  Status open();
  // `event` is a JSON object with at least "type" ("decision", "reviewer",
  // "release", "notification", ...); "time" is added when absent.
  Status append(nlohmann::json event);
  Status append(const AuditRecord& record) { return append(decision_event(record)); }

  const std::filesystem::path& path() const;
  // Group commits so far (one write and one fdatasync of the log each),
  // for tests and metrics: fewer than the records under concurrency.
  std::uint64_t commits() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

struct AuditVerification {
  bool ok = true;
  std::size_t records = 0;  // verified before the first problem
  std::size_t files = 0;
  // The first bad record, when !ok.
  std::filesystem::path file;
  std::size_t line = 0;  // 1-based
  std::string problem;   // "MAC mismatch", "sequence gap: expected 41, found 43", "log truncated: ..."
  std::uint64_t last_seq = 0;
  // What is not tampering but worth knowing: damage from an interrupted
  // write that the writer recorded, a head file behind the chain's end.
  std::vector<std::string> notes;
};

// Verifies every file of the chain (rotated ones in order, then `path`).
// Err only when the files cannot be read at all.
Result<AuditVerification> verify_audit_log(const std::filesystem::path& path, const SecretKey& key);

// The records of the chain in order (rotated files first), parsed, for
// query and report; stops with an error at an unparsable line.
Result<std::vector<nlohmann::json>> read_audit_records(const std::filesystem::path& path);

// Selecting records for `privmilterctl audit query` and `report`. Empty
// strings match everything.
struct AuditFilter {
  std::optional<std::chrono::system_clock::time_point> since;  // inclusive
  std::optional<std::chrono::system_clock::time_point> until;  // exclusive
  std::string sender;     // an address, or a domain ("client.example", "@client.example"); no case
  std::string recipient;  // likewise, any of "recipients"
  std::string rule;       // in "rules" or "monitor_rules"
  std::string action;
  std::string type;
};
bool audit_record_matches(const nlohmann::json& record, const AuditFilter& filter);

// "7d", "12h", "30m" (before `now`), "2026-11-01" (UTC midnight),
// "2026-11-01T12:00:00Z", with optional fraction of a second.
Result<std::chrono::system_clock::time_point> parse_audit_time(const std::string& text,
                                                               std::chrono::system_clock::time_point now);

}  // namespace privmilter
