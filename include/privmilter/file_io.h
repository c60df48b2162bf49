#pragma once
// Durable and interruption-safe file primitives used wherever a message or
// a record must survive a crash.

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "privmilter/result.h"

namespace privmilter {

// Writes all of `bytes`, retrying on EINTR and short writes.
Status write_all(int fd, std::string_view bytes);
// Reads `length` bytes at `offset`, retrying on EINTR and short reads.
Status pread_all(int fd, char* buffer, std::size_t length, off_t offset);
// Creates `directory` and parents with mode 0700 when missing.
Status ensure_private_directory(const std::filesystem::path& directory);
// fsyncs a directory so that a rename inside it is durable.
Status fsync_directory(const std::filesystem::path& directory);
std::string errno_text(int error_number);

}  // namespace privmilter
