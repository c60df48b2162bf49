#include "pid_file.h"

#include <unistd.h>

#include <charconv>
#include <string>
#include <utility>

#include "state_file.h"

namespace privmilter::milter {

Result<PidFile> PidFile::write(std::filesystem::path path) {
  const pid_t pid = ::getpid();
  if (auto written = replace_file(path, std::to_string(pid) + "\n", 0644); !written) return written.error();
  return PidFile(std::move(path), pid);
}

PidFile::PidFile(PidFile&& other) noexcept
    : path_(std::exchange(other.path_, {})), pid_(std::exchange(other.pid_, -1)) {}

PidFile& PidFile::operator=(PidFile&& other) noexcept {
  if (this != &other) {
    remove();
    path_ = std::exchange(other.path_, {});
    pid_ = std::exchange(other.pid_, -1);
  }
  return *this;
}

void PidFile::remove() {
  if (path_.empty()) return;
  // A second instance started by mistake may have written its own pid here.
  if (auto recorded = read_pid_file(path_); recorded && *recorded == pid_) {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }
  path_.clear();
}

Result<pid_t> read_pid_file(const std::filesystem::path& path) {
  auto content = read_small_file(path);
  if (!content) return content.error();
  std::string_view text = *content;
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  pid_t pid = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), pid);
  if (error != std::errc() || end != text.data() + text.size() || pid <= 0) {
    return make_error(path.string() + " does not hold a process id");
  }
  return pid;
}

}  // namespace privmilter::milter
