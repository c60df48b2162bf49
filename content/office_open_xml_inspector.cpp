// Word, Excel and PowerPoint Open XML packages: the members that carry text
// are read (bounded) from the ZIP, parsed as XML, and reported per stream;
// embedded objects go back through extraction.inspect().

#include <algorithm>
#include <array>
#include <charconv>

#include "document_findings.h"
#include "inspectors.h"
#include "ooxml_parts.h"
#include "zip_members.h"

namespace privmilter::content {
namespace {

enum class PackageKind { word, spreadsheet, presentation, unknown };

constexpr std::string_view kWordMain = "word/document.xml";
constexpr std::string_view kSpreadsheetMain = "xl/workbook.xml";
constexpr std::string_view kPresentationMain = "ppt/presentation.xml";

bool in_folder(std::string_view name, std::string_view folder) {
  return name.starts_with(folder) && name.size() > folder.size() && name.find('/', folder.size()) == std::string_view::npos;
}

bool is_embedding(std::string_view name) {
  return in_folder(name, "word/embeddings/") || in_folder(name, "xl/embeddings/") ||
         in_folder(name, "ppt/embeddings/");
}

// Only the members that carry text, properties or embedded files are unpacked.
bool carries_content(std::string_view name) {
  if (is_embedding(name)) return true;
  if (!name.ends_with(".xml") && !name.ends_with(".rels")) return false;
  static constexpr std::array<std::string_view, 4> kExact = {"xl/_rels/workbook.xml.rels", "docProps/core.xml",
                                                            "docProps/app.xml", "docProps/custom.xml"};
  if (std::find(kExact.begin(), kExact.end(), name) != kExact.end()) return true;
  if (name == kWordMain || name == kSpreadsheetMain || name == "word/footnotes.xml" ||
      name == "word/endnotes.xml" || name == "word/comments.xml" || name == "xl/sharedStrings.xml") {
    return true;
  }
  if (!name.ends_with(".xml")) return false;
  return ((name.starts_with("word/header") || name.starts_with("word/footer")) && in_folder(name, "word/")) ||
         (name.starts_with("xl/comments") && in_folder(name, "xl/")) || in_folder(name, "xl/worksheets/") ||
         in_folder(name, "xl/threadedComments/") || in_folder(name, "ppt/slides/") ||
         in_folder(name, "ppt/notesSlides/") || in_folder(name, "ppt/comments/");
}

PackageKind kind_of(const ZipMembers& zip) {
  const auto listed = [&](std::string_view name) {
    return std::find(zip.names.begin(), zip.names.end(), name) != zip.names.end();
  };
  if (listed(kWordMain)) return PackageKind::word;
  if (listed(kSpreadsheetMain)) return PackageKind::spreadsheet;
  if (listed(kPresentationMain)) return PackageKind::presentation;
  return PackageKind::unknown;
}

std::string_view base_name(std::string_view name) {
  const auto slash = name.rfind('/');
  return slash == std::string_view::npos ? name : name.substr(slash + 1);
}

void inspect_embeddings(const EmbeddedFile& file, std::size_t part_index, const ZipMembers& zip,
                        Extraction& extraction) {
  for (const auto& [name, bytes] : zip.wanted) {
    if (!is_embedding(name)) continue;
    if (extraction.out_of_time()) {
      extraction.mark_uninspectable(part_index, "limit:time_budget");
      return;
    }
    if (!extraction.part_allowed()) {
      extraction.mark_uninspectable(part_index, "limit:max_parts");
      return;
    }
    const std::string entry(base_name(name));
    extraction.inspect({.path = file.path + "/" + entry, .filename = entry, .declared_type = {}, .bytes = bytes,
                        .depth = file.depth + 1});
  }
}

}  // namespace

std::vector<std::string> numbered_members(const ZipMembers& zip, std::string_view prefix, std::string_view suffix) {
  std::vector<std::pair<unsigned long, std::string>> found;
  for (const auto& [name, bytes] : zip.wanted) {
    if (!name.starts_with(prefix) || !name.ends_with(suffix) || name.size() < prefix.size() + suffix.size()) continue;
    const std::string_view middle =
        std::string_view(name).substr(prefix.size(), name.size() - prefix.size() - suffix.size());
    unsigned long number = 0;
    if (!middle.empty()) {
      const auto [end, error] = std::from_chars(middle.data(), middle.data() + middle.size(), number);
      if (error != std::errc() || end != middle.data() + middle.size()) continue;
    }
    found.emplace_back(number, name);
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> names;
  names.reserve(found.size());
  for (auto& [number, name] : found) names.push_back(std::move(name));
  return names;
}

void inspect_office_open_xml(const EmbeddedFile& file, std::size_t part_index, Extraction& extraction) {
  const ZipMembers zip = read_zip_members(file.bytes, carries_content, extraction);
  if (!zip.opened) {
    extraction.mark_uninspectable(part_index, "malformed");
    return;
  }
  if (!zip.problem.empty()) extraction.mark_uninspectable(part_index, zip.problem);
  if (!zip.encrypted.empty()) {
    extraction.part(part_index).set(PartFlag::encrypted);
    extraction.mark_uninspectable(part_index, "encrypted");
  }

  DocumentFindings findings(extraction.text_budget_left());
  switch (kind_of(zip)) {
    case PackageKind::word:
      read_word_package(zip, findings, extraction);
      break;
    case PackageKind::spreadsheet:
      read_spreadsheet_package(zip, findings, extraction);
      break;
    case PackageKind::presentation:
      read_presentation_package(zip, findings, extraction);
      break;
    case PackageKind::unknown:
      extraction.defects().note("office document without its main part at " + file.path);
      findings.mark_uninspectable("malformed");
      break;
  }
  read_package_properties(zip, findings, extraction);
  findings.publish(extraction, part_index, file.path);
  inspect_embeddings(file, part_index, zip, extraction);
}

}  // namespace privmilter::content
