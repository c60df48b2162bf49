// The audit log writer: group commit within the process (leader and
// followers among the appending threads), an exclusive flock around each
// batch across processes, rotation under that lock, and the head file.

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <utility>

#include "audit_chain.h"
#include "audit_files.h"
#include "privmilter/audit.h"
#include "privmilter/file_io.h"
#include "privmilter/json.h"
#include "privmilter/unique_fd.h"

namespace privmilter {

namespace {

struct Pending {
  nlohmann::json record;
  bool done = false;
  Status result;
};

// A partial line found at the end of the log, to be closed and named.
struct Damage {
  off_t offset = 0;
  std::size_t bytes = 0;
  std::string sha256;
};

Status error_at(const std::filesystem::path& path, const std::string& what) {
  return make_error("audit log " + path.string() + ": " + what);
}

}  // namespace

struct AuditLog::State {
  explicit State(AuditLogOptions opts) : options(std::move(opts)) {}

  AuditLogOptions options;
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<Pending*> queue;  // guarded by mutex
  bool writing = false;         // guarded by mutex: a leader owns the fields below
  bool opened = false;          // guarded by mutex
  std::atomic<std::uint64_t> commits{0};

  UniqueFd lock_fd;
  UniqueFd fd;
  dev_t device = 0;
  ino_t inode = 0;
  off_t known_size = -1;  // -1: reread the tail before the next batch
  std::uint64_t seq = 0;
  std::string mac{audit::kGenesis};
  std::string continues_from;  // a rotated file the (empty) current file follows
  std::optional<Damage> damage;

  const std::filesystem::path& path() const { return options.path; }

  Status set_aside_unchained_log();
  Status refresh();
  Status load_tail(off_t size);
  Status check_head();
  Status rotate(std::chrono::system_clock::time_point now);
  Status commit(std::vector<nlohmann::json> records);
  void take_back_failed_batch();
  void write_head();
};

// A log from before the chain existed cannot be continued; keeping it
// beside the new chain (but outside it) loses nothing.
Status AuditLog::State::set_aside_unchained_log() {
  std::error_code ec;
  if (std::filesystem::exists(audit::head_path(path()), ec) || !std::filesystem::is_regular_file(path(), ec)) return {};
  UniqueFd in(::open(path().c_str(), O_RDONLY | O_CLOEXEC));
  if (!in.valid()) return {};
  std::string first(4096, '\0');
  const ssize_t n = ::pread(in.get(), first.data(), first.size(), 0);
  if (n <= 0) return {};
  first.resize(static_cast<std::size_t>(n));
  const auto record = audit::parse_line(first.substr(0, first.find('\n')));
  if (record.is_discarded() || record.contains("mac")) return {};
  const auto aside = path().string() + ".unchained-" + format_utc(std::chrono::system_clock::now());
  if (::rename(path().c_str(), aside.c_str()) != 0) return error_at(path(), "cannot set aside: " + errno_text(errno));
  spdlog::warn("audit log {} predates the chained format; kept as {}, a new chain begins", path().string(), aside);
  return fsync_directory(path().parent_path());
}

// Another process may have appended, rotated or crashed mid-write since
// this one last wrote: then the chain continues from what is on disk.
Status AuditLog::State::refresh() {
  struct stat on_disk {};
  const bool present = ::stat(path().c_str(), &on_disk) == 0;
  if (!present && errno != ENOENT) return error_at(path(), errno_text(errno));
  if (!fd.valid() || !present || on_disk.st_dev != device || on_disk.st_ino != inode) {
    UniqueFd opened(::open(path().c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600));
    if (!opened.valid()) return error_at(path(), "cannot open: " + errno_text(errno));
    if (!present) {
      if (auto synced = fsync_directory(path().parent_path()); !synced) return synced;
    }
    struct stat info {};
    if (::fstat(opened.get(), &info) != 0) return error_at(path(), errno_text(errno));
    fd = std::move(opened);
    device = info.st_dev;
    inode = info.st_ino;
    known_size = -1;
  }
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) return error_at(path(), errno_text(errno));
  if (info.st_size == known_size) return {};
  return load_tail(info.st_size);
}

