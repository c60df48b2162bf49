// PDF attachments: page text, document information, embedded files, and
// encryption (made with qpdf at test time).

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "unit/content/attachment_message.h"
#include "unit/content/content_test_support.h"

namespace privmilter::testing {
namespace {

struct PdfSpec {
  std::vector<std::string> pages;  // one line of text each
  std::string author;
  std::string title;
  std::string embedded_name;  // a text file attached to the document when not empty
  std::string embedded_text;
};

// A minimal PDF written by hand, with a correct cross-reference table so
// that strict tools (qpdf) accept it.
std::string make_pdf(const PdfSpec& spec) {
  std::vector<std::string> objects;  // object n is objects[n - 1]
  const std::size_t page_count = spec.pages.size();
  const std::size_t font = 3;
  const std::size_t info = 4;
  const std::size_t first_page = 5;  // each page is followed by its content stream
  const std::size_t after_pages = first_page + 2 * page_count;
  std::string names;
  if (!spec.embedded_name.empty()) {
    names = " /Names << /EmbeddedFiles << /Names [(" + spec.embedded_name + ") " + std::to_string(after_pages) +
            " 0 R] >> >>";
  }
  objects.push_back("<< /Type /Catalog /Pages 2 0 R" + names + " >>");
  std::string kids;
  for (std::size_t i = 0; i < page_count; ++i) kids += std::to_string(first_page + 2 * i) + " 0 R ";
  objects.push_back("<< /Type /Pages /Kids [" + kids + "] /Count " + std::to_string(page_count) + " >>");
  objects.push_back("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>");
  objects.push_back("<< /Author (" + spec.author + ") /Title (" + spec.title + ") /Producer (privmilter tests) >>");
  for (std::size_t i = 0; i < page_count; ++i) {
    objects.push_back("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 " +
                      std::to_string(font) + " 0 R >> >> /Contents " + std::to_string(first_page + 2 * i + 1) +
                      " 0 R >>");
    const std::string content = "BT /F1 12 Tf 72 720 Td (" + spec.pages[i] + ") Tj ET";
    objects.push_back("<< /Length " + std::to_string(content.size()) + " >>\nstream\n" + content + "\nendstream");
  }
  if (!spec.embedded_name.empty()) {
    objects.push_back("<< /Type /Filespec /F (" + spec.embedded_name + ") /EF << /F " +
                      std::to_string(after_pages + 1) + " 0 R >> >>");
    objects.push_back("<< /Type /EmbeddedFile /Subtype /text#2Fplain /Length " +
                      std::to_string(spec.embedded_text.size()) + " >>\nstream\n" + spec.embedded_text +
                      "\nendstream");
  }
  std::string pdf = "%PDF-1.7\n%\xE2\xE3\xCF\xD3\n";
  std::vector<std::size_t> offsets;
  for (std::size_t n = 1; n <= objects.size(); ++n) {
    offsets.push_back(pdf.size());
    pdf += std::to_string(n) + " 0 obj\n" + objects[n - 1] + "\nendobj\n";
  }
  const std::size_t xref = pdf.size();
  pdf += "xref\n0 " + std::to_string(objects.size() + 1) + "\n0000000000 65535 f \n";
  for (std::size_t offset : offsets) {
    char line[21];
    std::snprintf(line, sizeof line, "%010zu 00000 n \n", offset);
    pdf += line;
  }
  pdf += "trailer\n<< /Size " + std::to_string(objects.size() + 1) + " /Root 1 0 R /Info " + std::to_string(info) +
         " 0 R >>\nstartxref\n" + std::to_string(xref) + "\n%%EOF\n";
  return pdf;
}

PdfSpec memo_spec() {
  return {.pages = {"Privileged and confidential settlement memo", "Second page mentions the merger"},
          .author = "Jane Counsel",
          .title = "Settlement strategy",
          .embedded_name = {},
          .embedded_text = {}};
}

const PartFact* find_part(const MessageFacts& facts, std::string_view path) {
  for (const PartFact& part : facts.parts) {
    if (part.path == path) return &part;
  }
  return nullptr;
}

std::string property(const PartFact& part, std::string_view name) {
  for (const auto& [key, value] : part.properties) {
    if (key == name) return value;
  }
  return {};
}

class PdfTest : public ContentTest {
 protected:
  // Encrypts `pdf` with qpdf; empty when qpdf is missing or fails.
  std::string encrypt_with_qpdf(const std::string& pdf, const std::string& user_password) {
    if (std::system("command -v qpdf >/dev/null 2>&1") != 0) return {};
    const auto plain = temp_ / "plain.pdf";
    const auto encrypted = temp_ / "encrypted.pdf";
    std::ofstream(plain, std::ios::binary) << pdf;
    const std::string command = "qpdf --encrypt '" + user_password + "' owner-secret 256 -- " + plain.string() +
                                " " + encrypted.string() + " >/dev/null 2>&1";
    if (std::system(command.c_str()) != 0) return {};
    return read_file(encrypted);
  }
};

TEST_F(PdfTest, PageTextAndDocumentInformationAreExtracted) {
  const MessageFacts facts = facts_of(attachment_message("memo.pdf", "application/pdf", make_pdf(memo_spec())));
  const PartFact* pdf = find_part(facts, "2");
  ASSERT_NE(pdf, nullptr);
  EXPECT_EQ(pdf->detected_type, "application/pdf");
  EXPECT_EQ(pdf->filename, "memo.pdf");
  EXPECT_TRUE(pdf->has(PartFlag::attachment));
  EXPECT_FALSE(pdf->has(PartFlag::uninspectable)) << pdf->uninspectable_reason;
  EXPECT_FALSE(pdf->has(PartFlag::encrypted));
  EXPECT_EQ(property(*pdf, "author"), "Jane Counsel");
  EXPECT_EQ(property(*pdf, "title"), "Settlement strategy");
  EXPECT_EQ(property(*pdf, "producer"), "privmilter tests");

  std::string page_text;
  for (const TextSegment& segment : facts.segments) {
    if (segment.location == "2") {
      EXPECT_EQ(segment.kind, SegmentKind::attachment);
      page_text += segment.text;
    }
  }
  EXPECT_NE(page_text.find("Privileged and confidential settlement memo"), std::string::npos) << page_text;
  EXPECT_NE(page_text.find("Second page mentions the merger"), std::string::npos) << page_text;

  const TextSegment* properties = find_segment(facts, "2/properties");
  ASSERT_NE(properties, nullptr);
  EXPECT_EQ(properties->kind, SegmentKind::metadata);
  EXPECT_NE(properties->text.find("author: Jane Counsel"), std::string::npos) << properties->text;
}

TEST_F(PdfTest, AContentTypeLieDoesNotHideAPdf) {
  const MessageFacts facts =
      facts_of(attachment_message("scan.bin", "application/octet-stream", make_pdf(memo_spec())));
  const PartFact* pdf = find_part(facts, "2");
  ASSERT_NE(pdf, nullptr);
  EXPECT_EQ(pdf->content_type, "application/octet-stream");
  EXPECT_EQ(pdf->detected_type, "application/pdf");
  EXPECT_NE(all_text(facts).find("settlement memo"), std::string::npos);
}

TEST_F(PdfTest, AUserPasswordMakesItEncryptedAndUninspectable) {
  const std::string encrypted = encrypt_with_qpdf(make_pdf(memo_spec()), "user-secret");
  if (encrypted.empty()) GTEST_SKIP() << "qpdf is not available";
  const MessageFacts facts = facts_of(attachment_message("memo.pdf", "application/pdf", encrypted));
  const PartFact* pdf = find_part(facts, "2");
  ASSERT_NE(pdf, nullptr);
  EXPECT_EQ(pdf->detected_type, "application/pdf");
  EXPECT_TRUE(pdf->has(PartFlag::encrypted));
  EXPECT_TRUE(pdf->has(PartFlag::password_protected));
  EXPECT_TRUE(pdf->has(PartFlag::uninspectable));
  EXPECT_EQ(pdf->uninspectable_reason, "encrypted");
  EXPECT_EQ(all_text(facts).find("settlement memo"), std::string::npos);
}

TEST_F(PdfTest, AnOwnerPasswordAloneIsFlaggedButTheTextIsStillRead) {
  const std::string encrypted = encrypt_with_qpdf(make_pdf(memo_spec()), "");
  if (encrypted.empty()) GTEST_SKIP() << "qpdf is not available";
  const MessageFacts facts = facts_of(attachment_message("memo.pdf", "application/pdf", encrypted));
  const PartFact* pdf = find_part(facts, "2");
  ASSERT_NE(pdf, nullptr);
  EXPECT_TRUE(pdf->has(PartFlag::encrypted));
  EXPECT_FALSE(pdf->has(PartFlag::password_protected));
  EXPECT_FALSE(pdf->has(PartFlag::uninspectable)) << pdf->uninspectable_reason;
  EXPECT_NE(all_text(facts).find("Privileged and confidential settlement memo"), std::string::npos);
  EXPECT_EQ(property(*pdf, "author"), "Jane Counsel");
}

TEST_F(PdfTest, ACorruptPdfIsMalformed) {
  std::string corrupt = "%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 9 0 R >> endobj\n";
  corrupt += std::string(2000, '\x9c') + "\ntrailer << /Root 7 0 R >>\n%%EOF\n";
  const MessageFacts facts = facts_of(attachment_message("broken.pdf", "application/pdf", corrupt));
  const PartFact* pdf = find_part(facts, "2");
  ASSERT_NE(pdf, nullptr);
  EXPECT_EQ(pdf->detected_type, "application/pdf");
  EXPECT_TRUE(pdf->has(PartFlag::uninspectable));
  EXPECT_EQ(pdf->uninspectable_reason, "malformed");
}

TEST_F(PdfTest, TruncatedPdfsNeverCrash) {
  const std::string pdf = make_pdf(memo_spec());
  for (std::size_t length = 8; length < pdf.size(); length += 37) {
    const MessageFacts facts = facts_of(attachment_message("cut.pdf", "application/pdf", pdf.substr(0, length)));
    const PartFact* part = find_part(facts, "2");
    ASSERT_NE(part, nullptr) << "length " << length;
    EXPECT_EQ(part->detected_type, "application/pdf");
  }
}

TEST_F(PdfTest, EmbeddedFilesAreInspectedAsChildren) {
  PdfSpec spec = memo_spec();
  spec.embedded_name = "side-letter.txt";
  spec.embedded_text = "Side letter: the client waives privilege on nothing.";
  const MessageFacts facts = facts_of(attachment_message("bundle.pdf", "application/pdf", make_pdf(spec)));
  const PartFact* child = find_part(facts, "2/side-letter.txt");
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(child->filename, "side-letter.txt");
  EXPECT_EQ(child->content_type, "text/plain");
  EXPECT_TRUE(child->has(PartFlag::attachment));
  EXPECT_EQ(child->size, spec.embedded_text.size());
  const TextSegment* text = find_segment(facts, "2/side-letter.txt");
  ASSERT_NE(text, nullptr);
  EXPECT_EQ(text->kind, SegmentKind::attachment);
  EXPECT_EQ(text->text, spec.embedded_text);
}

TEST_F(PdfTest, TheTextBudgetStopsExtraction) {
  PdfSpec spec = memo_spec();
  spec.author.clear();
  spec.title.clear();
  ContentLimits limits;
  limits.max_text_bytes = 50;  // the producer property and not a whole page
  const MessageFacts facts =
      facts_of(attachment_message("memo.pdf", "application/pdf", make_pdf(spec)), SpoolMode::memory, limits);
  const PartFact* pdf = find_part(facts, "2");
  ASSERT_NE(pdf, nullptr);
  EXPECT_TRUE(pdf->has(PartFlag::uninspectable));
  EXPECT_EQ(pdf->uninspectable_reason, "limit:max_text_bytes");
}

TEST_F(PdfTest, TheDepthLimitAppliesToEmbeddedFiles) {
  PdfSpec spec = memo_spec();
  spec.embedded_name = "inner.txt";
  spec.embedded_text = "inner text";
  ContentLimits limits;
  limits.max_depth = 1;  // the PDF (depth 1) is read, what it embeds (depth 2) is not
  const MessageFacts facts =
      facts_of(attachment_message("memo.pdf", "application/pdf", make_pdf(spec)), SpoolMode::memory, limits);
  const PartFact* child = find_part(facts, "2/inner.txt");
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(child->uninspectable_reason, "limit:max_depth");
  EXPECT_EQ(find_segment(facts, "2/inner.txt"), nullptr);
}

}  // namespace
}  // namespace privmilter::testing
