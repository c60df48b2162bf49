#pragma once
// A small tmpfs mounted over a directory while the object lives, so that a
// test can fill a disk (ENOSPC) without filling the machine's. Mounting
// needs root (CAP_SYS_ADMIN); tests skip without it.

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>

namespace privmilter::integration {

class TmpfsMount {
 public:
  // nullopt, with the reason in `why`, when it cannot be mounted here.
  static std::optional<TmpfsMount> over(const std::filesystem::path& directory, std::size_t bytes, std::string& why) {
    if (::geteuid() != 0) {
      why = "mounting a tmpfs needs root";
      return std::nullopt;
    }
    std::filesystem::create_directories(directory);
    const std::string options = "size=" + std::to_string(bytes) + ",mode=0700";
    if (::mount("tmpfs", directory.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) != 0) {
      why = "cannot mount a tmpfs on " + directory.string() + ": " + std::strerror(errno);
      return std::nullopt;
    }
    return TmpfsMount(directory);
  }

  TmpfsMount(TmpfsMount&& other) noexcept : directory_(std::exchange(other.directory_, {})) {}
  TmpfsMount& operator=(TmpfsMount&& other) noexcept {
    if (this != &other) {
      unmount();
      directory_ = std::exchange(other.directory_, {});
    }
    return *this;
  }
  TmpfsMount(const TmpfsMount&) = delete;
  TmpfsMount& operator=(const TmpfsMount&) = delete;
  ~TmpfsMount() { unmount(); }

  // Takes every free block with one file; true once a write failed for
  // want of space.
  bool fill() const {
    const int fd = ::open(filler().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) return false;
    const std::string block(64 * 1024, 'f');
    bool full = false;
    for (std::size_t size = block.size(); size > 0 && !full;) {
      const ssize_t written = ::write(fd, block.data(), size);
      if (written < 0 && errno == ENOSPC) {
        size /= 2;  // what is left of the last partly used page
        full = size == 0;
      } else if (written < 0 && errno != EINTR) {
        break;
      }
    }
    ::close(fd);
    return full;
  }
  // Gives the space back.
  void free_space() const { std::filesystem::remove(filler()); }

 private:
  explicit TmpfsMount(std::filesystem::path directory) : directory_(std::move(directory)) {}
  // Detached: a process that still has files open there keeps them.
  void unmount() {
    if (!directory_.empty()) ::umount2(directory_.c_str(), MNT_DETACH);
    directory_.clear();
  }
  std::filesystem::path filler() const { return directory_ / ".filler"; }

  std::filesystem::path directory_;
};

}  // namespace privmilter::integration
