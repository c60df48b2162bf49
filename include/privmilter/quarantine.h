#pragma once
// Messages held for security review. Each entry is one file, <id>.pmq,
// encrypted at rest with AES-256-GCM under the quarantine key: the
// envelope, verdict, evidence and the original message. Written to a
// temporary name, fsynced, renamed, and the directory fsynced before the
// milter answers. A SQLite index (quarantine.db, same directory) lists and
// searches entries and records their review status and the single-use
// release tokens; it can be rebuilt from the files.

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
#include "privmilter/spool.h"
#include "privmilter/verdict.h"

namespace privmilter {

enum class QuarantineStatus { held, released, deleted };
std::string_view to_string(QuarantineStatus status);

// What the index knows about an entry: enough to list and search without
// decrypting anything.
struct QuarantineSummary {
  std::string id;
  std::chrono::system_clock::time_point time;
  QuarantineStatus status = QuarantineStatus::held;
  std::string sender;
  std::vector<std::string> recipients;
  std::string action;              // the verdict action that held it
  std::vector<std::string> rules;  // fired, enforced rules
  std::size_t size = 0;            // message bytes
  std::vector<std::string> removed_recipients;  // dropped by the verdict
};

struct QuarantineFilter {
  std::optional<std::chrono::system_clock::time_point> since;
  std::optional<std::chrono::system_clock::time_point> until;
  std::string sender;     // substring, case-insensitive
  std::string recipient;  // substring, case-insensitive
  std::string rule;       // exact rule id
  std::string action;
  std::optional<QuarantineStatus> status;
  std::size_t limit = 50;
  std::size_t offset = 0;
};

// What the quarantine holds now, for monitoring.
struct QuarantineStats {
  std::uint64_t held_messages = 0;  // entries awaiting review
  std::uint64_t held_bytes = 0;     // their message bytes
};

// A decrypted entry.
struct QuarantinedMessage {
  QuarantineSummary summary;
  Envelope envelope;
  nlohmann::json record;  // id, time, envelope, verdict (as stored)
  std::vector<std::string> removed_recipients;  // dropped by the verdict; not to be released to
  std::string message;    // the original message, as the MTA sent it
};

class QuarantineStore {
 public:
  QuarantineStore(std::filesystem::path directory, SecretKey key);
  ~QuarantineStore();
  QuarantineStore(const QuarantineStore&) = delete;
  QuarantineStore& operator=(const QuarantineStore&) = delete;

  // Creates the directory (0700) when missing, checks it is writable and
  // opens the index.
  Status open();
  // Closes the index connection; open() makes a new one. A SQLite
  // connection must not cross a fork, so a daemon that detaches closes it
  // before and reopens it in the child.
  void close_index();
  // Durable before it returns; an error leaves no entry behind.
  Status store(const std::string& id, const Envelope& envelope, const Verdict& verdict,
               const MessageSpool& message, std::chrono::system_clock::time_point when);

  Result<std::vector<QuarantineSummary>> list(const QuarantineFilter& filter) const;
  Result<QuarantinedMessage> load(const std::string& id) const;
  // The review status the index records; nullopt when it knows no such entry.
  Result<std::optional<QuarantineStatus>> status(const std::string& id) const;
  Status set_status(const std::string& id, QuarantineStatus status);
  // Atomically, across processes: moves the entry from `from` to `to` and
  // returns true, or returns false when it was not in `from` (so of two
  // reviewers releasing one entry at once, one wins).
  Result<bool> change_status(const std::string& id, QuarantineStatus from, QuarantineStatus to);
  // Removes the file and marks the index entry deleted.
  Status remove(const std::string& id);
  // Removes entries older than `cutoff`; returns their ids.
  Result<std::vector<std::string>> purge(std::chrono::system_clock::time_point cutoff);
  // Rebuilds the index from the entry files.
  Result<std::size_t> reindex();

  // Single-use release tokens: recorded when issued, consumed once when
  // the released message passes the milter.
  Status record_release_token(const std::string& nonce, const std::string& id,
                              std::chrono::system_clock::time_point expires);
  // true exactly once for a recorded, unexpired token; false when unknown
  // or already used.
  Result<bool> consume_release_token(const std::string& nonce, std::chrono::system_clock::time_point now);

  // One aggregate query on the index over a read-only connection of its
  // own, so it never waits for the lock that store() holds; still, ask it
  // every few seconds, not per message.
  Result<QuarantineStats> stats() const;

  const std::filesystem::path& directory() const { return directory_; }

 private:
  struct Index;
  std::filesystem::path directory_;
  SecretKey key_;
  std::unique_ptr<Index> index_;
};

}  // namespace privmilter
