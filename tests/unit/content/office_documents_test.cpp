// Office Open XML (Word, Excel, PowerPoint) attachments:
// the facts extracted from documents built here from readable XML.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "unit/content/content_test_support.h"
#include "unit/content/office_document_fixtures.h"

namespace privmilter::testing {
namespace {

using documents::locations_under;
using documents::make_zip;
using documents::part_at;
using documents::Properties;
using documents::segment_at;
using documents::text_at;
using documents::ZipEntry;

constexpr const char* kDocxType = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
constexpr const char* kXlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
constexpr const char* kPptxType = "application/vnd.openxmlformats-officedocument.presentationml.presentation";

const std::string kContentTypes =
    R"(<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>)";
const std::string kWordNamespace = R"(xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main")";

std::string word_part(const std::string& root, const std::string& content) {
  return R"(<?xml version="1.0" encoding="UTF-8" standalone="yes"?>)" "\n<w:" + root + " " + kWordNamespace + ">" +
         content + "</w:" + root + ">";
}

const std::string kCoreProperties =
    R"(<?xml version="1.0" encoding="UTF-8"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"
    xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/">
  <dc:title>Settlement memo</dc:title>
  <dc:creator>Jane Counsel</dc:creator>
  <cp:lastModifiedBy>Bob Partner</cp:lastModifiedBy>
  <dcterms:created>2024-01-01T00:00:00Z</dcterms:created>
</cp:coreProperties>)";

const std::string kAppProperties =
    R"(<?xml version="1.0" encoding="UTF-8"?>
<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">
  <Pages>1</Pages><Company>Dewey Cheatham LLP</Company><Manager>Pat Senior</Manager>
</Properties>)";

std::string memo_docx(std::vector<ZipEntry> extra = {}) {
  const std::string body = word_part(
      "document",
      "<w:body>"
      "<w:p><w:r><w:t>Settlement offer for</w:t></w:r><w:r><w:t xml:space=\"preserve\"> Acme Corp</w:t></w:r>"
      "<w:r><w:tab/><w:t>draft</w:t></w:r></w:p>"
      "<w:p><w:commentRangeStart w:id=\"0\"/><w:r><w:t>We will pay</w:t></w:r>"
      "<w:ins w:id=\"1\" w:author=\"Jane\"><w:r><w:t xml:space=\"preserve\"> two</w:t></w:r></w:ins>"
      "<w:del w:id=\"2\" w:author=\"Jane\"><w:r><w:delText xml:space=\"preserve\"> five</w:delText></w:r></w:del>"
      "<w:r><w:t xml:space=\"preserve\"> million.</w:t></w:r><w:commentRangeEnd w:id=\"0\"/>"
      "<w:r><w:commentReference w:id=\"0\"/></w:r></w:p>"
      "<w:p><w:r><w:rPr><w:vanish/></w:rPr><w:t>Client is insolvent</w:t></w:r>"
      "<w:r><w:t>Visible end</w:t><w:br/><w:t>next line</w:t></w:r></w:p>"
      "<w:p><w:pPr><w:tabs><w:tab w:val=\"left\" w:pos=\"720\"/></w:tabs><w:rPr><w:vanish/></w:rPr></w:pPr>"
      "<w:r><w:rPr><w:vanish w:val=\"0\"/></w:rPr><w:t>Not hidden</w:t></w:r></w:p>"
      "</w:body>");
  std::vector<ZipEntry> entries = {
      {"[Content_Types].xml", kContentTypes},
      {"word/document.xml", body},
      {"word/header1.xml", word_part("hdr", "<w:p><w:r><w:t>PRIVILEGED AND CONFIDENTIAL</w:t></w:r></w:p>")},
      {"word/footer1.xml", word_part("ftr", "<w:p><w:r><w:t>Page footer</w:t></w:r></w:p>")},
      {"word/footnotes.xml",
       word_part("footnotes",
                 "<w:footnote w:type=\"separator\" w:id=\"-1\"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>"
                 "<w:footnote w:id=\"1\"><w:p><w:r><w:t>See the 2019 audit.</w:t></w:r></w:p></w:footnote>")},
      {"word/comments.xml",
       word_part("comments",
                 "<w:comment w:id=\"0\" w:author=\"Bob\" w:initials=\"BP\"><w:p><w:r>"
                 "<w:t>Do not send to opposing counsel</w:t></w:r></w:p></w:comment>")},
      {"word/styles.xml", word_part("styles", "<w:style><w:name w:val=\"Normal\"/></w:style>")},
      {"docProps/core.xml", kCoreProperties},
      {"docProps/app.xml", kAppProperties},
  };
  for (ZipEntry& entry : extra) entries.push_back(std::move(entry));
  return make_zip(entries);
}

