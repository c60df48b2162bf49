// TNEF (winmail.dat): streams written by a small generator in the test, and
// the real Outlook payloads of the shared corpus when it is present.

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "unit/content/attachment_message.h"
#include "unit/content/content_test_support.h"

namespace privmilter::testing {
namespace {

// TNEF attribute identifiers: type << 16 | id.
constexpr std::uint32_t kTnefVersion = 0x00089006;
constexpr std::uint32_t kMessageClass = 0x00078008;
constexpr std::uint32_t kBody = 0x0002800C;
constexpr std::uint32_t kMapiProperties = 0x00069003;
constexpr std::uint32_t kAttachRendering = 0x00069002;
constexpr std::uint32_t kAttachTitle = 0x00018010;
constexpr std::uint32_t kAttachData = 0x0006800F;
constexpr std::uint32_t kAttachment = 0x00069005;
constexpr std::uint8_t kMessageLevel = 1;
constexpr std::uint8_t kAttachmentLevel = 2;

// MAPI property tags: id << 16 | type.
constexpr std::uint32_t kRtfCompressed = 0x10090102;         // PR_RTF_COMPRESSED, binary
constexpr std::uint32_t kAttachLongFilename = 0x3707001F;    // PR_ATTACH_LONG_FILENAME, unicode
constexpr std::uint32_t kAttachDataObject = 0x3701000D;      // PR_ATTACH_DATA_OBJ, object

void put_16(std::string& out, std::uint16_t value) {
  out.push_back(static_cast<char>(value & 0xFF));
  out.push_back(static_cast<char>(value >> 8));
}

void put_32(std::string& out, std::uint32_t value) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

class TnefWriter {
 public:
  TnefWriter() {
    put_32(stream_, 0x223E9F78);
    put_16(stream_, 0x0001);
    add(kMessageLevel, kTnefVersion, std::string("\x00\x00\x01\x00", 4));
    add(kMessageLevel, kMessageClass, std::string("IPM.Note\0", 9));
  }

  TnefWriter& add(std::uint8_t level, std::uint32_t id, const std::string& data) {
    stream_.push_back(static_cast<char>(level));
    put_32(stream_, id);
    put_32(stream_, static_cast<std::uint32_t>(data.size()));
    stream_ += data;
    std::uint16_t checksum = 0;
    for (unsigned char byte : data) checksum = static_cast<std::uint16_t>(checksum + byte);
    put_16(stream_, checksum);
    return *this;
  }

  TnefWriter& body(const std::string& text) { return add(kMessageLevel, kBody, text); }

  // One binary (or object, or unicode string) MAPI property per block.
  static std::string mapi_block(std::uint32_t tag, const std::string& value) {
    std::string block;
    put_32(block, 1);  // property count
    put_32(block, tag);
    put_32(block, 1);  // value count
    put_32(block, static_cast<std::uint32_t>(value.size()));
    block += value;
    block.append((4 - value.size() % 4) % 4, '\0');
    return block;
  }

  TnefWriter& attachment(const std::string& title, const std::string& data,
                         const std::string& mapi_properties = {}) {
    add(kAttachmentLevel, kAttachRendering, std::string(14, '\0'));
    if (!title.empty()) add(kAttachmentLevel, kAttachTitle, title + std::string(1, '\0'));
    add(kAttachmentLevel, kAttachData, data);
    if (!mapi_properties.empty()) add(kAttachmentLevel, kAttachment, mapi_properties);
    return *this;
  }

  const std::string& bytes() const { return stream_; }

