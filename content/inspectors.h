#pragma once
// One inspector per kind of embedded file. Each reads `file.bytes`, records
// what it finds (text, child parts, flags, properties) into `extraction`
// against the part at `part_index`, and recurses into embedded files through
// extraction.inspect() with depth + 1. None throws: malformed, encrypted or
// over-limit content ends as flags and an uninspectable reason on the part.

#include <cstddef>

#include "extraction.h"

namespace privmilter::content {

// ZIP, TAR, GZIP, BZIP2, XZ and 7z containers (libarchive); encrypted ZIP
// entries (ZipCrypto and AES) are flagged, never guessed at.
void inspect_archive(const EmbeddedFile& file, std::size_t part_index, Extraction& extraction);

// Word, Excel and PowerPoint Open XML: text, comments, tracked changes,
// hidden text, headers and footers, document properties.
void inspect_office_open_xml(const EmbeddedFile& file, std::size_t part_index, Extraction& extraction);

// OpenDocument text, spreadsheet and presentation.
void inspect_open_document(const EmbeddedFile& file, std::size_t part_index, Extraction& extraction);

// PDF text and document information; encrypted PDFs are flagged.
void inspect_pdf(const EmbeddedFile& file, std::size_t part_index, Extraction& extraction);

// OLE compound files: legacy .doc/.xls/.ppt and encrypted Office files
// (an EncryptedPackage stream).
void inspect_ole(const EmbeddedFile& file, std::size_t part_index, Extraction& extraction);

// TNEF (winmail.dat): the body and the attachments Outlook packed inside.
void inspect_tnef(const EmbeddedFile& file, std::size_t part_index, Extraction& extraction);

// A message saved as a file (.eml), walked like the message itself; its
// encryption is a flag on its part, not the outer message's state.
void inspect_message(const EmbeddedFile& file, std::size_t part_index, Extraction& extraction);

// RTF reduced to its text.
void inspect_rtf(const EmbeddedFile& file, std::size_t part_index, Extraction& extraction);

}  // namespace privmilter::content
