#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
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

// A write holds an exclusive lock on its temporary file until the rename,
// and the kernel drops the lock when the writer dies (kill -9, crash), so
// an unlocked temporary file is what an interrupted write left behind.
Result<UniqueFd> create_locked_temporary(const std::filesystem::path& temporary) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    UniqueFd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd.valid()) return make_error("cannot create " + temporary.string() + ": " + errno_text(errno));
    if (::flock(fd.get(), LOCK_EX) != 0) return make_error("cannot lock " + temporary.string() + ": " + errno_text(errno));
    struct stat info {};
    if (::fstat(fd.get(), &info) != 0) return make_error("cannot stat " + temporary.string() + ": " + errno_text(errno));
    // Removed as abandoned between its creation and the lock: make it again.
    if (info.st_nlink > 0) return fd;
  }
  return make_error("cannot create " + temporary.string() + ": removed while being created");
}

// Temporary files of writes that never finished; nothing else reads them,
// and they hold no complete entry.
void remove_abandoned_temporaries(const std::filesystem::path& directory) {
  std::error_code error;
  for (const auto& item : std::filesystem::directory_iterator(directory, error)) {
    if (!ends_with(item.path().filename().string(), kTemporarySuffix)) continue;
    UniqueFd fd(::open(item.path().c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd.valid() || ::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) continue;  // gone, or a write in progress
    if (::unlink(item.path().c_str()) == 0) {
      spdlog::warn("quarantine: removed {}, left by a write that did not finish", item.path().string());
    }
  }
}

Result<QuarantineSummary> read_summary(const std::filesystem::path& path, const std::string& id, const SecretKey& key) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.valid()) return make_error(errno_text(errno));
  quarantine_record::Reader reader(false);
  if (auto opened = at_rest::open_entry(fd.get(), key, id, [&](std::string_view chunk) { return reader.take(chunk); });
      !opened) {
    return opened.error();
  }
  auto record = reader.record();
  if (!record) return record.error();
  return quarantine_record::summary(*record);
}

std::string entry_id(const std::string& file_name) {
  return file_name.substr(0, file_name.size() - std::string_view(kExtension).size());
}

// A crash between an entry's rename and its index row leaves a complete
// entry the index does not know; it is indexed here so reviewers see it.
Status index_unlisted_entries(const std::filesystem::path& directory, const SecretKey& key, QuarantineIndex& db) {
  auto listed = db.ids_not_deleted();
  if (!listed) return listed.error();
  const std::set<std::string> known(listed->begin(), listed->end());
  std::error_code error;
  for (const auto& item : std::filesystem::directory_iterator(directory, error)) {
    const std::string name = item.path().filename().string();
    if (!ends_with(name, kExtension)) continue;
    const std::string id = entry_id(name);
    if (known.contains(id)) continue;
    auto status = db.status(id);
    if (!status) return status.error();
    if (status->has_value()) continue;
    auto summary = read_summary(item.path(), id, key);
    if (!summary) {
      spdlog::warn("quarantine: {} is not in the index and cannot be read: {}", name, summary.error().message);
      continue;
    }
    if (auto indexed = db.upsert(*summary); !indexed) return indexed;
    spdlog::warn("quarantine: entry {} was missing from the index; indexed it", id);
  }
  if (error) return make_error("cannot read " + directory.string() + ": " + error.message());
  return {};
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
  remove_abandoned_temporaries(directory_);
  std::lock_guard lock(index_->mutex);
  if (index_->db) return {};
  auto db = QuarantineIndex::open(directory_ / kDatabase);
  if (!db) return db.error();
  if (auto indexed = index_unlisted_entries(directory_, key_, **db); !indexed) {
    spdlog::error("quarantine: cannot check the index against the entries: {}", indexed.error().message);
  }
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
    auto created = create_locked_temporary(temporary);
    if (!created) return created.error();
    UniqueFd fd = std::move(*created);
    at_rest::EntryWriter writer(fd.get(), key_, id);
    if (auto begun = writer.begin(); !begun) return begun;
    if (auto framed = writer.write(quarantine_record::frame(record)); !framed) return framed;
    if (auto body = stream_spool(message, writer); !body) return body;
    if (auto finished = writer.finish(); !finished) return finished;
    if (::fsync(fd.get()) != 0) return make_error("fsync of " + temporary.string() + " failed: " + errno_text(errno));
    // Renamed while still open, and so locked: an unlocked temporary file
    // counts as abandoned. Its content is synced already.
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
  // upsert: a privmilterctl opening the store right after the rename may
  // have indexed the entry already.
  if (auto indexed = index_->db->upsert(*summary); !indexed) {
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
  for (const auto& item : std::filesystem::directory_iterator(directory_, error)) {
    const std::string name = item.path().filename().string();
    if (!ends_with(name, kExtension)) continue;
    const std::string id = entry_id(name);
    present.insert(id);
    auto summary = read_summary(item.path(), id, key_);
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
