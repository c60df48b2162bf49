#include "mime_walker.h"

#include <cstring>
#include <optional>
#include <string_view>
#include <utility>

#include "charset_decoder.h"
#include "encryption_detector.h"
#include "html_text.h"
#include "part_content.h"
#include "structure_budget.h"

namespace privmilter::content {
namespace {

std::string child_path(const std::string& parent, int index) {
  const std::string number = std::to_string(index + 1);
  return (parent.empty() || parent.back() == '/') ? parent + number : parent + "." + number;
}

bool has_attachment_disposition(GMimeObject* object) {
  const char* disposition = g_mime_object_get_disposition(object);
  return disposition != nullptr && g_ascii_strcasecmp(disposition, "attachment") == 0;
}

std::string filename_of(GMimeObject* object) {
  const char* filename = g_mime_object_get_content_disposition_parameter(object, "filename");
  if (filename == nullptr) filename = g_mime_object_get_content_type_parameter(object, "name");
  return filename != nullptr ? make_valid_utf8(filename) : std::string();
}

// CRLF becomes LF, in place; a lone CR stays.
void normalize_line_endings(std::string& text) {
  char* data = text.data();
  const std::size_t size = text.size();
  std::size_t read = 0;
  std::size_t write = 0;
  while (read < size) {
    const void* found = std::memchr(data + read, '\r', size - read);
    const std::size_t carriage_return = found != nullptr ? static_cast<const char*>(found) - data : size;
    if (write != read) std::memmove(data + write, data + read, carriage_return - read);
    write += carriage_return - read;
    read = carriage_return;
    if (read == size) break;
    if (read + 1 == size || data[read + 1] != '\n') data[write++] = '\r';
    ++read;
  }
  text.resize(write);
}

// Ranks the branches of a multipart/alternative: plain text is inspected in
// preference to HTML so the same words are not counted twice.
int alternative_rank(GMimeObject* object) {
  if (GMIME_IS_MULTIPART(object)) return 2;
  if (!GMIME_IS_PART(object) || has_attachment_disposition(object)) return 3;
  const std::string type = mime_type_of(object);
  if (type == "text/plain") return 0;
  if (type == "text/html") return 1;
  return 3;
}

int preferred_alternative(GMimeMultipart* alternative) {
  const int count = g_mime_multipart_get_count(alternative);
  int best = 0;
  int best_rank = alternative_rank(g_mime_multipart_get_part(alternative, 0));
  for (int i = 1; i < count; ++i) {
    const int rank = alternative_rank(g_mime_multipart_get_part(alternative, i));
    if (rank < best_rank) {
      best = i;
      best_rank = rank;
    }
  }
  return best;
}

// Serialized size of an attached message, as the recipient would save it.
std::size_t serialized_size(GMimeObject* object) {
  auto counter = adopt(g_mime_stream_null_new());
  const ssize_t written = g_mime_object_write_to_stream(object, nullptr, counter.get());
  return written > 0 ? static_cast<std::size_t>(written) : 0;
}

// The whole text, blanks aside, is one ASCII-armored PGP message.
bool is_armored_pgp_message(std::string_view text) {
  constexpr std::string_view kBegin = "-----BEGIN PGP MESSAGE-----";
  constexpr std::string_view kEnd = "-----END PGP MESSAGE-----";
  const auto first = text.find_first_not_of(" \t\n");
  const auto last = text.find_last_not_of(" \t\n");
  if (first == std::string_view::npos) return false;
  text = text.substr(first, last - first + 1);
  return text.starts_with(kBegin) && text.ends_with(kEnd);
}

}  // namespace

MimeWalker::MimeWalker(const ContentLimits& limits, GMimeParserOptions* options, DefectLog& defects,
                       MessageFacts& facts, Extraction& extraction)
    : limits_(limits), options_(options), defects_(defects), facts_(facts), extraction_(extraction) {}

void MimeWalker::walk(GMimeMessage* message) {
  GMimeObject* top_level = g_mime_message_get_mime_part(message);
  if (top_level == nullptr) return;
  walk_from(top_level, GMIME_IS_MULTIPART(top_level) ? "" : "1", 0);
}

void MimeWalker::walk_nested(GMimeMessage* message, const Nested& nested) {
  owner_part_ = nested.owner_part;
  text_kind_ = SegmentKind::attachment;
  const char* subject = g_mime_message_get_subject(message);
  if (subject != nullptr && *subject != '\0') {
    extraction_.add_text(text_kind_, nested.path_prefix + "subject", make_valid_utf8(subject));
  }
  GMimeObject* top_level = g_mime_message_get_mime_part(message);
  if (top_level == nullptr) return;
  walk_from(top_level, nested.path_prefix + (GMIME_IS_MULTIPART(top_level) ? "" : "1"), nested.depth);
}

void MimeWalker::note_encryption(EncryptionState state) {
  if (owner_part_) {
    extraction_.part(*owner_part_).set(PartFlag::encrypted);
  } else {
    facts_.encryption = state;
  }
}

void MimeWalker::walk_from(GMimeObject* top_level, std::string top_path, std::size_t depth) {
  content_bearing_ = content_bearing_part(top_level);
  pending_.push_back({top_level, std::move(top_path), depth, false, false});
  while (!pending_.empty()) {
    Pending item = std::move(pending_.back());
    pending_.pop_back();
    if (item.epilogue_only) {
      note_multipart_text(item, g_mime_multipart_get_epilogue(GMIME_MULTIPART(item.object)),
                          "epilogue");
      continue;
    }
    if (facts_.part_count >= limits_.max_parts) {
      extraction_.note_limit(item.path, "limit:max_parts");
      pending_.clear();
      break;
    }
    if (extraction_.out_of_time()) {
      extraction_.note_limit(item.path, "limit:time_budget");
      pending_.clear();
      break;
    }
    ++facts_.part_count;
    visit(item);
  }
}

void MimeWalker::schedule(Pending item) {
  if (item.depth > limits_.max_depth) {
    extraction_.note_limit(item.path, "limit:max_depth");
    return;
  }
  pending_.push_back(std::move(item));
}

void MimeWalker::note_part_defect(const std::string& path, const std::string& description) {
  defects_.note((path.empty() ? std::string("top-level part") : "part " + path) + ": " +
                description);
}

void MimeWalker::visit(const Pending& item) {
  if (GMIME_IS_MULTIPART(item.object)) {
    visit_multipart(item);
  } else if (GMIME_IS_MESSAGE_PART(item.object)) {
    visit_message_part(item);
  } else if (GMIME_IS_PART(item.object)) {
    visit_leaf(item);
  }
}

void MimeWalker::visit_multipart(const Pending& item) {
  auto* multipart = GMIME_MULTIPART(item.object);
  if (item.object == content_bearing_ && is_pgp_mime_encrypted_multipart(item.object)) {
    const PgpFinding finding = inspect_pgp_mime(multipart);
    if (finding.encrypted) note_encryption(EncryptionState::pgp_mime_encrypted);
    if (finding.defect) note_part_defect(item.path, *finding.defect);
  }
  if (!item.text_suppressed) {
    // Normally boilerplate, but with a broken boundary the whole content
    // ends up in the preamble, and no client shows an epilogue: both are
    // inspected, the epilogue after the children to keep MIME order.
    note_multipart_text(item, g_mime_multipart_get_prologue(multipart), "preamble");
    Pending epilogue = item;
    epilogue.epilogue_only = true;
    pending_.push_back(std::move(epilogue));
  }
  const int count = g_mime_multipart_get_count(multipart);
  if (count <= 0) return;
  const bool alternative = mime_type_of(item.object) == "multipart/alternative";
  const int inspected = alternative ? preferred_alternative(multipart) : -1;
  // Reverse order so that the first child is visited first.
  for (int i = count - 1; i >= 0; --i) {
    const bool suppressed = item.text_suppressed || (alternative && i != inspected);
    schedule({g_mime_multipart_get_part(multipart, i), child_path(item.path, i), item.depth + 1,
              suppressed, false});
  }
}

void MimeWalker::note_multipart_text(const Pending& item, const char* raw, const char* label) {
  if (raw == nullptr) return;
  std::string text = convert_to_utf8(raw, "").text;
  normalize_line_endings(text);
  if (text.find_first_not_of(" \t\n") == std::string::npos) return;
  keep_text(item.path, text_kind_, (item.path.empty() ? "" : item.path + " ") + label, std::move(text));
}

// All text goes through the extraction's budget, wherever it was found.
void MimeWalker::keep_text(const std::string& path, SegmentKind kind, std::string location, std::string text) {
  if (!extraction_.add_text(kind, std::move(location), std::move(text))) {
    extraction_.note_limit(path, "limit:max_text_bytes");
  }
}

void MimeWalker::visit_message_part(const Pending& item) {
  const std::string filename = filename_of(item.object);
  if (has_attachment_disposition(item.object) || !filename.empty()) {
    add_attachment(item.path, filename, mime_type_of(item.object), serialized_size(item.object));
  }
  GMimeMessage* message = g_mime_message_part_get_message(GMIME_MESSAGE_PART(item.object));
  if (message == nullptr) return;
  if (!item.text_suppressed) {
    const char* subject = g_mime_message_get_subject(message);
    if (subject != nullptr && *subject != '\0') {
      keep_text(item.path, text_kind_, item.path + "/message", make_valid_utf8(subject));
    }
  }
  GMimeObject* body = g_mime_message_get_mime_part(message);
  if (body == nullptr) return;
  schedule({body, GMIME_IS_MULTIPART(body) ? item.path : child_path(item.path, 0), item.depth + 1,
            item.text_suppressed, false});
}

void MimeWalker::add_attachment(const std::string& path, const std::string& filename,
                                const std::string& content_type, std::size_t size) {
  add_inline_part(path, content_type, size);
  facts_.parts.back().filename = filename;
  facts_.parts.back().set(PartFlag::attachment);
}

void MimeWalker::add_inline_part(const std::string& path, const std::string& content_type, std::size_t size) {
  facts_.parts.push_back({.path = path, .filename = {}, .content_type = content_type, .detected_type = {},
                          .size = size, .flags = 0, .uninspectable_reason = {}, .properties = {}});
}

void MimeWalker::visit_leaf(const Pending& item) {
  auto* part = GMIME_PART(item.object);
  if (auto problem = transfer_encoding_problem(part)) note_part_defect(item.path, *problem);

  const std::string mime_type = mime_type_of(item.object);
  const std::string filename = filename_of(item.object);
  const bool is_attachment = has_attachment_disposition(item.object) || !filename.empty();

  if (is_smime_candidate(item.object)) {
    if (is_attachment) {
      add_attachment(item.path, filename, mime_type, decoded_size(part));
    } else {
      add_inline_part(item.path, mime_type, decoded_size(part));
    }
    visit_smime_part(item, facts_.parts.size() - 1);
    return;
  }
  if (mime_type.starts_with("text/")) {
    visit_text_leaf(item, mime_type, filename, is_attachment);
    return;
  }
  if (is_attachment) {
    const std::string bytes = decoded_bytes(part);
    if (!extraction_.charge_bytes(bytes.size())) {
      add_attachment(item.path, filename, mime_type, bytes.size());
      extraction_.mark_uninspectable(facts_.parts.size() - 1, "limit:max_total_bytes");
      return;
    }
    extraction_.inspect({.path = item.path, .filename = filename, .declared_type = mime_type, .bytes = bytes,
                         .depth = item.depth});
  } else {
    add_inline_part(item.path, mime_type, decoded_size(part));
  }
}

void MimeWalker::visit_text_leaf(const Pending& item, const std::string& mime_type,
                                 const std::string& filename, bool is_attachment) {
  auto* part = GMIME_PART(item.object);
  if (!is_attachment && item.text_suppressed) {
    add_inline_part(item.path, mime_type, decoded_size(part));
    return;
  }
  const std::string bytes = decoded_bytes(part);
  if (is_attachment) {
    add_attachment(item.path, filename, mime_type, bytes.size());
  } else {
    add_inline_part(item.path, mime_type, bytes.size());
  }

  const char* charset = g_mime_object_get_content_type_parameter(item.object, "charset");
  Utf8Conversion converted = convert_to_utf8(bytes, charset != nullptr ? charset : "");
  if (converted.charset_unknown) note_part_defect(item.path, "unknown charset");
  std::string text =
      mime_type == "text/html" ? html_to_text(converted.text) : std::move(converted.text);
  normalize_line_endings(text);
  if (text.empty()) return;
  // Ciphertext is not content: an armored PGP message as the message text
  // means the message is encrypted inline.
  if (!is_attachment && item.object == content_bearing_ && is_armored_pgp_message(text)) {
    note_encryption(EncryptionState::pgp_inline);
    return;
  }

  if (is_attachment) {
    keep_text(item.path, SegmentKind::attachment, item.path + " attachment[" + filename + "]", std::move(text));
  } else {
    keep_text(item.path, text_kind_, item.path + " " + mime_type, std::move(text));
  }
}

void MimeWalker::visit_smime_part(const Pending& item, std::size_t part_index) {
  SmimeFinding finding = inspect_smime_part(GMIME_PART(item.object));
  if (finding.defect) note_part_defect(item.path, *finding.defect);
  PartFact& fact = facts_.parts.at(part_index);
  if (finding.enveloped) {
    fact.set(PartFlag::encrypted);
    fact.detected_type = "application/pkcs7-mime";
  }
  if (finding.signed_content) fact.set(PartFlag::signed_data);
  if (finding.enveloped && item.object == content_bearing_) note_encryption(EncryptionState::smime_enveloped);
  if (!finding.signed_content) return;

  auto stream = adopt(g_mime_stream_mem_new_with_buffer(finding.signed_content->data(),
                                                        finding.signed_content->size()));
  const std::size_t bounded =
      structurally_bounded_length(stream.get(), structure_budget_for(limits_));
  if (bounded < finding.signed_content->size()) {
    note_part_defect(item.path, "MIME structure limit reached in S/MIME signed content");
    stream = adopt(g_mime_stream_substream(stream.get(), 0, static_cast<gint64>(bounded)));
  }
  auto parser = adopt(g_mime_parser_new_with_stream(stream.get()));
  GObjectPtr<GMimeObject> entity = adopt(g_mime_parser_construct_part(parser.get(), options_));
  if (!entity) {
    note_part_defect(item.path, "S/MIME signed content is not a MIME entity");
    return;
  }
  // An opaque signature around the whole message passes the question of
  // encryption on to what it signs (encrypt-then-sign).
  if (item.object == content_bearing_) content_bearing_ = content_bearing_part(entity.get());
  GMimeObject* unwrapped = entity.get();
  unwrapped_.push_back(std::move(entity));
  schedule({unwrapped, GMIME_IS_MULTIPART(unwrapped) ? item.path : child_path(item.path, 0),
            item.depth + 1, item.text_suppressed, false});
}

}  // namespace privmilter::content
