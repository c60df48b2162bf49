// OLE compound files attached to a message: encrypted Office files and
// legacy Word/Excel documents. The fixtures are written by libgsf's own
// writer (tests/fixtures/content/make_ole_fixtures.c).

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "unit/content/archive_test_support.h"
#include "unit/content/content_test_support.h"

namespace privmilter::testing {
namespace {

using OleTest = ContentTest;

std::string fixture(const std::string& name) {
  const char* source = std::getenv("PRIVMILTER_SOURCE_DIR");
  if (source == nullptr) {
    ADD_FAILURE() << "PRIVMILTER_SOURCE_DIR is not set";
    return {};
  }
  std::ifstream in(std::filesystem::path(source) / "tests/fixtures/content" / name, std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing fixture " << name;
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

const PartFact& attachment_part(const MessageFacts& facts) {
  const PartFact* part = find_part(facts, "2");
  if (part == nullptr) {
    ADD_FAILURE() << "no part 2 in " << ::testing::PrintToString(part_paths(facts));
    static const PartFact empty;
    return empty;
  }
  return *part;
}

void expect_encrypted(const PartFact& part) {
  EXPECT_EQ(part.detected_type, "application/x-ole-storage");
  EXPECT_TRUE(part.has(PartFlag::encrypted));
  EXPECT_TRUE(part.has(PartFlag::password_protected));
  EXPECT_TRUE(part.has(PartFlag::uninspectable));
  EXPECT_EQ(part.uninspectable_reason, "encrypted");
}

TEST_F(OleTest, OfficeFileWithAnEncryptedPackageIsEncrypted) {
  const MessageFacts facts = facts_of(message_with_attachment(
      "Merger.docx", fixture("encrypted-office.docx"),
      "application/vnd.openxmlformats-officedocument.wordprocessingml.document"));
  expect_encrypted(attachment_part(facts));
}

TEST_F(OleTest, LegacyWordIsUnsupportedButItsPropertiesAreRead) {
  const MessageFacts facts = facts_of(message_with_attachment("strategy.doc", fixture("legacy-word.doc")));
  const PartFact& part = attachment_part(facts);
  EXPECT_EQ(part.detected_type, "application/x-ole-storage");
  EXPECT_TRUE(part.has(PartFlag::uninspectable));
  EXPECT_EQ(part.uninspectable_reason, "unsupported:legacy office");
  EXPECT_FALSE(part.has(PartFlag::encrypted));
  EXPECT_EQ(property(part, "title"), "Settlement strategy");
  EXPECT_EQ(property(part, "author"), "Jane Partner");
  EXPECT_EQ(property(part, "last_modified_by"), "John Associate");
  EXPECT_EQ(property(part, "company"), "Example LLP");
}

TEST_F(OleTest, LegacyWordWithTheEncryptedFibBitIsEncrypted) {
  const MessageFacts facts = facts_of(message_with_attachment("locked.doc", fixture("legacy-word-encrypted.doc")));
  expect_encrypted(attachment_part(facts));
}

TEST_F(OleTest, LegacyExcelWithAFilePassRecordIsEncrypted) {
  const MessageFacts facts =
      facts_of(message_with_attachment("fees.xls", fixture("legacy-excel-encrypted.xls")));
  expect_encrypted(attachment_part(facts));
}

TEST_F(OleTest, EncryptedOfficeFileInsideAZipIsFoundThere) {
  const std::string zip = make_archive(ArchiveFormat::zip, {{"files/Merger.docx", fixture("encrypted-office.docx")}});
  const MessageFacts facts = facts_of(message_with_attachment("files.zip", zip));
  const PartFact* inner = find_part(facts, "2/files/Merger.docx");
  ASSERT_NE(inner, nullptr) << ::testing::PrintToString(part_paths(facts));
  expect_encrypted(*inner);
}

TEST_F(OleTest, DamagedOleFilesAreMalformedNotFatal) {
  const std::string original = fixture("legacy-word.doc");
  // The signature alone, then a header whose sector tables point nowhere.
  const std::string truncated = original.substr(0, 600);
  const MessageFacts facts = facts_of(message_with_attachment("broken.doc", truncated));
  EXPECT_EQ(attachment_part(facts).uninspectable_reason, "malformed");

  for (std::size_t position = 8; position < original.size(); position += 5) {
    std::string corrupt = original;
    corrupt[position] = static_cast<char>(corrupt[position] ^ 0xA5);
    const MessageFacts corrupt_facts = facts_of(message_with_attachment("corrupt.doc", corrupt));
    EXPECT_TRUE(attachment_part(corrupt_facts).has(PartFlag::uninspectable));
  }
}

}  // namespace
}  // namespace privmilter::testing
