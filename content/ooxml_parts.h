#pragma once
// The readers for the parts of an Office Open XML package, shared by the
// Word, Excel and PowerPoint inspectors (internal to content/).

#include <string>
#include <string_view>
#include <vector>

#include "document_findings.h"
#include "extraction.h"
#include "zip_members.h"

namespace privmilter::content {

// Names of the read members "<prefix>NUMBER<suffix>" (and "<prefix><suffix>"),
// in numeric order: slide2 before slide10.
std::vector<std::string> numbered_members(const ZipMembers& zip, std::string_view prefix, std::string_view suffix);

// word/document.xml with its headers, footers, notes and comments.
void read_word_package(const ZipMembers& zip, DocumentFindings& findings, Extraction& extraction);
// xl/workbook.xml, its sheets, shared strings and comments.
void read_spreadsheet_package(const ZipMembers& zip, DocumentFindings& findings, Extraction& extraction);
// ppt/slides with their notes and comments.
void read_presentation_package(const ZipMembers& zip, DocumentFindings& findings, Extraction& extraction);
// docProps/core.xml, app.xml and custom.xml.
void read_package_properties(const ZipMembers& zip, DocumentFindings& findings, Extraction& extraction);

}  // namespace privmilter::content
