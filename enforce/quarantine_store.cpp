#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <mutex>
#include <set>

#include "at_rest_cipher.h"
#include "quarantine_index.h"
#include "quarantine_record.h"
#include "privmilter/file_io.h"
#include "privmilter/quarantine.h"
#include "privmilter/unique_fd.h"

namespace privmilter {

namespace {

constexpr const char* kExtension = ".pmq";
constexpr const char* kTemporarySuffix = ".pmq.tmp";
constexpr const char* kDatabase = "quarantine.db";
constexpr std::size_t kChunk = std::size_t{1} << 16;
// A temporary file this old belongs to no write still in progress.
constexpr auto kStaleTemporary = std::chrono::hours(1);

Status stream_spool(const MessageSpool& message, at_rest::EntryWriter& writer) {
  if (message.in_memory()) return writer.write(message.memory());
  std::string buffer(kChunk, '\0');
  for (std::size_t offset = 0; offset < message.size();) {
    const std::size_t chunk = std::min(kChunk, message.size() - offset);
    if (auto read = pread_all(message.fd(), buffer.data(), chunk, static_cast<off_t>(offset)); !read) return read;
    if (auto written = writer.write(std::string_view(buffer.data(), chunk)); !written) return written;
    offset += chunk;
  }
  return {};
}

bool ends_with(const std::string& text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

struct QuarantineStore::Index {
  std::mutex mutex;
  std::unique_ptr<QuarantineIndex> db;
};

QuarantineStore::QuarantineStore(std::filesystem::path directory, SecretKey key)
    : directory_(std::move(directory)), key_(std::move(key)), index_(std::make_unique<Index>()) {}

QuarantineStore::~QuarantineStore() = default;

Status QuarantineStore::open() {
  if (auto made = ensure_private_directory(directory_); !made) return made;
  if (::access(directory_.c_str(), W_OK | X_OK) != 0) {
    return make_error("quarantine directory " + directory_.string() + " is not writable: " + errno_text(errno));
  }
  std::lock_guard lock(index_->mutex);
  if (index_->db) return {};
  auto db = QuarantineIndex::open(directory_ / kDatabase);
  if (!db) return db.error();
  index_->db = std::move(*db);
  return {};
}

void QuarantineStore::close_index() {
  std::lock_guard lock(index_->mutex);
  index_->db.reset();
}

Status QuarantineStore::store(const std::string& id, const Envelope& envelope, const Verdict& verdict,
                              const MessageSpool& message, std::chrono::system_clock::time_point when) {
  if (!quarantine_record::valid_id(id)) return make_error("invalid quarantine entry id '" + id + "'");
  if (auto made = ensure_private_directory(directory_); !made) return made;
  const auto final_path = directory_ / (id + kExtension);
  const auto temporary = directory_ / (id + kTemporarySuffix);
  if (::access(final_path.c_str(), F_OK) == 0) return make_error("quarantine entry " + id + " already exists");

  const nlohmann::json record = quarantine_record::make(id, envelope, verdict, when, message.size());
  Status written = [&]() -> Status {
    UniqueFd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd.valid()) return make_error("cannot create " + temporary.string() + ": " + errno_text(errno));
    at_rest::EntryWriter writer(fd.get(), key_, id);
    if (auto begun = writer.begin(); !begun) return begun;
    if (auto framed = writer.write(quarantine_record::frame(record)); !framed) return framed;
    if (auto body = stream_spool(message, writer); !body) return body;
    if (auto finished = writer.finish(); !finished) return finished;
    if (::fsync(fd.get()) != 0) return make_error("fsync of " + temporary.string() + " failed: " + errno_text(errno));
    if (::close(fd.release()) != 0) return make_error("close of " + temporary.string() + " failed: " + errno_text(errno));
    if (::rename(temporary.c_str(), final_path.c_str()) != 0) {
      return make_error("rename to " + final_path.string() + " failed: " + errno_text(errno));
    }
    return {};
  }();
  if (!written) {
    ::unlink(temporary.c_str());
    return make_error("quarantine write of " + id + " failed: " + written.error().message);
  }
  if (auto synced = fsync_directory(directory_); !synced) {
    // Not durable, so not stored: the MTA keeps its copy and retries.
    ::unlink(final_path.c_str());
    return synced;
  }

  // The file is the truth; an index that missed it is repaired by reindex().
  auto summary = quarantine_record::summary(record);
  std::lock_guard lock(index_->mutex);
  if (!index_->db) {
    if (auto db = QuarantineIndex::open(directory_ / kDatabase); db) {
      index_->db = std::move(*db);
    } else {
      spdlog::error("quarantine entry {} stored, but the index cannot be opened: {} (run privmilterctl quarantine "
                    "reindex)", id, db.error().message);
      return {};
    }
  }
  if (auto indexed = index_->db->insert(*summary); !indexed) {
    spdlog::error("quarantine entry {} stored, but not indexed: {} (run privmilterctl quarantine reindex)", id,
                  indexed.error().message);
  }
  return {};
}

Result<std::vector<QuarantineSummary>> QuarantineStore::list(const QuarantineFilter& filter) const {
  std::lock_guard lock(index_->mutex);
  if (!index_->db) return make_error("quarantine index is not open");
  return index_->db->list(filter);
}

Result<QuarantinedMessage> QuarantineStore::load(const std::string& id) const {
  if (!quarantine_record::valid_id(id)) return make_error("invalid quarantine entry id '" + id + "'");
  const auto path = directory_ / (id + kExtension);
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.valid()) {
    if (errno == ENOENT) return make_error("no quarantine entry " + id);
    return make_error("cannot open " + path.string() + ": " + errno_text(errno));
  }
  quarantine_record::Reader reader(true);
  if (auto opened = at_rest::open_entry(fd.get(), key_, id, [&](std::string_view chunk) { return reader.take(chunk); });
      !opened) {
    return make_error("quarantine entry " + id + ": " + opened.error().message);
  }
  auto record = reader.record();
  if (!record) return make_error("quarantine entry " + id + ": " + record.error().message);
  auto summary = quarantine_record::summary(*record);
  if (!summary) return make_error("quarantine entry " + id + ": " + summary.error().message);

