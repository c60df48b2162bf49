// OpenDocument text, spreadsheet and presentation: content.xml (paragraphs,
// headings, table cells, annotations, tracked changes), headers and footers
// from styles.xml, properties from meta.xml. An encrypted package (its
// manifest lists encryption data) is flagged and its content left alone.
//
// ODF's dc:creator names whoever saved the document last; meta:initial-creator
// is its author.

#include <algorithm>
#include <array>
#include <charconv>
#include <string>
#include <string_view>
#include <utility>

#include "document_findings.h"
#include "inspectors.h"
#include "zip_members.h"

namespace privmilter::content {
namespace {

bool carries_content(std::string_view name) {
  return name == "content.xml" || name == "styles.xml" || name == "meta.xml" || name == "META-INF/manifest.xml";
}

bool encrypted_package(const std::string& manifest, DocumentFindings& findings, Extraction& extraction) {
  XmlStream stream(manifest);
  while (advance(stream, extraction, findings)) {
    if (stream.node() == XmlStream::Node::element && stream.local_name() == "encryption-data") return true;
  }
  return false;
}

// Text of content.xml (visible text to `visible`) or of styles.xml (only the
// page headers and footers, with `headers_only`).
class OpenDocumentTextReader {
 public:
  OpenDocumentTextReader(DocumentStream visible, bool headers_only, DocumentFindings& findings,
                         Extraction& extraction)
      : visible_(visible), headers_only_(headers_only), findings_(findings), extraction_(extraction) {}

  void read(std::string_view xml) {
    XmlStream stream(xml);
    while (advance(stream, extraction_, findings_)) {
      switch (stream.node()) {
        case XmlStream::Node::element:
          on_element(stream);
          break;
        case XmlStream::Node::end_element:
          on_end_element(stream.local_name());
          break;
        case XmlStream::Node::text:
          if (in_paragraph(stream)) emit(stream.text());
          break;
        case XmlStream::Node::other:
          break;
      }
    }
  }

 private:
  static bool is_header_or_footer(std::string_view name) {
    return name == "header" || name == "footer" || name == "header-left" || name == "footer-left" ||
           name == "header-first" || name == "footer-first";
  }

  void on_element(const XmlStream& stream) {
    const std::string_view name = stream.local_name();
    if (name == "annotation") findings_.set(PartFlag::comments);
    if (name == "tracked-changes" || name == "change-start" || name == "change") {
      findings_.set(PartFlag::tracked_changes);
    }
    if (!stream.empty_element()) {
      if (name == "annotation") ++open_annotations_;
      if (name == "tracked-changes") ++open_tracked_changes_;
      if (is_header_or_footer(name)) ++open_headers_;
      if (name == "table-cell") ++open_cells_;
    }
    if (name == "s") {
      // <text:s text:c="N"/>: N spaces, bounded so a hostile count cannot inflate the text.
      const std::string count = stream.attribute("c").value_or("1");
      std::size_t spaces = 1;
      std::from_chars(count.data(), count.data() + count.size(), spaces);
      emit(std::string(std::clamp<std::size_t>(spaces, 1, 100), ' '));
    }
    if (name == "tab") emit("\t");
    if (name == "line-break") emit("\n");
  }

  void on_end_element(std::string_view name) {
    if (name == "annotation" && open_annotations_ > 0) {
      findings_.break_line(DocumentStream::comments);
      --open_annotations_;
    } else if (name == "tracked-changes" && open_tracked_changes_ > 0) {
      findings_.break_line(DocumentStream::tracked_changes);
      --open_tracked_changes_;
    } else if (is_header_or_footer(name) && open_headers_ > 0) {
      --open_headers_;
    } else if (name == "table-cell" && open_cells_ > 0) {
      --open_cells_;
      separator_ = "\t";
    } else if ((name == "p" || name == "h") && open_cells_ > 0 && open_annotations_ == 0) {
      if (separator_.empty()) separator_ = " ";  // paragraphs within a cell stay on the row's line
    } else if (name == "p" || name == "h" || name == "list-item" || name == "table-row" ||
               name == "changed-region") {
      separator_.clear();
      if (!headers_only_ || open_headers_ > 0) findings_.break_line(target());
    }
  }

