#pragma once
// The files that make up an audit log beside its current file
// (audit.log): rotated files audit.log.<UTC>-<last seq>, the head file
// audit.log.head and the lock file audit.log.lock. Internal to enforce/.

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "privmilter/result.h"

namespace privmilter::audit {

std::filesystem::path head_path(const std::filesystem::path& log);
std::filesystem::path lock_path(const std::filesystem::path& log);
// audit.log.20261118T110640Z-000000000041: sortable by name, and the seq of
// its last record tells the order even if the clock went backwards.
std::filesystem::path rotated_path(const std::filesystem::path& log, std::chrono::system_clock::time_point when,
                                   std::uint64_t last_seq);
// The rotated files of `log`, oldest first (by the seq in their names).
std::vector<std::filesystem::path> rotated_files(const std::filesystem::path& log);

// The end of a file: its last complete line and whatever follows the last
// newline (a partial line left by an interrupted write).
struct Tail {
  std::optional<std::string> last_line;
  off_t last_line_offset = 0;
  std::string partial;
  off_t partial_offset = 0;
};
Result<Tail> read_tail(int fd, off_t size);

Result<std::string> read_whole_file(const std::filesystem::path& path);

// One line of a log file: where it starts, its 1-based number, and whether
// it ends with a newline (a last line without one was cut short).
struct Line {
  std::string_view text;
  std::size_t offset = 0;
  std::size_t number = 0;
  bool complete = true;
};
std::vector<Line> split_lines(std::string_view content);

// Calls `visit(line, offset, number, complete)` for each line of `content`;
// `complete` is false for a last line without a newline. Stops when
// `visit` returns false.
void for_each_line(std::string_view content,
                   const std::function<bool(std::string_view, std::size_t, std::size_t, bool)>& visit);

// A shared or exclusive flock(2) on the lock file, released on destruction.
class LogLock {
 public:
  LogLock() = default;
  // Opens (creating when `exclusive`) the lock file of `log`; a reader
  // that may not open it reads without the lock.
  static Result<LogLock> acquire(const std::filesystem::path& log, bool exclusive);
  // Locks an already open lock file descriptor (the writer keeps its own).
  static Result<LogLock> acquire_fd(int fd);
  ~LogLock();
  LogLock(LogLock&& other) noexcept;
  LogLock& operator=(LogLock&& other) = delete;
  LogLock(const LogLock&) = delete;
  LogLock& operator=(const LogLock&) = delete;

 private:
  int fd_ = -1;
  bool owns_fd_ = false;
};

}  // namespace privmilter::audit