Status AuditLog::State::load_tail(off_t size) {
  auto tail = audit::read_tail(fd.get(), size);
  if (!tail) return error_at(path(), tail.error().message);
  std::filesystem::path source = path();
  std::optional<std::string> last = tail->last_line;
  continues_from.clear();
  if (!last) {
    // A current file without records continues the newest rotated one.
    const auto rotated = audit::rotated_files(path());
    if (!rotated.empty()) {
      source = rotated.back();
      UniqueFd in(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
      struct stat info {};
      if (!in.valid() || ::fstat(in.get(), &info) != 0) return error_at(source, "cannot read: " + errno_text(errno));
      auto rotated_tail = audit::read_tail(in.get(), info.st_size);
      if (!rotated_tail) return error_at(source, rotated_tail.error().message);
      if (!rotated_tail->partial.empty()) return error_at(source, "ends with a partial line");
      last = rotated_tail->last_line;
      continues_from = source.filename().string();
    }
  }
  if (last) {
    auto link = audit::check_record(audit::parse_line(*last), *last, options.key);
    if (!link) return error_at(source, "its last record does not verify: " + link.error().message);
    seq = link->seq;
    mac = link->mac;
  } else {
    seq = 0;
    mac = std::string(audit::kGenesis);
  }
  damage.reset();
  if (!tail->partial.empty()) {
    damage = Damage{tail->partial_offset, tail->partial.size(), audit::sha256_hex(tail->partial)};
  }
  if (auto head = check_head(); !head) return head;
  if (damage) {
    spdlog::warn("audit log {}: partial last line at byte {} ({} bytes) from an interrupted write; recording it",
                 path().string(), damage->offset, damage->bytes);
  }
  known_size = size;
  return {};
}

// The head is written after the records it names are durable, so it may
// lag behind the chain's end after a crash, but never lead it.
Status AuditLog::State::check_head() {
  const auto head_file = audit::head_path(path());
  UniqueFd in(::open(head_file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in.valid()) {
    if (errno != ENOENT) return error_at(head_file, "cannot read: " + errno_text(errno));
    if (seq == 0) return {};
    return error_at(head_file, "missing while the log holds records; records cut off the end could not be "
                               "detected (run privmilterctl audit verify)");
  }
  std::string content(audit::kHeadSize, '\0');
  const ssize_t n = ::pread(in.get(), content.data(), content.size(), 0);
  if (n < 0) return error_at(head_file, errno_text(errno));
  content.resize(static_cast<std::size_t>(n));
  auto head = audit::decode_head(content, options.key);
  if (!head) return error_at(head_file, head.error().message);
  if (!head->authentic) {
    return error_at(head_file, "does not verify with this key (key " + options.key.fingerprint() + ", written with " +
                                   head->key_fingerprint + ")");
  }
  if (head->seq > seq) {
    return error_at(path(), "truncated: the log ends at seq " + std::to_string(seq) + " but the head file records seq " +
                                std::to_string(head->seq) + " (run privmilterctl audit verify)");
  }
  if (head->seq == seq && head->mac != mac) return error_at(head_file, "does not match the log's last record");
  return {};
}

Status AuditLog::State::rotate(std::chrono::system_clock::time_point now) {
  const auto target = audit::rotated_path(path(), now, seq);
  if (std::filesystem::exists(target)) return error_at(target, "exists already; not rotating onto it");
  if (::rename(path().c_str(), target.c_str()) != 0) return error_at(path(), "cannot rotate: " + errno_text(errno));
  UniqueFd opened(::open(path().c_str(), O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!opened.valid()) return error_at(path(), "cannot start a new file: " + errno_text(errno));
  if (auto synced = fsync_directory(path().parent_path()); !synced) return synced;
  struct stat info {};
  if (::fstat(opened.get(), &info) != 0) return error_at(path(), errno_text(errno));
  fd = std::move(opened);
  device = info.st_dev;
  inode = info.st_ino;
  known_size = 0;
  continues_from = target.filename().string();
  return {};
}

Status AuditLog::State::commit(std::vector<nlohmann::json> records) {
  auto lock = audit::LogLock::acquire_fd(lock_fd.get());
  if (!lock) return lock.error();
  if (auto refreshed = refresh(); !refreshed) return refreshed;
  const auto now = std::chrono::system_clock::now();
  std::string buffer;
  std::vector<nlohmann::json> preamble;
  if (damage) {
    // Closes the partial line so that the next record starts on its own.
    buffer += '\n';
    preamble.push_back({{"type", "recovered"},
                        {"time", format_utc(now)},
                        {"file", path().filename().string()},
                        {"damaged", {{"offset", damage->offset}, {"bytes", damage->bytes}, {"sha256", damage->sha256}}}});
  } else if (options.rotate_bytes > 0 && seq > 0 && known_size >= static_cast<off_t>(options.rotate_bytes)) {
    if (auto rotated = rotate(now); !rotated) return rotated;
  }
  if (!continues_from.empty()) {
    preamble.push_back({{"type", "rotate"}, {"time", format_utc(now)}, {"previous", continues_from}});
  }
  std::uint64_t next_seq = seq;
  std::string next_mac = mac;
  for (auto* group : {&preamble, &records}) {
    for (auto& record : *group) {
      auto sealed = audit::seal_record(std::move(record), ++next_seq, next_mac, options.key);
      buffer += sealed.line;
      buffer += '\n';
      next_mac = std::move(sealed.mac);
    }
  }
  if (auto written = write_all(fd.get(), buffer); !written) {
    take_back_failed_batch();
    return error_at(path(), written.error().message);
  }
  if (::fdatasync(fd.get()) != 0) {
    const int error = errno;
    take_back_failed_batch();
    return error_at(path(), "fdatasync failed: " + errno_text(error));
  }
  commits.fetch_add(1, std::memory_order_relaxed);
  seq = next_seq;
  mac = std::move(next_mac);
  known_size += static_cast<off_t>(buffer.size());
  damage.reset();
  continues_from.clear();
  write_head();
  return {};
}

// A batch that failed (a full disk, an I/O error) did not take effect: its
// callers defer their messages, so none of its records may stay, not even
// the complete ones. Cut back to where it began; should that fail too, the
// partial line left is found and recorded next time, as after a crash.
void AuditLog::State::take_back_failed_batch() {
  if (known_size < 0 || ::ftruncate(fd.get(), known_size) != 0) known_size = -1;
}

// The records are durable already; a head that could not be updated only
// lags, which verification tolerates, so the records still count.
void AuditLog::State::write_head() {
  const auto head_file = audit::head_path(path());
  UniqueFd out(::open(head_file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
  if (!out.valid()) {
    spdlog::error("audit head {}: cannot open: {}", head_file.string(), errno_text(errno));
    return;
  }
  const std::string content = audit::encode_head(seq, mac, options.key);
  if (::pwrite(out.get(), content.data(), content.size(), 0) != static_cast<ssize_t>(content.size())) {
    spdlog::error("audit head {}: cannot write: {}", head_file.string(), errno_text(errno));
  }
}

AuditLog::AuditLog(AuditLogOptions options) : state_(std::make_unique<State>(std::move(options))) {}

AuditLog::~AuditLog() = default;

const std::filesystem::path& AuditLog::path() const { return state_->path(); }

std::uint64_t AuditLog::commits() const { return state_->commits.load(std::memory_order_relaxed); }

Status AuditLog::open() {
  State& s = *state_;
  std::unique_lock guard(s.mutex);
  if (s.opened) return {};
  s.changed.wait(guard, [&s] { return !s.writing; });
  if (auto made = ensure_private_directory(s.path().parent_path()); !made) return made;
  UniqueFd lock_fd(::open(audit::lock_path(s.path()).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!lock_fd.valid()) return error_at(audit::lock_path(s.path()), "cannot open: " + errno_text(errno));
  auto lock = audit::LogLock::acquire_fd(lock_fd.get());
  if (!lock) return lock.error();
  if (auto aside = s.set_aside_unchained_log(); !aside) return aside;
  if (auto refreshed = s.refresh(); !refreshed) return refreshed;
  s.lock_fd = std::move(lock_fd);
  s.opened = true;
  return {};
}

Status AuditLog::append(nlohmann::json event) {
  if (!event.is_object() || !event.contains("type") || !event["type"].is_string()) {
    return make_error("audit event must be a JSON object with a \"type\"");
  }
  for (const char* reserved : {"seq", "prev", "mac"}) {
    if (event.contains(reserved)) return make_error(std::string("audit event sets the chain field ") + reserved);
  }
  if (!event.contains("time")) event["time"] = format_utc(std::chrono::system_clock::now());
  Pending pending{audit::sanitize_event(event), false, {}};

  State& s = *state_;
  std::unique_lock guard(s.mutex);
  if (!s.opened) return error_at(s.path(), "not open");
  s.queue.push_back(&pending);
  // Whoever finds no batch in progress writes everything queued so far,
  // its own record included; the others wait for that one fdatasync.
  while (!pending.done) {
    if (s.writing) {
      s.changed.wait(guard);
      continue;
    }
    s.writing = true;
    std::vector<Pending*> batch = std::exchange(s.queue, {});
    guard.unlock();
    std::vector<nlohmann::json> records;
    records.reserve(batch.size());
    for (Pending* item : batch) records.push_back(std::move(item->record));
    // Whatever happens, the batch is answered and the next writer may go:
    // an exception left unanswered would block every later append.
    const Status result = [&]() -> Status {
      try {
        return s.commit(std::move(records));
      } catch (const std::exception& e) {
        return error_at(s.path(), std::string("cannot write: ") + e.what());
      }
    }();
    guard.lock();
    for (Pending* item : batch) {
      item->result = result;
      item->done = true;
    }
    s.writing = false;
    s.changed.notify_all();
  }
  guard.unlock();
  // The head is not synced: it exists to catch records deliberately cut
  // from the end, which does not depend on when it reaches the disk, and
  // after a crash a head behind the chain's end is tolerated (one ahead of
  // it never happens, since it is written after the records are durable).
  // Syncing it would double the fdatasyncs per batch.
  return pending.result;
}

}  // namespace privmilter
