// QuarantineStore::stats(): how much the quarantine holds, for the
// daemon's metrics.

#include <sqlite3.h>

#include <memory>

#include "privmilter/quarantine.h"

namespace privmilter {

namespace {

// The index file the store keeps beside its entries (quarantine_store.cpp).
constexpr const char* kIndexFile = "quarantine.db";
// A reader in WAL mode waits only while a checkpoint resets the log.
constexpr int kBusyTimeoutMs = 1000;

struct DatabaseClose {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StatementFinalize {
  void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};

}  // namespace

Result<QuarantineStats> QuarantineStore::stats() const {
  const std::filesystem::path database = directory_ / kIndexFile;
  sqlite3* raw_db = nullptr;
  const int opened = sqlite3_open_v2(database.c_str(), &raw_db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  std::unique_ptr<sqlite3, DatabaseClose> db(raw_db);
  if (opened != SQLITE_OK) {
    return make_error("cannot open " + database.string() + ": " + (db ? sqlite3_errmsg(db.get()) : sqlite3_errstr(opened)));
  }
  sqlite3_busy_timeout(db.get(), kBusyTimeoutMs);
  sqlite3_stmt* raw_statement = nullptr;
  if (sqlite3_prepare_v2(db.get(), "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM entries WHERE status = 'held'", -1,
                         &raw_statement, nullptr) != SQLITE_OK) {
    return make_error("cannot query " + database.string() + ": " + sqlite3_errmsg(db.get()));
  }
  std::unique_ptr<sqlite3_stmt, StatementFinalize> statement(raw_statement);
  if (sqlite3_step(statement.get()) != SQLITE_ROW) {
    return make_error("cannot query " + database.string() + ": " + sqlite3_errmsg(db.get()));
  }
  QuarantineStats stats;
  stats.held_messages = static_cast<std::uint64_t>(sqlite3_column_int64(statement.get(), 0));
  stats.held_bytes = static_cast<std::uint64_t>(sqlite3_column_int64(statement.get(), 1));
  return stats;
}

}  // namespace privmilter