const std::string kSpreadsheetNamespace = R"(xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main")";

std::string fees_xlsx(const std::string& first_sheet_rows = {}) {
  const std::string rows =
      first_sheet_rows.empty()
          ? "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"B1\" t=\"s\"><v>1</v></c></row>"
            "<row r=\"2\"><c r=\"A2\" t=\"s\"><v>2</v></c><c r=\"B2\"><v>250000</v></c>"
            "<c r=\"C2\" t=\"inlineStr\"><is><t>inline note</t></is></c><c r=\"D2\"><f>B2*2</f></c></row>"
          : first_sheet_rows;
  return make_zip({
      {"[Content_Types].xml", kContentTypes},
      {"xl/workbook.xml",
       "<workbook " + kSpreadsheetNamespace +
           R"( xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>)"
           R"(<sheet name="Summary" sheetId="1" r:id="rId1"/><sheet name="Fees" sheetId="2" state="hidden" r:id="rId2"/>)"
           "</sheets></workbook>"},
      {"xl/_rels/workbook.xml.rels",
       R"(<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">)"
       R"(<Relationship Id="rId1" Type="worksheet" Target="worksheets/sheet1.xml"/>)"
       R"(<Relationship Id="rId2" Type="worksheet" Target="/xl/worksheets/sheet2.xml"/>)"
       R"(<Relationship Id="rId3" Type="sharedStrings" Target="sharedStrings.xml"/></Relationships>)"},
      {"xl/sharedStrings.xml", "<sst " + kSpreadsheetNamespace +
                                   "><si><t>Client</t></si><si><t>Acme Corp</t></si>"
                                   "<si><r><t>Fee </t></r><r><t>cap</t></r><rPh><t>phonetic</t></rPh></si>"
                                   "<si><t>Secret discount</t></si></sst>"},
      {"xl/worksheets/sheet1.xml", "<worksheet " + kSpreadsheetNamespace + "><sheetData>" + rows +
                                       "</sheetData></worksheet>"},
      {"xl/worksheets/sheet2.xml", "<worksheet " + kSpreadsheetNamespace +
                                       "><sheetData><row r=\"1\"><c t=\"s\"><v>3</v></c><c t=\"s\"><v>99</v></c>"
                                       "</row></sheetData></worksheet>"},
      {"xl/comments1.xml", "<comments " + kSpreadsheetNamespace +
                               "><authors><author>Jane Counsel</author></authors><commentList>"
                               "<comment ref=\"A1\" authorId=\"0\"><text><r><t>Check with the client first</t></r>"
                               "</text></comment></commentList></comments>"},
      {"docProps/core.xml", kCoreProperties},
  });
}

const std::string kPresentationNamespaces =
    R"(xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" )"
    R"(xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main")";

std::string slide(const std::string& root, const std::string& paragraphs, const std::string& attributes = {}) {
  return "<p:" + root + " " + kPresentationNamespaces + attributes + "><p:cSld><p:spTree><p:sp><p:txBody>" +
         paragraphs + "</p:txBody></p:sp></p:spTree></p:cSld></p:" + root + ">";
}

