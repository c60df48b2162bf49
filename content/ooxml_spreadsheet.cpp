// Excel (SpreadsheetML): cell values of every sheet (shared strings resolved,
// inline strings, numbers), comments and threaded comments. The text of a
// hidden sheet is reported at "/hidden-text" rather than in the body.

#include <algorithm>
#include <charconv>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ooxml_parts.h"

namespace privmilter::content {
namespace {

struct Sheet {
  std::string member;  // e.g. "xl/worksheets/sheet1.xml"
  bool hidden = false;
};

// Relationship id -> member name, from xl/_rels/workbook.xml.rels.
std::map<std::string, std::string> workbook_targets(const ZipMembers& zip, DocumentFindings& findings,
                                                    Extraction& extraction) {
  std::map<std::string, std::string> targets;
  const std::string* xml = zip.find("xl/_rels/workbook.xml.rels");
  if (xml == nullptr) return targets;
  XmlStream stream(*xml);
  while (advance(stream, extraction, findings)) {
    if (stream.node() != XmlStream::Node::element || stream.local_name() != "Relationship") continue;
    const auto id = stream.attribute("Id");
    auto target = stream.attribute("Target");
    if (!id || !target) continue;
    // Targets are relative to xl/ unless absolute within the package.
    targets[*id] = target->starts_with('/') ? target->substr(1) : "xl/" + *target;
  }
  return targets;
}

// Sheets in workbook order, then any sheet member the workbook does not name.
std::vector<Sheet> sheets_of(const ZipMembers& zip, DocumentFindings& findings, Extraction& extraction) {
  const std::map<std::string, std::string> targets = workbook_targets(zip, findings, extraction);
  std::vector<Sheet> sheets;
  std::set<std::string> listed;
  if (const std::string* xml = zip.find("xl/workbook.xml")) {
    XmlStream stream(*xml);
    while (advance(stream, extraction, findings)) {
      if (stream.node() != XmlStream::Node::element || stream.local_name() != "sheet") continue;
      const auto id = stream.attribute("id");
      const auto state = stream.attribute("state");
      const auto target = id ? targets.find(*id) : targets.end();
      if (target == targets.end() || listed.contains(target->second)) continue;
      listed.insert(target->second);
      sheets.push_back({target->second, state && (*state == "hidden" || *state == "veryHidden")});
    }
  }
  for (std::string& member : numbered_members(zip, "xl/worksheets/sheet", ".xml")) {
    if (!listed.contains(member)) sheets.push_back({std::move(member), false});
  }
  return sheets;
}

// Text of each <si>, ignoring phonetic guides (<rPh>).
std::vector<std::string> shared_strings(const ZipMembers& zip, DocumentFindings& findings, Extraction& extraction) {
  std::vector<std::string> strings;
  const std::string* xml = zip.find("xl/sharedStrings.xml");
  if (xml == nullptr) return strings;
  XmlStream stream(*xml);
  while (advance(stream, extraction, findings)) {
    if (stream.node() == XmlStream::Node::element && stream.local_name() == "si") {
      strings.emplace_back();
    } else if (stream.node() == XmlStream::Node::text && stream.parent() == "t" && !strings.empty()) {
      const auto& ancestors = stream.ancestors();
      if (std::find(ancestors.begin(), ancestors.end(), "rPh") == ancestors.end()) strings.back() += stream.text();
    }
  }
  return strings;
}

class SheetReader {
 public:
  SheetReader(const std::vector<std::string>& strings, DocumentStream target, DocumentFindings& findings,
              Extraction& extraction)
      : strings_(strings), target_(target), findings_(findings), extraction_(extraction) {}

  void read(std::string_view xml) {
    XmlStream stream(xml);
    while (advance(stream, extraction_, findings_)) {
      const std::string_view name = stream.local_name();
      if (stream.node() == XmlStream::Node::element && name == "c") {
        cell_type_ = stream.attribute("t").value_or("n");
        value_.clear();
      } else if (stream.node() == XmlStream::Node::text) {
        const std::string_view parent = stream.parent();
        // <v> holds the value (or shared string index); <is><t> an inline string.
        if (parent == "v" || (parent == "t" && cell_type_ == "inlineStr")) value_ += stream.text();
      } else if (stream.node() == XmlStream::Node::end_element && name == "c") {
        emit_cell();
      } else if (stream.node() == XmlStream::Node::end_element && name == "row") {
        findings_.break_line(target_);
        row_has_value_ = false;
      }
    }
    findings_.break_line(target_);
  }

 private:
  void emit_cell() {
    std::string_view text = value_;
    if (cell_type_ == "s") {
      std::size_t index = 0;
      const auto [end, error] = std::from_chars(value_.data(), value_.data() + value_.size(), index);
      if (error != std::errc() || index >= strings_.size()) return;
      text = strings_[index];
    }
    if (text.empty()) return;
    if (row_has_value_) findings_.append(target_, "\t");
    findings_.append(target_, text);
    row_has_value_ = true;
  }

  const std::vector<std::string>& strings_;
  DocumentStream target_;
  DocumentFindings& findings_;
  Extraction& extraction_;
  std::string cell_type_;
  std::string value_;
  bool row_has_value_ = false;
};

// Legacy notes (xl/commentsN.xml: <comment><text><r><t>) and threaded
// comments (xl/threadedComments/*.xml: <threadedComment><text>).
void read_comments(const std::string& xml, DocumentFindings& findings, Extraction& extraction) {
  XmlStream stream(xml);
  while (advance(stream, extraction, findings)) {
    const std::string_view name = stream.local_name();
    if (stream.node() == XmlStream::Node::element && (name == "comment" || name == "threadedComment")) {
      findings.set(PartFlag::comments);
    } else if (stream.node() == XmlStream::Node::text && (stream.parent() == "t" || stream.parent() == "text")) {
      findings.append(DocumentStream::comments, stream.text());
    } else if (stream.node() == XmlStream::Node::end_element && (name == "comment" || name == "threadedComment")) {
      findings.break_line(DocumentStream::comments);
    }
  }
}

}  // namespace

void read_spreadsheet_package(const ZipMembers& zip, DocumentFindings& findings, Extraction& extraction) {
  const std::vector<std::string> strings = shared_strings(zip, findings, extraction);
  for (const Sheet& sheet : sheets_of(zip, findings, extraction)) {
    const std::string* xml = zip.find(sheet.member);
    if (xml == nullptr) continue;
    const DocumentStream target = sheet.hidden ? DocumentStream::hidden_text : DocumentStream::body;
    if (sheet.hidden) findings.set(PartFlag::hidden_text);
    SheetReader(strings, target, findings, extraction).read(*xml);
  }
  for (const std::string& name : numbered_members(zip, "xl/comments", ".xml")) {
    read_comments(*zip.find(name), findings, extraction);
  }
  for (const auto& [name, xml] : zip.wanted) {
    if (name.starts_with("xl/threadedComments/")) read_comments(xml, findings, extraction);
  }
}

}  // namespace privmilter::content
