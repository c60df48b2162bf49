#include "quarantine_index.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <thread>

#include <nlohmann/json.hpp>

#include "privmilter/file_io.h"
#include "privmilter/unique_fd.h"

namespace privmilter {

namespace {

constexpr int kBusyTimeoutMs = 10000;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS entries(
  id TEXT PRIMARY KEY NOT NULL,
  time INTEGER NOT NULL,
  status TEXT NOT NULL DEFAULT 'held',
  sender TEXT NOT NULL,
  recipients TEXT NOT NULL,
  action TEXT NOT NULL,
  rules TEXT NOT NULL,
  size INTEGER NOT NULL,
  removed_recipients TEXT NOT NULL,
  status_time INTEGER);
CREATE INDEX IF NOT EXISTS entries_by_time ON entries(time);
CREATE INDEX IF NOT EXISTS entries_by_sender ON entries(sender COLLATE NOCASE);
CREATE INDEX IF NOT EXISTS entries_by_action ON entries(action, time);
CREATE INDEX IF NOT EXISTS entries_by_status ON entries(status, time);
CREATE TABLE IF NOT EXISTS entry_recipients(id TEXT NOT NULL, recipient TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS recipients_by_address ON entry_recipients(recipient COLLATE NOCASE);
CREATE INDEX IF NOT EXISTS recipients_by_id ON entry_recipients(id);
CREATE TABLE IF NOT EXISTS entry_rules(id TEXT NOT NULL, rule TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS rules_by_rule ON entry_rules(rule);
CREATE INDEX IF NOT EXISTS rules_by_id ON entry_rules(id);
CREATE TABLE IF NOT EXISTS release_tokens(
  nonce TEXT PRIMARY KEY NOT NULL,
  id TEXT NOT NULL,
  expires INTEGER NOT NULL,
  used_at INTEGER);
)sql";
constexpr std::int64_t kSchemaVersion = 1;

std::int64_t millis(std::chrono::system_clock::time_point time) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
}

std::int64_t now_millis() { return millis(std::chrono::system_clock::now()); }

struct StatementFinalize {
  void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};

// A prepared statement with positional binding in call order.
class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql) : db_(db) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &raw, nullptr) == SQLITE_OK) statement_.reset(raw);
  }
  bool valid() const { return statement_ != nullptr; }
  Statement& bind(const std::string& text) {
    sqlite3_bind_text(statement_.get(), ++position_, text.c_str(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& bind(std::int64_t value) {
    sqlite3_bind_int64(statement_.get(), ++position_, value);
    return *this;
  }
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int step() { return sqlite3_step(statement_.get()); }
  std::string text(int column) const {
    const auto* value = sqlite3_column_text(statement_.get(), column);
    return value == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(value));
  }
  std::int64_t integer(int column) const { return sqlite3_column_int64(statement_.get(), column); }
  Error error(const std::string& what) const { return make_error(what + ": " + sqlite3_errmsg(db_)); }

 private:
  sqlite3* db_;
  std::unique_ptr<sqlite3_stmt, StatementFinalize> statement_;
  int position_ = 0;
};

Status run(sqlite3* db, const std::string& sql, const std::vector<std::string>& texts,
           const std::vector<std::int64_t>& numbers = {}) {
  Statement statement(db, sql);
  if (!statement.valid()) return statement.error("quarantine index");
  for (const auto& text : texts) statement.bind(text);
  for (auto number : numbers) statement.bind(number);
  if (statement.step() != SQLITE_DONE) return statement.error("quarantine index");
  return {};
}

std::vector<std::string> json_strings(const std::string& text) {
  std::vector<std::string> out;
  auto parsed = nlohmann::json::parse(text, nullptr, false);
  if (!parsed.is_array()) return out;
  for (const auto& item : parsed) {
    if (item.is_string()) out.push_back(item.get<std::string>());
  }
  return out;
}

std::string json_text(const std::vector<std::string>& items) {
  return nlohmann::json(items).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool parse_status(const std::string& text, QuarantineStatus& out) {
  for (auto status : {QuarantineStatus::held, QuarantineStatus::released, QuarantineStatus::deleted}) {
    if (to_string(status) == text) {
      out = status;
      return true;
    }
  }
  return false;
}

std::string like_pattern(const std::string& needle) {
  std::string out = "%";
  for (char c : needle) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
  }
  return out + "%";
}

}  // namespace