std::string strategy_pptx() {
  return make_zip({
      {"[Content_Types].xml", kContentTypes},
      {"ppt/presentation.xml", "<p:presentation " + kPresentationNamespaces + "/>"},
      {"ppt/slides/slide10.xml", slide("sld", "<a:p><a:r><a:t>Tenth slide</a:t></a:r></a:p>")},
      {"ppt/slides/slide1.xml",
       slide("sld", "<a:p><a:r><a:t>Litigation strategy</a:t></a:r></a:p>"
                    "<a:p><a:r><a:t>Phase one</a:t></a:r><a:br/><a:r><a:t>Phase two</a:t></a:r></a:p>")},
      {"ppt/slides/slide2.xml",
       slide("sld", "<a:p><a:r><a:t>Fallback position</a:t></a:r></a:p>", R"( show="0")")},
      {"ppt/notesSlides/notesSlide1.xml",
       slide("notes", "<a:p><a:r><a:t>Do not mention the settlement</a:t></a:r></a:p>")},
      {"ppt/comments/comment1.xml",
       "<p:cmLst " + kPresentationNamespaces +
           "><p:cm authorId=\"0\" idx=\"1\"><p:pos x=\"10\" y=\"10\"/><p:text>Remove before sending</p:text>"
           "</p:cm></p:cmLst>"},
      {"docProps/app.xml", kAppProperties},
  });
}

class OfficeDocumentsTest : public ContentTest {
 protected:
  MessageFacts facts_for(const std::string& filename, const std::string& bytes,
                         const ContentLimits& limits = ContentLimits{}) {
    return facts_of(attachment_message(filename, "application/octet-stream", bytes), SpoolMode::memory, limits);
  }

};

TEST_F(OfficeDocumentsTest, WordDocumentYieldsEveryStreamFlagAndProperty) {
  const MessageFacts facts = facts_for("memo.docx", memo_docx());

  const PartFact* memo = part_at(facts, "2");
  ASSERT_NE(memo, nullptr);
  EXPECT_EQ(memo->filename, "memo.docx");
  EXPECT_EQ(memo->detected_type, kDocxType);
  EXPECT_TRUE(memo->has(PartFlag::attachment));
  EXPECT_TRUE(memo->has(PartFlag::tracked_changes));
  EXPECT_TRUE(memo->has(PartFlag::comments));
  EXPECT_TRUE(memo->has(PartFlag::hidden_text));
  EXPECT_FALSE(memo->has(PartFlag::encrypted));
  EXPECT_FALSE(memo->has(PartFlag::uninspectable)) << memo->uninspectable_reason;
  EXPECT_EQ(memo->properties, (Properties{{"title", "Settlement memo"},
                                          {"author", "Jane Counsel"},
                                          {"last_modified_by", "Bob Partner"},
                                          {"company", "Dewey Cheatham LLP"},
                                          {"manager", "Pat Senior"}}));

  EXPECT_EQ(locations_under(facts, "2"),
            (std::vector<std::string>{"2", "2/headers-footers", "2/notes", "2/comments", "2/tracked-changes",
                                      "2/hidden-text", "2/properties"}));
  // Hidden text stays out of the body; inserted text is part of it, deleted text is not.
  EXPECT_EQ(text_at(facts, "2", SegmentKind::attachment),
            "Settlement offer for Acme Corp\tdraft\nWe will pay two million.\nVisible end\nnext line\nNot hidden");
  EXPECT_EQ(text_at(facts, "2/headers-footers", SegmentKind::attachment), "PRIVILEGED AND CONFIDENTIAL\nPage footer");
  EXPECT_EQ(text_at(facts, "2/notes", SegmentKind::attachment), "See the 2019 audit.");
  EXPECT_EQ(text_at(facts, "2/comments", SegmentKind::metadata), "Do not send to opposing counsel");
  EXPECT_EQ(text_at(facts, "2/tracked-changes", SegmentKind::metadata), " two\n five");
  EXPECT_EQ(text_at(facts, "2/hidden-text", SegmentKind::metadata), "Client is insolvent");
  EXPECT_EQ(text_at(facts, "2/properties", SegmentKind::metadata),
            "title: Settlement memo\nauthor: Jane Counsel\nlast_modified_by: Bob Partner\n"
            "company: Dewey Cheatham LLP\nmanager: Pat Senior");
  EXPECT_TRUE(facts.defects.empty()) << facts.defects.front();
}