 private:
  std::string stream_;
};

std::string utf16le(const std::u16string& text) {
  std::string out;
  for (char16_t c : text) put_16(out, static_cast<std::uint16_t>(c));
  put_16(out, 0);
  return out;
}

// [MS-OXRTFCP] with literals only, which every decompressor must accept,
// and the end marker (a reference to the current write position).
std::string compress_rtf(const std::string& rtf) {
  constexpr std::size_t kDictionaryStart = 207;
  std::string payload;
  std::size_t write = kDictionaryStart;
  std::size_t i = 0;
  while (true) {
    std::string group;
    unsigned char control = 0;
    int bit = 0;
    for (; bit < 8 && i < rtf.size(); ++bit, ++i) {
      group.push_back(rtf[i]);
      write = (write + 1) % 4096;
    }
    if (bit < 8) {
      control = static_cast<unsigned char>(1u << bit);
      const auto reference = static_cast<std::uint16_t>(write << 4);
      group.push_back(static_cast<char>(reference >> 8));
      group.push_back(static_cast<char>(reference & 0xFF));
      payload += static_cast<char>(control) + group;
      break;
    }
    payload += static_cast<char>(control) + group;
  }
  std::string out;
  put_32(out, static_cast<std::uint32_t>(payload.size() + 12));
  put_32(out, static_cast<std::uint32_t>(rtf.size()));
  put_32(out, 0x75465A4C);
  put_32(out, 0);  // CRC, not checked
  return out + payload;
}

const PartFact* find_part(const MessageFacts& facts, std::string_view path) {
  for (const PartFact& part : facts.parts) {
    if (part.path == path) return &part;
  }
  return nullptr;
}

std::filesystem::path corpus_file(const std::string& name) {
  const char* source_dir = std::getenv("PRIVMILTER_SOURCE_DIR");
  if (source_dir == nullptr) return {};
  return std::filesystem::path(source_dir) / ".." / "shared" / "corpus" / name;
}

using TnefTest = ContentTest;

TEST_F(TnefTest, BodyAndAttachmentsAreUnpacked) {
  TnefWriter tnef;
  tnef.body("Privileged: the draft settlement terms follow.")
      .attachment("notes.txt", "Counsel notes: do not forward.");
  const MessageFacts facts = facts_of(attachment_message("winmail.dat", "application/ms-tnef", tnef.bytes()));

  const PartFact* container = find_part(facts, "2");
  ASSERT_NE(container, nullptr);
  EXPECT_EQ(container->content_type, "application/ms-tnef");
  EXPECT_EQ(container->detected_type, "application/vnd.ms-tnef");
  EXPECT_FALSE(container->has(PartFlag::uninspectable)) << container->uninspectable_reason;

  const TextSegment* body = find_segment(facts, "2/body");
  ASSERT_NE(body, nullptr);
  EXPECT_EQ(body->kind, SegmentKind::attachment);
  EXPECT_EQ(body->text, "Privileged: the draft settlement terms follow.");

  const PartFact* notes = find_part(facts, "2/notes.txt");
  ASSERT_NE(notes, nullptr);
  EXPECT_EQ(notes->filename, "notes.txt");
  EXPECT_TRUE(notes->has(PartFlag::attachment));
  EXPECT_EQ(notes->size, std::string("Counsel notes: do not forward.").size());
  const TextSegment* notes_text = find_segment(facts, "2/notes.txt");
  ASSERT_NE(notes_text, nullptr);
  EXPECT_EQ(notes_text->kind, SegmentKind::attachment);
  EXPECT_EQ(notes_text->text, "Counsel notes: do not forward.");
}

TEST_F(TnefTest, RecognisedByContentWhateverTheDeclaredType) {
  TnefWriter tnef;
  tnef.body("Body carried in an undeclared TNEF stream.");
  const MessageFacts facts =
      facts_of(attachment_message("winmail.dat", "application/octet-stream", tnef.bytes()));
  const PartFact* container = find_part(facts, "2");
  ASSERT_NE(container, nullptr);
  EXPECT_EQ(container->detected_type, "application/vnd.ms-tnef");
  ASSERT_NE(find_segment(facts, "2/body"), nullptr);
}

TEST_F(TnefTest, TheLongUnicodeFilenameIsPreferred) {
  TnefWriter tnef;
  tnef.attachment("UBERLE~1.TXT", "Entwurf",
                  TnefWriter::mapi_block(kAttachLongFilename, utf16le(u"Überlegungen zum Vergleich.txt")));
  const MessageFacts facts = facts_of(attachment_message("winmail.dat", "application/vnd.ms-tnef", tnef.bytes()));
  const PartFact* attachment = find_part(facts, "2/Überlegungen zum Vergleich.txt");
  ASSERT_NE(attachment, nullptr) << ::testing::PrintToString(locations(facts));
  EXPECT_EQ(attachment->filename, "Überlegungen zum Vergleich.txt");
}

TEST_F(TnefTest, AnAttachmentWithoutANameIsNumbered) {
  TnefWriter tnef;
  tnef.attachment("", "first").attachment("", "second");
  const MessageFacts facts = facts_of(attachment_message("winmail.dat", "application/ms-tnef", tnef.bytes()));
  EXPECT_NE(find_part(facts, "2/attachment-1"), nullptr);
  EXPECT_NE(find_part(facts, "2/attachment-2"), nullptr);
}

TEST_F(TnefTest, ACompressedRtfBodyGoesToTheRtfInspector) {
  const std::string rtf = "{\\rtf1\\ansi Privileged rich text body, long enough to span several groups.}";
  TnefWriter tnef;
  tnef.add(kMessageLevel, kMapiProperties, TnefWriter::mapi_block(kRtfCompressed, compress_rtf(rtf)));
  const MessageFacts facts = facts_of(attachment_message("winmail.dat", "application/ms-tnef", tnef.bytes()));
  const PartFact* body = find_part(facts, "2/body.rtf");
  ASSERT_NE(body, nullptr);
  EXPECT_EQ(body->filename, "body.rtf");
  EXPECT_EQ(body->content_type, "application/rtf");
  EXPECT_EQ(body->detected_type, "application/rtf");
  EXPECT_EQ(body->size, rtf.size());
  EXPECT_FALSE(find_part(facts, "2")->has(PartFlag::uninspectable));
}

TEST_F(TnefTest, AnRtfBodyClaimingAHugeSizeIsRefused) {
  std::string compressed = compress_rtf("{\\rtf1 x}");
  compressed[4] = compressed[5] = compressed[6] = compressed[7] = '\x7F';  // about 2 GB
  TnefWriter tnef;
  tnef.add(kMessageLevel, kMapiProperties, TnefWriter::mapi_block(kRtfCompressed, compressed));
  const MessageFacts facts = facts_of(attachment_message("winmail.dat", "application/ms-tnef", tnef.bytes()));
  const PartFact* container = find_part(facts, "2");
  ASSERT_NE(container, nullptr);
  EXPECT_EQ(container->uninspectable_reason, "limit:max_part_bytes");
  EXPECT_EQ(find_part(facts, "2/body.rtf"), nullptr);
}

TEST_F(TnefTest, AnAttachedOutlookItemIsUnpackedInTurn) {
  TnefWriter inner;
  inner.body("Forwarded privileged advice.").attachment("advice.txt", "Inner advice text.");
  const std::string object = std::string(16, '\x11') + inner.bytes();  // interface identifier, then TNEF
  TnefWriter outer;
  outer.body("See the forwarded item.")
      .attachment("Forwarded", "placeholder", TnefWriter::mapi_block(kAttachDataObject, object));
  const MessageFacts facts = facts_of(attachment_message("winmail.dat", "application/ms-tnef", outer.bytes()));
  const PartFact* item = find_part(facts, "2/Forwarded");
  ASSERT_NE(item, nullptr);
  EXPECT_EQ(item->detected_type, "application/vnd.ms-tnef");
  ASSERT_NE(find_segment(facts, "2/Forwarded/body"), nullptr);
  EXPECT_EQ(find_segment(facts, "2/Forwarded/body")->text, "Forwarded privileged advice.");
  ASSERT_NE(find_segment(facts, "2/Forwarded/advice.txt"), nullptr);
}

TEST_F(TnefTest, ADamagedStreamIsMalformedButWhatPrecedesTheDamageIsRead) {
  TnefWriter tnef;
  tnef.body("Read before the damage.").attachment("later.txt", "never reached");
  std::string damaged = tnef.bytes();
  damaged[damaged.size() - 1] ^= 0x55;  // the last checksum
  const MessageFacts facts = facts_of(attachment_message("winmail.dat", "application/ms-tnef", damaged));
  const PartFact* container = find_part(facts, "2");
  ASSERT_NE(container, nullptr);
  EXPECT_EQ(container->uninspectable_reason, "malformed");
  ASSERT_NE(find_segment(facts, "2/body"), nullptr);
}

TEST_F(TnefTest, AttachmentsAfterAMapiBlockLibytnefRefusesAreStillRead) {
  std::string refused;
  put_32(refused, 5000);  // more properties than libytnef accepts
  TnefWriter tnef;
  tnef.body("Body first.").add(kMessageLevel, kMapiProperties, refused).attachment("after.txt", "Still seen.");
  const MessageFacts facts = facts_of(attachment_message("winmail.dat", "application/ms-tnef", tnef.bytes()));
  const PartFact* container = find_part(facts, "2");
  ASSERT_NE(container, nullptr);
  EXPECT_EQ(container->uninspectable_reason, "malformed");
  ASSERT_NE(find_segment(facts, "2/body"), nullptr);
  const TextSegment* after = find_segment(facts, "2/after.txt");
  ASSERT_NE(after, nullptr);
  EXPECT_EQ(after->text, "Still seen.");
}

TEST_F(TnefTest, ARepeatedAttributeIsRefused) {
  TnefWriter tnef;
  tnef.body("first").body("second");
  const MessageFacts facts = facts_of(attachment_message("winmail.dat", "application/ms-tnef", tnef.bytes()));
  const PartFact* container = find_part(facts, "2");
  ASSERT_NE(container, nullptr);
  EXPECT_EQ(container->uninspectable_reason, "malformed");
  EXPECT_EQ(find_segment(facts, "2/body"), nullptr);
}

TEST_F(TnefTest, TruncatedStreamsNeverCrash) {
  TnefWriter tnef;
  tnef.body("Some body text.")
      .attachment("a.txt", "alpha", TnefWriter::mapi_block(kAttachLongFilename, utf16le(u"alpha.txt")))
      .add(kMessageLevel, kMapiProperties, TnefWriter::mapi_block(kRtfCompressed, compress_rtf("{\\rtf1 hi}")));
  for (std::size_t length = 4; length < tnef.bytes().size(); ++length) {
    const MessageFacts facts =
        facts_of(attachment_message("winmail.dat", "application/ms-tnef", tnef.bytes().substr(0, length)));
    ASSERT_NE(find_part(facts, "2"), nullptr) << "length " << length;
  }
}

TEST_F(TnefTest, TheCorpusWinmailDatYieldsItsAttachments) {
  const auto path = corpus_file("mimekit-tnef-winmail.dat");
  std::error_code error;
  if (path.empty() || !std::filesystem::is_regular_file(path, error)) GTEST_SKIP() << "no corpus";
  const MessageFacts facts = facts_of(attachment_message("winmail.dat", "application/ms-tnef", read_file(path)));
  const PartFact* container = find_part(facts, "2");
  ASSERT_NE(container, nullptr);
  EXPECT_FALSE(container->has(PartFlag::uninspectable)) << container->uninspectable_reason;
  std::size_t children = 0;
  for (const PartFact& part : facts.parts) children += part.path.starts_with("2/");
  EXPECT_GE(children, 1u);
}

TEST_F(TnefTest, TheCorpusAttachmentsWithoutFilenamesAreStillInspected) {
  const auto path = corpus_file("mimekit-tnef-missing-filenames.dat");
  std::error_code error;
  if (path.empty() || !std::filesystem::is_regular_file(path, error)) GTEST_SKIP() << "no corpus";
  const MessageFacts facts = facts_of(attachment_message("winmail.dat", "application/ms-tnef", read_file(path)));
  std::size_t word_documents = 0;
  for (const PartFact& part : facts.parts) {
    if (part.path.starts_with("2/") && part.detected_type == "application/x-ole-storage") ++word_documents;
  }
  EXPECT_GE(word_documents, 1u);
}

}  // namespace
}  // namespace privmilter::testing
