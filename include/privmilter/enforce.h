#pragma once
// Carrying out a verdict: the quarantine store, the audit log, and the
// enforcer that turns a Verdict into MTA edits plus those side effects.

#include <chrono>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "privmilter/envelope.h"
#include "privmilter/mta_edits.h"
#include "privmilter/result.h"
#include "privmilter/spool.h"
#include "privmilter/verdict.h"

namespace privmilter {

// A unique, unguessable id for a decision: "20261128T163301Z-9f2c41d07a3be815".
// Quoted to senders in replies and notifications, and keys the quarantine.
std::string make_reference_id(std::chrono::system_clock::time_point now);

// Messages held for security review. Each entry is two files: <id>.eml (the
// original message) and <id>.json (envelope, verdict, evidence). Both are
// written to a temporary name, fsynced, renamed and the directory fsynced;
// the .json is renamed last and marks the entry complete.
class QuarantineStore {
 public:
  explicit QuarantineStore(std::filesystem::path directory);

  // Creates the directory (0700) when missing and checks it is writable.
  Status open();
  Status store(const std::string& id, const Envelope& envelope, const Verdict& verdict,
               const MessageSpool& message, std::chrono::system_clock::time_point when);

  const std::filesystem::path& directory() const { return directory_; }

 private:
  std::filesystem::path directory_;
};

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
};

// Append-only JSON-lines log. Thread-safe.
class AuditLog {
 public:
  explicit AuditLog(std::filesystem::path path);
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  Status open();
  Status append(const AuditRecord& record);

 private:
  std::filesystem::path path_;
  std::mutex mutex_;
  int fd_ = -1;  // guarded by mutex_
};

std::string audit_record_to_json(const AuditRecord& record);

struct EnforcementResult {
  MtaEdits edits;
  std::string reference;
  std::string quarantine_id;  // set when the message was quarantined
};

// Never throws and never loses a message: when a side effect that protects
// the message (quarantine, audit) fails, the result is a tempfail.
class Enforcer {
 public:
  Enforcer(QuarantineStore& quarantine, AuditLog& audit) : quarantine_(quarantine), audit_(audit) {}

  EnforcementResult enforce(const Envelope& envelope, const Verdict& verdict,
                            const MessageSpool& message,
                            std::chrono::system_clock::time_point now) const;

 private:
  QuarantineStore& quarantine_;
  AuditLog& audit_;
};

}  // namespace privmilter