TEST_F(OfficeDocumentsTest, DocumentWithoutRevisionsCommentsOrHiddenTextIsNotFlagged) {
  const std::string plain = make_zip({
      {"[Content_Types].xml", kContentTypes},
      {"word/document.xml", word_part("document", "<w:body><w:p><w:r><w:t>Plain letter</w:t></w:r></w:p></w:body>")},
  });
  const MessageFacts facts = facts_for("letter.docx", plain);
  const PartFact* letter = part_at(facts, "2");
  ASSERT_NE(letter, nullptr);
  EXPECT_EQ(letter->flags, static_cast<std::uint32_t>(PartFlag::attachment));
  EXPECT_TRUE(letter->properties.empty());
  EXPECT_EQ(locations_under(facts, "2"), std::vector<std::string>{"2"});
  EXPECT_EQ(text_at(facts, "2", SegmentKind::attachment), "Plain letter");
}

TEST_F(OfficeDocumentsTest, SpreadsheetResolvesSharedStringsAndSeparatesHiddenSheetsAndComments) {
  const MessageFacts facts = facts_for("fees.xlsx", fees_xlsx());
  const PartFact* fees = part_at(facts, "2");
  ASSERT_NE(fees, nullptr);
  EXPECT_EQ(fees->detected_type, kXlsxType);
  EXPECT_TRUE(fees->has(PartFlag::hidden_text));
  EXPECT_TRUE(fees->has(PartFlag::comments));
  EXPECT_FALSE(fees->has(PartFlag::tracked_changes));
  EXPECT_FALSE(fees->has(PartFlag::uninspectable)) << fees->uninspectable_reason;
  EXPECT_EQ(fees->properties, (Properties{{"title", "Settlement memo"},
                                          {"author", "Jane Counsel"},
                                          {"last_modified_by", "Bob Partner"}}));

  // Formulas are not text; phonetic guides are not either; an index past the table is ignored.
  EXPECT_EQ(text_at(facts, "2", SegmentKind::attachment), "Client\tAcme Corp\nFee cap\t250000\tinline note");
  EXPECT_EQ(text_at(facts, "2/hidden-text", SegmentKind::metadata), "Secret discount");
  EXPECT_EQ(text_at(facts, "2/comments", SegmentKind::metadata), "Check with the client first");
  EXPECT_EQ(all_text(facts).find("phonetic"), std::string::npos);
}

TEST_F(OfficeDocumentsTest, SharedStringsReferencedOverAndOverStopAtTheTextLimit) {
  std::string rows;
  for (int row = 1; row <= 400; ++row) {
    rows += "<row r=\"" + std::to_string(row) + "\">";
    for (int column = 0; column < 25; ++column) rows += "<c t=\"s\"><v>3</v></c>";
    rows += "</row>";
  }
  ContentLimits limits;
  limits.max_text_bytes = 64u << 10;  // 10,000 cells of "Secret discount" would need 160 KB
  const MessageFacts facts = facts_for("amplified.xlsx", fees_xlsx(rows), limits);
  const PartFact* sheet = part_at(facts, "2");
  ASSERT_NE(sheet, nullptr);
  EXPECT_TRUE(sheet->has(PartFlag::uninspectable));
  EXPECT_EQ(sheet->uninspectable_reason, "limit:max_text_bytes");
  std::size_t text_bytes = 0;
  for (const std::string& location : locations_under(facts, "2")) text_bytes += segment_at(facts, location)->text.size();
  EXPECT_GT(text_bytes, 0u);
  EXPECT_LE(text_bytes, limits.max_text_bytes);
}

