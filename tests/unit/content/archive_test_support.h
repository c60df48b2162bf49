#pragma once
// Builds archives in memory with libarchive's writer, and messages that
// carry them as base64 attachments, for the archive and OLE tests.

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "privmilter/message_facts.h"
#include "unit/content/attachment_message.h"

namespace privmilter::testing {

struct ArchiveMember {
  std::string name;
  std::string bytes;
  bool directory = false;
};

enum class ArchiveFormat { zip, tar_gz, seven_zip, gzip_only };

// `options` are libarchive writer options, e.g. "zip:encryption=aes256".
inline std::string make_archive(ArchiveFormat format, const std::vector<ArchiveMember>& members,
                                const std::string& options = {}, const std::string& passphrase = {}) {
  struct WriterDeleter {
    void operator()(archive* handle) const { archive_write_free(handle); }
  };
  struct EntryDeleter {
    void operator()(archive_entry* entry) const { archive_entry_free(entry); }
  };
  std::unique_ptr<archive, WriterDeleter> writer(archive_write_new());
  switch (format) {
    case ArchiveFormat::zip:
      archive_write_set_format_zip(writer.get());
      break;
    case ArchiveFormat::tar_gz:
      archive_write_set_format_pax_restricted(writer.get());
      archive_write_add_filter_gzip(writer.get());
      break;
    case ArchiveFormat::seven_zip:
      archive_write_set_format_7zip(writer.get());
      break;
    case ArchiveFormat::gzip_only:
      archive_write_set_format_raw(writer.get());
      archive_write_add_filter_gzip(writer.get());
      break;
  }
  if (!options.empty()) {
    EXPECT_EQ(archive_write_set_options(writer.get(), options.c_str()), ARCHIVE_OK);
  }
  if (!passphrase.empty()) {
    EXPECT_EQ(archive_write_set_passphrase(writer.get(), passphrase.c_str()), ARCHIVE_OK);
  }

  std::string output;
  auto append = [](archive*, void* sink, const void* data, size_t length) -> la_ssize_t {
    static_cast<std::string*>(sink)->append(static_cast<const char*>(data), length);
    return static_cast<la_ssize_t>(length);
  };
  archive_write_set_bytes_in_last_block(writer.get(), 1);
  EXPECT_EQ(archive_write_open(writer.get(), &output, nullptr, append, nullptr), ARCHIVE_OK)
      << archive_error_string(writer.get());
  for (const ArchiveMember& member : members) {
    std::unique_ptr<archive_entry, EntryDeleter> entry(archive_entry_new());
    archive_entry_set_pathname(entry.get(), member.name.c_str());
    archive_entry_set_filetype(entry.get(), member.directory ? AE_IFDIR : AE_IFREG);
    archive_entry_set_perm(entry.get(), member.directory ? 0755 : 0644);
    archive_entry_set_mtime(entry.get(), 1700000000, 0);
    if (!member.directory) archive_entry_set_size(entry.get(), static_cast<la_int64_t>(member.bytes.size()));
    EXPECT_EQ(archive_write_header(writer.get(), entry.get()), ARCHIVE_OK) << archive_error_string(writer.get());
    if (!member.bytes.empty()) {
      EXPECT_EQ(archive_write_data(writer.get(), member.bytes.data(), member.bytes.size()),
                static_cast<la_ssize_t>(member.bytes.size()));
    }
  }
  EXPECT_EQ(archive_write_close(writer.get()), ARCHIVE_OK) << archive_error_string(writer.get());
  return output;
}

// A message with a short text body (part 1) and `bytes` attached as part 2.
inline std::string message_with_attachment(const std::string& filename, std::string_view bytes,
                                           const std::string& content_type = "application/octet-stream") {
  return attachment_message(filename, content_type, bytes);
}

inline const PartFact* find_part(const MessageFacts& facts, std::string_view path) {
  auto it = std::find_if(facts.parts.begin(), facts.parts.end(),
                         [&](const PartFact& part) { return part.path == path; });
  return it == facts.parts.end() ? nullptr : &*it;
}

// Paths of the file parts (the attachment and what is inside it), not the
// message's own text parts.
inline std::vector<std::string> part_paths(const MessageFacts& facts) {
  std::vector<std::string> paths;
  for (const PartFact& part : facts.parts) {
    if (part.has(PartFlag::attachment)) paths.push_back(part.path);
  }
  return paths;
}

inline std::string property(const PartFact& part, std::string_view name) {
  for (const auto& [key, value] : part.properties) {
    if (key == name) return value;
  }
  return {};
}

}  // namespace privmilter::testing
