// Archives attached to a message: unpacked recursively into facts and text,
// encrypted entries flagged, hostile archives stopped by the limits.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "unit/content/archive_test_support.h"
#include "unit/content/content_test_support.h"

namespace privmilter::testing {
namespace {

using ArchiveTest = ContentTest;

constexpr std::string_view kZip = "application/zip";

void expect_text(const MessageFacts& facts, std::string_view location, std::string_view expected) {
  const TextSegment* segment = find_segment(facts, location);
  ASSERT_NE(segment, nullptr) << location << " not in " << ::testing::PrintToString(locations(facts));
  EXPECT_EQ(segment->kind, SegmentKind::attachment);
  EXPECT_NE(segment->text.find(expected), std::string::npos) << segment->text;
}

void expect_encrypted_entry(const MessageFacts& facts, std::string_view path) {
  const PartFact* entry = find_part(facts, path);
  ASSERT_NE(entry, nullptr) << path << " not in " << ::testing::PrintToString(part_paths(facts));
  EXPECT_TRUE(entry->has(PartFlag::attachment));
  EXPECT_TRUE(entry->has(PartFlag::encrypted));
  EXPECT_TRUE(entry->has(PartFlag::password_protected));
  EXPECT_TRUE(entry->has(PartFlag::uninspectable));
  EXPECT_EQ(entry->uninspectable_reason, "encrypted");
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

bool tool_available(const std::string& tool) {
  return std::system(("command -v " + tool + " >/dev/null 2>&1").c_str()) == 0;
}

TEST_F(ArchiveTest, ZipEntriesAndANestedZipAreUnpackedWithTheirPaths) {
  const std::string inner = make_archive(ArchiveFormat::zip, {{"deep.txt", "settlement figure in the inner zip"}});
  const std::string outer = make_archive(ArchiveFormat::zip, {{"notes.txt", "privileged and confidential notes"},
                                                              {"drafts/", "", true},
                                                              {"drafts/letter.txt", "draft letter to opposing counsel"},
                                                              {"inner.zip", inner}});
  const MessageFacts facts = facts_of(message_with_attachment("bundle.zip", outer));

  EXPECT_EQ(part_paths(facts), (std::vector<std::string>{"2", "2/notes.txt", "2/drafts/letter.txt", "2/inner.zip",
                                                        "2/inner.zip/deep.txt"}));
  const PartFact* archive = find_part(facts, "2");
  ASSERT_NE(archive, nullptr);
  EXPECT_EQ(archive->detected_type, kZip);
  EXPECT_EQ(archive->filename, "bundle.zip");
  EXPECT_FALSE(archive->has(PartFlag::uninspectable)) << archive->uninspectable_reason;

  const PartFact* letter = find_part(facts, "2/drafts/letter.txt");
  ASSERT_NE(letter, nullptr);
  EXPECT_EQ(letter->filename, "letter.txt");
  EXPECT_EQ(letter->size, std::string("draft letter to opposing counsel").size());
  EXPECT_TRUE(letter->has(PartFlag::attachment));
  EXPECT_EQ(find_part(facts, "2/inner.zip")->detected_type, kZip);

  expect_text(facts, "2/notes.txt", "privileged and confidential notes");
  expect_text(facts, "2/drafts/letter.txt", "draft letter to opposing counsel");
  expect_text(facts, "2/inner.zip/deep.txt", "settlement figure in the inner zip");
}

TEST_F(ArchiveTest, NestingDeeperThanTheDepthLimitIsRecordedNotUnpacked) {
  std::string nested = make_archive(ArchiveFormat::zip, {{"core.txt", "innermost secret"}});
  for (int level = 0; level < 6; ++level) nested = make_archive(ArchiveFormat::zip, {{"z.zip", nested}});
  ContentLimits limits;
  limits.max_depth = 4;
  const MessageFacts facts = facts_of(message_with_attachment("deep.zip", nested), SpoolMode::memory, limits);

  EXPECT_EQ(all_text(facts).find("innermost secret"), std::string::npos);
  const auto limited = std::find_if(facts.parts.begin(), facts.parts.end(), [](const PartFact& part) {
    return part.uninspectable_reason == "limit:max_depth";
  });
  ASSERT_NE(limited, facts.parts.end()) << ::testing::PrintToString(part_paths(facts));
  EXPECT_TRUE(limited->path.starts_with("2/z.zip/z.zip"));
}

TEST_F(ArchiveTest, TarGzAndALoneGzipAreUnpacked) {
  const std::string tarball = make_archive(ArchiveFormat::tar_gz, {{"case/memo.txt", "memo about the merger"},
                                                                   {"case/list.csv", "name,fee\nclient,100\n"}});
  MessageFacts facts = facts_of(message_with_attachment("case.tar.gz", tarball));
  EXPECT_EQ(find_part(facts, "2")->detected_type, "application/gzip");
  EXPECT_EQ(part_paths(facts), (std::vector<std::string>{"2", "2/case/memo.txt", "2/case/list.csv"}));
  expect_text(facts, "2/case/memo.txt", "memo about the merger");
  expect_text(facts, "2/case/list.csv", "client,100");

  const std::string gzip = make_archive(ArchiveFormat::gzip_only, {{"memo.txt", "a lone compressed memo"}});
  facts = facts_of(message_with_attachment("memo.txt.gz", gzip));
  EXPECT_EQ(part_paths(facts), (std::vector<std::string>{"2", "2/memo.txt"}));
  EXPECT_EQ(find_part(facts, "2/memo.txt")->filename, "memo.txt");
  expect_text(facts, "2/memo.txt", "a lone compressed memo");
}

TEST_F(ArchiveTest, SevenZipEntriesAreUnpacked) {
  const std::string seven_zip = make_archive(ArchiveFormat::seven_zip, {{"brief.txt", "litigation brief text"},
                                                                        {"more/exhibit.txt", "exhibit A"}});
  const MessageFacts facts = facts_of(message_with_attachment("brief.7z", seven_zip));
  EXPECT_EQ(find_part(facts, "2")->detected_type, "application/x-7z-compressed");
  expect_text(facts, "2/brief.txt", "litigation brief text");
  expect_text(facts, "2/more/exhibit.txt", "exhibit A");
}

TEST_F(ArchiveTest, ZipCryptoAndAesEntriesAreFlaggedEncryptedWithoutBeingRead) {
  for (const char* method : {"zipcrypt", "aes128", "aes256"}) {
    SCOPED_TRACE(method);
    const std::string zip = make_archive(ArchiveFormat::zip, {{"secret.txt", "encrypted privileged text"}},
                                         std::string("zip:encryption=") + method, "hunter2");
    const MessageFacts facts = facts_of(message_with_attachment("locked.zip", zip));
    expect_encrypted_entry(facts, "2/secret.txt");
    EXPECT_TRUE(find_part(facts, "2")->has(PartFlag::encrypted));
    EXPECT_EQ(all_text(facts).find("encrypted privileged text"), std::string::npos);
  }
}

// Archives written by the tools people use, not only by libarchive.
TEST_F(ArchiveTest, ZipsEncryptedByZipAnd7zToolsAreFlagged) {
  if (!tool_available("zip") || !tool_available("7z")) GTEST_SKIP() << "zip or 7z is not installed";
  const std::filesystem::path dir = temp_.path() / "tools";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "secret.txt") << "tool encrypted privileged text\n";
  const std::string quoted = "'" + dir.string() + "'";
  ASSERT_EQ(std::system(("cd " + quoted + " && zip -q -P hunter2 zipcrypto.zip secret.txt").c_str()), 0);
  ASSERT_EQ(std::system(("cd " + quoted + " && 7z a -bd -tzip -mem=AES256 -phunter2 aes.zip secret.txt >/dev/null")
                            .c_str()),
            0);
  for (const char* name : {"zipcrypto.zip", "aes.zip"}) {
    SCOPED_TRACE(name);
    const MessageFacts facts = facts_of(message_with_attachment(name, read_file(dir / name)));
    expect_encrypted_entry(facts, "2/secret.txt");
    EXPECT_TRUE(find_part(facts, "2")->has(PartFlag::encrypted));
  }
}

TEST_F(ArchiveTest, SevenZipWithEncryptedDataOrHeadersIsFlagged) {
  if (!tool_available("7z")) GTEST_SKIP() << "7z is not installed";
  const std::filesystem::path dir = temp_.path() / "seven";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "secret.txt") << "tool encrypted privileged text\n";
  const std::string quoted = "'" + dir.string() + "'";
  ASSERT_EQ(std::system(("cd " + quoted + " && 7z a -bd -phunter2 data.7z secret.txt >/dev/null").c_str()), 0);
  ASSERT_EQ(std::system(("cd " + quoted + " && 7z a -bd -phunter2 -mhe=on headers.7z secret.txt >/dev/null").c_str()),
            0);