TEST_F(OfficeDocumentsTest, PresentationSlidesInOrderNotesAsMetadataAndHiddenSlides) {
  const MessageFacts facts = facts_for("strategy.pptx", strategy_pptx());
  const PartFact* deck = part_at(facts, "2");
  ASSERT_NE(deck, nullptr);
  EXPECT_EQ(deck->detected_type, kPptxType);
  EXPECT_TRUE(deck->has(PartFlag::comments));
  EXPECT_TRUE(deck->has(PartFlag::hidden_text));
  EXPECT_FALSE(deck->has(PartFlag::uninspectable)) << deck->uninspectable_reason;
  EXPECT_EQ(deck->properties, (Properties{{"company", "Dewey Cheatham LLP"}, {"manager", "Pat Senior"}}));

  EXPECT_EQ(locations_under(facts, "2"),
            (std::vector<std::string>{"2", "2/notes", "2/comments", "2/hidden-text", "2/properties"}));
  EXPECT_EQ(text_at(facts, "2", SegmentKind::attachment), "Litigation strategy\nPhase one\nPhase two\nTenth slide");
  EXPECT_EQ(text_at(facts, "2/notes", SegmentKind::metadata), "Do not mention the settlement");
  EXPECT_EQ(text_at(facts, "2/comments", SegmentKind::metadata), "Remove before sending");
  EXPECT_EQ(text_at(facts, "2/hidden-text", SegmentKind::metadata), "Fallback position");
}

TEST_F(OfficeDocumentsTest, EmbeddedSpreadsheetInsideWordDocumentIsInspectedAsAChild) {
  const MessageFacts facts = facts_for(
      "memo.docx", memo_docx({{"word/embeddings/Microsoft_Excel_Worksheet.xlsx", fees_xlsx()},
                              {"word/media/image1.png", "\x89PNG\r\n\x1A\n not read"}}));
  const PartFact* embedded = part_at(facts, "2/Microsoft_Excel_Worksheet.xlsx");
  ASSERT_NE(embedded, nullptr) << ::testing::PrintToString(locations(facts));
  EXPECT_EQ(embedded->filename, "Microsoft_Excel_Worksheet.xlsx");
  EXPECT_EQ(embedded->detected_type, kXlsxType);
  EXPECT_TRUE(embedded->has(PartFlag::attachment));
  EXPECT_TRUE(embedded->has(PartFlag::hidden_text));
  EXPECT_EQ(text_at(facts, "2/Microsoft_Excel_Worksheet.xlsx", SegmentKind::attachment),
            "Client\tAcme Corp\nFee cap\t250000\tinline note");
  EXPECT_EQ(part_at(facts, "2/image1.png"), nullptr);
  EXPECT_EQ(attachments_of(facts).size(), 2u);
}

TEST_F(OfficeDocumentsTest, EmbeddedDocumentsBeyondTheDepthLimitAreMarked) {
  const std::string inner = memo_docx();
  const std::string middle = memo_docx({{"word/embeddings/inner.docx", inner}});
  const std::string outer = memo_docx({{"word/embeddings/middle.docx", middle}});
  ContentLimits limits;
  limits.max_depth = 2;  // the message (0), its attachment (1), one embedded level (2)
  const MessageFacts facts = facts_for("outer.docx", outer, limits);
  const PartFact* middle_part = part_at(facts, "2/middle.docx");
  ASSERT_NE(middle_part, nullptr);
  EXPECT_FALSE(middle_part->has(PartFlag::uninspectable)) << middle_part->uninspectable_reason;
  const PartFact* inner_part = part_at(facts, "2/middle.docx/inner.docx");
  ASSERT_NE(inner_part, nullptr);
  EXPECT_EQ(inner_part->uninspectable_reason, "limit:max_depth");
  EXPECT_EQ(segment_at(facts, "2/middle.docx/inner.docx"), nullptr);
}

