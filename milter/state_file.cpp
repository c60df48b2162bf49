#include "state_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <system_error>

#include "privmilter/file_io.h"
#include "privmilter/unique_fd.h"

namespace privmilter::milter {

Status replace_file(const std::filesystem::path& path, std::string_view content, mode_t mode) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) return make_error("cannot create directory " + path.parent_path().string() + ": " + ec.message());
  std::string temporary = path.string() + ".XXXXXX";
  UniqueFd fd(::mkostemp(temporary.data(), O_CLOEXEC));
  if (!fd.valid()) return make_error("cannot create " + temporary + ": " + errno_text(errno));
  Status written = write_all(fd.get(), content);
  if (written && ::fchmod(fd.get(), mode) != 0) {
    written = make_error("cannot set the mode of " + temporary + ": " + errno_text(errno));
  }
  if (written && ::fsync(fd.get()) != 0) written = make_error("fsync of " + temporary + " failed: " + errno_text(errno));
  fd.reset();
  if (written && ::rename(temporary.c_str(), path.c_str()) != 0) {
    written = make_error("cannot rename " + temporary + " to " + path.string() + ": " + errno_text(errno));
  }
  if (!written) {
    ::unlink(temporary.c_str());
    return written;
  }
  return Status::success();
}

Result<std::string> read_small_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("cannot read " + path.string() + ": " + errno_text(errno));
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

}  // namespace privmilter::milter