  MessageFacts facts = facts_of(message_with_attachment("data.7z", read_file(dir / "data.7z")));
  expect_encrypted_entry(facts, "2/secret.txt");
  EXPECT_TRUE(find_part(facts, "2")->has(PartFlag::encrypted));

  // With its headers encrypted not even the entry names can be read.
  facts = facts_of(message_with_attachment("headers.7z", read_file(dir / "headers.7z")));
  expect_encrypted_entry(facts, "2");
}

TEST_F(ArchiveTest, ZipBombStopsAtTheExpansionRatioQuickly) {
  const std::string bomb = make_archive(ArchiveFormat::zip, {{"zeros.bin", std::string(50u << 20, '\0')}});
  ASSERT_LT(bomb.size(), 200u * 1024);
  const auto start = std::chrono::steady_clock::now();
  const MessageFacts facts = facts_of(message_with_attachment("bomb.zip", bomb));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));

  const PartFact* entry = find_part(facts, "2/zeros.bin");
  ASSERT_NE(entry, nullptr) << ::testing::PrintToString(part_paths(facts));
  EXPECT_EQ(entry->uninspectable_reason, "limit:max_expansion_ratio");
  EXPECT_EQ(find_part(facts, "2")->uninspectable_reason, "limit:max_expansion_ratio");
}

