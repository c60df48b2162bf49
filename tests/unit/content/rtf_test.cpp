// RTF attachments reduced to text: code pages, Unicode escapes, skipped
// destinations, document properties, hidden text, revisions, annotations,
// and hostile input that must end as a fact, not a crash.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "unit/content/content_test_support.h"
#include "unit/content/office_document_fixtures.h"

namespace privmilter::testing {
namespace {

using documents::locations_under;
using documents::part_at;
using documents::Properties;
using documents::segment_at;

class RtfTest : public ContentTest {
 protected:
  MessageFacts facts_for(const std::string& rtf) {
    return facts_of(attachment_message("opinion.rtf", "application/rtf", rtf));
  }

  static std::string text_at(const MessageFacts& facts, std::string_view location) {
    const TextSegment* segment = segment_at(facts, location);
    if (segment == nullptr) {
      ADD_FAILURE() << "no segment at " << location << "; have " << ::testing::PrintToString(locations(facts));
      return {};
    }
    return segment->text;
  }
};

const std::string kOpinion =
    "{\\rtf1\\ansi\\ansicpg1252\\deff0{\\fonttbl{\\f0\\froman Times New Roman;}{\\f1 Arial;}}\n"
    "{\\colortbl;\\red0\\green0\\blue0;}\n"
    "{\\stylesheet{\\s0 Normal;}}\n"
    "{\\info{\\title Draft opinion}{\\author Jane Counsel}{\\operator Bob Partner}{\\*\\company Dewey LLP}"
    "{\\creatim\\yr2024\\mo1\\dy2}}\n"
    "{\\*\\generator Riched20 10.0.19041}\\viewkind4\\uc1\n"
    "{\\header \\pard Privileged header\\par}\n"
    "\\pard\\f0\\fs24 Caf\\'e9 costs 5\\u8364? today.\\par\n"
    "Second line\\line same para\\tab tabbed\\par\n"
    "{\\v secret hidden}{\\deleted removed words}{\\revised added words}\\par\n"
    "{\\*\\atnid JC}{\\*\\atnauthor Jane}\\chatn{\\*\\annotation{\\*\\atndate 1}\\pard Check privilege\\par}\n"
    "{\\pict\\pngblip\\picw10\\pich10 89504e470d0a1a0a}\n"
    "{\\*\\fldinst HYPERLINK \"http://example.com\"}"
    "\\{braces\\} and \\\\backslash\\par\n"
    "}";

TEST_F(RtfTest, TextPropertiesAndMetadataStreams) {
  const MessageFacts facts = facts_for(kOpinion);
  const PartFact* opinion = part_at(facts, "2");
  ASSERT_NE(opinion, nullptr);
  EXPECT_EQ(opinion->detected_type, "application/rtf");
  EXPECT_TRUE(opinion->has(PartFlag::hidden_text));
  EXPECT_TRUE(opinion->has(PartFlag::tracked_changes));
  EXPECT_TRUE(opinion->has(PartFlag::comments));
  EXPECT_FALSE(opinion->has(PartFlag::uninspectable)) << opinion->uninspectable_reason;
  EXPECT_EQ(opinion->properties, (Properties{{"title", "Draft opinion"},
                                             {"author", "Jane Counsel"},
                                             {"last_modified_by", "Bob Partner"},
                                             {"company", "Dewey LLP"}}));

  EXPECT_EQ(locations_under(facts, "2"),
            (std::vector<std::string>{"2", "2/headers-footers", "2/comments", "2/tracked-changes", "2/hidden-text",
                                      "2/properties"}));
  EXPECT_EQ(text_at(facts, "2"),
            "Caf\xC3\xA9 costs 5\xE2\x82\xAC today.\nSecond line\nsame para\ttabbed\nadded words\n"
            "{braces} and \\backslash");
  EXPECT_EQ(text_at(facts, "2/headers-footers"), "Privileged header");
  EXPECT_EQ(text_at(facts, "2/comments"), "Check privilege");
  EXPECT_EQ(text_at(facts, "2/tracked-changes"), "removed words\nadded words");
  EXPECT_EQ(text_at(facts, "2/hidden-text"), "secret hidden");
  EXPECT_EQ(segment_at(facts, "2/comments")->kind, SegmentKind::metadata);
  EXPECT_EQ(segment_at(facts, "2")->kind, SegmentKind::attachment);

  const std::string everything = all_text(facts);
  for (const char* skipped : {"Times New Roman", "Normal", "Riched20", "89504e47", "HYPERLINK", "2024", "JC"}) {
    EXPECT_EQ(everything.find(skipped), std::string::npos) << skipped;
  }
}

TEST_F(RtfTest, CodePageUnicodeSkipsAndSurrogatePairs) {
  const MessageFacts facts = facts_for(
      "{\\rtf1\\ansi\\ansicpg1251 \\'e4\\'e0 and \\uc0\\u8364 EUR, \\uc2\\u8364\\'80\\'80 done, "
      "\\uc1\\u-10179?\\u-8704? smile}");
  EXPECT_EQ(text_at(facts, "2"),
            "\xD0\xB4\xD0\xB0 and \xE2\x82\xAC" "EUR, \xE2\x82\xAC done, \xF0\x9F\x98\x80 smile");
}

TEST_F(RtfTest, BinaryDataIsSkippedByLength) {
  const MessageFacts facts = facts_for("{\\rtf1 before \\bin5 {{\\}}x after}");
  EXPECT_EQ(text_at(facts, "2"), "before x after");
  EXPECT_FALSE(part_at(facts, "2")->has(PartFlag::uninspectable));
}

TEST_F(RtfTest, UnterminatedDocumentKeepsItsTextAndIsMarkedMalformed) {
  const MessageFacts facts = facts_for("{\\rtf1 {\\b bold} then cut");
  EXPECT_EQ(text_at(facts, "2"), "bold then cut");
  EXPECT_EQ(part_at(facts, "2")->uninspectable_reason, "malformed");
}

TEST_F(RtfTest, HostileNestingStopsAtTheGroupDepthBound) {
  const std::string deep = "{\\rtf1 start" + std::string(200000, '{') + "x" + std::string(200000, '}') + "}";
  const MessageFacts facts = facts_for(deep);
  const PartFact* part = part_at(facts, "2");
  ASSERT_NE(part, nullptr);
  EXPECT_EQ(part->uninspectable_reason, "malformed");
  EXPECT_EQ(text_at(facts, "2"), "start");
}

TEST_F(RtfTest, GarbageAfterTheMagicNeverCrashes) {
  std::string noise = "{\\rtf1";
  for (int i = 0; i < 20000; ++i) noise.push_back(static_cast<char>((i * 7919 + 13) % 256));
  for (const std::string& rtf : {noise, std::string("{\\rtf"), std::string("{\\rtf1\\'"), std::string("{\\rtf1\\u"),
                                 std::string("{\\rtf1\\bin99999999999999999999"), std::string("{\\rtf1\\")}) {
    const MessageFacts facts = facts_for(rtf);
    ASSERT_NE(part_at(facts, "2"), nullptr);
  }
}

}  // namespace
}  // namespace privmilter::testing