  QuarantinedMessage out;
  out.summary = std::move(*summary);
  out.envelope = quarantine_record::envelope(*record);
  out.removed_recipients = quarantine_record::removed_recipients(*record);
  out.record = std::move(*record);
  out.message = std::move(reader.message());
  std::lock_guard lock(index_->mutex);
  if (index_->db) {
    if (auto status = index_->db->status(id); status && status->has_value()) out.summary.status = **status;
  }
  return out;
}

Result<std::optional<QuarantineStatus>> QuarantineStore::status(const std::string& id) const {
  std::lock_guard lock(index_->mutex);
  if (!index_->db) return make_error("quarantine index is not open");
  return index_->db->status(id);
}

Status QuarantineStore::set_status(const std::string& id, QuarantineStatus status) {
  std::lock_guard lock(index_->mutex);
  if (!index_->db) return make_error("quarantine index is not open");
  auto updated = index_->db->set_status(id, status);
  if (!updated) return updated.error();
  if (!*updated) return make_error("no quarantine entry " + id + " in the index");
  return {};
}

Result<bool> QuarantineStore::change_status(const std::string& id, QuarantineStatus from, QuarantineStatus to) {
  std::lock_guard lock(index_->mutex);
  if (!index_->db) return make_error("quarantine index is not open");
  return index_->db->change_status(id, from, to);
}

Status QuarantineStore::remove(const std::string& id) {
  if (!quarantine_record::valid_id(id)) return make_error("invalid quarantine entry id '" + id + "'");
  const auto path = directory_ / (id + kExtension);
  bool removed_file = false;
  if (::unlink(path.c_str()) == 0) {
    removed_file = true;
    if (auto synced = fsync_directory(directory_); !synced) return synced;
  } else if (errno != ENOENT) {
    return make_error("cannot remove " + path.string() + ": " + errno_text(errno));
  }
  std::lock_guard lock(index_->mutex);
  if (!index_->db) return make_error("quarantine index is not open");
  auto updated = index_->db->set_status(id, QuarantineStatus::deleted);
  if (!updated) return updated.error();
  if (!*updated && !removed_file) return make_error("no quarantine entry " + id);
  return {};
}

Result<std::vector<std::string>> QuarantineStore::purge(std::chrono::system_clock::time_point cutoff) {
  std::lock_guard lock(index_->mutex);
  if (!index_->db) return make_error("quarantine index is not open");
  auto old = index_->db->older_than(cutoff);
  if (!old) return old.error();
  std::vector<std::string> purged;
  for (const auto& id : *old) {
    const auto path = directory_ / (id + kExtension);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      spdlog::error("quarantine purge: cannot remove {}: {}", path.string(), errno_text(errno));
      continue;
    }
    if (auto erased = index_->db->erase(id); !erased) return erased.error();
    purged.push_back(id);
  }
  // Entries the index never learned of age by their file's time.
  std::error_code error;
  const std::set<std::string> known(old->begin(), old->end());
  const auto cutoff_file = std::chrono::file_clock::from_sys(cutoff);
  for (const auto& item : std::filesystem::directory_iterator(directory_, error)) {
    const std::string name = item.path().filename().string();
    if (!ends_with(name, kExtension)) continue;
    const std::string id = name.substr(0, name.size() - std::string_view(kExtension).size());
    if (known.contains(id)) continue;
    auto status = index_->db->status(id);
    if (!status || status->has_value()) continue;
    if (item.last_write_time(error) < cutoff_file && !error && ::unlink(item.path().c_str()) == 0) {
      purged.push_back(id);
    }
  }
  if (!purged.empty()) {
    if (auto synced = fsync_directory(directory_); !synced) return synced.error();
  }
  return purged;
}

