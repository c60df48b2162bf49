#include "privmilter/spool.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "privmilter/file_io.h"

namespace privmilter {

MessageSpool::MessageSpool(std::filesystem::path directory, std::size_t memory_threshold)
    : directory_(std::move(directory)), memory_threshold_(memory_threshold) {}

MessageSpool::~MessageSpool() { clear(); }

MessageSpool::MessageSpool(MessageSpool&& other) noexcept
    : directory_(std::move(other.directory_)),
      memory_threshold_(other.memory_threshold_),
      memory_(std::move(other.memory_)),
      fd_(std::exchange(other.fd_, -1)),
      size_(std::exchange(other.size_, 0)) {}

MessageSpool& MessageSpool::operator=(MessageSpool&& other) noexcept {
  if (this != &other) {
    clear();
    directory_ = std::move(other.directory_);
    memory_threshold_ = other.memory_threshold_;
    memory_ = std::move(other.memory_);
    fd_ = std::exchange(other.fd_, -1);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

void MessageSpool::clear() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  memory_.clear();
  memory_.shrink_to_fit();
  size_ = 0;
}

// The file is unlinked as soon as it exists (O_TMPFILE where the file system
// supports it), so a crash or kill leaves no message content behind.
Status MessageSpool::spill_to_file() {
  if (auto made = ensure_private_directory(directory_); !made) return made;
  int fd = ::open(directory_.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
    std::string name = (directory_ / "spool.XXXXXX").string();
    fd = ::mkostemp(name.data(), O_CLOEXEC);
    if (fd >= 0) ::unlink(name.c_str());
  }
  if (fd < 0) return make_error("cannot create spool file in " + directory_.string() + ": " + errno_text(errno));
  if (auto written = write_all(fd, memory_); !written) {
    ::close(fd);
    return written;
  }
  fd_ = fd;
  memory_.clear();
  memory_.shrink_to_fit();
  return {};
}

Status MessageSpool::append(std::string_view bytes) {
  if (fd_ < 0) {
    memory_.append(bytes);
    size_ += bytes.size();
    if (memory_.size() > memory_threshold_) return spill_to_file();
    return {};
  }
  if (auto written = write_all(fd_, bytes); !written) return written;
  size_ += bytes.size();
  return {};
}

Status MessageSpool::copy_to(int out_fd) const {
  if (fd_ < 0) return write_all(out_fd, memory_);
  std::string buffer(std::size_t{1} << 16, '\0');
  for (std::size_t offset = 0; offset < size_;) {
    std::size_t chunk = std::min(buffer.size(), size_ - offset);
    if (auto read = pread_all(fd_, buffer.data(), chunk, static_cast<off_t>(offset)); !read) return read;
    if (auto written = write_all(out_fd, std::string_view(buffer.data(), chunk)); !written) return written;
    offset += chunk;
  }
  return {};
}

Result<std::string> MessageSpool::read_all() const {
  if (fd_ < 0) return memory_;
  std::string content(size_, '\0');
  if (auto read = pread_all(fd_, content.data(), size_, 0); !read) return read.error();
  return content;
}

}  // namespace privmilter
