#include "audit_files.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>
#include <utility>

#include "privmilter/file_io.h"

namespace privmilter::audit {

namespace {

constexpr off_t kTailChunk = 64 * 1024;

bool all_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The seq in a rotated file's suffix "20261118T110640Z-000000000041".
std::optional<std::uint64_t> rotated_seq(std::string_view suffix) {
  if (suffix.size() < 18 || suffix[8] != 'T' || suffix[15] != 'Z' || suffix[16] != '-') return std::nullopt;
  if (!all_digits(suffix.substr(0, 8)) || !all_digits(suffix.substr(9, 6)) || !all_digits(suffix.substr(17))) {
    return std::nullopt;
  }
  if (suffix.size() - 17 > 19) return std::nullopt;
  return std::stoull(std::string(suffix.substr(17)));
}

Status lock_fd(int fd, int operation) {
  while (::flock(fd, operation) != 0) {
    if (errno != EINTR) return make_error("cannot lock the audit log: " + errno_text(errno));
  }
  return {};
}

}  // namespace

std::filesystem::path head_path(const std::filesystem::path& log) { return log.string() + ".head"; }
std::filesystem::path lock_path(const std::filesystem::path& log) { return log.string() + ".lock"; }

std::filesystem::path rotated_path(const std::filesystem::path& log, std::chrono::system_clock::time_point when,
                                   std::uint64_t last_seq) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(when);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &utc);
  char suffix[64];
  std::snprintf(suffix, sizeof suffix, "%s-%012llu", stamp, static_cast<unsigned long long>(last_seq));
  return log.string() + "." + suffix;
}

std::vector<std::filesystem::path> rotated_files(const std::filesystem::path& log) {
  std::vector<std::pair<std::uint64_t, std::filesystem::path>> found;
  const std::string prefix = log.filename().string() + ".";
  std::error_code ec;
  const auto directory = log.has_parent_path() ? log.parent_path() : std::filesystem::path(".");
  for (const auto& entry : std::filesystem::directory_iterator(directory, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
    if (auto seq = rotated_seq(std::string_view(name).substr(prefix.size()))) found.emplace_back(*seq, entry.path());
  }
  std::sort(found.begin(), found.end());
  std::vector<std::filesystem::path> files;
  for (auto& [seq, path] : found) files.push_back(std::move(path));
  return files;
}

Result<Tail> read_tail(int fd, off_t size) {
  Tail tail;
  std::string buffer;  // the bytes [start, size)
  off_t start = size;
  while (start > 0) {
    const off_t from = std::max<off_t>(0, start - kTailChunk);
    std::string chunk(static_cast<std::size_t>(start - from), '\0');
    if (auto read = pread_all(fd, chunk.data(), chunk.size(), from); !read) return read.error();
    buffer.insert(0, chunk);
    start = from;
    const auto last_newline = buffer.rfind('\n');
    if (last_newline == std::string::npos) continue;
    // The last complete line ends at last_newline; it starts after the
    // newline before it, or at the start of the file.
    const auto before = last_newline == 0 ? std::string::npos : buffer.rfind('\n', last_newline - 1);
    if (before == std::string::npos && start > 0) continue;
    const std::size_t line_start = before == std::string::npos ? 0 : before + 1;
    tail.last_line = buffer.substr(line_start, last_newline - line_start);
    tail.last_line_offset = start + static_cast<off_t>(line_start);
    tail.partial = buffer.substr(last_newline + 1);
    tail.partial_offset = start + static_cast<off_t>(last_newline + 1);
    return tail;
  }
  // No newline at all: everything there is is a partial line.
  tail.partial = std::move(buffer);
  tail.partial_offset = 0;
  return tail;
}

Result<std::string> read_whole_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("cannot read " + path.string() + ": " + errno_text(errno));
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) return make_error("cannot read " + path.string());
  return content.str();
}

void for_each_line(std::string_view content,
                   const std::function<bool(std::string_view, std::size_t, std::size_t, bool)>& visit) {
  std::size_t offset = 0;
  std::size_t number = 0;
  while (offset < content.size()) {
    const auto newline = content.find('\n', offset);
    const bool complete = newline != std::string_view::npos;
    const std::size_t end = complete ? newline : content.size();
    if (!visit(content.substr(offset, end - offset), offset, ++number, complete)) return;
    offset = end + 1;
  }
}

Result<LogLock> LogLock::acquire(const std::filesystem::path& log, bool exclusive) {
  const int flags = exclusive ? (O_RDWR | O_CREAT | O_CLOEXEC) : (O_RDONLY | O_CLOEXEC);
  const int fd = ::open(lock_path(log).c_str(), flags, 0600);
  LogLock lock;
  if (fd < 0) {
    if (exclusive) return make_error("cannot open " + lock_path(log).string() + ": " + errno_text(errno));
    return lock;
  }
  lock.fd_ = fd;
  lock.owns_fd_ = true;
  if (auto locked = lock_fd(fd, exclusive ? LOCK_EX : LOCK_SH); !locked) return locked.error();
  return lock;
}

Result<LogLock> LogLock::acquire_fd(int fd) {
  if (auto locked = lock_fd(fd, LOCK_EX); !locked) return locked.error();
  LogLock lock;
  lock.fd_ = fd;
  return lock;
}

LogLock::LogLock(LogLock&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), owns_fd_(std::exchange(other.owns_fd_, false)) {}

LogLock::~LogLock() {
  if (fd_ < 0) return;
  ::flock(fd_, LOCK_UN);
  if (owns_fd_) ::close(fd_);
}

std::vector<Line> split_lines(std::string_view content) {
  std::vector<Line> lines;
  for_each_line(content, [&lines](std::string_view text, std::size_t offset, std::size_t number, bool complete) {
    lines.push_back({text, offset, number, complete});
    return true;
  });
  return lines;
}

}  // namespace privmilter::audit
