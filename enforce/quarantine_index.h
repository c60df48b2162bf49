#pragma once
// quarantine.db: the SQLite index of the quarantine directory. WAL mode
// and a busy timeout let the daemon insert while privmilterctl reads and
// updates from another process. Not thread-safe: the store serialises use.

#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "privmilter/quarantine.h"
#include "privmilter/result.h"

namespace privmilter {

class QuarantineIndex {
 public:
  static Result<std::unique_ptr<QuarantineIndex>> open(const std::filesystem::path& database);
  // Takes ownership of an open connection; open() is the way in.
  explicit QuarantineIndex(sqlite3* db) : db_(db) {}
  ~QuarantineIndex();
  QuarantineIndex(const QuarantineIndex&) = delete;
  QuarantineIndex& operator=(const QuarantineIndex&) = delete;

  Status insert(const QuarantineSummary& entry);
  // For reindex: (re)writes what the file says and keeps the review status
  // of an entry already known.
  Status upsert(const QuarantineSummary& entry);
  Result<std::vector<QuarantineSummary>> list(const QuarantineFilter& filter);
  Result<std::optional<QuarantineStatus>> status(const std::string& id);
  // false when there is no such entry.
  Result<bool> set_status(const std::string& id, QuarantineStatus status);
  // Only when the entry is in `from`: true when this call changed it.
  Result<bool> change_status(const std::string& id, QuarantineStatus from, QuarantineStatus to);
  // Every entry older than `cutoff`, whatever its status.
  Result<std::vector<std::string>> older_than(std::chrono::system_clock::time_point cutoff);
  Result<std::vector<std::string>> ids_not_deleted();
  Status erase(const std::string& id);

  Status record_token(const std::string& nonce, const std::string& id, std::chrono::system_clock::time_point expires);
  Result<bool> consume_token(const std::string& nonce, std::chrono::system_clock::time_point now);

 private:
  struct DatabaseClose {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  Status exec(const char* sql);
  Status record_schema_version();
  Status write_entry(const QuarantineSummary& entry, const char* insert_sql);

  std::unique_ptr<sqlite3, DatabaseClose> db_;
};

}  // namespace privmilter
