// Wildcards in attachment conditions: what '*' and '?' stand for, and that
// everything else is literal.

#include <gtest/gtest.h>

#include <string>

#include "policy/glob.h"

namespace privmilter {
namespace {

TEST(Glob, LiteralTextMustMatchWhole) {
  EXPECT_TRUE(glob_matches("application/pdf", "application/pdf"));
  EXPECT_FALSE(glob_matches("application/pdf", "application/pdfx"));
  EXPECT_FALSE(glob_matches("application/pdf", "xapplication/pdf"));
  EXPECT_FALSE(glob_matches("memo.docx", ""));
  EXPECT_TRUE(glob_matches("", ""));
}

TEST(Glob, IgnoresAsciiCase) {
  EXPECT_TRUE(glob_matches("*.docx", "Memo.DOCX"));
  EXPECT_TRUE(glob_matches("MEMO.docx", "memo.docx"));
  EXPECT_FALSE(glob_matches("*.docx", "memo.doc"));
}

TEST(Glob, StarMatchesAnyRunIncludingNone) {
  EXPECT_TRUE(glob_matches("*", ""));
  EXPECT_TRUE(glob_matches("*", "anything at all"));
  EXPECT_TRUE(glob_matches("limit:*", "limit:"));
  EXPECT_TRUE(glob_matches("limit:*", "limit:max_depth"));
  EXPECT_FALSE(glob_matches("limit:*", "unsupported:application/msword"));
  EXPECT_TRUE(glob_matches("application/vnd.openxmlformats-officedocument.*",
                           "application/vnd.openxmlformats-officedocument.wordprocessingml.document"));
  EXPECT_FALSE(glob_matches("application/vnd.openxmlformats-officedocument.*", "application/msword"));
  EXPECT_TRUE(glob_matches("*report*2024*.pdf", "Q3 report final 2024 v2.pdf"));
  EXPECT_FALSE(glob_matches("*report*2024*.pdf", "Q3 report final 2023 v2.pdf"));
}

TEST(Glob, StarBacktracksOverRepeatedText) {
  EXPECT_TRUE(glob_matches("*.tar.gz", "backup.tar.tar.gz"));
  EXPECT_TRUE(glob_matches("a*a*a", "aaaaa"));
  EXPECT_FALSE(glob_matches("a*a*b", "aaaaa"));
}

TEST(Glob, QuestionMarkIsExactlyOneCharacter) {
  EXPECT_TRUE(glob_matches("memo?.pdf", "memo1.pdf"));
  EXPECT_FALSE(glob_matches("memo?.pdf", "memo.pdf"));
  EXPECT_FALSE(glob_matches("memo?.pdf", "memo12.pdf"));
  // One character, however many bytes UTF-8 needs for it.
  EXPECT_TRUE(glob_matches("?.pdf", "\xC3\xA9.pdf"));
  EXPECT_TRUE(glob_matches("r?sum?.pdf", "r\xC3\xA9sum\xC3\xA9.pdf"));
  EXPECT_FALSE(glob_matches("??.pdf", "\xC3\xA9.pdf"));
}

TEST(Glob, BracketsAndOtherPunctuationAreLiteral) {
  EXPECT_TRUE(glob_matches("draft[1].docx", "draft[1].docx"));
  EXPECT_FALSE(glob_matches("draft[12].docx", "draft1.docx"));
  EXPECT_TRUE(glob_matches("*(final).pdf", "brief (final).pdf"));
  EXPECT_FALSE(glob_matches("*.pdf", "brief_pdf"));
}

TEST(Glob, LongAdversarialInputStaysFast) {
  const std::string text(100000, 'a');
  EXPECT_FALSE(glob_matches("*a*a*a*a*a*a*a*b", text));
  EXPECT_TRUE(glob_matches("*a*a*a*a*a*a*a*a", text));
}

}  // namespace
}  // namespace privmilter