Result<std::size_t> QuarantineStore::reindex() {
  if (auto opened = open(); !opened) return opened.error();
  std::lock_guard lock(index_->mutex);
  std::size_t indexed = 0;
  std::set<std::string> present;
  std::error_code error;
  const auto stale = std::chrono::file_clock::now() - kStaleTemporary;
  for (const auto& item : std::filesystem::directory_iterator(directory_, error)) {
    const std::string name = item.path().filename().string();
    if (ends_with(name, kTemporarySuffix)) {
      std::error_code ignored;
      if (item.last_write_time(ignored) < stale) std::filesystem::remove(item.path(), ignored);
      continue;
    }
    if (!ends_with(name, kExtension)) continue;
    const std::string id = name.substr(0, name.size() - std::string_view(kExtension).size());
    present.insert(id);
    UniqueFd fd(::open(item.path().c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    quarantine_record::Reader reader(false);
    Status opened = fd.valid() ? at_rest::open_entry(fd.get(), key_, id,
                                                     [&](std::string_view chunk) { return reader.take(chunk); })
                               : Status(make_error(errno_text(errno)));
    auto record = opened ? reader.record() : Result<nlohmann::json>(opened.error());
    auto summary = record ? quarantine_record::summary(*record) : Result<QuarantineSummary>(record.error());
    if (!summary) {
      spdlog::warn("quarantine reindex: skipping {}: {}", name, summary.error().message);
      continue;
    }
    if (auto upserted = index_->db->upsert(*summary); !upserted) return upserted.error();
    ++indexed;
  }
  if (error) return make_error("cannot read " + directory_.string() + ": " + error.message());
  auto known = index_->db->ids_not_deleted();
  if (!known) return known.error();
  for (const auto& id : *known) {
    if (present.contains(id)) continue;
    spdlog::warn("quarantine reindex: entry {} has no file; marking it deleted", id);
    if (auto updated = index_->db->set_status(id, QuarantineStatus::deleted); !updated) return updated.error();
  }
  return indexed;
}

Status QuarantineStore::record_release_token(const std::string& nonce, const std::string& id,
                                             std::chrono::system_clock::time_point expires) {
  std::lock_guard lock(index_->mutex);
  if (!index_->db) return make_error("quarantine index is not open");
  return index_->db->record_token(nonce, id, expires);
}

Result<bool> QuarantineStore::consume_release_token(const std::string& nonce,
                                                    std::chrono::system_clock::time_point now) {
  std::lock_guard lock(index_->mutex);
  if (!index_->db) return make_error("quarantine index is not open");
  return index_->db->consume_token(nonce, now);
}

}  // namespace privmilter
