#include "document_findings.h"

#include <array>

#include "charset_decoder.h"

namespace privmilter::content {
namespace {

struct StreamPlace {
  std::string_view suffix;
  SegmentKind kind;
};

constexpr std::array<StreamPlace, kDocumentStreamCount> kPlaces{{
    {"", SegmentKind::attachment},
    {"/headers-footers", SegmentKind::attachment},
    {"/notes", SegmentKind::attachment},
    {"/comments", SegmentKind::metadata},
    {"/tracked-changes", SegmentKind::metadata},
    {"/hidden-text", SegmentKind::metadata},
}};

std::string_view trimmed(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n";
  const auto first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(kSpace) - first + 1);
}

// Streams end with the break after their last paragraph or cell; the text reported does not.
std::string without_trailing_breaks(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\t')) text.pop_back();
  return text;
}

constexpr std::size_t kNodesBetweenClockChecks = 1024;

}  // namespace

bool DocumentFindings::reserve(std::size_t bytes) {
  if (overflowed_ || bytes > max_bytes_ - used_) {
    overflowed_ = true;
    return false;
  }
  used_ += bytes;
  return true;
}

void DocumentFindings::append(DocumentStream stream, std::string_view text) {
  if (text.empty() || !reserve(text.size())) return;
  streams_[index(stream)].append(text);
}

void DocumentFindings::break_line(DocumentStream stream) {
  std::string& text = streams_[index(stream)];
  if (text.empty() || text.back() == '\n' || !reserve(1)) return;
  text.push_back('\n');
}

void DocumentFindings::add_property(std::string name, std::string_view value) {
  const std::string_view kept = trimmed(value);
  if (kept.empty() || !reserve(name.size() + kept.size() + 3)) return;
  properties_.emplace_back(std::move(name), make_valid_utf8(kept));
}

void DocumentFindings::mark_uninspectable(std::string reason) {
  if (reason_.empty()) reason_ = std::move(reason);
}

void DocumentFindings::publish(Extraction& extraction, std::size_t part_index, const std::string& path) const {
  extraction.part(part_index).flags |= flags_;
  bool text_kept = true;
  for (std::size_t i = 0; i < kDocumentStreamCount && text_kept; ++i) {
    const SegmentKind kind = i == index(DocumentStream::notes) ? notes_kind_ : kPlaces[i].kind;
    text_kept = extraction.add_text(kind, path + std::string(kPlaces[i].suffix),
                                    without_trailing_breaks(make_valid_utf8(streams_[i])));
  }
  if (!properties_.empty()) {
    std::string listing;
    for (const auto& [name, value] : properties_) {
      extraction.part(part_index).properties.emplace_back(name, value);
      listing += name + ": " + value + "\n";
    }
    if (text_kept) {
      text_kept = extraction.add_text(SegmentKind::metadata, path + "/properties",
                                      without_trailing_breaks(std::move(listing)));
    }
  }
  if (!reason_.empty()) extraction.mark_uninspectable(part_index, reason_);
  if (!text_kept || overflowed_) extraction.mark_uninspectable(part_index, "limit:max_text_bytes");
}

bool advance(XmlStream& xml, Extraction& extraction, DocumentFindings& findings) {
  if (xml.nodes_read() % kNodesBetweenClockChecks == kNodesBetweenClockChecks - 1 && extraction.out_of_time()) {
    findings.mark_uninspectable("limit:time_budget");
    return false;
  }
  if (xml.next()) return true;
  if (xml.failed()) findings.mark_uninspectable("malformed");
  return false;
}

}  // namespace privmilter::content
