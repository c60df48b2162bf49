// Word (WordprocessingML): body, headers and footers, footnotes and endnotes,
// comments, tracked insertions and deletions, hidden (vanished) text.
//
// Hidden text is reported only at "/hidden-text", not in the body: the body
// is what a reader of the document sees. Inserted text is both body and
// tracked change; deleted text is only a tracked change.

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>

#include "ooxml_parts.h"

namespace privmilter::content {
namespace {

bool is_insertion(std::string_view name) { return name == "ins" || name == "moveTo"; }
bool is_deletion(std::string_view name) { return name == "del" || name == "moveFrom"; }
bool is_revision_mark(std::string_view name) {
  return is_insertion(name) || is_deletion(name) || name == "rPrChange" || name == "pPrChange" ||
         name == "sectPrChange" || name == "tblPrChange" || name == "trPrChange" || name == "tcPrChange";
}

bool switched_off(const std::optional<std::string>& value) {
  return value && (*value == "0" || *value == "false" || *value == "off");
}

// The text of one WordprocessingML part: `visible` receives what a reader sees.
class WordPartReader {
 public:
  WordPartReader(DocumentStream visible, DocumentFindings& findings, Extraction& extraction)
      : visible_(visible), findings_(findings), extraction_(extraction) {}

  void read(std::string_view xml) {
    XmlStream stream(xml);
    while (advance(stream, extraction_, findings_)) {
      switch (stream.node()) {
        case XmlStream::Node::element:
          on_element(stream);
          break;
        case XmlStream::Node::end_element:
          on_end_element(stream);
          break;
        case XmlStream::Node::text:
          on_text(stream);
          break;
        case XmlStream::Node::other:
          break;
      }
    }
  }

 private:
  void on_element(const XmlStream& stream) {
    const std::string_view name = stream.local_name();
    if (is_revision_mark(name)) findings_.set(PartFlag::tracked_changes);
    if (name == "comment") findings_.set(PartFlag::comments);
    if (!stream.empty_element()) {
      if (is_insertion(name)) ++open_insertions_;
      if (is_deletion(name)) ++open_deletions_;
    }
    if (name == "r") run_hidden_ = false;
    const std::string_view parent = stream.parent();
    if (name == "vanish" && parent == "rPr" && grandparent(stream) == "r") {
      run_hidden_ = !switched_off(stream.attribute("val"));
    }
    if (parent == "r") {
      if (name == "tab") emit("\t");
      if (name == "br" || name == "cr") emit("\n");
      if (name == "noBreakHyphen") emit("-");
    }
  }

  void on_end_element(const XmlStream& stream) {
    const std::string_view name = stream.local_name();
    // Each revision on its own line: a deletion next to an insertion is two changes, not one phrase.
    if (is_insertion(name) && open_insertions_ > 0) {
      --open_insertions_;
      findings_.break_line(DocumentStream::tracked_changes);
    }
    if (is_deletion(name) && open_deletions_ > 0) {
      --open_deletions_;
      findings_.break_line(DocumentStream::tracked_changes);
    }
    if (name == "r") run_hidden_ = false;
    if (name == "p" || name == "comment" || name == "footnote" || name == "endnote") {
      findings_.break_line(visible_);
      findings_.break_line(DocumentStream::tracked_changes);
      findings_.break_line(DocumentStream::hidden_text);
    }
  }

  void on_text(const XmlStream& stream) {
    const std::string_view parent = stream.parent();
    if (parent != "t" && parent != "delText") return;
    // Markup compatibility: a fallback repeats the text of the choice beside it.
    const auto& ancestors = stream.ancestors();
    if (std::find(ancestors.begin(), ancestors.end(), "Fallback") != ancestors.end()) return;
    emit(stream.text());
  }

  void emit(std::string_view text) {
    if (open_deletions_ > 0) {
      findings_.append(DocumentStream::tracked_changes, text);
      return;
    }
    if (open_insertions_ > 0) findings_.append(DocumentStream::tracked_changes, text);
    if (run_hidden_) {
      findings_.append(DocumentStream::hidden_text, text);
      if (text.find_first_not_of(" \t\n") != std::string_view::npos) findings_.set(PartFlag::hidden_text);
    } else {
      findings_.append(visible_, text);
    }
  }

  static std::string_view grandparent(const XmlStream& stream) {
    const auto& ancestors = stream.ancestors();
    return ancestors.size() < 2 ? std::string_view() : std::string_view(ancestors[ancestors.size() - 2]);
  }

  DocumentStream visible_;
  DocumentFindings& findings_;
  Extraction& extraction_;
  int open_insertions_ = 0;
  int open_deletions_ = 0;
  bool run_hidden_ = false;
};

void read_part(const ZipMembers& zip, const std::string& name, DocumentStream visible, DocumentFindings& findings,
               Extraction& extraction) {
  if (const std::string* xml = zip.find(name)) WordPartReader(visible, findings, extraction).read(*xml);
}

}  // namespace

void read_word_package(const ZipMembers& zip, DocumentFindings& findings, Extraction& extraction) {
  read_part(zip, "word/document.xml", DocumentStream::body, findings, extraction);
  for (const std::string& name : numbered_members(zip, "word/header", ".xml")) {
    read_part(zip, name, DocumentStream::headers_footers, findings, extraction);
  }
  for (const std::string& name : numbered_members(zip, "word/footer", ".xml")) {
    read_part(zip, name, DocumentStream::headers_footers, findings, extraction);
  }
  read_part(zip, "word/footnotes.xml", DocumentStream::notes, findings, extraction);
  read_part(zip, "word/endnotes.xml", DocumentStream::notes, findings, extraction);
  read_part(zip, "word/comments.xml", DocumentStream::comments, findings, extraction);
}

}  // namespace privmilter::content
