#include "extraction.h"

#include <algorithm>
#include <array>
#include <exception>

#include "charset_decoder.h"
#include "file_type.h"
#include "html_text.h"
#include "inspectors.h"

namespace privmilter::content {
namespace {

using Inspector = void (*)(const EmbeddedFile&, std::size_t, Extraction&);

Inspector inspector_for(std::string_view type) {
  if (type == "application/zip" || type == "application/gzip" || type == "application/x-bzip2" ||
      type == "application/x-xz" || type == "application/x-7z-compressed" || type == "application/x-tar") {
    return inspect_archive;
  }
  if (type.starts_with("application/vnd.openxmlformats-officedocument.")) return inspect_office_open_xml;
  if (type.starts_with("application/vnd.oasis.opendocument.")) return inspect_open_document;
  if (type == "application/pdf") return inspect_pdf;
  if (type == "application/x-ole-storage") return inspect_ole;
  if (type == "application/rtf") return inspect_rtf;
  if (type == "application/vnd.ms-tnef") return inspect_tnef;
  if (type == "message/rfc822") return inspect_message;
  return nullptr;
}

// Content that is text as it stands: read it as such.
bool is_plain_text(std::string_view type, std::string_view declared, std::string_view filename) {
  if (type.starts_with("text/") || type == "application/xml") return true;
  if (!type.empty()) return false;
  if (declared.starts_with("text/") || declared == "application/json" || declared == "application/xml") return true;
  static constexpr std::array<std::string_view, 10> kTextExtensions = {"txt", "csv", "tsv", "json", "xml",
                                                                      "md",  "log", "ics", "htm", "html"};
  const std::string extension = lowercase_extension(filename);
  return std::find(kTextExtensions.begin(), kTextExtensions.end(), extension) != kTextExtensions.end();
}

bool is_known_opaque(std::string_view type) {
  return type.starts_with("image/") || type == "application/x-msdownload" || type == "application/x-executable";
}

}  // namespace

Extraction::Extraction(const ContentLimits& limits, MessageFacts& facts, DefectLog& defects,
                       GMimeParserOptions* parser_options)
    : limits_(limits),
      facts_(facts),
      defects_(defects),
      parser_options_(parser_options),
      deadline_(Clock::now() + std::chrono::milliseconds(limits.time_budget_ms)) {}

std::size_t Extraction::add_part(PartFact fact) {
  facts_.parts.push_back(std::move(fact));
  return facts_.parts.size() - 1;
}

void Extraction::mark_uninspectable(std::size_t index, std::string reason) {
  PartFact& fact = part(index);
  fact.set(PartFlag::uninspectable);
  if (fact.uninspectable_reason.empty()) fact.uninspectable_reason = std::move(reason);
}

void Extraction::note_limit(const std::string& path, const std::string& reason) {
  for (const PartFact& fact : facts_.parts) {
    if (fact.uninspectable_reason == reason && !fact.has(PartFlag::attachment)) return;
  }
  PartFact fact{.path = path, .filename = {}, .content_type = {}, .detected_type = {}, .size = 0, .flags = 0,
                .uninspectable_reason = reason, .properties = {}};
  fact.set(PartFlag::uninspectable);
  facts_.parts.push_back(std::move(fact));
  defects_.note(reason + (path.empty() ? std::string() : " at " + path));
}

bool Extraction::add_text(SegmentKind kind, std::string location, std::string text) {
  if (text.empty()) return true;
  if (text_bytes_ + text.size() > limits_.max_text_bytes) return false;
  text_bytes_ += text.size();
  facts_.segments.push_back({kind, std::move(location), std::move(text)});
  return true;
}

bool Extraction::charge_bytes(std::size_t bytes) {
  total_bytes_ += bytes;
  return total_bytes_ <= limits_.max_total_bytes;
}

std::optional<std::size_t> Extraction::inspect(const EmbeddedFile& file) {
  if (!part_allowed()) {
    note_limit(file.path, "limit:max_parts");
    return std::nullopt;
  }
  PartFact fact{.path = file.path,
                .filename = file.filename,
                .content_type = file.declared_type,
                .detected_type = detect_type(file.bytes, file.filename),
                .size = file.bytes.size(),
                .flags = 0,
                .uninspectable_reason = {},
                .properties = {}};
  fact.set(PartFlag::attachment);
  const std::size_t index = add_part(std::move(fact));
  const std::string type = part(index).detected_type;

  if (file.depth > limits_.max_depth) {
    mark_uninspectable(index, "limit:max_depth");
    return index;
  }
  if (file.bytes.size() > limits_.max_part_bytes) {
    mark_uninspectable(index, "limit:max_part_bytes");
    return index;
  }
  if (out_of_time()) {
    mark_uninspectable(index, "limit:time_budget");
    return index;
  }
  try {
    if (Inspector inspector = inspector_for(type)) {
      inspector(file, index, *this);
    } else if (type == "application/pgp-encrypted") {
      part(index).set(PartFlag::encrypted);
    } else if (type == "application/pgp-signature") {
      // A detached signature carries no content of its own.
      part(index).set(PartFlag::signed_data);
    } else if (is_plain_text(type, file.declared_type, file.filename)) {
      std::string text = convert_to_utf8(file.bytes, "").text;
      const std::string extension = lowercase_extension(file.filename);
      if (file.declared_type == "text/html" || extension == "htm" || extension == "html") text = html_to_text(text);
      if (!add_text(SegmentKind::attachment, file.path, std::move(text))) {
        mark_uninspectable(index, "limit:max_text_bytes");
      }
    } else if (!is_known_opaque(type)) {
      mark_uninspectable(index, type.empty() ? "unrecognised content" : "unsupported:" + type);
    }
  } catch (const std::exception& failure) {
    defects_.note("inspection of " + file.path + " failed");
    mark_uninspectable(index, "inspection failed");
  }
  return index;
}

}  // namespace privmilter::content
