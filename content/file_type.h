#pragma once
// Recognises a file's type from its content (magic bytes), so that a
// ".pdf" that is really an executable is not treated as a PDF.

#include <string>
#include <string_view>

namespace privmilter::content {

// A lowercase MIME type such as "application/pdf", "application/zip",
// "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
// "application/x-ole-storage", "application/x-msdownload"; empty when the
// content is not recognised. `filename` only refines a recognised container
// (a ZIP holding word/document.xml is a .docx whatever its name).
std::string detect_type(std::string_view bytes, std::string_view filename);

// "Memo.PDF" -> "pdf"; empty when the name has no extension.
std::string lowercase_extension(std::string_view filename);

}  // namespace privmilter::content
