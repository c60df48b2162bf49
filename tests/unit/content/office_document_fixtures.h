#pragma once
// Office documents built in the test from readable XML: a ZIP written with
// libarchive into memory, and a message carrying a file as a base64
// attachment (part "2").

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

namespace privmilter::testing::documents {

struct ZipEntry {
  std::string name;
  std::string bytes;
  bool stored = false;  // uncompressed, as OpenDocument's "mimetype" must be
};

inline std::string make_zip(const std::vector<ZipEntry>& entries) {
  struct WriterFree {
    void operator()(archive* handle) const { archive_write_free(handle); }
  };
  struct EntryFree {
    void operator()(archive_entry* entry) const { archive_entry_free(entry); }
  };
  std::unique_ptr<archive, WriterFree> writer(archive_write_new());
  archive_write_set_format_zip(writer.get());
  std::string output;
  auto append = [](archive*, void* sink, const void* data, size_t length) -> la_ssize_t {
    static_cast<std::string*>(sink)->append(static_cast<const char*>(data), length);
    return static_cast<la_ssize_t>(length);
  };
  archive_write_set_bytes_in_last_block(writer.get(), 1);
  EXPECT_EQ(archive_write_open(writer.get(), &output, nullptr, append, nullptr), ARCHIVE_OK);
  for (const ZipEntry& zip_entry : entries) {
    if (zip_entry.stored) {
      archive_write_zip_set_compression_store(writer.get());
    } else {
      archive_write_zip_set_compression_deflate(writer.get());
    }
    std::unique_ptr<archive_entry, EntryFree> entry(archive_entry_new());
    archive_entry_set_pathname(entry.get(), zip_entry.name.c_str());
    archive_entry_set_filetype(entry.get(), AE_IFREG);
    archive_entry_set_perm(entry.get(), 0644);
    archive_entry_set_mtime(entry.get(), 1700000000, 0);
    archive_entry_set_size(entry.get(), static_cast<la_int64_t>(zip_entry.bytes.size()));
    EXPECT_EQ(archive_write_header(writer.get(), entry.get()), ARCHIVE_OK) << archive_error_string(writer.get());
    if (!zip_entry.bytes.empty()) {
      EXPECT_EQ(archive_write_data(writer.get(), zip_entry.bytes.data(), zip_entry.bytes.size()),
                static_cast<la_ssize_t>(zip_entry.bytes.size()));
    }
  }
  EXPECT_EQ(archive_write_close(writer.get()), ARCHIVE_OK) << archive_error_string(writer.get());
  return output;
}

inline const PartFact* part_at(const MessageFacts& facts, std::string_view path) {
  auto it = std::find_if(facts.parts.begin(), facts.parts.end(),
                         [&](const PartFact& part) { return part.path == path; });
  return it == facts.parts.end() ? nullptr : &*it;
}

inline const TextSegment* segment_at(const MessageFacts& facts, std::string_view location) {
  auto it = std::find_if(facts.segments.begin(), facts.segments.end(),
                         [&](const TextSegment& segment) { return segment.location == location; });
  return it == facts.segments.end() ? nullptr : &*it;
}

// Locations of the segments that come from the attachment at `path` (itself and below).
inline std::vector<std::string> locations_under(const MessageFacts& facts, std::string_view path) {
  std::vector<std::string> found;
  for (const TextSegment& segment : facts.segments) {
    const std::string_view location = segment.location;
    if (location == path || (location.starts_with(path) && location.substr(path.size()).starts_with("/"))) {
      found.push_back(segment.location);
    }
  }
  return found;
}

using Properties = std::vector<std::pair<std::string, std::string>>;

// The text at `location`, which must exist and be of `kind`.
inline std::string text_at(const MessageFacts& facts, std::string_view location, SegmentKind kind) {
  const TextSegment* segment = segment_at(facts, location);
  if (segment == nullptr) {
    std::string have;
    for (const TextSegment& other : facts.segments) have += " \"" + other.location + "\"";
    ADD_FAILURE() << "no segment at " << location << "; have" << have;
    return {};
  }
  EXPECT_EQ(segment->kind, kind) << location;
  return segment->text;
}

}  // namespace privmilter::testing::documents
