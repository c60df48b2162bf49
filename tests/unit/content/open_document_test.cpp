// OpenDocument attachments: the facts extracted from documents built here
// from readable XML, and encrypted packages.

#include <gtest/gtest.h>

#include <string>
#include <utility>
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

constexpr const char* kOdtType = "application/vnd.oasis.opendocument.text";

const std::string kOdfNamespaces =
    R"(xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" )"
    R"(xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" )"
    R"(xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" )"
    R"(xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" )"
    R"(xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" )"
    R"(xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" )"
    R"(xmlns:dc="http://purl.org/dc/elements/1.1/")";

const std::string kOdfMeta = "<office:document-meta " + kOdfNamespaces +
                             "><office:meta><meta:initial-creator>Jane Counsel</meta:initial-creator>"
                             "<dc:creator>Bob Partner</dc:creator><dc:title>Heads of terms</dc:title>"
                             "<meta:user-defined meta:name=\"Client\">Acme Corp</meta:user-defined>"
                             "<meta:document-statistic meta:page-count=\"1\"/></office:meta></office:document-meta>";

std::string manifest(const std::string& content_entry) {
  return "<manifest:manifest " + kOdfNamespaces +
         "><manifest:file-entry manifest:full-path=\"/\" manifest:media-type=\"" + kOdtType + "\"/>" +
         content_entry + "</manifest:manifest>";
}

std::string terms_odt() {
  const std::string content =
      "<office:document-content " + kOdfNamespaces +
      "><office:body><office:text>"
      "<text:tracked-changes><text:changed-region text:id=\"ct1\"><text:deletion><office:change-info>"
      "<dc:creator>Jane</dc:creator><dc:date>2024-01-01T00:00:00</dc:date></office:change-info>"
      "<text:p>withdrawn clause</text:p></text:deletion></text:changed-region></text:tracked-changes>"
      "<text:h text:outline-level=\"1\">Heads of terms</text:h>"
      "<text:p>The buyer<text:s text:c=\"2\"/>pays<text:tab/>cash.<office:annotation><dc:creator>Bob</dc:creator>"
      "<dc:date>2024-01-02T00:00:00</dc:date><text:p>Confirm with client</text:p></office:annotation></text:p>"
      "<table:table><table:table-row><table:table-cell><text:p>Price</text:p></table:table-cell>"
      "<table:table-cell><text:p>10</text:p></table:table-cell></table:table-row></table:table>"
      "<text:p>Signed <text:span>today</text:span></text:p>"
      "</office:text></office:body></office:document-content>";
  const std::string styles = "<office:document-styles " + kOdfNamespaces +
                             "><office:styles><style:style style:name=\"x\"><text:p>style sample</text:p>"
                             "</style:style></office:styles><office:master-styles>"
                             "<style:master-page style:name=\"Standard\"><style:header><text:p>Privileged draft"
                             "</text:p></style:header></style:master-page></office:master-styles>"
                             "</office:document-styles>";
  return make_zip({
      {"mimetype", kOdtType, true},
      {"content.xml", content},
      {"styles.xml", styles},
      {"meta.xml", kOdfMeta},
      {"META-INF/manifest.xml",
       manifest(R"(<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>)")},
  });
}

using OpenDocumentTest = ContentTest;

TEST_F(OpenDocumentTest, OpenDocumentTextYieldsBodyAnnotationsTrackedChangesAndMeta) {
  const MessageFacts facts = facts_of(attachment_message("terms.odt", "application/vnd.oasis.opendocument.text", terms_odt()));
  const PartFact* terms = part_at(facts, "2");
  ASSERT_NE(terms, nullptr);
  EXPECT_EQ(terms->detected_type, kOdtType);
  EXPECT_TRUE(terms->has(PartFlag::comments));
  EXPECT_TRUE(terms->has(PartFlag::tracked_changes));
  EXPECT_FALSE(terms->has(PartFlag::encrypted));
  EXPECT_FALSE(terms->has(PartFlag::uninspectable)) << terms->uninspectable_reason;
  // ODF's dc:creator is the last editor; meta:initial-creator the author.
  EXPECT_EQ(terms->properties, (Properties{{"author", "Jane Counsel"},
                                           {"last_modified_by", "Bob Partner"},
                                           {"title", "Heads of terms"},
                                           {"custom:Client", "Acme Corp"}}));

  EXPECT_EQ(locations_under(facts, "2"), (std::vector<std::string>{"2", "2/headers-footers", "2/comments",
                                                                   "2/tracked-changes", "2/properties"}));
  EXPECT_EQ(text_at(facts, "2", SegmentKind::attachment),
            "Heads of terms\nThe buyer  pays\tcash.\nPrice\t10\nSigned today");
  EXPECT_EQ(text_at(facts, "2/headers-footers", SegmentKind::attachment), "Privileged draft");
  EXPECT_EQ(text_at(facts, "2/comments", SegmentKind::metadata), "Confirm with client");
  EXPECT_EQ(text_at(facts, "2/tracked-changes", SegmentKind::metadata), "withdrawn clause");
  EXPECT_NE(text_at(facts, "2/properties", SegmentKind::metadata).find("author: Jane Counsel"), std::string::npos);
  EXPECT_TRUE(facts.defects.empty()) << facts.defects.front();
}

TEST_F(OpenDocumentTest, EncryptedOpenDocumentIsFlaggedAndItsContentLeftAlone) {
  const std::string encrypted_entry =
      R"(<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml" manifest:size="2048">)"
      R"(<manifest:encryption-data manifest:checksum-type="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0#sha256-1k" manifest:checksum="AAAA">)"
      R"(<manifest:algorithm manifest:algorithm-name="http://www.w3.org/2001/04/xmlenc#aes256-cbc" manifest:initialisation-vector="AAAA"/>)"
      R"(<manifest:key-derivation manifest:key-derivation-name="PBKDF2" manifest:iteration-count="100000" manifest:salt="AAAA"/>)"
      R"(</manifest:encryption-data></manifest:file-entry>)";
  const std::string locked = make_zip({
      {"mimetype", kOdtType, true},
      {"content.xml", std::string("\x93\x1f\xc4\x00\x7e\xaa\x10\x42 ciphertext", 19)},
      {"meta.xml", kOdfMeta},
      {"META-INF/manifest.xml", manifest(encrypted_entry)},
  });
  const MessageFacts facts = facts_of(attachment_message("locked.odt", "application/octet-stream", locked));
  const PartFact* part = part_at(facts, "2");
  ASSERT_NE(part, nullptr);
  EXPECT_EQ(part->detected_type, kOdtType);
  EXPECT_TRUE(part->has(PartFlag::encrypted));
  EXPECT_TRUE(part->has(PartFlag::password_protected));
  EXPECT_TRUE(part->has(PartFlag::uninspectable));
  EXPECT_EQ(part->uninspectable_reason, "encrypted");
  EXPECT_EQ(segment_at(facts, "2"), nullptr);
  // Its metadata stays in clear and is still reported.
  EXPECT_EQ(part->properties.front(), (std::pair<std::string, std::string>{"author", "Jane Counsel"}));
}

}  // namespace
}  // namespace privmilter::testing
