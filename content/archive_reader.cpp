#include "archive_reader.h"

#include "charset_decoder.h"

namespace privmilter::content {

ArchiveReader::ArchiveReader(ArchiveKind kind, std::string_view bytes) : handle_(archive_read_new()) {
  if (!handle_) return;
  archive* handle = handle_.get();
  switch (kind) {
    case ArchiveKind::zip:
      archive_read_support_format_zip(handle);
      break;
    case ArchiveKind::tar:
      archive_read_support_format_tar(handle);
      break;
    case ArchiveKind::seven_zip:
      archive_read_support_format_7zip(handle);
      break;
    case ArchiveKind::compressed_stream:
      archive_read_support_filter_gzip(handle);
      archive_read_support_filter_bzip2(handle);
      archive_read_support_filter_xz(handle);
      // tar outbids raw, so raw only takes a stream that is no tarball.
      archive_read_support_format_tar(handle);
      archive_read_support_format_raw(handle);
      break;
    case ArchiveKind::compressed_file:
      archive_read_support_filter_gzip(handle);
      archive_read_support_filter_bzip2(handle);
      archive_read_support_filter_xz(handle);
      archive_read_support_format_raw(handle);
      break;
  }
  opened_ = archive_read_open_memory(handle, bytes.data(), bytes.size()) == ARCHIVE_OK;
}

HeaderStatus ArchiveReader::next_header() {
  if (!opened_ || failed_) return HeaderStatus::malformed;
  const int status = archive_read_next_header(handle_.get(), &entry_);
  if (status == ARCHIVE_EOF) return HeaderStatus::end;
  if (status == ARCHIVE_OK || status == ARCHIVE_WARN) return HeaderStatus::entry;
  // After a failure libarchive's state is undefined: read nothing more.
  failed_ = true;
  entry_ = nullptr;
  if (archive_read_has_encrypted_entries(handle_.get()) > 0) return HeaderStatus::encrypted_headers;
  return HeaderStatus::malformed;
}

bool ArchiveReader::is_raw_stream() const {
  return opened_ && archive_format(handle_.get()) == ARCHIVE_FORMAT_RAW;
}

la_ssize_t ArchiveReader::read_data(char* buffer, std::size_t capacity) {
  if (!opened_ || failed_) return ARCHIVE_FATAL;
  const la_ssize_t count = archive_read_data(handle_.get(), buffer, capacity);
  if (count < 0) failed_ = true;
  return count;
}

std::string entry_name(archive_entry* entry, std::size_t ordinal) {
  const char* name = archive_entry_pathname_utf8(entry);
  if (name == nullptr) name = archive_entry_pathname(entry);
  if (name == nullptr || *name == '\0') return "entry" + std::to_string(ordinal);
  return make_valid_utf8(name);
}

}  // namespace privmilter::content
