// Text, subject and attachment extraction from well-formed messages.

#include <gtest/gtest.h>

#include <ostream>
#include <string>

#include "unit/content/content_test_support.h"

namespace privmilter::testing {
namespace {

using TextExtractionTest = ContentTest;

TEST_F(TextExtractionTest, PlainTextMessageYieldsSubjectThenBody) {
  const MessageFacts facts =
      facts_of(crlf("From: alice@firm.example\n"
                    "To: bob@client.example\n"
                    "Subject: Settlement draft\n"
                    "\n"
                    "Please review the settlement draft.\n"
                    "Regards\n"));

  EXPECT_EQ(facts.subject, "Settlement draft");
  ASSERT_EQ(facts.segments.size(), 2u);
  EXPECT_EQ(facts.segments[0].kind, SegmentKind::subject);
  EXPECT_EQ(facts.segments[0].location, "subject");
  EXPECT_EQ(facts.segments[0].text, "Settlement draft");
  EXPECT_EQ(facts.segments[1].kind, SegmentKind::body);
  EXPECT_EQ(facts.segments[1].location, "1 text/plain");
  EXPECT_EQ(facts.segments[1].text, "Please review the settlement draft.\nRegards\n");
  EXPECT_TRUE(attachments_of(facts).empty());
  EXPECT_EQ(facts.encryption, EncryptionState::none);
  EXPECT_EQ(facts.part_count, 1u);
  EXPECT_TRUE(facts.defects.empty()) << facts.defects.front();
}

TEST_F(TextExtractionTest, MessageBytesIsTheSpoolSize) {
  const std::string raw = crlf("Subject: s\n\nbody\n");
  EXPECT_EQ(facts_of(raw).message_bytes, raw.size());
  EXPECT_EQ(facts_of(raw, SpoolMode::file).message_bytes, raw.size());
}

struct EncodedBody {
  const char* name;
  const char* charset;
  const char* transfer_encoding;
  const char* encoded;
  const char* expected_utf8;
};

void PrintTo(const EncodedBody& body, std::ostream* out) { *out << body.name; }

class EncodedBodyTest : public ContentTest, public ::testing::WithParamInterface<EncodedBody> {};

TEST_P(EncodedBodyTest, DecodesTransferEncodingAndCharsetToUtf8) {
  const EncodedBody& body = GetParam();
  const MessageFacts facts = facts_of(crlf(std::string("Subject: encoded\n"
                                                       "MIME-Version: 1.0\n"
                                                       "Content-Type: text/plain; charset=") +
                                           body.charset +
                                           "\n"
                                           "Content-Transfer-Encoding: " +
                                           body.transfer_encoding + "\n\n" + body.encoded + "\n"));
  const TextSegment* segment = find_segment(facts, "1 text/plain");
  ASSERT_NE(segment, nullptr);
  EXPECT_EQ(segment->text.substr(0, std::string(body.expected_utf8).size()), body.expected_utf8);
  EXPECT_TRUE(facts.defects.empty()) << facts.defects.front();
}

INSTANTIATE_TEST_SUITE_P(
    Charsets, EncodedBodyTest,
    ::testing::Values(
        EncodedBody{"Latin1QuotedPrintable", "ISO-8859-1", "quoted-printable",
                    "Gr=FC=DFe aus M=FCnchen, vertraulich", "Grüße aus München, vertraulich"},
        EncodedBody{"Latin1Base64", "\"iso-8859-1\"", "base64",
                    "R3L832UgYXVzIE38bmNoZW4sIHZlcnRyYXVsaWNo", "Grüße aus München, vertraulich"},
        EncodedBody{"Windows1252QuotedPrintable", "windows-1252", "quoted-printable",
                    "=93Privileged=94 =96 caf=E9 =80 note", "“Privileged” – café € note"},
        EncodedBody{"Windows1252Base64", "windows-1252", "base64",
                    "k1ByaXZpbGVnZWSUIJYgY2Fm6SCAIG5vdGU=", "“Privileged” – café € note"},
        // Mislabelled Windows text: browsers read ISO-8859-1 as windows-1252.
        EncodedBody{"Latin1LabelWindowsBytes", "iso-8859-1", "quoted-printable", "=93Privileged=94",
                    "“Privileged”"},
        EncodedBody{"Koi8rThroughIconv", "koi8-r", "quoted-printable", "=F0=D2=C9=D7=C5=D4",
                    "Привет"}),
    [](const ::testing::TestParamInfo<EncodedBody>& info) { return info.param.name; });

TEST_F(TextExtractionTest, UnknownCharsetFallsBackAndIsNotedAsDefect) {
  const MessageFacts facts =
      facts_of(crlf("Subject: x\n"
                    "Content-Type: text/plain; charset=x-no-such-charset\n"
                    "Content-Transfer-Encoding: quoted-printable\n"
                    "\n"
                    "caf=E9 and caf=C3=A9\n"));
  const TextSegment* segment = find_segment(facts, "1 text/plain");
  ASSERT_NE(segment, nullptr);
  // Not valid UTF-8, so read as windows-1252: every byte survives.
  EXPECT_EQ(segment->text, "café and cafÃ©\n");
  EXPECT_TRUE(has_defect_containing(facts, "part 1: unknown charset"));
}

TEST_F(TextExtractionTest, UnlabelledEightBitTextIsValidUtf8) {
  const MessageFacts facts = facts_of(crlf("Subject: x\n\nUTF-8 Müller, then Latin-1 M\xFCller\n"));
  const TextSegment* segment = find_segment(facts, "1 text/plain");
  ASSERT_NE(segment, nullptr);
  EXPECT_EQ(segment->text, "UTF-8 MÃ¼ller, then Latin-1 Müller\n");
}

TEST_F(TextExtractionTest, Rfc2047SubjectIsDecodedToUtf8) {
  const MessageFacts facts =
      facts_of(crlf("Subject: =?ISO-8859-1?Q?Vertrauliche_Anfrage_=FCber_M=FCller?=\n"
                    " =?UTF-8?B?4oCTIGF0dG9ybmV5?= notes\n"
                    "\n"
                    "body\n"));
  EXPECT_EQ(facts.subject, "Vertrauliche Anfrage über Müller– attorney notes");
  ASSERT_FALSE(facts.segments.empty());
  EXPECT_EQ(facts.segments[0].kind, SegmentKind::subject);
  EXPECT_EQ(facts.segments[0].text, facts.subject);
}

TEST_F(TextExtractionTest, HtmlIsReducedToVisibleText) {
  const MessageFacts facts = facts_of(crlf(
      "Subject: html\n"
      "MIME-Version: 1.0\n"
      "Content-Type: text/html; charset=utf-8\n"
      "\n"
      "<html><head><title>Head title</title><style>.x { color: red }</style>\n"
      "<script>var leaked = 'script text';</script></head>\n"
      "<body><p>Attorney&ndash;client &amp; privi&#8203;leged&nbsp;memo</p>"
      "<div>Second<br>line</div>\n"
      "<img src=\"cid:logo\" alt=\"Alt text here\"><a href=\"#\" title=\"Link title\">link</a>\n"
      "<table><tr><td>cell1</td><td>cell2</td></tr></table>"
      "<p>caf&eacute; &lt;tag&gt; &#x20AC;</p></body></html>\n"));
  const TextSegment* segment = find_segment(facts, "1 text/html");
  ASSERT_NE(segment, nullptr);
  const std::string& text = segment->text;
  EXPECT_NE(text.find("Attorney–client & privileged memo\nSecond\nline"), std::string::npos)
      << text;
  EXPECT_NE(text.find("Alt text here"), std::string::npos) << text;
  EXPECT_NE(text.find("Link title link"), std::string::npos) << text;
  EXPECT_NE(text.find("cell1 cell2"), std::string::npos) << text;
  EXPECT_NE(text.find("café <tag> €"), std::string::npos) << text;
  EXPECT_EQ(text.find("color"), std::string::npos) << text;
  EXPECT_EQ(text.find("script text"), std::string::npos) << text;
  EXPECT_EQ(text.find("Head title"), std::string::npos) << text;
  EXPECT_EQ(text.find('<'), text.find("<tag>")) << "markup left in: " << text;
}

TEST_F(TextExtractionTest, HtmlInLatin1IsConvertedBeforeParsing) {
  const MessageFacts facts = facts_of(crlf(
      "Subject: html\n"
      "Content-Type: text/html; charset=iso-8859-1\n"
      "Content-Transfer-Encoding: quoted-printable\n"
      "\n"
      "<html><head><meta charset=3D\"utf-8\"></head><body>M=FCller &uuml;ber</body></html>\n"));
  const TextSegment* segment = find_segment(facts, "1 text/html");
  ASSERT_NE(segment, nullptr);
  EXPECT_EQ(segment->text, "Müller über");
}

TEST_F(TextExtractionTest, AlternativeIsCountedOnceAndPrefersPlainText) {
  const MessageFacts facts =
      facts_of(crlf("Subject: alt\n"
                    "MIME-Version: 1.0\n"
                    "Content-Type: multipart/alternative; boundary=\"alt\"\n"
                    "\n"
                    "--alt\n"
                    "Content-Type: text/plain; charset=us-ascii\n"
                    "\n"
                    "Please keep this confidential.\n"
                    "--alt\n"
                    "Content-Type: text/html; charset=us-ascii\n"
                    "\n"
                    "<p>Please keep this <b>confidential</b>.</p>\n"
                    "--alt--\n"));
  EXPECT_EQ(count_occurrences(all_text(facts), "confidential"), 1u);
  EXPECT_NE(find_segment(facts, "1 text/plain"), nullptr);
  EXPECT_EQ(find_segment(facts, "2 text/html"), nullptr);
  EXPECT_EQ(facts.part_count, 3u);
}

TEST_F(TextExtractionTest, AlternativeWithoutPlainTextUsesHtmlAndKeepsRelatedAttachments) {
  const MessageFacts facts =
      facts_of(crlf("Subject: alt\n"
                    "MIME-Version: 1.0\n"
                    "Content-Type: multipart/alternative; boundary=\"alt\"\n"
                    "\n"
                    "--alt\n"
                    "Content-Type: multipart/related; boundary=\"rel\"\n"
                    "\n"
                    "--rel\n"
                    "Content-Type: text/html\n"
                    "\n"
                    "<p>Privileged draft</p>\n"
                    "--rel\n"
                    "Content-Type: image/png; name=\"logo.png\"\n"
                    "Content-Transfer-Encoding: base64\n"
                    "\n"
                    "iVBORw0K\n"
                    "--rel--\n"
                    "--alt\n"
                    "Content-Type: text/html\n"
                    "\n"
                    "<p>Privileged draft</p>\n"
                    "--alt--\n"));
  EXPECT_EQ(count_occurrences(all_text(facts), "Privileged draft"), 1u);
  EXPECT_NE(find_segment(facts, "2 text/html"), nullptr);
  ASSERT_EQ(attachments_of(facts).size(), 1u);
  EXPECT_EQ(attachments_of(facts)[0].path, "1.2");
  EXPECT_EQ(attachments_of(facts)[0].filename, "logo.png");
  EXPECT_EQ(attachments_of(facts)[0].size, 6u);
}

TEST_F(TextExtractionTest, AttachmentsGetDecodedNamesTypesAndSizes) {
  const MessageFacts facts = facts_of(
      crlf("Subject: files\n"
           "MIME-Version: 1.0\n"
           "Content-Type: multipart/mixed; boundary=\"mix\"\n"
           "\n"
           "--mix\n"
           "Content-Type: text/plain\n"
           "\n"
           "See attached.\n"
           "--mix\n"
           "Content-Type: Application/PDF; name=\"fallback.pdf\"\n"
           "Content-Disposition: attachment; filename*=iso-8859-1''Vertr%E4ge%20M%FCller.pdf\n"
           "Content-Transfer-Encoding: base64\n"
           "\n"
           "JVBERi0xLjQKJeLj\n"
           "--mix\n"
           "Content-Type: text/plain; charset=utf-8\n"
           "Content-Disposition: attachment;\n"
           " filename*0*=UTF-8''%C3%9Cbersicht;\n"
           " filename*1*=%20Mandant.txt\n"
           "Content-Transfer-Encoding: base64\n"
           "\n"
           "SW5oYWx0IGRlciBOb3Rpejogc3RyZW5nIHZlcnRyYXVsaWNo\n"
           "--mix\n"
           "Content-Type: application/octet-stream; name=\"=?UTF-8?B?UsOpc3Vtw6k=?=.docx\"\n"
           "\n"
           "raw\n"
           "--mix--\n"));

  ASSERT_EQ(attachments_of(facts).size(), 3u);
  EXPECT_EQ(attachments_of(facts)[0].path, "2");
  EXPECT_EQ(attachments_of(facts)[0].filename, "Verträge Müller.pdf");
  EXPECT_EQ(attachments_of(facts)[0].content_type, "application/pdf");
  EXPECT_EQ(attachments_of(facts)[0].size, 12u);

  EXPECT_EQ(attachments_of(facts)[1].path, "3");
  EXPECT_EQ(attachments_of(facts)[1].filename, "Übersicht Mandant.txt");
  EXPECT_EQ(attachments_of(facts)[1].content_type, "text/plain");
  EXPECT_EQ(attachments_of(facts)[1].size, 36u);

  EXPECT_EQ(attachments_of(facts)[2].path, "4");
  EXPECT_EQ(attachments_of(facts)[2].filename, "Résumé.docx");

  const TextSegment* notes = find_segment(facts, "3 attachment[Übersicht Mandant.txt]");
  ASSERT_NE(notes, nullptr);
  EXPECT_EQ(notes->kind, SegmentKind::attachment);
  EXPECT_EQ(notes->text, "Inhalt der Notiz: streng vertraulich");
  EXPECT_NE(find_segment(facts, "1 text/plain"), nullptr);
  EXPECT_EQ(facts.part_count, 5u);
}

TEST_F(TextExtractionTest, NestedMessageTextIsBodyTextOfTheOuterMessage) {
  const MessageFacts facts =
      facts_of(crlf("Subject: Fwd: advice\n"
                    "MIME-Version: 1.0\n"
                    "Content-Type: multipart/mixed; boundary=\"outer\"\n"
                    "\n"
                    "--outer\n"
                    "Content-Type: text/plain\n"
                    "\n"
                    "Forwarding the advice below.\n"
                    "--outer\n"
                    "Content-Type: message/rfc822\n"
                    "Content-Disposition: attachment; filename=\"advice.eml\"\n"
                    "\n"
                    "Subject: Inner privileged subject\n"
                    "MIME-Version: 1.0\n"
                    "Content-Type: multipart/mixed; boundary=\"inner\"\n"
                    "\n"
                    "--inner\n"
                    "Content-Type: text/plain\n"
                    "\n"
                    "Inner body text.\n"
                    "--inner\n"
                    "Content-Type: text/plain; name=\"notes.txt\"\n"
                    "Content-Disposition: attachment; filename=\"notes.txt\"\n"
                    "\n"
                    "Inner notes.\n"
                    "--inner--\n"
                    "--outer\n"
                    "Content-Type: message/rfc822\n"
                    "\n"
                    "Subject: Single part inner\n"
                    "\n"
                    "Single inner body.\n"
                    "--outer--\n"));

  const std::vector<std::string> expected = {
      "subject",   "1 text/plain",  "2/message", "2.1 text/plain", "2.2 attachment[notes.txt]",
      "3/message", "3.1 text/plain"};
  EXPECT_EQ(locations(facts), expected);
  const TextSegment* inner_subject = find_segment(facts, "2/message");
  ASSERT_NE(inner_subject, nullptr);
  EXPECT_EQ(inner_subject->kind, SegmentKind::body);
  EXPECT_EQ(inner_subject->text, "Inner privileged subject");
  // The line break before a boundary belongs to the boundary.
  EXPECT_EQ(find_segment(facts, "2.1 text/plain")->text, "Inner body text.");
  EXPECT_EQ(facts.subject, "Fwd: advice");

  ASSERT_EQ(attachments_of(facts).size(), 2u);
  EXPECT_EQ(attachments_of(facts)[0].path, "2");
  EXPECT_EQ(attachments_of(facts)[0].filename, "advice.eml");
  EXPECT_EQ(attachments_of(facts)[0].content_type, "message/rfc822");
  EXPECT_GT(attachments_of(facts)[0].size, 100u);
  EXPECT_EQ(attachments_of(facts)[1].path, "2.2");
  // root, 1, 2, 2's multipart, 2.1, 2.2, 3, 3.1
  EXPECT_EQ(facts.part_count, 8u);
}

TEST_F(TextExtractionTest, CrlfAndLfInputAndBothSpoolKindsGiveTheSameFacts) {
  const std::string lf =
      "Subject: =?UTF-8?Q?Pr=C3=BCfung?=\n"
      "MIME-Version: 1.0\n"
      "Content-Type: multipart/mixed; boundary=\"b\"\n"
      "\n"
      "--b\n"
      "Content-Type: text/plain; charset=utf-8\n"
      "Content-Transfer-Encoding: quoted-printable\n"
      "\n"
      "line one=\n"
      " continues\n"
      "line two\n"
      "--b\n"
      "Content-Type: text/html\n"
      "\n"
      "<p>para</p><p>graph</p>\n"
      "--b\n"
      "Content-Type: application/zip; name=\"a.zip\"\n"
      "Content-Transfer-Encoding: base64\n"
      "\n"
      "UEsDBA==\n"
      "--b--\n";
  const MessageFacts reference = facts_of(lf);
  ASSERT_EQ(reference.segments.size(), 3u);
  EXPECT_EQ(reference.segments[1].text, "line one continues\nline two");
  EXPECT_EQ(reference.segments[2].text, "para\ngraph");
  ASSERT_EQ(attachments_of(reference).size(), 1u);
  EXPECT_EQ(attachments_of(reference)[0].size, 4u);

  for (const std::string& raw : {lf, crlf(lf)}) {
    for (SpoolMode mode : {SpoolMode::memory, SpoolMode::file}) {
      const MessageFacts facts = facts_of(raw, mode);
      EXPECT_EQ(facts.subject, "Prüfung");
      ASSERT_EQ(facts.segments.size(), reference.segments.size());
      for (std::size_t i = 0; i < facts.segments.size(); ++i) {
        EXPECT_EQ(facts.segments[i].location, reference.segments[i].location);
        EXPECT_EQ(facts.segments[i].text, reference.segments[i].text);
      }
      ASSERT_EQ(attachments_of(facts).size(), 1u);
      EXPECT_EQ(attachments_of(facts)[0].size, 4u);
      EXPECT_EQ(facts.part_count, reference.part_count);
      EXPECT_EQ(facts.message_bytes, raw.size());
    }
  }
}

TEST_F(TextExtractionTest, PreambleTextIsInspected) {
  const MessageFacts facts =
      facts_of(crlf("Subject: p\n"
                    "MIME-Version: 1.0\n"
                    "Content-Type: multipart/mixed; boundary=\"b\"\n"
                    "\n"
                    "Hidden preamble words\n"
                    "--b\n"
                    "Content-Type: text/plain\n"
                    "\n"
                    "visible\n"
                    "--b--\n"
                    "epilogue words\n"));
  const TextSegment* preamble = find_segment(facts, "preamble");
  ASSERT_NE(preamble, nullptr);
  EXPECT_NE(preamble->text.find("Hidden preamble words"), std::string::npos);
  const std::vector<std::string> in_mime_order = {"subject", "preamble", "1 text/plain",
                                                  "epilogue"};
  EXPECT_EQ(locations(facts), in_mime_order);
  const TextSegment* epilogue = find_segment(facts, "epilogue");
  ASSERT_NE(epilogue, nullptr);
  EXPECT_NE(epilogue->text.find("epilogue words"), std::string::npos);
}

}  // namespace
}  // namespace privmilter::testing
