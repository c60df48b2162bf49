#include "privmilter/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "privmilter/unique_fd.h"

namespace privmilter {

std::string errno_text(int error_number) { return std::strerror(error_number); }

Status write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error("write failed: " + errno_text(errno));
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

Status pread_all(int fd, char* buffer, std::size_t length, off_t offset) {
  while (length > 0) {
    ssize_t n = ::pread(fd, buffer, length, offset);
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error("read failed: " + errno_text(errno));
    }
    if (n == 0) return make_error("read failed: unexpected end of file");
    buffer += n;
    length -= static_cast<std::size_t>(n);
    offset += n;
  }
  return {};
}

Status ensure_private_directory(const std::filesystem::path& directory) {
  std::error_code ec;
  if (std::filesystem::is_directory(directory, ec)) return {};
  std::filesystem::create_directories(directory, ec);
  if (ec) return make_error("cannot create directory " + directory.string() + ": " + ec.message());
  std::filesystem::permissions(directory, std::filesystem::perms::owner_all, ec);
  if (ec) return make_error("cannot restrict permissions of " + directory.string() + ": " + ec.message());
  return {};
}

Status fsync_directory(const std::filesystem::path& directory) {
  UniqueFd fd(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return make_error("cannot open directory " + directory.string() + ": " + errno_text(errno));
  if (::fsync(fd.get()) != 0) return make_error("fsync of " + directory.string() + " failed: " + errno_text(errno));
  return {};
}

}  // namespace privmilter
