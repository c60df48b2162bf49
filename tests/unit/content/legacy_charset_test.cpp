// Legacy charsets a firm's correspondents still send, converted to UTF-8.

#include "unit/content/content_test_support.h"

namespace privmilter::testing {
namespace {

struct LegacyText {
  const char* charset;
  std::string bytes;  // the text in that charset
  const char* utf8;   // the same text in UTF-8
};

class LegacyCharsetTest : public ContentTest, public ::testing::WithParamInterface<LegacyText> {};

TEST_P(LegacyCharsetTest, BodyIsConvertedToUtf8) {
  const LegacyText& sample = GetParam();
  const std::string raw = std::string("Subject: test\nMIME-Version: 1.0\nContent-Type: text/plain; charset=") +
                          sample.charset + "\nContent-Transfer-Encoding: 8bit\n\nMandant: " + sample.bytes + "\n";
  auto facts = facts_of(raw);
  const TextSegment* body = find_segment(facts, "1 text/plain");
  ASSERT_NE(body, nullptr);
  EXPECT_NE(body->text.find(sample.utf8), std::string::npos) << body->text;
}

TEST_P(LegacyCharsetTest, EncodedWordSubjectIsConvertedToUtf8) {
  const LegacyText& sample = GetParam();
  std::string encoded;
  for (unsigned char c : sample.bytes) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    encoded += '=';
    encoded += kHex[c >> 4];
    encoded += kHex[c & 0xf];
  }
  auto facts = facts_of(std::string("Subject: =?") + sample.charset + "?Q?" + encoded + "?=\n\nbody\n");
  EXPECT_EQ(facts.subject, sample.utf8);
}

INSTANTIATE_TEST_SUITE_P(
    Content, LegacyCharsetTest,
    ::testing::Values(LegacyText{"Shift_JIS", "\x93\xFA\x96\x7B\x8C\xEA", "日本語"},
                      LegacyText{"GB2312", "\xD6\xD0\xCE\xC4", "中文"},
                      LegacyText{"GBK", "\xD6\xD0\xCE\xC4", "中文"},
                      LegacyText{"KOI8-R", "\xF0\xD2\xC9\xD7\xC5\xD4", "Привет"},
                      LegacyText{"windows-1251", "\xCF\xF0\xE8\xE2\xE5\xF2", "Привет"},
                      LegacyText{"ISO-8859-2", "\xA3\xF3\x64\xBC", "Łódź"},
                      LegacyText{"windows-1252", "\x80 \x93quoted\x94", "€ “quoted”"}),
    [](const ::testing::TestParamInfo<LegacyText>& info) {
      std::string name = info.param.charset;
      for (char& c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
      }
      return name;
    });

}  // namespace
}  // namespace privmilter::testing
