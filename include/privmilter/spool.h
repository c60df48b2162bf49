#pragma once
// The raw message (header block and body) as the MTA sent it, held in
// memory while small and in a private, already-unlinked temporary file
// above a threshold, so a large message never sits in the daemon's heap.

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "privmilter/result.h"

namespace privmilter {

class MessageSpool {
 public:
  // Files go to `directory` (created 0700 when missing) once the content
  // exceeds `memory_threshold` bytes.
  MessageSpool(std::filesystem::path directory, std::size_t memory_threshold);
  ~MessageSpool();
  MessageSpool(MessageSpool&& other) noexcept;
  MessageSpool& operator=(MessageSpool&& other) noexcept;
  MessageSpool(const MessageSpool&) = delete;
  MessageSpool& operator=(const MessageSpool&) = delete;

  Status append(std::string_view bytes);
  std::size_t size() const { return size_; }
  bool in_memory() const { return fd_ < 0; }

  // REQUIRES: in_memory()
  std::string_view memory() const { return memory_; }
  // REQUIRES: !in_memory(). The descriptor stays owned by the spool.
  int fd() const { return fd_; }

  // Copies the whole content to `out_fd` (a regular file or pipe).
  Status copy_to(int out_fd) const;
  // The whole content as a string; for tools and tests, not the hot path.
  Result<std::string> read_all() const;
  // Drops the content (closing any file) so the spool can take a new message.
  void clear();

 private:
  Status spill_to_file();

  std::filesystem::path directory_;
  std::size_t memory_threshold_;
  std::string memory_;
  int fd_ = -1;
  std::size_t size_ = 0;
};

}  // namespace privmilter
