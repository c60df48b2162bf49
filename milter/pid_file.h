#pragma once
// The daemon's pid file, so that privmilterctl can find the process to
// signal. Written once the process id is final (after detaching) and
// removed on a clean stop, unless another process has claimed it since.

#include <sys/types.h>

#include <filesystem>

#include "privmilter/result.h"

namespace privmilter::milter {

class PidFile {
 public:
  // Records this process (mode 0644, parent directory created when missing).
  static Result<PidFile> write(std::filesystem::path path);

  PidFile(PidFile&& other) noexcept;
  PidFile& operator=(PidFile&& other) noexcept;
  PidFile(const PidFile&) = delete;
  PidFile& operator=(const PidFile&) = delete;
  ~PidFile() { remove(); }

  void remove();
  const std::filesystem::path& path() const { return path_; }

 private:
  PidFile(std::filesystem::path path, pid_t pid) : path_(std::move(path)), pid_(pid) {}
  std::filesystem::path path_;  // empty once removed or moved from
  pid_t pid_ = -1;
};

Result<pid_t> read_pid_file(const std::filesystem::path& path);

}  // namespace privmilter::milter