TEST_F(OfficeDocumentsTest, BrokenXmlInADocumentIsMalformedNotFatal) {
  const std::string broken = make_zip({
      {"[Content_Types].xml", kContentTypes},
      {"word/document.xml", word_part("document", "<w:body><w:p><w:r><w:t>partial</w:t></w:r></w:p><w:p></w:body>")},
      {"docProps/core.xml", kCoreProperties},
  });
  const MessageFacts facts = facts_for("broken.docx", broken);
  const PartFact* part = part_at(facts, "2");
  ASSERT_NE(part, nullptr);
  EXPECT_EQ(part->detected_type, kDocxType);
  EXPECT_TRUE(part->has(PartFlag::uninspectable));
  EXPECT_EQ(part->uninspectable_reason, "malformed");
  // What could be read is still reported.
  EXPECT_EQ(part->properties.size(), 3u);
}

TEST_F(OfficeDocumentsTest, DocumentWithoutItsMainPartIsMalformed) {
  const std::string hollow = make_zip({
      {"[Content_Types].xml", kContentTypes},
      {"word/styles.xml", word_part("styles", "")},
  });
  const MessageFacts facts = facts_for("hollow.docx", hollow);
  const PartFact* part = part_at(facts, "2");
  ASSERT_NE(part, nullptr);
  EXPECT_EQ(part->detected_type, kDocxType);
  EXPECT_EQ(part->uninspectable_reason, "malformed");
  EXPECT_TRUE(has_defect_containing(facts, "without its main part"));
}

TEST_F(OfficeDocumentsTest, TruncatedPackageIsMalformed) {
  const std::string whole = memo_docx();
  for (std::size_t length : {std::size_t{40}, std::size_t{200}, whole.size() / 2, whole.size() - 10}) {
    const MessageFacts facts = facts_for("cut.docx", whole.substr(0, length));
    const PartFact* part = part_at(facts, "2");
    ASSERT_NE(part, nullptr) << length;
    EXPECT_TRUE(part->has(PartFlag::uninspectable)) << length;
    if (part->detected_type == kDocxType) {
      EXPECT_EQ(part->uninspectable_reason, "malformed") << length;
    }
  }
}

std::string bomb_docx() {
  // 8 MB of spaces in one run deflates to a few kilobytes.
  const std::string body = word_part(
      "document", "<w:body><w:p><w:r><w:t>" + std::string(8u << 20, ' ') + "</w:t></w:r></w:p></w:body>");
  return make_zip({{"[Content_Types].xml", kContentTypes}, {"word/document.xml", body}});
}

TEST_F(OfficeDocumentsTest, ZipBombMemberStopsAtTheExpansionRatio) {
  const std::string bomb = bomb_docx();
  ASSERT_LT(bomb.size(), 64u << 10);
  const MessageFacts facts = facts_for("bomb.docx", bomb);
  const PartFact* part = part_at(facts, "2");
  ASSERT_NE(part, nullptr);
  EXPECT_EQ(part->detected_type, kDocxType);
  EXPECT_TRUE(part->has(PartFlag::uninspectable));
  EXPECT_EQ(part->uninspectable_reason, "limit:max_expansion_ratio");
  EXPECT_EQ(segment_at(facts, "2"), nullptr);
}

TEST_F(OfficeDocumentsTest, ZipBombMemberStopsAtThePartSizeLimit) {
  ContentLimits limits;
  limits.max_part_bytes = 1u << 20;
  limits.max_expansion_ratio = 100000;
  const MessageFacts facts = facts_for("bomb.docx", bomb_docx(), limits);
  const PartFact* part = part_at(facts, "2");
  ASSERT_NE(part, nullptr);
  EXPECT_EQ(part->uninspectable_reason, "limit:max_part_bytes");
}

TEST_F(OfficeDocumentsTest, ZipBombMemberStopsAtTheMessageByteBudget) {
  ContentLimits limits;
  limits.max_total_bytes = 2u << 20;
  limits.max_expansion_ratio = 100000;
  const MessageFacts facts = facts_for("bomb.docx", bomb_docx(), limits);
  const PartFact* part = part_at(facts, "2");
  ASSERT_NE(part, nullptr);
  EXPECT_EQ(part->uninspectable_reason, "limit:max_total_bytes");
}

