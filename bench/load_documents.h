#pragma once
// The attachments of the load benchmark's messages: a Word document and a
// PDF of about a given size, made of the prose they are given plus an
// incompressible image where there is room (as in a long draft or a
// scanned exhibit), so that the text a scanner sees grows with the size.

#include <cstddef>
#include <random>
#include <string>
#include <vector>

namespace privmilter::bench {

// A .docx (ZIP, text deflated, image stored): one paragraph per element.
std::string word_document(const std::vector<std::string>& paragraphs, std::size_t bytes, std::mt19937& random);
// A PDF 1.4 with uncompressed Helvetica text pages: one line per element,
// sixty to a page.
std::string pdf_document(const std::vector<std::string>& lines, std::size_t bytes, std::mt19937& random);

}  // namespace privmilter::bench