  // Text belongs to a paragraph or heading; an annotation's or change's
  // author and date (dc:creator, dc:date) do not, even inside a paragraph.
  static bool in_paragraph(const XmlStream& stream) {
    const auto& ancestors = stream.ancestors();
    for (auto it = ancestors.rbegin(); it != ancestors.rend(); ++it) {
      if (*it == "p" || *it == "h") return true;
      if (*it == "annotation" || *it == "change-info") return false;
    }
    return false;
  }

  void emit(std::string_view text) {
    if (headers_only_ && open_headers_ == 0) return;
    if (!separator_.empty() && target() == visible_) findings_.append(visible_, std::exchange(separator_, {}));
    findings_.append(target(), text);
  }

  DocumentStream target() const {
    if (open_tracked_changes_ > 0) return DocumentStream::tracked_changes;
    if (open_annotations_ > 0) return DocumentStream::comments;
    return visible_;
  }

  DocumentStream visible_;
  bool headers_only_;
  DocumentFindings& findings_;
  Extraction& extraction_;
  int open_annotations_ = 0;
  int open_tracked_changes_ = 0;
  int open_headers_ = 0;
  int open_cells_ = 0;
  std::string separator_;  // between table cells: written before the next cell's text, not after the last
};

struct PropertyName {
  std::string_view element;
  std::string_view property;
};

constexpr std::array<PropertyName, 6> kProperties{{
    {"title", "title"},
    {"initial-creator", "author"},
    {"creator", "last_modified_by"},
    {"subject", "subject"},
    {"description", "description"},
    {"keyword", "keywords"},
}};

// meta.xml: <office:meta> children, and <meta:user-defined meta:name="...">.
void read_meta(const std::string& xml, DocumentFindings& findings, Extraction& extraction) {
  XmlStream stream(xml);
  std::string property;
  std::string value;
  while (advance(stream, extraction, findings)) {
    const bool in_meta = stream.parent() == "meta";
    if (stream.node() == XmlStream::Node::element && in_meta) {
      property.clear();
      value.clear();
      for (const PropertyName& name : kProperties) {
        if (name.element == stream.local_name()) property = name.property;
      }
      if (stream.local_name() == "user-defined") property = "custom:" + stream.attribute("name").value_or("");
      if (property == "custom:") property.clear();
    } else if (stream.node() == XmlStream::Node::text && !property.empty()) {
      value += stream.text();
    } else if (stream.node() == XmlStream::Node::end_element && in_meta && !property.empty()) {
      findings.add_property(property, value);
      property.clear();
    }
  }
}

}  // namespace

void inspect_open_document(const EmbeddedFile& file, std::size_t part_index, Extraction& extraction) {
  const ZipMembers zip = read_zip_members(file.bytes, carries_content, extraction);
  if (!zip.opened) {
    extraction.mark_uninspectable(part_index, "malformed");
    return;
  }
  if (!zip.problem.empty()) extraction.mark_uninspectable(part_index, zip.problem);

  DocumentFindings findings(extraction.text_budget_left());
  const std::string* manifest = zip.find("META-INF/manifest.xml");
  if ((manifest != nullptr && encrypted_package(*manifest, findings, extraction)) || !zip.encrypted.empty()) {
    PartFact& part = extraction.part(part_index);
    part.set(PartFlag::encrypted);
    part.set(PartFlag::password_protected);
    extraction.mark_uninspectable(part_index, "encrypted");
  } else if (const std::string* content = zip.find("content.xml")) {
    OpenDocumentTextReader(DocumentStream::body, false, findings, extraction).read(*content);
    if (const std::string* styles = zip.find("styles.xml")) {
      OpenDocumentTextReader(DocumentStream::headers_footers, true, findings, extraction).read(*styles);
    }
  } else if (zip.problem.empty()) {
    extraction.defects().note("OpenDocument without content.xml at " + file.path);
    findings.mark_uninspectable("malformed");
  }
  // The manifest leaves meta.xml in clear even when the content is encrypted.
  if (const std::string* meta = zip.find("meta.xml")) read_meta(*meta, findings, extraction);
  findings.publish(extraction, part_index, file.path);
}

}  // namespace privmilter::content
