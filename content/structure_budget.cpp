#include "structure_budget.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <string>
#include <string_view>

namespace privmilter::content {
namespace {

// Only the start of a line matters for classifying it.
constexpr std::size_t kLinePrefixKept = 256;

bool mentions_message_type(std::string_view line) {
  constexpr std::string_view kNeedle = "message/";
  const auto it = std::search(line.begin(), line.end(), kNeedle.begin(), kNeedle.end(),
                              [](char a, char b) { return g_ascii_tolower(a) == b; });
  return it != line.end();
}

class StructureScanner {
 public:
  explicit StructureScanner(const StructureBudget& budget) : budget_(budget) {}

  // False once this line takes the message over budget.
  // `line` holds at most the first kLinePrefixKept bytes of a line that is
  // `length` bytes long.
  bool accept_line(std::string_view line, std::size_t length) {
    if (!line.empty() && line.back() == '\r' && length == line.size()) line.remove_suffix(1);
    if (line.starts_with("--")) {
      ++boundary_lines_;
      enter_header_block();
      return boundary_lines_ <= budget_.max_boundary_lines;
    }
    if (!in_header_block_) return true;
    if (line.empty()) {
      // An encapsulated message (or a digest part without headers) starts
      // another header block right after this one.
      in_header_block_ = block_mentions_message_ || block_lines_ == 0;
      block_mentions_message_ = false;
      block_lines_ = 0;
      return true;
    }
    ++header_lines_;
    header_bytes_ += length;
    ++block_lines_;
    if (mentions_message_type(line)) block_mentions_message_ = true;
    return header_lines_ <= budget_.max_header_lines && header_bytes_ <= budget_.max_header_bytes;
  }

 private:
  void enter_header_block() {
    in_header_block_ = true;
    block_mentions_message_ = false;
    block_lines_ = 0;
  }

  StructureBudget budget_;
  std::size_t boundary_lines_ = 0;
  std::size_t header_lines_ = 0;
  std::size_t header_bytes_ = 0;
  bool in_header_block_ = true;  // the message starts with its header block
  bool block_mentions_message_ = false;
  std::size_t block_lines_ = 0;
};

}  // namespace

StructureBudget structure_budget_for(const ContentLimits& limits) {
  return {limits.max_parts * 16 + 64, limits.max_parts * 64 + 1024,
          limits.max_parts * 1024 + (std::size_t{2} << 20)};
}

std::size_t structurally_bounded_length(GMimeStream* stream, const StructureBudget& budget) {
  StructureScanner scanner(budget);
  std::array<char, 65536> chunk;  // not zeroed: only what a read filled is looked at
  std::string line;  // the current line's first kLinePrefixKept bytes
  std::size_t offset = 0;
  std::size_t line_start = 0;
  std::size_t bounded = 0;
  bool over_budget = false;

  g_mime_stream_reset(stream);
  ssize_t count = 0;
  while (!over_budget && (count = g_mime_stream_read(stream, chunk.data(), chunk.size())) > 0) {
    const char* next = chunk.data();
    const char* const end = next + count;
    while (next < end) {
      const auto* newline = static_cast<const char*>(std::memchr(next, '\n', static_cast<std::size_t>(end - next)));
      const char* piece_end = newline != nullptr ? newline : end;
      const auto piece = static_cast<std::size_t>(piece_end - next);
      if (line.size() < kLinePrefixKept) line.append(next, std::min(piece, kLinePrefixKept - line.size()));
      offset += piece;
      if (newline == nullptr) break;
      if (!scanner.accept_line(line, offset - line_start)) {
        bounded = line_start;
        over_budget = true;
        break;
      }
      line.clear();
      ++offset;
      line_start = offset;
      next = newline + 1;
    }
  }
  if (!over_budget) {
    // A final line without a newline still counts.
    const std::size_t length = offset - line_start;
    bounded = (length == 0 || scanner.accept_line(line, length)) ? offset : line_start;
  }
  g_mime_stream_reset(stream);
  return bounded;
}

}  // namespace privmilter::content
