#pragma once
// A libarchive read handle over bytes in memory, owned as a value: the
// formats and filters it accepts are chosen from the container's detected
// type so that an unrecognised file is never read as a "raw" stream by
// accident.

#include <archive.h>
#include <archive_entry.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace privmilter::content {

enum class ArchiveKind {
  zip,
  tar,
  seven_zip,
  compressed_stream,  // gzip, bzip2 or xz: a tar inside, or a single compressed file
  compressed_file,    // gzip, bzip2 or xz read as one file, whatever it holds
};

enum class HeaderStatus { entry, end, encrypted_headers, malformed };

class ArchiveReader {
 public:
  // `bytes` must outlive the reader.
  ArchiveReader(ArchiveKind kind, std::string_view bytes);

  bool opened() const { return opened_; }
  // Advances to the next entry; entry() is valid only after HeaderStatus::entry.
  HeaderStatus next_header();
  archive_entry* entry() const { return entry_; }
  // True when the stream was a lone compressed file rather than an archive.
  bool is_raw_stream() const;
  // Reads up to `capacity` bytes of the current entry's data: the count
  // read, 0 at its end, negative on a read error.
  la_ssize_t read_data(char* buffer, std::size_t capacity);

 private:
  struct Deleter {
    void operator()(archive* handle) const { archive_read_free(handle); }
  };
  std::unique_ptr<archive, Deleter> handle_;
  archive_entry* entry_ = nullptr;
  bool opened_ = false;
  bool failed_ = false;
};

// The entry's name as UTF-8; "entry<N>" when it has none.
std::string entry_name(archive_entry* entry, std::size_t ordinal);

}  // namespace privmilter::content
