// PDF: page text, document information and embedded files (poppler-cpp).

#include <poppler/cpp/poppler-document.h>
#include <poppler/cpp/poppler-embedded-file.h>
#include <poppler/cpp/poppler-global.h>
#include <poppler/cpp/poppler-page.h>

#include <algorithm>
#include <array>
#include <climits>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "charset_decoder.h"
#include "inspectors.h"

namespace privmilter::content {
namespace {

// poppler reports every oddity of a hostile file on stderr by default; what
// matters reaches the facts as "malformed" instead, and message content
// must never reach a log.
void ignore_poppler_message(const std::string&, void*) {}

void silence_poppler() {
  static std::once_flag once;
  std::call_once(once, [] { poppler::set_debug_error_function(ignore_poppler_message, nullptr); });
}

std::string to_utf8(const poppler::ustring& text) {
  const poppler::byte_array bytes = text.to_utf8();
  return make_valid_utf8(std::string_view(bytes.data(), bytes.size()));
}

std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// Document information as properties and as metadata text, so that an
// author or title naming a client is visible to the policy.
bool add_document_info(const poppler::document& document, const EmbeddedFile& file, std::size_t part_index,
                       Extraction& extraction) {
  const std::array<std::pair<std::string_view, poppler::ustring>, 6> info{{
      {"title", document.get_title()},
      {"author", document.get_author()},
      {"subject", document.get_subject()},
      {"keywords", document.get_keywords()},
      {"creator", document.get_creator()},
      {"producer", document.get_producer()},
  }};
  std::string text;
  for (const auto& [name, value] : info) {
    std::string utf8 = to_utf8(value);
    if (utf8.empty()) continue;
    text += std::string(name) + ": " + utf8 + "\n";
    extraction.part(part_index).properties.emplace_back(std::string(name), std::move(utf8));
  }
  return extraction.add_text(SegmentKind::metadata, file.path + "/properties", std::move(text));
}

// Returns false when a limit ended the extraction of this document.
bool add_page_text(const poppler::document& document, const EmbeddedFile& file, std::size_t part_index,
                   Extraction& extraction) {
  const int pages = document.pages();
  for (int index = 0; index < pages; ++index) {
    if (extraction.out_of_time()) {
      extraction.mark_uninspectable(part_index, "limit:time_budget");
      return false;
    }
    const std::unique_ptr<poppler::page> page(document.create_page(index));
    if (!page) continue;
    if (!extraction.add_text(SegmentKind::attachment, file.path, to_utf8(page->text()))) {
      extraction.mark_uninspectable(part_index, "limit:max_text_bytes");
      return false;
    }
  }
  return true;
}

// A file attached to the PDF whose declared size is already over the limit
// is recorded without being decoded.
void record_oversized(const EmbeddedFile& child, std::size_t declared_size, Extraction& extraction) {
  PartFact fact{.path = child.path, .filename = child.filename, .content_type = child.declared_type,
                .detected_type = {}, .size = declared_size, .flags = 0, .uninspectable_reason = {},
                .properties = {}};
  fact.set(PartFlag::attachment);
  const std::size_t index = extraction.add_part(std::move(fact));
  extraction.mark_uninspectable(index, "limit:max_part_bytes");
}

void inspect_embedded_files(const poppler::document& document, const EmbeddedFile& file, std::size_t part_index,
                            Extraction& extraction) {
  if (!document.has_embedded_files()) return;
  // The document owns these objects.
  for (poppler::embedded_file* embedded : document.embedded_files()) {
    if (embedded == nullptr || !embedded->is_valid()) continue;
    if (!extraction.part_allowed()) return;
    if (extraction.out_of_time()) {
      extraction.mark_uninspectable(part_index, "limit:time_budget");
      return;
    }
    const std::string name = make_valid_utf8(embedded->name());
    EmbeddedFile child{.path = file.path + "/" + name, .filename = name,
                       .declared_type = lowercase(embedded->mime_type()), .bytes = {}, .depth = file.depth + 1};
    const int declared_size = embedded->size();
    if (declared_size > 0 && static_cast<std::size_t>(declared_size) > extraction.limits().max_part_bytes) {
      record_oversized(child, static_cast<std::size_t>(declared_size), extraction);
      continue;
    }
    const poppler::byte_array data = embedded->data();
    if (!extraction.charge_bytes(data.size())) {
      extraction.mark_uninspectable(part_index, "limit:max_total_bytes");
      return;
    }
    child.bytes = std::string_view(data.data(), data.size());
    extraction.inspect(child);
  }
}

}  // namespace

void inspect_pdf(const EmbeddedFile& file, std::size_t part_index, Extraction& extraction) {
  silence_poppler();
  if (file.bytes.size() > static_cast<std::size_t>(INT_MAX)) {
    extraction.mark_uninspectable(part_index, "limit:max_part_bytes");
    return;
  }
  // poppler reads the caller's buffer in place; it outlives the document.
  const std::unique_ptr<poppler::document> document(
      poppler::document::load_from_raw_data(file.bytes.data(), static_cast<int>(file.bytes.size())));
  if (!document) {
    extraction.mark_uninspectable(part_index, "malformed");
    return;
  }
  if (document->is_locked()) {
    extraction.part(part_index).set(PartFlag::encrypted);
    extraction.part(part_index).set(PartFlag::password_protected);
    extraction.mark_uninspectable(part_index, "encrypted");
    return;
  }
  // Encrypted with only an owner password (permissions such as "no
  // copying"): anyone can open it without a password, so it protects
  // nothing in transit. It is flagged encrypted and still fully inspected.
  if (document->is_encrypted()) extraction.part(part_index).set(PartFlag::encrypted);

  if (!add_document_info(*document, file, part_index, extraction)) {
    extraction.mark_uninspectable(part_index, "limit:max_text_bytes");
    return;
  }
  if (!add_page_text(*document, file, part_index, extraction)) return;
  inspect_embedded_files(*document, file, part_index, extraction);
}

}  // namespace privmilter::content
