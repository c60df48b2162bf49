#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <functional>

#include "privmilter/json.h"
#include "privmilter/enforce.h"
#include "privmilter/file_io.h"
#include "privmilter/unique_fd.h"

namespace privmilter {

namespace {

// Writes a file so that after return it is either complete under `final_path`
// or absent: temporary name, fsync, rename. The directory fsync is the caller's.
Status write_file_durably(const std::filesystem::path& final_path,
                          const std::function<Status(int fd)>& write_content) {
  const std::filesystem::path temporary = final_path.string() + ".tmp";
  UniqueFd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd.valid()) return make_error("cannot create " + temporary.string() + ": " + errno_text(errno));
  Status written = write_content(fd.get());
  if (written && ::fsync(fd.get()) != 0) written = make_error("fsync of " + temporary.string() + " failed: " + errno_text(errno));
  if (written && ::close(fd.release()) != 0) written = make_error("close of " + temporary.string() + " failed: " + errno_text(errno));
  if (written && ::rename(temporary.c_str(), final_path.c_str()) != 0) {
    written = make_error("rename to " + final_path.string() + " failed: " + errno_text(errno));
  }
  if (!written) ::unlink(temporary.c_str());
  return written;
}

}  // namespace

QuarantineStore::QuarantineStore(std::filesystem::path directory) : directory_(std::move(directory)) {}

Status QuarantineStore::open() {
  if (auto made = ensure_private_directory(directory_); !made) return made;
  if (::access(directory_.c_str(), W_OK | X_OK) != 0) {
    return make_error("quarantine directory " + directory_.string() + " is not writable: " + errno_text(errno));
  }
  return {};
}

Status QuarantineStore::store(const std::string& id, const Envelope& envelope, const Verdict& verdict,
                              const MessageSpool& message, std::chrono::system_clock::time_point when) {
  if (auto made = ensure_private_directory(directory_); !made) return made;
  const auto message_path = directory_ / (id + ".eml");
  const auto record_path = directory_ / (id + ".json");

  if (auto stored = write_file_durably(message_path, [&](int fd) { return message.copy_to(fd); }); !stored) {
    return stored;
  }
  const nlohmann::json record{{"id", id},
                              {"time", format_utc(when)},
                              {"status", "held"},
                              {"size", message.size()},
                              {"envelope", to_json_value(envelope)},
                              {"verdict", to_json_value(verdict)}};
  // The record is renamed last: its presence marks a complete entry.
  auto recorded = write_file_durably(record_path, [&](int fd) { return write_all(fd, record.dump(2) + "\n"); });
  if (!recorded) {
    ::unlink(message_path.c_str());
    return recorded;
  }
  return fsync_directory(directory_);
}

}  // namespace privmilter