std::string_view to_string(QuarantineStatus status) {
  switch (status) {
    case QuarantineStatus::held: return "held";
    case QuarantineStatus::released: return "released";
    case QuarantineStatus::deleted: return "deleted";
  }
  return "held";
}

Result<std::unique_ptr<QuarantineIndex>> QuarantineIndex::open(const std::filesystem::path& database) {
  // Created here first so that it (and the -wal and -shm files SQLite
  // gives the same mode) is private from the start.
  {
    UniqueFd fd(::open(database.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd.valid()) return make_error("cannot open " + database.string() + ": " + errno_text(errno));
    ::fchmod(fd.get(), 0600);
  }
  sqlite3* raw = nullptr;
  const int opened = sqlite3_open_v2(database.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, nullptr);
  auto index = std::make_unique<QuarantineIndex>(raw);
  if (opened != SQLITE_OK) {
    return make_error("cannot open " + database.string() + ": " + (raw ? sqlite3_errmsg(raw) : "out of memory"));
  }
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  // Switching a new database to WAL while another process opens it can
  // answer "database is locked" at once, without waiting in the busy
  // handler: the daemon and privmilterctl may well open it together, so
  // setting up is retried for as long as the busy timeout.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::milliseconds(kBusyTimeoutMs);
  for (;;) {
    // FULL: a consumed release token must stay consumed across a power loss.
    Status set_up = index->exec("PRAGMA journal_mode=WAL");
    if (set_up) set_up = index->exec("PRAGMA synchronous=FULL");
    if (set_up) set_up = index->exec(kSchema);
    if (set_up) set_up = index->record_schema_version();
    if (set_up) return index;
    const int code = sqlite3_errcode(raw) & 0xff;
    if ((code != SQLITE_BUSY && code != SQLITE_LOCKED) || std::chrono::steady_clock::now() >= give_up) {
      return set_up.error();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

QuarantineIndex::~QuarantineIndex() = default;

// Written only when it changes: opening an existing index writes nothing,
// so reviewers can still list and read the quarantine on a full disk.
Status QuarantineIndex::record_schema_version() {
  Statement version(db_.get(), "PRAGMA user_version");
  if (!version.valid() || version.step() != SQLITE_ROW) return version.error("quarantine index");
  if (version.integer(0) == kSchemaVersion) return {};
  return exec(("PRAGMA user_version = " + std::to_string(kSchemaVersion)).c_str());
}

Status QuarantineIndex::exec(const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_.get(), sql, nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message ? message : sqlite3_errmsg(db_.get());
    sqlite3_free(message);
    return make_error("quarantine index: " + text);
  }
  return {};
}

Status QuarantineIndex::write_entry(const QuarantineSummary& entry, const char* insert_sql) {
  if (auto begun = exec("BEGIN IMMEDIATE"); !begun) return begun;
  auto fail = [this](Status status) {
    (void)exec("ROLLBACK");
    return status;
  };
  Statement insert(db_.get(), insert_sql);
  if (!insert.valid()) return fail(insert.error("quarantine index"));
  insert.bind(entry.id).bind(millis(entry.time)).bind(std::string(to_string(entry.status))).bind(entry.sender);
  insert.bind(json_text(entry.recipients)).bind(entry.action).bind(json_text(entry.rules));
  insert.bind(static_cast<std::int64_t>(entry.size)).bind(json_text(entry.removed_recipients));
  if (insert.step() != SQLITE_DONE) return fail(insert.error("quarantine index insert of " + entry.id));
  for (const char* table : {"entry_recipients", "entry_rules"}) {
    if (auto cleared = run(db_.get(), std::string("DELETE FROM ") + table + " WHERE id = ?", {entry.id}); !cleared) {
      return fail(cleared);
    }
  }
  for (const auto& recipient : entry.recipients) {
    if (auto added = run(db_.get(), "INSERT INTO entry_recipients(id, recipient) VALUES(?, ?)", {entry.id, recipient});
        !added) {
      return fail(added);
    }
  }
  for (const auto& rule : entry.rules) {
    if (auto added = run(db_.get(), "INSERT INTO entry_rules(id, rule) VALUES(?, ?)", {entry.id, rule}); !added) {
      return fail(added);
    }
  }
  if (auto committed = exec("COMMIT"); !committed) return fail(committed);
  return {};
}

Status QuarantineIndex::insert(const QuarantineSummary& entry) {
  return write_entry(entry,
                     "INSERT INTO entries(id, time, status, sender, recipients, action, rules, size, "
                     "removed_recipients) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)");
}

Status QuarantineIndex::upsert(const QuarantineSummary& entry) {
  return write_entry(entry,
                     "INSERT INTO entries(id, time, status, sender, recipients, action, rules, size, "
                     "removed_recipients) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
                     "time = excluded.time, sender = excluded.sender, recipients = excluded.recipients, "
                     "action = excluded.action, rules = excluded.rules, size = excluded.size, "
                     "removed_recipients = excluded.removed_recipients, "
                     "status = CASE WHEN status = 'deleted' THEN 'held' ELSE status END");
}

Result<std::vector<QuarantineSummary>> QuarantineIndex::list(const QuarantineFilter& filter) {
  std::string sql =
      "SELECT id, time, status, sender, recipients, action, rules, size, removed_recipients FROM entries WHERE 1";
  std::vector<std::string> texts;
  std::vector<std::int64_t> numbers;
  // Bound in the order the conditions are written; numbers after texts.
  if (!filter.sender.empty()) {
    sql += " AND sender LIKE ? ESCAPE '\\'";
    texts.push_back(like_pattern(filter.sender));
  }
  if (!filter.recipient.empty()) {
    sql += " AND id IN (SELECT id FROM entry_recipients WHERE recipient LIKE ? ESCAPE '\\')";
    texts.push_back(like_pattern(filter.recipient));
  }
  if (!filter.rule.empty()) {
    sql += " AND id IN (SELECT id FROM entry_rules WHERE rule = ?)";
    texts.push_back(filter.rule);
  }
  if (!filter.action.empty()) {
    sql += " AND action = ?";
    texts.push_back(filter.action);
  }
  if (filter.status) {
    sql += " AND status = ?";
    texts.emplace_back(to_string(*filter.status));
  }
  if (filter.since) {
    sql += " AND time >= ?";
    numbers.push_back(millis(*filter.since));
  }
  if (filter.until) {
    sql += " AND time < ?";
    numbers.push_back(millis(*filter.until));
  }
  sql += " ORDER BY time DESC, id LIMIT ? OFFSET ?";
  numbers.push_back(filter.limit == 0 ? -1 : static_cast<std::int64_t>(filter.limit));
  numbers.push_back(static_cast<std::int64_t>(filter.offset));

  Statement statement(db_.get(), sql);
  if (!statement.valid()) return statement.error("quarantine index");
  for (const auto& text : texts) statement.bind(text);
  for (auto number : numbers) statement.bind(number);
  std::vector<QuarantineSummary> out;
  int step = SQLITE_ROW;
  while ((step = statement.step()) == SQLITE_ROW) {
    QuarantineSummary entry;
    entry.id = statement.text(0);
    entry.time = std::chrono::system_clock::time_point(std::chrono::milliseconds(statement.integer(1)));
    parse_status(statement.text(2), entry.status);
    entry.sender = statement.text(3);
    entry.recipients = json_strings(statement.text(4));
    entry.action = statement.text(5);
    entry.rules = json_strings(statement.text(6));
    entry.size = static_cast<std::size_t>(statement.integer(7));
    entry.removed_recipients = json_strings(statement.text(8));
    out.push_back(std::move(entry));
  }
  if (step != SQLITE_DONE) return statement.error("quarantine index");
  return out;
}

Result<std::optional<QuarantineStatus>> QuarantineIndex::status(const std::string& id) {
  Statement statement(db_.get(), "SELECT status FROM entries WHERE id = ?");
  if (!statement.valid()) return statement.error("quarantine index");
  statement.bind(id);
  const int step = statement.step();
  if (step == SQLITE_DONE) return std::optional<QuarantineStatus>();
  if (step != SQLITE_ROW) return statement.error("quarantine index");
  QuarantineStatus status = QuarantineStatus::held;
  parse_status(statement.text(0), status);
  return std::optional<QuarantineStatus>(status);
}

Result<bool> QuarantineIndex::set_status(const std::string& id, QuarantineStatus status) {
  Statement statement(db_.get(), "UPDATE entries SET status = ?, status_time = ? WHERE id = ?");
  if (!statement.valid()) return statement.error("quarantine index");
  statement.bind(std::string(to_string(status))).bind(now_millis()).bind(id);
  if (statement.step() != SQLITE_DONE) return statement.error("quarantine index update of " + id);
  return sqlite3_changes(db_.get()) > 0;
}

Result<bool> QuarantineIndex::change_status(const std::string& id, QuarantineStatus from, QuarantineStatus to) {
  Statement statement(db_.get(), "UPDATE entries SET status = ?, status_time = ? WHERE id = ? AND status = ?");
  if (!statement.valid()) return statement.error("quarantine index");
  statement.bind(std::string(to_string(to))).bind(now_millis()).bind(id).bind(std::string(to_string(from)));
  if (statement.step() != SQLITE_DONE) return statement.error("quarantine index update of " + id);
  return sqlite3_changes(db_.get()) > 0;
}

Result<std::vector<std::string>> QuarantineIndex::older_than(std::chrono::system_clock::time_point cutoff) {
  Statement statement(db_.get(), "SELECT id FROM entries WHERE time < ? ORDER BY time");
  if (!statement.valid()) return statement.error("quarantine index");
  statement.bind(millis(cutoff));
  std::vector<std::string> out;
  int step = SQLITE_ROW;
  while ((step = statement.step()) == SQLITE_ROW) out.push_back(statement.text(0));
  if (step != SQLITE_DONE) return statement.error("quarantine index");
  return out;
}

Result<std::vector<std::string>> QuarantineIndex::ids_not_deleted() {
  Statement statement(db_.get(), "SELECT id FROM entries WHERE status != 'deleted'");
  if (!statement.valid()) return statement.error("quarantine index");
  std::vector<std::string> out;
  int step = SQLITE_ROW;
  while ((step = statement.step()) == SQLITE_ROW) out.push_back(statement.text(0));
  if (step != SQLITE_DONE) return statement.error("quarantine index");
  return out;
}

Status QuarantineIndex::erase(const std::string& id) {
  if (auto begun = exec("BEGIN IMMEDIATE"); !begun) return begun;
  for (const char* table : {"entries", "entry_recipients", "entry_rules", "release_tokens"}) {
    if (auto erased = run(db_.get(), std::string("DELETE FROM ") + table + " WHERE id = ?", {id}); !erased) {
      (void)exec("ROLLBACK");
      return erased;
    }
  }
  return exec("COMMIT");
}

Status QuarantineIndex::record_token(const std::string& nonce, const std::string& id,
                                     std::chrono::system_clock::time_point expires) {
  return run(db_.get(), "INSERT INTO release_tokens(nonce, id, expires) VALUES(?, ?, ?)", {nonce, id},
             {millis(expires)});
}

Result<bool> QuarantineIndex::consume_token(const std::string& nonce, std::chrono::system_clock::time_point now) {
  // One statement: of two processes racing for the same nonce, one changes
  // the row and the other finds it already used.
  Statement statement(db_.get(),
                      "UPDATE release_tokens SET used_at = ? WHERE nonce = ? AND used_at IS NULL AND expires > ?");
  if (!statement.valid()) return statement.error("quarantine index");
  statement.bind(millis(now)).bind(nonce).bind(millis(now));
  if (statement.step() != SQLITE_DONE) return statement.error("quarantine index");
  return sqlite3_changes(db_.get()) == 1;
}

}  // namespace privmilter
