// PowerPoint (PresentationML): slide text, speaker notes (metadata: the
// audience never sees them), comments. Slides hidden from the show
// (<p:sld show="0">) are reported at "/hidden-text".

#include <string>
#include <string_view>

#include "ooxml_parts.h"

namespace privmilter::content {
namespace {

// DrawingML text: <a:p> paragraphs of <a:r><a:t> runs, <a:br/> line breaks.
void read_drawing_text(std::string_view xml, DocumentStream target, DocumentFindings& findings,
                       Extraction& extraction) {
  XmlStream stream(xml);
  DocumentStream current = target;
  while (advance(stream, extraction, findings)) {
    const std::string_view name = stream.local_name();
    switch (stream.node()) {
      case XmlStream::Node::element:
        if (name == "sld" && stream.attribute("show") == "0") {
          current = DocumentStream::hidden_text;
          findings.set(PartFlag::hidden_text);
        }
        if (name == "br") findings.append(current, "\n");
        break;
      case XmlStream::Node::text:
        if (stream.parent() == "t") findings.append(current, stream.text());
        break;
      case XmlStream::Node::end_element:
        if (name == "p") findings.break_line(current);
        break;
      case XmlStream::Node::other:
        break;
    }
  }
  findings.break_line(current);
}

// Classic comments (<p:cm><p:text>) and modern ones (<p188:cm> with DrawingML text).
void read_comments(std::string_view xml, DocumentFindings& findings, Extraction& extraction) {
  XmlStream stream(xml);
  while (advance(stream, extraction, findings)) {
    const std::string_view name = stream.local_name();
    if (stream.node() == XmlStream::Node::element && name == "cm") {
      findings.set(PartFlag::comments);
    } else if (stream.node() == XmlStream::Node::text && (stream.parent() == "text" || stream.parent() == "t")) {
      findings.append(DocumentStream::comments, stream.text());
    } else if (stream.node() == XmlStream::Node::end_element && (name == "cm" || name == "p")) {
      findings.break_line(DocumentStream::comments);
    }
  }
}

}  // namespace

void read_presentation_package(const ZipMembers& zip, DocumentFindings& findings, Extraction& extraction) {
  findings.set_notes_kind(SegmentKind::metadata);
  for (const std::string& name : numbered_members(zip, "ppt/slides/slide", ".xml")) {
    read_drawing_text(*zip.find(name), DocumentStream::body, findings, extraction);
  }
  for (const std::string& name : numbered_members(zip, "ppt/notesSlides/notesSlide", ".xml")) {
    read_drawing_text(*zip.find(name), DocumentStream::notes, findings, extraction);
  }
  for (const auto& [name, xml] : zip.wanted) {
    if (name.starts_with("ppt/comments/")) read_comments(xml, findings, extraction);
  }
}

}  // namespace privmilter::content
