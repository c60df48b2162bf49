#include "bench/load_documents.h"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string_view>

namespace privmilter::bench {
namespace {

// Bytes that do not compress, standing in for a scanned page or a logo.
std::string image_bytes(std::size_t bytes, std::mt19937& random) {
  std::string out(bytes, '\0');
  for (auto& byte : out) byte = static_cast<char>(random() & 0xff);
  return out;
}

std::string xml_escaped(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string pdf_escaped(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '(' || c == ')' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

struct ArchiveWriterDeleter {
  void operator()(archive* handle) const { archive_write_free(handle); }
};

struct ArchiveEntryDeleter {
  void operator()(archive_entry* entry) const { archive_entry_free(entry); }
};

struct ZipMember {
  std::string name;
  std::string content;
  bool stored = false;  // already compressed data (images) is stored, as Word does
};

std::string zip_of(const std::vector<ZipMember>& members) {
  std::unique_ptr<archive, ArchiveWriterDeleter> writer(archive_write_new());
  archive_write_set_format_zip(writer.get());
  std::size_t capacity = 4096;
  for (const auto& member : members) capacity += member.content.size() + 2 * member.name.size() + 256;
  std::string buffer(capacity, '\0');
  std::size_t used = 0;
  if (archive_write_open_memory(writer.get(), buffer.data(), buffer.size(), &used) != ARCHIVE_OK) {
    throw std::runtime_error("archive_write_open_memory failed");
  }
  for (const auto& member : members) {
    if (member.stored) {
      archive_write_zip_set_compression_store(writer.get());
    } else {
      archive_write_zip_set_compression_deflate(writer.get());
    }
    std::unique_ptr<archive_entry, ArchiveEntryDeleter> entry(archive_entry_new());
    archive_entry_set_pathname(entry.get(), member.name.c_str());
    archive_entry_set_size(entry.get(), static_cast<la_int64_t>(member.content.size()));
    archive_entry_set_filetype(entry.get(), AE_IFREG);
    archive_entry_set_perm(entry.get(), 0644);
    archive_entry_set_mtime(entry.get(), 1764320400, 0);
    if (archive_write_header(writer.get(), entry.get()) != ARCHIVE_OK ||
        archive_write_data(writer.get(), member.content.data(), member.content.size()) !=
            static_cast<la_ssize_t>(member.content.size())) {
      throw std::runtime_error(std::string("zip write failed: ") + archive_error_string(writer.get()));
    }
  }
  if (archive_write_close(writer.get()) != ARCHIVE_OK) throw std::runtime_error("zip close failed");
  buffer.resize(used);
  return buffer;
}

std::vector<ZipMember> docx_members(const std::vector<std::string>& text, bool with_image) {
  std::string document =
      "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n"
      "<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\" "
      "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><w:body>";
  for (const auto& paragraph : text) {
    document += "<w:p><w:pPr><w:spacing w:after=\"160\"/></w:pPr><w:r><w:rPr><w:rFonts w:ascii=\"Calibri\"/>"
                "</w:rPr><w:t xml:space=\"preserve\">" +
                xml_escaped(paragraph) + "</w:t></w:r></w:p>";
  }
  document += "<w:sectPr><w:pgSz w:w=\"12240\" w:h=\"15840\"/></w:sectPr></w:body></w:document>";
  std::vector<ZipMember> members = {
      {"[Content_Types].xml",
       "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n"
       "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
       "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>"
       "<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
       "<Default Extension=\"png\" ContentType=\"image/png\"/>"
       "<Override PartName=\"/word/document.xml\" "
       "ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/>"
       "<Override PartName=\"/docProps/core.xml\" "
       "ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/></Types>",
       false},
      {"_rels/.rels",
       "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n"
       "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
       "<Relationship Id=\"rId1\" "
       "Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" "
       "Target=\"word/document.xml\"/>"
       "<Relationship Id=\"rId2\" "
       "Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties\" "
       "Target=\"docProps/core.xml\"/></Relationships>",
       false},
      {"docProps/core.xml",
       "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n"
       "<cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" "
       "xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><dc:title>Draft response</dc:title>"
       "<dc:creator>Jane Doe</dc:creator></cp:coreProperties>",
       false},
      {"word/document.xml", std::move(document), false},
  };
  if (with_image) {
    members.push_back({"word/_rels/document.xml.rels",
                       "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n"
                       "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
                       "<Relationship Id=\"rId5\" "
                       "Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/image\" "
                       "Target=\"media/image1.png\"/></Relationships>",
                       false});
  }
  return members;
}

}  // namespace

std::string word_document(const std::vector<std::string>& text, std::size_t bytes, std::mt19937& random) {
  std::string without_image = zip_of(docx_members(text, false));
  if (without_image.size() + 1024 >= bytes) return without_image;
  auto members = docx_members(text, true);
  members.push_back({"word/media/image1.png", image_bytes(bytes - without_image.size() - 400, random), true});
  return zip_of(members);
}

std::string pdf_document(const std::vector<std::string>& lines, std::size_t bytes, std::mt19937& random) {
  constexpr std::size_t kLinesPerPage = 60;
  const std::size_t pages = (lines.size() + kLinesPerPage - 1) / kLinesPerPage;
  const std::size_t text_estimate = lines.size() * 80 + pages * 200 + 1000;
  const std::size_t image_size = bytes > text_estimate + 2048 ? bytes - text_estimate : 0;

  // Objects: 1 catalog, 2 pages, 3 font, 4 image, then a page and its content per page.
  std::string pdf = "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n";
  std::vector<std::size_t> offsets(5 + 2 * pages, 0);
  auto begin_object = [&](std::size_t number) {
    offsets[number] = pdf.size();
    pdf += std::to_string(number) + " 0 obj\n";
  };
  begin_object(1);
  pdf += "<< /Type /Catalog /Pages 2 0 R >>\nendobj\n";
  begin_object(2);
  pdf += "<< /Type /Pages /Count " + std::to_string(pages) + " /Kids [";
  for (std::size_t page = 0; page < pages; ++page) pdf += std::to_string(5 + 2 * page) + " 0 R ";
  pdf += "] >>\nendobj\n";
  begin_object(3);
  pdf += "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>\nendobj\n";
  begin_object(4);
  const std::size_t side = std::max<std::size_t>(1, static_cast<std::size_t>(std::sqrt(image_size)));
  const std::string image = image_bytes(image_size > 0 ? side * side : 1, random);
  pdf += "<< /Type /XObject /Subtype /Image /Width " + std::to_string(image_size > 0 ? side : 1) +
         " /Height " + std::to_string(image_size > 0 ? side : 1) +
         " /ColorSpace /DeviceGray /BitsPerComponent 8 /Length " + std::to_string(image.size()) +
         " >>\nstream\n" + image + "\nendstream\nendobj\n";
  for (std::size_t page = 0; page < pages; ++page) {
    std::string content = "BT /F1 10 Tf 12 TL 50 770 Td\n";
    for (std::size_t i = page * kLinesPerPage; i < std::min(lines.size(), (page + 1) * kLinesPerPage); ++i) {
      content += "(" + pdf_escaped(lines[i]) + ") Tj T*\n";
    }
    content += "ET\n";
    if (page == 0 && image_size > 0) content += "q 100 0 0 100 450 40 cm /Im1 Do Q\n";
    begin_object(5 + 2 * page);
    pdf += "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> "
           "/XObject << /Im1 4 0 R >> >> /Contents " +
           std::to_string(6 + 2 * page) + " 0 R >>\nendobj\n";
    begin_object(6 + 2 * page);
    pdf += "<< /Length " + std::to_string(content.size()) + " >>\nstream\n" + content + "endstream\nendobj\n";
  }
  const std::size_t xref = pdf.size();
  pdf += "xref\n0 " + std::to_string(offsets.size()) + "\n0000000000 65535 f \n";
  for (std::size_t number = 1; number < offsets.size(); ++number) {
    char entry[32];
    std::snprintf(entry, sizeof(entry), "%010zu 00000 n \n", offsets[number]);
    pdf += entry;
  }
  pdf += "trailer\n<< /Size " + std::to_string(offsets.size()) + " /Root 1 0 R >>\nstartxref\n" +
         std::to_string(xref) + "\n%%EOF\n";
  return pdf;
}

}  // namespace privmilter::bench