// A gzip stream does not declare its size up front: the ratio is enforced
// while unpacking.
TEST_F(ArchiveTest, GzipBombStopsWhileUnpacking) {
  const std::string bomb = make_archive(ArchiveFormat::gzip_only, {{"zeros", std::string(20u << 20, '\0')}});
  const MessageFacts facts = facts_of(message_with_attachment("zeros.bin.gz", bomb));
  const PartFact* entry = find_part(facts, "2/zeros.bin");
  ASSERT_NE(entry, nullptr) << ::testing::PrintToString(part_paths(facts)) << " "
                            << find_part(facts, "2")->uninspectable_reason;
  EXPECT_EQ(entry->uninspectable_reason, "limit:max_expansion_ratio");
  EXPECT_LE(entry->size, bomb.size() * ContentLimits{}.max_expansion_ratio);
}

TEST_F(ArchiveTest, EntryLargerThanThePartLimitIsSkippedAndTheRestRead) {
  const std::string zip = make_archive(ArchiveFormat::zip, {{"big.txt", std::string(64 * 1024, 'x')},
                                                            {"small.txt", "the small privileged note"}});
  ContentLimits limits;
  limits.max_part_bytes = 16 * 1024;
  limits.max_expansion_ratio = 100000;
  const MessageFacts facts = facts_of(message_with_attachment("mixed.zip", zip), SpoolMode::memory, limits);
  ASSERT_NE(find_part(facts, "2/big.txt"), nullptr);
  EXPECT_EQ(find_part(facts, "2/big.txt")->uninspectable_reason, "limit:max_part_bytes");
  expect_text(facts, "2/small.txt", "the small privileged note");

  // A gzip stream declares no size: the limit is found while unpacking.
  const std::string gzip = make_archive(ArchiveFormat::gzip_only, {{"big", std::string(64 * 1024, 'y')}});
  const MessageFacts streamed = facts_of(message_with_attachment("big.txt.gz", gzip), SpoolMode::memory, limits);
  ASSERT_NE(find_part(streamed, "2/big.txt"), nullptr) << ::testing::PrintToString(part_paths(streamed));
  EXPECT_EQ(find_part(streamed, "2/big.txt")->uninspectable_reason, "limit:max_part_bytes");
  EXPECT_EQ(all_text(streamed).find("yyyy"), std::string::npos);
}

