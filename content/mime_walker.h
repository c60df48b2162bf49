#pragma once
// Walks a parsed MIME tree in MIME order and fills MessageFacts: text
// segments, a fact for every leaf part and attachment, whole-message
// encryption and structural defects.

#include <gmime/gmime.h>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "extraction.h"
#include "gmime_handles.h"
#include "parse_defects.h"
#include "privmilter/config.h"
#include "privmilter/message_facts.h"

namespace privmilter::content {

// Iterative (an explicit stack, never recursion) and bounded by
// limits.max_parts and limits.max_depth. Part paths follow GMime/IMAP
// numbering: the children of the top-level multipart are "1", "2", ...; a
// single-part message body is "1"; the body of a message/rfc822 part "2" is
// "2.1", or "2.1", "2.2", ... when it is a multipart.
class MimeWalker {
 public:
  // `options` parses the payload of opaque-signed S/MIME parts; it and
  // `defects` must outlive the walker.
  MimeWalker(const ContentLimits& limits, GMimeParserOptions* options, DefectLog& defects,
             MessageFacts& facts, Extraction& extraction);

  void walk(GMimeMessage* message);

  // A message found as a file inside this one (an attached .eml): paths
  // start with `path_prefix` (e.g. "2/bundle.zip/old.eml/"), its text counts
  // as attachment text, and its encryption flags part `owner_part` instead
  // of deciding the outer message's state.
  struct Nested {
    std::string path_prefix;
    std::size_t depth = 0;
    std::size_t owner_part = 0;
  };
  void walk_nested(GMimeMessage* message, const Nested& nested);

 private:
  struct Pending {
    GMimeObject* object;
    std::string path;
    std::size_t depth;
    bool text_suppressed;  // inside an alternative that is not the one inspected
    bool epilogue_only;    // revisit of a multipart, after its children, for its epilogue
  };

  void visit(const Pending& item);
  void visit_multipart(const Pending& item);
  void note_multipart_text(const Pending& item, const char* raw, const char* label);
  void visit_message_part(const Pending& item);
  void visit_leaf(const Pending& item);
  void visit_smime_part(const Pending& item, std::size_t part_index);
  void visit_text_leaf(const Pending& item, const std::string& mime_type,
                       const std::string& filename, bool is_attachment);
  void schedule(Pending item);
  void add_attachment(const std::string& path, const std::string& filename, const std::string& content_type,
                      std::size_t size);
  // A part of the message's own text, recorded so every part has a fact.
  void add_inline_part(const std::string& path, const std::string& content_type, std::size_t size);
  void note_part_defect(const std::string& path, const std::string& description);
  void note_encryption(EncryptionState state);
  void keep_text(const std::string& path, SegmentKind kind, std::string location, std::string text);
  void walk_from(GMimeObject* top_level, std::string top_path, std::size_t depth);

  const ContentLimits& limits_;
  GMimeParserOptions* options_;
  DefectLog& defects_;
  MessageFacts& facts_;
  Extraction& extraction_;
  std::vector<Pending> pending_;
  GMimeObject* content_bearing_ = nullptr;
  std::optional<std::size_t> owner_part_;       // set when walking a nested message
  SegmentKind text_kind_ = SegmentKind::body;  // attachment for nested messages
  // Entities parsed out of signed-data, kept alive while the walk refers to them.
  std::vector<GObjectPtr<GMimeObject>> unwrapped_;
};

}  // namespace privmilter::content
