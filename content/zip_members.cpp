#include "zip_members.h"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <array>
#include <limits>
#include <memory>

namespace privmilter::content {
namespace {

struct ArchiveFree {
  void operator()(archive* handle) const { archive_read_free(handle); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveFree>;

constexpr std::size_t kChunkBytes = 64u << 10;

std::size_t saturating_product(std::size_t a, std::size_t b) {
  if (a != 0 && b > std::numeric_limits<std::size_t>::max() / a) return std::numeric_limits<std::size_t>::max();
  return a * b;
}

class MemberReader {
 public:
  MemberReader(std::string_view zip, Extraction& extraction, ZipMembers& members)
      : extraction_(extraction),
        members_(members),
        limits_(extraction.limits()),
        expansion_allowance_(saturating_product(zip.size(), limits_.max_expansion_ratio)) {}

  // Reads the current entry's data into `out`. Returns the limit or problem
  // that stopped it, empty when the whole member was read.
  std::string read(archive* handle, archive_entry* entry, std::string& out) {
    const std::size_t member_cap = limits_.max_part_bytes;
    if (archive_entry_size_is_set(entry) != 0 && archive_entry_size(entry) >= 0) {
      // Refused before anything is allocated or inflated.
      const auto declared = static_cast<std::size_t>(archive_entry_size(entry));
      if (declared > member_cap) return "limit:max_part_bytes";
      if (declared > expansion_allowance_ - unpacked_) return "limit:max_expansion_ratio";
    }
    std::array<char, kChunkBytes> chunk{};
    for (;;) {
      const la_ssize_t got = archive_read_data(handle, chunk.data(), chunk.size());
      if (got == 0) return {};
      if (got < 0) return "malformed";
      const auto size = static_cast<std::size_t>(got);
      if (out.size() + size > member_cap) return "limit:max_part_bytes";
      if (size > expansion_allowance_ - unpacked_) return "limit:max_expansion_ratio";
      if (!extraction_.charge_bytes(size)) return "limit:max_total_bytes";
      unpacked_ += size;
      out.append(chunk.data(), size);
      if (extraction_.out_of_time()) return "limit:time_budget";
    }
  }

  // Records the first problem met in the container.
  void stop(std::string reason) {
    if (members_.problem.empty()) members_.problem = std::move(reason);
  }

 private:
  Extraction& extraction_;
  ZipMembers& members_;
  const ContentLimits& limits_;
  std::size_t expansion_allowance_;
  std::size_t unpacked_ = 0;
};

}  // namespace

ZipMembers read_zip_members(std::string_view zip, const std::function<bool(std::string_view)>& wants,
                            Extraction& extraction) {
  ZipMembers members;
  ArchivePtr handle(archive_read_new());
  if (handle == nullptr) return members;
  // Only the central directory is trusted: Office refuses packages without
  // one, and the streaming reader would have to inflate every member it skips.
  archive_read_support_format_zip_seekable(handle.get());
  if (archive_read_open_memory(handle.get(), zip.data(), zip.size()) != ARCHIVE_OK) return members;
  members.opened = true;

  MemberReader reader(zip, extraction, members);
  archive_entry* entry = nullptr;
  for (;;) {
    const int status = archive_read_next_header(handle.get(), &entry);
    if (status == ARCHIVE_EOF) break;
    if (status != ARCHIVE_OK && status != ARCHIVE_WARN) {
      reader.stop("malformed");
      break;
    }
    if (members.names.size() >= extraction.limits().max_archive_entries) {
      reader.stop("limit:max_archive_entries");
      break;
    }
    if (extraction.out_of_time()) {
      reader.stop("limit:time_budget");
      break;
    }
    const char* raw_name = archive_entry_pathname(entry);
    std::string name = raw_name == nullptr ? std::string() : std::string(raw_name);
    members.names.push_back(name);
    if (archive_entry_filetype(entry) != AE_IFREG || !wants(name) || members.wanted.contains(name)) continue;
    if (archive_entry_is_encrypted(entry) != 0) {
      members.encrypted.push_back(std::move(name));
      continue;
    }
    std::string bytes;
    std::string problem = reader.read(handle.get(), entry, bytes);
    if (problem.empty()) {
      members.wanted.emplace(std::move(name), std::move(bytes));
      continue;
    }
    // One oversized or damaged member leaves the others readable; a spent
    // message budget ends the reading.
    const bool budget_spent = problem == "limit:max_total_bytes" || problem == "limit:time_budget";
    reader.stop(std::move(problem));
    if (budget_spent) break;
  }
  return members;
}

}  // namespace privmilter::content
