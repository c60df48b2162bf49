#pragma once
// What a document inspector collects before reporting it: text per stream
// (body, comments, tracked changes, ...), properties, flags and problems.
// Every text buffer shares one cap, so that a document whose text expands
// (a shared string referenced a million times) cannot outgrow max_text_bytes.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "extraction.h"
#include "privmilter/message_facts.h"
#include "xml_stream.h"

namespace privmilter::content {

// The streams of a document, in the order they are reported.
enum class DocumentStream {
  body,             // attachment text at the document's own path
  headers_footers,  // attachment text at "<path>/headers-footers"
  notes,            // footnotes and endnotes (attachment), speaker notes (metadata) at "<path>/notes"
  comments,         // metadata at "<path>/comments"
  tracked_changes,  // metadata at "<path>/tracked-changes"
  hidden_text,      // metadata at "<path>/hidden-text"
};
inline constexpr std::size_t kDocumentStreamCount = 6;

class DocumentFindings {
 public:
  explicit DocumentFindings(std::size_t max_text_bytes) : max_bytes_(max_text_bytes) {}

  void append(DocumentStream stream, std::string_view text);
  // Ends a paragraph or row: a newline unless the stream is empty or already ends with one.
  void break_line(DocumentStream stream);
  const std::string& text(DocumentStream stream) const { return streams_[index(stream)]; }
  void set_notes_kind(SegmentKind kind) { notes_kind_ = kind; }

  // Values are trimmed; empty ones are dropped.
  void add_property(std::string name, std::string_view value);
  void set(PartFlag flag) { flags_ |= static_cast<std::uint32_t>(flag); }
  // Records why some of the document could not be inspected; the first reason is kept.
  void mark_uninspectable(std::string reason);

  // Reports everything for the part at `part_index` (path `path`): flags,
  // segments in stream order, properties (also as metadata text at
  // "<path>/properties"), and the uninspectable reason, "limit:max_text_bytes"
  // when text had to be dropped.
  void publish(Extraction& extraction, std::size_t part_index, const std::string& path) const;

 private:
  static std::size_t index(DocumentStream stream) { return static_cast<std::size_t>(stream); }
  bool reserve(std::size_t bytes);

  std::size_t max_bytes_;
  std::size_t used_ = 0;
  bool overflowed_ = false;
  SegmentKind notes_kind_ = SegmentKind::attachment;
  std::string streams_[kDocumentStreamCount];
  std::vector<std::pair<std::string, std::string>> properties_;
  std::uint32_t flags_ = 0;
  std::string reason_;
};

// Moves `xml` to its next node. False at the end, on a parse error (marked
// "malformed") or once the message's time budget is spent ("limit:time_budget").
bool advance(XmlStream& xml, Extraction& extraction, DocumentFindings& findings);

}  // namespace privmilter::content
