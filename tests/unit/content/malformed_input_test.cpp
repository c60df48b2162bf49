// Hostile and broken input: every case yields facts (with defects) or a
// clean error, never a crash, and limits bound the work.

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "unit/content/content_test_support.h"

namespace privmilter::testing {
namespace {

using MalformedInputTest = ContentTest;

std::string nested_multiparts(std::size_t levels) {
  std::string raw = "Subject: deep\r\nMIME-Version: 1.0\r\n";
  for (std::size_t level = 0; level < levels; ++level) {
    raw += "Content-Type: multipart/mixed; boundary=\"level" + std::to_string(level) +
           "\"\r\n\r\n--level" + std::to_string(level) + "\r\n";
  }
  raw += "Content-Type: text/plain\r\n\r\ninnermost secret\r\n";
  for (std::size_t level = levels; level-- > 0;) {
    raw += "--level" + std::to_string(level) + "--\r\n";
  }
  return raw;
}

TEST_F(MalformedInputTest, EmptyInputYieldsFactsWithADefect) {
  const MessageFacts facts = facts_of("");
  EXPECT_TRUE(facts.segments.empty());
  EXPECT_EQ(facts.message_bytes, 0u);
  EXPECT_FALSE(facts.defects.empty());
}

TEST_F(MalformedInputTest, InputThatIsNoMessageIsInspectedAsRawText) {
  for (const std::string& raw :
       {crlf("Send submissions to\n\tlist@example.org\n\nconfidential memo text\n"),
        crlf("          \nFrom: a@firm.example\n\nconfidential memo text\n")}) {
    for (SpoolMode mode : {SpoolMode::memory, SpoolMode::file}) {
      const MessageFacts facts = facts_of(raw, mode);
      const TextSegment* text = find_segment(facts, "raw");
      ASSERT_NE(text, nullptr) << ::testing::PrintToString(locations(facts));
      EXPECT_NE(text->text.find("confidential memo text"), std::string::npos);
      EXPECT_TRUE(has_defect_containing(facts, "no parsable message"));
    }
  }
}

TEST_F(MalformedInputTest, HeaderOnlyInputKeepsTheSubject) {
  for (const std::string& raw : {std::string("From: a@firm.example\r\nSubject: only headers\r\n"),
                                 std::string("From: a@firm.example\r\nSubject: only headers")}) {
    const MessageFacts facts = facts_of(raw);
    EXPECT_EQ(facts.subject, "only headers");
    EXPECT_EQ(find_segment(facts, "1 text/plain"), nullptr);
  }
}

TEST_F(MalformedInputTest, TruncatedMultipartKeepsWhatArrivedAndNotesIt) {
  const MessageFacts facts =
      facts_of(crlf("Subject: cut\n"
                    "MIME-Version: 1.0\n"
                    "Content-Type: multipart/mixed; boundary=\"b\"\n"
                    "\n"
                    "--b\n"
                    "Content-Type: text/plain\n"
                    "\n"
                    "first part arrived\n"
                    "--b\n"
                    "Content-Type: text/plain\n"
                    "\n"
                    "second part cut off in the mid"));
  EXPECT_NE(all_text(facts).find("first part arrived"), std::string::npos);
  EXPECT_NE(all_text(facts).find("second part cut off"), std::string::npos);
  EXPECT_TRUE(has_defect_containing(facts, "truncated")) << ::testing::PrintToString(facts.defects);
}

TEST_F(MalformedInputTest, BoundaryThatNeverAppearsStillExposesTheText) {
  const MessageFacts facts =
      facts_of(crlf("Subject: wrong boundary\n"
                    "MIME-Version: 1.0\n"
                    "Content-Type: multipart/mixed; boundary=\"declared\"\n"
                    "\n"
                    "--actual\n"
                    "Content-Type: text/plain\n"
                    "\n"
                    "privileged text behind a broken boundary\n"
                    "--actual--\n"));
  EXPECT_NE(all_text(facts).find("privileged text behind a broken boundary"), std::string::npos);
  EXPECT_FALSE(facts.defects.empty());
}

TEST_F(MalformedInputTest, MultipartWithoutBoundaryParameterIsADefect) {
  const MessageFacts facts =
      facts_of(crlf("Subject: no boundary\n"
                    "MIME-Version: 1.0\n"
                    "Content-Type: multipart/mixed\n"
                    "\n"
                    "text with nowhere to go\n"));
  EXPECT_TRUE(has_defect_containing(facts, "multipart without boundary"))
      << ::testing::PrintToString(facts.defects);
  EXPECT_NE(all_text(facts).find("text with nowhere to go"), std::string::npos);
}

TEST_F(MalformedInputTest, MultipartWithoutMimeVersionIsADefect) {
  const MessageFacts facts =
      facts_of(crlf("Subject: no version\n"
                    "Content-Type: multipart/mixed; boundary=\"b\"\n"
                    "\n"
                    "--b\n"
                    "Content-Type: text/plain\n"
                    "\n"
                    "body\n"
                    "--b--\n"));
  EXPECT_TRUE(has_defect_containing(facts, "without MIME-Version"));
  EXPECT_NE(find_segment(facts, "1 text/plain"), nullptr);
}

TEST_F(MalformedInputTest, InvalidBase64IsNotedAndTheValidPartDecoded) {
  const MessageFacts facts =
      facts_of(crlf("Subject: bad base64\n"
                    "MIME-Version: 1.0\n"
                    "Content-Type: text/plain\n"
                    "Content-Transfer-Encoding: base64\n"
                    "\n"
                    "SGVsbG8gd29y*bGQh\n"));
  EXPECT_TRUE(has_defect_containing(facts, "part 1: invalid base64"))
      << ::testing::PrintToString(facts.defects);
  const TextSegment* text = find_segment(facts, "1 text/plain");
  ASSERT_NE(text, nullptr);
  EXPECT_EQ(text->text, "Hello world!");
}

TEST_F(MalformedInputTest, Base64WithDataAfterPaddingIsNoted) {
  const MessageFacts facts =
      facts_of(crlf("Subject: bad base64\n"
                    "Content-Type: application/octet-stream; name=\"x.bin\"\n"
                    "Content-Transfer-Encoding: base64\n"
                    "\n"
                    "QQ==QUFB\n"));
  EXPECT_TRUE(has_defect_containing(facts, "data after padding"));
}

TEST_F(MalformedInputTest, NestingBeyondTheLimitStopsTheWalkWithADefect) {
  const MessageFacts facts = facts_of(nested_multiparts(200));
  EXPECT_TRUE(has_limit_fact(facts, "limit:max_depth"))
      << ::testing::PrintToString(facts.defects);
  EXPECT_EQ(all_text(facts).find("innermost secret"), std::string::npos);
  EXPECT_EQ(facts.part_count, 65u);  // depths 0..64
}

TEST_F(MalformedInputTest, NestingWithinARaisedLimitIsWalkedCompletely) {
  ContentLimits limits;
  limits.max_depth = 300;
  const MessageFacts facts = facts_of(nested_multiparts(200), SpoolMode::memory, limits);
  EXPECT_FALSE(has_defect_containing(facts, "nesting limit"));
  EXPECT_NE(all_text(facts).find("innermost secret"), std::string::npos);
  EXPECT_EQ(facts.part_count, 201u);
}

TEST_F(MalformedInputTest, PartLimitStopsTheWalkWithADefect) {
  std::string raw =
      "Subject: many\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n";
  for (int i = 0; i < 20; ++i) {
    raw += "--b\r\nContent-Type: text/plain\r\n\r\npart " + std::to_string(i) + "\r\n";
  }
  raw += "--b--\r\n";
  ContentLimits limits;
  limits.max_parts = 5;
  const MessageFacts facts = facts_of(raw, SpoolMode::memory, limits);
  EXPECT_EQ(facts.part_count, 5u);
  EXPECT_TRUE(has_limit_fact(facts, "limit:max_parts"));
  EXPECT_NE(find_segment(facts, "4 text/plain"), nullptr);
  EXPECT_EQ(find_segment(facts, "5 text/plain"), nullptr);
}

// Each of these would make GMime allocate gigabytes at the full 64 MiB; the
// structure budget cuts the parser's input short instead.
TEST_F(MalformedInputTest, FloodOfEmptyPartsIsCutBeforeParsing) {
  std::string raw =
      "Subject: flood\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=x\r\n\r\n";
  for (int i = 0; i < 50000; ++i) raw += "--x\r\n\r\na\r\n";
  raw += "--x--\r\n";
  const MessageFacts facts = facts_of(raw, SpoolMode::file);
  EXPECT_TRUE(has_defect_containing(facts, "MIME structure limit reached"));
  EXPECT_TRUE(has_limit_fact(facts, "limit:max_parts"));
  EXPECT_EQ(facts.part_count, 1000u);
}

TEST_F(MalformedInputTest, FloodOfHeaderLinesIsCutBeforeParsing) {
  std::string raw =
      "Subject: flood\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=x\r\n\r\n"
      "--x\r\nContent-Type: text/plain\r\n\r\nfirst part\r\n--x\r\n";
  for (int i = 0; i < 100000; ++i) raw += "X: y\r\n";
  raw += "\r\nsecond part\r\n--x--\r\n";
  const MessageFacts facts = facts_of(raw);
  EXPECT_TRUE(has_defect_containing(facts, "MIME structure limit reached"));
  EXPECT_NE(find_segment(facts, "1 text/plain"), nullptr);
}

TEST_F(MalformedInputTest, HugeAddressListInAnAttachedMessageIsCutBeforeParsing) {
  std::string recipients;
  for (int i = 0; i < 1000000; ++i) recipients += "a@b,";
  const MessageFacts facts = facts_of(
      "Subject: outer\r\nMIME-Version: 1.0\r\nContent-Type: message/rfc822\r\n\r\n"
      "Subject: inner\r\nTo: " +
      recipients + "c@d\r\n\r\nbody\r\n");
  EXPECT_TRUE(has_defect_containing(facts, "MIME structure limit reached"));
  EXPECT_EQ(facts.subject, "outer");
}

TEST_F(MalformedInputTest, OrdinaryStructureStaysWithinTheBudget) {
  // A long thread quoted inline: many "-----Original Message-----" blocks.
  std::string raw = "Subject: thread\r\n\r\n";
  for (int i = 0; i < 2000; ++i) {
    raw += "reply " + std::to_string(i) +
           "\r\n\r\n-----Original Message-----\r\nFrom: a@b\r\nSent: today\r\n"
           "To: c@d\r\nSubject: thread\r\n\r\n";
  }
  const MessageFacts facts = facts_of(raw);
  EXPECT_FALSE(has_defect_containing(facts, "MIME structure limit"));
  EXPECT_NE(find_segment(facts, "1 text/plain")->text.find("reply 1999"), std::string::npos);
}

TEST_F(MalformedInputTest, MessageOverTheSizeLimitIsAnError) {
  ContentLimits limits;
  limits.max_message_bytes = 16;
  const std::string raw = crlf("Subject: big\n\nthis body is longer than sixteen bytes\n");
  for (SpoolMode mode : {SpoolMode::memory, SpoolMode::file}) {
    const Result<MessageFacts> facts = extract(raw, mode, limits);
    ASSERT_FALSE(facts.ok());
    EXPECT_NE(facts.error().message.find("exceeds the content size limit"), std::string::npos);
  }
  limits.max_message_bytes = raw.size();
  EXPECT_TRUE(extract(raw, SpoolMode::memory, limits).ok());
}

TEST_F(MalformedInputTest, BinaryGarbageDoesNotCrash) {
  std::string garbage;
  unsigned state = 12345;
  for (int i = 0; i < 64 * 1024; ++i) {
    state = state * 1103515245u + 12345u;
    garbage.push_back(static_cast<char>(state >> 16));
  }
  for (SpoolMode mode : {SpoolMode::memory, SpoolMode::file}) {
    const Result<MessageFacts> facts = extract(garbage, mode);
    ASSERT_TRUE(facts.ok());
    EXPECT_EQ(facts->message_bytes, garbage.size());
  }
  // Garbage with a plausible header in front.
  ASSERT_TRUE(extract("Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n" + garbage).ok());
}

TEST_F(MalformedInputTest, DefectsNeverQuoteMessageContent) {
  const MessageFacts facts =
      facts_of(crlf("Subject: =?utf-8?q?SECRETWORD_broken\n"
                    "Bad Header SECRETWORD: x\n"
                    "Content-Type: multipart/mixed; boundary=\"SECRETWORD\"\n"
                    "Content-Type: text/plain; charset=SECRETWORD\n"
                    "\n"
                    "--SECRETWORD\n"));
  for (const std::string& defect : facts.defects) {
    EXPECT_EQ(defect.find("SECRETWORD"), std::string::npos) << defect;
  }
}

TEST_F(MalformedInputTest, ConcurrentExtractionGivesTheSameResultsAsSequential) {
  std::vector<std::string> messages;
  for (int i = 0; i < 8; ++i) {
    messages.push_back(crlf("Subject: =?ISO-8859-1?Q?Nachricht_" + std::to_string(i) +
                            "_f=FCr_M=FCller?=\n"
                            "MIME-Version: 1.0\n"
                            "Content-Type: multipart/alternative; boundary=\"b\"\n"
                            "\n"
                            "--b\n"
                            "Content-Type: text/html; charset=windows-1252\n"
                            "Content-Transfer-Encoding: quoted-printable\n"
                            "\n"
                            "<p>=93Body " +
                            std::to_string(i) +
                            "=94 &amp; more</p>\n"
                            "--b--\n"));
  }
  std::vector<std::string> expected;
  for (const std::string& raw : messages) expected.push_back(all_text(facts_of(raw)));

  constexpr int kThreads = 4;
  constexpr int kRounds = 25;
  std::vector<int> mismatches(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < kRounds; ++round) {
        for (std::size_t m = 0; m < messages.size(); ++m) {
          MessageSpool spool(temp_.path() / ("spool" + std::to_string(t)), 1u << 20);
          if (!spool.append(messages[m]).ok()) ++mismatches[t];
          Result<MessageFacts> facts = extract_facts(spool, ContentLimits{});
          if (!facts.ok() || all_text(*facts) != expected[m]) ++mismatches[t];
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(mismatches[t], 0) << "thread " << t;
  EXPECT_NE(expected[3].find("“Body 3” & more"), std::string::npos) << expected[3];
}

}  // namespace
}  // namespace privmilter::testing
