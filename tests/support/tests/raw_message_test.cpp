#include "support/raw_message.h"

#include <gtest/gtest.h>

namespace privmilter::miltertest {
namespace {

TEST(SplitRawMessage, DropsOneSpaceAfterTheColonLikePostfix) {
  const auto message = split_raw_message("Subject: hello\nX-Two:  two spaces\nX-Tab:\ttab\nX-None:none\n\nb\n");
  ASSERT_EQ(message.headers.size(), 4u);
  EXPECT_EQ(message.headers[0], (MessageHeader{"Subject", "hello"}));
  EXPECT_EQ(message.headers[1], (MessageHeader{"X-Two", " two spaces"}));
  EXPECT_EQ(message.headers[2], (MessageHeader{"X-Tab", "\ttab"}));
  EXPECT_EQ(message.headers[3], (MessageHeader{"X-None", "none"}));
}

TEST(SplitRawMessage, KeepsTheLeadingSpaceWhenNegotiated) {
  const auto message = split_raw_message("Subject: hello\n\n", /*keep_leading_space=*/true);
  ASSERT_EQ(message.headers.size(), 1u);
  EXPECT_EQ(message.headers[0].value, " hello");
}

TEST(SplitRawMessage, FoldedFieldIsOneHeaderJoinedWithNewline) {
  const auto message = split_raw_message(
      "Subject: first\r\n second\r\n\tthird\r\nTo: a@example.com\r\n\r\nbody\r\n");
  ASSERT_EQ(message.headers.size(), 2u);
  EXPECT_EQ(message.headers[0].value, "first\n second\n\tthird");
  EXPECT_EQ(message.headers[1], (MessageHeader{"To", "a@example.com"}));
}

TEST(SplitRawMessage, NameStopsBeforeBlanksPrecedingTheColon) {
  const auto message = split_raw_message("Subject : spaced\n\n");
  ASSERT_EQ(message.headers.size(), 1u);
  EXPECT_EQ(message.headers[0], (MessageHeader{"Subject", "spaced"}));
}

TEST(SplitRawMessage, BodyGetsCrlfLineEndings) {
  const auto lf = split_raw_message("A: 1\n\nline one\nline two\n");
  EXPECT_EQ(lf.body, "line one\r\nline two\r\n");
  const auto crlf = split_raw_message("A: 1\r\n\r\nline one\r\nline two\r\n");
  EXPECT_EQ(crlf.body, "line one\r\nline two\r\n");
  const auto unterminated = split_raw_message("A: 1\n\nlast line");
  EXPECT_EQ(unterminated.body, "last line\r\n");
}

TEST(SplitRawMessage, BodyKeepsItsOwnEmptyLines) {
  const auto message = split_raw_message("A: 1\n\n\nafter blank\n\n");
  EXPECT_EQ(message.body, "\r\nafter blank\r\n\r\n");
}

TEST(SplitRawMessage, NonHeaderLineStartsTheBody) {
  const auto message = split_raw_message("A: 1\nthis is not a header\nB: 2\n");
  ASSERT_EQ(message.headers.size(), 1u);
  EXPECT_EQ(message.body, "this is not a header\r\nB: 2\r\n");
}

TEST(SplitRawMessage, HeaderOnlyMessageHasEmptyBody) {
  const auto message = split_raw_message("A: 1\nB: 2");
  ASSERT_EQ(message.headers.size(), 2u);
  EXPECT_EQ(message.headers[1], (MessageHeader{"B", "2"}));
  EXPECT_TRUE(message.body.empty());
}

TEST(ToCrlfLines, LeavesLoneCarriageReturnsAlone) {
  EXPECT_EQ(to_crlf_lines("a\rb\n"), "a\rb\r\n");
  EXPECT_EQ(to_crlf_lines(""), "");
}

}  // namespace
}  // namespace privmilter::miltertest