TEST_F(OfficeDocumentsTest, ExternalEntitiesAreNeverResolved) {
  const std::string hostile = make_zip({
      {"[Content_Types].xml", kContentTypes},
      {"word/document.xml",
       "<?xml version=\"1.0\"?>\n<!DOCTYPE w:document [<!ENTITY secret SYSTEM \"file:///etc/hostname\">]>\n"
       "<w:document " + kWordNamespace + "><w:body><w:p><w:r><w:t>before &secret; after</w:t></w:r></w:p>"
       "</w:body></w:document>"},
  });
  const MessageFacts facts = facts_for("xxe.docx", hostile);
  const TextSegment* body = segment_at(facts, "2");
  ASSERT_NE(body, nullptr) << ::testing::PrintToString(locations(facts));
  EXPECT_EQ(body->text, "before  after");
}

TEST_F(OfficeDocumentsTest, EntityExpansionBombIsRefused) {
  std::string doctype = "<!DOCTYPE w:document [<!ENTITY lol0 \"lollollollollollollollollollol\">";
  for (int level = 1; level <= 9; ++level) {
    doctype += "<!ENTITY lol" + std::to_string(level) + " \"";
    for (int copy = 0; copy < 10; ++copy) doctype += "&lol" + std::to_string(level - 1) + ";";
    doctype += "\">";
  }
  doctype += "]>";
  const std::string laughs = make_zip({
      {"[Content_Types].xml", kContentTypes},
      {"word/document.xml", "<?xml version=\"1.0\"?>\n" + doctype + "<w:document " + kWordNamespace +
                                "><w:body><w:p><w:r><w:t>a&lol9;b</w:t></w:r></w:p></w:body></w:document>"},
  });
  const MessageFacts facts = facts_for("laughs.docx", laughs);
  const PartFact* part = part_at(facts, "2");
  ASSERT_NE(part, nullptr);
  EXPECT_LT(all_text(facts).size(), 1000u);
  // libxml2 refuses the amplification outright: the document is malformed, nothing was expanded.
  EXPECT_EQ(part->uninspectable_reason, "malformed");
}

TEST_F(OfficeDocumentsTest, OversizedEmbeddingIsRefusedButTheDocumentIsStillRead) {
  ContentLimits limits;
  limits.max_part_bytes = 1u << 20;
  const MessageFacts facts =
      facts_for("memo.docx", memo_docx({{"word/embeddings/oleObject1.bin", std::string(4u << 20, '\0')}}), limits);
  const PartFact* memo = part_at(facts, "2");
  ASSERT_NE(memo, nullptr);
  EXPECT_EQ(memo->uninspectable_reason, "limit:max_part_bytes");
  EXPECT_EQ(part_at(facts, "2/oleObject1.bin"), nullptr);
  EXPECT_NE(text_at(facts, "2", SegmentKind::attachment).find("Settlement offer"), std::string::npos);
  EXPECT_EQ(text_at(facts, "2/comments", SegmentKind::metadata), "Do not send to opposing counsel");
}

TEST_F(OfficeDocumentsTest, PackageWithTooManyEntriesStopsAtTheEntryLimit) {
  std::vector<ZipEntry> padding;
  for (int i = 0; i < 50; ++i) padding.push_back({"word/media/image" + std::to_string(i) + ".png", "x"});
  ContentLimits limits;
  limits.max_archive_entries = 20;
  const MessageFacts facts = facts_for("memo.docx", memo_docx(std::move(padding)), limits);
  const PartFact* memo = part_at(facts, "2");
  ASSERT_NE(memo, nullptr);
  EXPECT_EQ(memo->uninspectable_reason, "limit:max_archive_entries");
  // The members listed before the limit were read.
  EXPECT_NE(segment_at(facts, "2"), nullptr);
}

}  // namespace
}  // namespace privmilter::testing
