#pragma once
// Small files the daemon leaves for other processes (pid file, reload
// status). Each is replaced as a whole, through a temporary file beside it
// and a rename, so a reader sees the old content or the new, never a part.

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <string_view>

#include "privmilter/result.h"

namespace privmilter::milter {

// Creates the parent directory when missing. `mode` is applied as given,
// whatever the umask, so that an administrator's tools can read the file.
Status replace_file(const std::filesystem::path& path, std::string_view content, mode_t mode);
Result<std::string> read_small_file(const std::filesystem::path& path);

}  // namespace privmilter::milter