TEST_F(ArchiveTest, UnpackingPastTheMessageTotalStopsTheArchive) {
  const std::string tarball = make_archive(ArchiveFormat::tar_gz, {{"one.txt", std::string(40 * 1024, 'a')},
                                                                   {"two.txt", std::string(40 * 1024, 'b')}});
  ContentLimits limits;
  limits.max_total_bytes = 60 * 1024 + tarball.size();
  limits.max_expansion_ratio = 100000;
  const MessageFacts facts = facts_of(message_with_attachment("big.tgz", tarball), SpoolMode::memory, limits);
  EXPECT_EQ(find_part(facts, "2")->uninspectable_reason, "limit:max_total_bytes");
  ASSERT_NE(find_part(facts, "2/two.txt"), nullptr) << ::testing::PrintToString(part_paths(facts));
  EXPECT_EQ(find_part(facts, "2/two.txt")->uninspectable_reason, "limit:max_total_bytes");
}

TEST_F(ArchiveTest, EntriesBeyondTheConfiguredMaximumAreNotRead) {
  std::vector<ArchiveMember> members;
  for (int i = 1; i <= 10; ++i) members.push_back({"file" + std::to_string(i) + ".txt", "entry " + std::to_string(i)});
  ContentLimits limits;
  limits.max_archive_entries = 3;
  const MessageFacts facts =
      facts_of(message_with_attachment("many.zip", make_archive(ArchiveFormat::zip, members)), SpoolMode::memory, limits);
  EXPECT_EQ(part_paths(facts), (std::vector<std::string>{"2", "2/file1.txt", "2/file2.txt", "2/file3.txt"}));
  EXPECT_EQ(find_part(facts, "2")->uninspectable_reason, "limit:max_archive_entries");
}

TEST_F(ArchiveTest, TruncatedZipIsMalformedButKeepsWhatWasRead) {
  const std::string zip = make_archive(ArchiveFormat::zip, {{"first.txt", "first entry survives"},
                                                            {"second.txt", std::string(4096, 'q')}});
  const std::string truncated = zip.substr(0, zip.size() / 2);
  const MessageFacts facts = facts_of(message_with_attachment("cut.zip", truncated));
  EXPECT_EQ(find_part(facts, "2")->uninspectable_reason, "malformed");
  expect_text(facts, "2/first.txt", "first entry survives");
}

TEST_F(ArchiveTest, ZipCutBeforeItsCentralDirectoryIsMalformed) {
  const std::string zip = make_archive(ArchiveFormat::zip, {{"whole.txt", "entry read in full"}});
  const MessageFacts facts = facts_of(message_with_attachment("cut.zip", zip.substr(0, zip.size() - 30)));
  EXPECT_EQ(find_part(facts, "2")->uninspectable_reason, "malformed");
  expect_text(facts, "2/whole.txt", "entry read in full");
}

// Flipping bytes anywhere in an archive must never crash or hang.
TEST_F(ArchiveTest, CorruptedArchivesNeverCrash) {
  const std::string inner = make_archive(ArchiveFormat::zip, {{"a.txt", "alpha"}});
  for (ArchiveFormat format : {ArchiveFormat::zip, ArchiveFormat::tar_gz, ArchiveFormat::seven_zip}) {
    const std::string original = make_archive(format, {{"a.txt", "alpha text"}, {"in.zip", inner}});
    for (std::size_t position = 0; position < original.size(); position += 7) {
      std::string corrupt = original;
      corrupt[position] = static_cast<char>(corrupt[position] ^ 0x5A);
      const MessageFacts facts = facts_of(message_with_attachment("corrupt.bin", corrupt));
      ASSERT_NE(find_part(facts, "2"), nullptr);
    }
  }
}

}  // namespace
}  // namespace privmilter::testing
