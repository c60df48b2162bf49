#pragma once
// The shared state of one message's extraction: limits and running budgets,
// the facts being built, and the dispatch of embedded files (attachments,
// archive entries, documents inside documents) to the inspector for their
// type. Inspectors report into it and recurse through inspect().

#include <algorithm>
#include <chrono>
#include <optional>
#include <cstddef>
#include <string>
#include <string_view>

#include <gmime/gmime.h>

#include "parse_defects.h"
#include "privmilter/config.h"
#include "privmilter/message_facts.h"

namespace privmilter::content {

// A file found in the message. `bytes` is valid only while it is inspected.
struct EmbeddedFile {
  std::string path;           // its place in the tree, e.g. "2/attachment[bundle.zip]/memo.docx"
  std::string filename;       // may be empty
  std::string declared_type;  // lowercase "type/subtype" as declared (MIME header), or empty
  std::string_view bytes;     // decoded content
  std::size_t depth = 0;      // nesting of MIME parts, archives and documents so far
};

class Extraction {
 public:
  using Clock = std::chrono::steady_clock;

  // `parser_options` parse messages found inside the message (attached
  // .eml files); they report into `defects`. Both outlive the extraction.
  Extraction(const ContentLimits& limits, MessageFacts& facts, DefectLog& defects,
             GMimeParserOptions* parser_options);

  const ContentLimits& limits() const { return limits_; }
  DefectLog& defects() { return defects_; }
  GMimeParserOptions* parser_options() const { return parser_options_; }
  MessageFacts& facts() { return facts_; }

  // Records a node of the tree. Returns its index in facts.parts: indices
  // stay valid while more parts are added, references do not.
  std::size_t add_part(PartFact fact);
  PartFact& part(std::size_t index) { return facts_.parts.at(index); }
  // Records that a limit stopped inspection at `path` ("" for the message
  // itself) as an uninspectable fact, so policy can act on it. One fact per
  // reason: the first place it was hit.
  void note_limit(const std::string& path, const std::string& reason);
  // Marks a part uninspectable; the first reason given is kept.
  void mark_uninspectable(std::size_t index, std::string reason);

  // Keeps extracted text for the policy. False when max_text_bytes is used
  // up: the text is dropped and the caller should mark its part
  // uninspectable with "limit:max_text_bytes".
  bool add_text(SegmentKind kind, std::string location, std::string text);
  // What add_text still accepts, for inspectors that cap text as they build it.
  std::size_t text_budget_left() const { return limits_.max_text_bytes - std::min(text_bytes_, limits_.max_text_bytes); }

  // Accounts for `bytes` decoded or unpacked. False when that takes the
  // message past max_total_bytes; the caller stops the branch and marks it
  // "limit:max_total_bytes".
  bool charge_bytes(std::size_t bytes);
  // True once the message's time budget is spent; long loops check it.
  bool out_of_time() const { return Clock::now() > deadline_; }
  // True when another part may be added (max_parts).
  bool part_allowed() const { return facts_.parts.size() < limits_.max_parts; }

  // Identifies `file` from its content, records it as a part flagged
  // attachment, and hands it to the inspector for its type. Never throws;
  // limits and unreadable content end as uninspectable facts. Returns the
  // part's index, or nothing when max_parts was already reached.
  std::optional<std::size_t> inspect(const EmbeddedFile& file);

 private:
  const ContentLimits& limits_;
  MessageFacts& facts_;
  DefectLog& defects_;
  GMimeParserOptions* parser_options_;
  Clock::time_point deadline_;
  std::size_t total_bytes_ = 0;
  std::size_t text_bytes_ = 0;
};

}  // namespace privmilter::content
