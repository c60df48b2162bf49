// Archives are unpacked entry by entry into buffers bounded by the limits,
// each entry then going back through Extraction::inspect, so that nested
// archives, documents and messages inside archives are inspected too.

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "archive_reader.h"
#include "inspectors.h"

namespace privmilter::content {
namespace {

constexpr std::size_t kReadChunk = 64 * 1024;

std::optional<ArchiveKind> archive_kind(std::string_view type) {
  if (type == "application/zip") return ArchiveKind::zip;
  if (type == "application/x-tar") return ArchiveKind::tar;
  if (type == "application/x-7z-compressed") return ArchiveKind::seven_zip;
  if (type == "application/gzip" || type == "application/x-bzip2" || type == "application/x-xz") {
    return ArchiveKind::compressed_stream;
  }
  return std::nullopt;
}

std::string base_name(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// A lone compressed file is named after the file it came in: "memo.txt.gz"
// holds "memo.txt".
std::string raw_stream_name(const std::string& filename) {
  if (filename.empty()) return "data";
  const auto dot = filename.rfind('.');
  if (dot == std::string::npos || dot == 0) return filename;
  return filename.substr(0, dot);
}

// The end-of-central-directory record sits in the last 22 bytes, or up to
// 64 KiB earlier when the archive carries a comment.
bool has_zip_end_record(std::string_view bytes) {
  constexpr std::string_view kEndRecord = "PK\x05\x06";
  constexpr std::size_t kMaxCommentBytes = 0xFFFF;
  constexpr std::size_t kEndRecordBytes = 22;
  const std::size_t window = std::min(bytes.size(), kMaxCommentBytes + kEndRecordBytes);
  return bytes.substr(bytes.size() - window).rfind(kEndRecord) != std::string_view::npos;
}

enum class ReadOutcome { complete, stop_archive, skip_entry };

class ArchiveInspection {
 public:
  ArchiveInspection(const EmbeddedFile& file, std::size_t part_index, Extraction& extraction)
      : file_(file),
        part_index_(part_index),
        extraction_(extraction),
        limits_(extraction.limits()),
        expansion_budget_(expansion_budget(file.bytes.size(), extraction.limits().max_expansion_ratio)),
        chunk_(kReadChunk) {}

  void run(ArchiveKind kind) {
    if (file_.depth + 1 > limits_.max_depth) {
      extraction_.mark_uninspectable(part_index_, "limit:max_depth");
      return;
    }
    // A compressed run of zeros reads as an empty tarball (its end marker):
    // what seemed to hold nothing is read again as one compressed file.
    if (read_entries(kind) == 0 && kind == ArchiveKind::compressed_stream) {
      read_entries(ArchiveKind::compressed_file);
    }
    // Without its central directory a ZIP is read entry by entry from the
    // front, which ends quietly where the file was cut.
    if (kind == ArchiveKind::zip && !has_zip_end_record(file_.bytes)) {
      extraction_.defects().note("archive " + file_.path + " has no end of central directory");
      extraction_.mark_uninspectable(part_index_, "malformed");
    }
  }

 private:
  // Returns the number of entry headers read.
  std::size_t read_entries(ArchiveKind kind) {
    ArchiveReader reader(kind, file_.bytes);
    if (!reader.opened()) {
      extraction_.mark_uninspectable(part_index_, "malformed");
      return 0;
    }
    std::size_t ordinal = 0;
    for (;;) {
      if (extraction_.out_of_time()) {
        extraction_.mark_uninspectable(part_index_, "limit:time_budget");
        return ordinal;
      }
      const HeaderStatus status = reader.next_header();
      if (status == HeaderStatus::end) return ordinal;
      if (status == HeaderStatus::encrypted_headers) {
        mark_encrypted(part_index_);
        return ordinal;
      }
      if (status == HeaderStatus::malformed) {
        extraction_.defects().note("archive " + file_.path + " is malformed");
        extraction_.mark_uninspectable(part_index_, "malformed");
        return ordinal;
      }
      if (++ordinal > limits_.max_archive_entries) {
        extraction_.mark_uninspectable(part_index_, "limit:max_archive_entries");
        return ordinal;
      }
      if (!visit_entry(reader, ordinal)) return ordinal;
    }
  }

  static std::size_t expansion_budget(std::size_t packed, std::size_t ratio) {
    if (ratio != 0 && packed > SIZE_MAX / ratio) return SIZE_MAX;
    return packed * ratio;
  }

  // False when the rest of the archive must not be read.
  bool visit_entry(ArchiveReader& reader, std::size_t ordinal) {
    archive_entry* entry = reader.entry();
    if (archive_entry_filetype(entry) != AE_IFREG) return true;  // directories, links, devices
    if (!extraction_.part_allowed()) {
      extraction_.note_limit(file_.path, "limit:max_parts");
      extraction_.mark_uninspectable(part_index_, "limit:max_parts");
      return false;
    }
    const std::string name =
        reader.is_raw_stream() ? raw_stream_name(file_.filename) : entry_name(entry, ordinal);
    const std::string path = file_.path + "/" + name;
    const std::string filename = base_name(name);

    if (archive_entry_is_encrypted(entry)) {
      mark_encrypted(record_entry(path, filename, declared_size(entry)));
      extraction_.part(part_index_).set(PartFlag::encrypted);
      return true;
    }
    if (const std::optional<std::string> refusal = refusal_by_declared_size(entry)) {
      extraction_.mark_uninspectable(record_entry(path, filename, declared_size(entry)), *refusal);
      // An oversized entry is skipped, which in a compressed stream means
      // unpacking it: that counts against the ratio. A ratio beyond the
      // limit condemns the whole archive, since the ratio is the archive's.
      if (*refusal == "limit:max_part_bytes") {
        unpacked_ += declared_size(entry);
        return true;
      }
      extraction_.mark_uninspectable(part_index_, *refusal);
      return false;
    }

    std::string bytes;
    std::string reason;
    const ReadOutcome outcome = read_entry(reader, entry, bytes, reason);
    if (outcome != ReadOutcome::complete) {
      // What a damaged entry gave before the damage is still inspected.
      std::optional<std::size_t> child;
      if (reason == "malformed" && !bytes.empty()) {
        child = extraction_.inspect({.path = path, .filename = filename, .declared_type = {}, .bytes = bytes,
                                     .depth = file_.depth + 1});
      }
      if (!child) child = record_entry(path, filename, bytes.size());
      extraction_.mark_uninspectable(*child, reason);
      if (outcome == ReadOutcome::stop_archive) {
        if (reason == "malformed") extraction_.defects().note("archive " + file_.path + " is malformed");
        extraction_.mark_uninspectable(part_index_, reason);
        return false;
      }
      return true;
    }
    extraction_.inspect({.path = path, .filename = filename, .declared_type = {}, .bytes = bytes,
                         .depth = file_.depth + 1});
    return true;
  }

  static std::size_t declared_size(archive_entry* entry) {
    if (!archive_entry_size_is_set(entry) || archive_entry_size(entry) < 0) return 0;
    return static_cast<std::size_t>(archive_entry_size(entry));
  }

  // Refuses an entry whose header already says it is too large, before any
  // byte of it is unpacked.
  std::optional<std::string> refusal_by_declared_size(archive_entry* entry) const {
    if (!archive_entry_size_is_set(entry)) return std::nullopt;
    const std::size_t size = declared_size(entry);
    if (size > expansion_budget_ - std::min(expansion_budget_, unpacked_)) return "limit:max_expansion_ratio";
    if (size > limits_.max_part_bytes) return "limit:max_part_bytes";
    return std::nullopt;
  }

  // Reads the current entry into `bytes`. Past max_part_bytes the rest is
  // still unpacked, into nothing, so that its cost counts against the
  // expansion ratio, the message's byte total and the time budget.
  ReadOutcome read_entry(ArchiveReader& reader, archive_entry* entry, std::string& bytes, std::string& reason) {
    bytes.reserve(std::min({declared_size(entry), limits_.max_part_bytes, kReadChunk * 16}));
    bool oversized = false;
    for (;;) {
      if (extraction_.out_of_time()) {
        reason = "limit:time_budget";
        return ReadOutcome::stop_archive;
      }
      const la_ssize_t count = reader.read_data(chunk_.data(), chunk_.size());
      if (count == 0) {
        if (!oversized) return ReadOutcome::complete;
        reason = "limit:max_part_bytes";
        return ReadOutcome::skip_entry;
      }
      if (count < 0) {
        reason = "malformed";
        return ReadOutcome::stop_archive;
      }
      const auto size = static_cast<std::size_t>(count);
      unpacked_ += size;
      if (!extraction_.charge_bytes(size)) {
        reason = "limit:max_total_bytes";
        return ReadOutcome::stop_archive;
      }
      if (unpacked_ > expansion_budget_) {
        reason = "limit:max_expansion_ratio";
        return ReadOutcome::stop_archive;
      }
      if (bytes.size() + size > limits_.max_part_bytes) oversized = true;
      if (!oversized) bytes.append(chunk_.data(), size);
    }
  }

  std::size_t record_entry(const std::string& path, const std::string& filename, std::size_t size) {
    PartFact fact{.path = path, .filename = filename, .content_type = {}, .detected_type = {}, .size = size,
                  .flags = 0, .uninspectable_reason = {}, .properties = {}};
    fact.set(PartFlag::attachment);
    return extraction_.add_part(std::move(fact));
  }

  void mark_encrypted(std::size_t index) {
    PartFact& fact = extraction_.part(index);
    fact.set(PartFlag::encrypted);
    fact.set(PartFlag::password_protected);
    extraction_.mark_uninspectable(index, "encrypted");
  }

  const EmbeddedFile& file_;
  std::size_t part_index_;
  Extraction& extraction_;
  const ContentLimits& limits_;
  std::size_t expansion_budget_;
  std::size_t unpacked_ = 0;
  std::vector<char> chunk_;
};

}  // namespace

void inspect_archive(const EmbeddedFile& file, std::size_t part_index, Extraction& extraction) {
  const std::optional<ArchiveKind> kind = archive_kind(extraction.part(part_index).detected_type);
  if (!kind) {
    extraction.mark_uninspectable(part_index, "unsupported:" + extraction.part(part_index).detected_type);
    return;
  }
  ArchiveInspection(file, part_index, extraction).run(*kind);
}

}  // namespace privmilter::content
