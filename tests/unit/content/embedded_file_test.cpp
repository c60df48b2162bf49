// Attachments identified by their content, and messages attached as files.

#include "unit/content/attachment_message.h"
#include "unit/content/content_test_support.h"

namespace privmilter::testing {
namespace {

std::string with_attachment(const std::string& filename, const std::string& declared_type, std::string_view bytes) {
  return attachment_message(filename, declared_type, bytes);
}

const PartFact* find_part(const MessageFacts& facts, std::string_view path) {
  for (const PartFact& part : facts.parts) {
    if (part.path == path) return &part;
  }
  return nullptr;
}

class EmbeddedFileTest : public ContentTest {};

TEST_F(EmbeddedFileTest, AnExecutableNamedPdfIsRecognised) {
  std::string executable = "MZ\x90";
  executable += std::string(200, '\0');
  auto facts = facts_of(with_attachment("invoice.pdf", "application/pdf", executable));
  const PartFact* part = find_part(facts, "2");
  ASSERT_NE(part, nullptr);
  EXPECT_EQ(part->content_type, "application/pdf");
  EXPECT_EQ(part->detected_type, "application/x-msdownload");
  EXPECT_TRUE(part->has(PartFlag::attachment));
  EXPECT_FALSE(part->has(PartFlag::uninspectable));
}

TEST_F(EmbeddedFileTest, UnrecognisedBinaryIsUninspectable) {
  auto facts = facts_of(with_attachment("data.bin", "application/octet-stream", std::string("\x01\x02\x03\x04\xfe", 5)));
  const PartFact* part = find_part(facts, "2");
  ASSERT_NE(part, nullptr);
  EXPECT_TRUE(part->has(PartFlag::uninspectable));
  EXPECT_EQ(part->uninspectable_reason, "unrecognised content");
}

TEST_F(EmbeddedFileTest, OversizedAttachmentHitsThePartLimit) {
  ContentLimits limits;
  limits.max_part_bytes = 4096;
  auto binary = facts_of(with_attachment("big.bin", "application/octet-stream", std::string(10000, '\x01')),
                         SpoolMode::memory, limits);
  const PartFact* part = find_part(binary, "2");
  ASSERT_NE(part, nullptr);
  EXPECT_EQ(part->uninspectable_reason, "limit:max_part_bytes");
}

TEST_F(EmbeddedFileTest, AttachedEmlIsWalkedAsAMessage) {
  const std::string inner =
      "From: carol@examplelaw.com\nTo: dave@examplelaw.com\nSubject: Old advice\nMIME-Version: 1.0\n"
      "Content-Type: multipart/mixed; boundary=\"in\"\n\n--in\nContent-Type: text/plain\n\n"
      "Privileged and confidential: our advice on the merger.\n--in\nContent-Type: text/plain; name=\"notes.txt\"\n"
      "Content-Disposition: attachment; filename=\"notes.txt\"\n\nnegotiation notes\n--in--\n";
  auto facts = facts_of(with_attachment("old advice.eml", "application/octet-stream", inner));
  const PartFact* part = find_part(facts, "2");
  ASSERT_NE(part, nullptr);
  EXPECT_EQ(part->detected_type, "message/rfc822");
  EXPECT_FALSE(part->has(PartFlag::uninspectable)) << part->uninspectable_reason;
  const TextSegment* subject = find_segment(facts, "2/subject");
  ASSERT_NE(subject, nullptr) << ::testing::PrintToString(locations(facts));
  EXPECT_EQ(subject->kind, SegmentKind::attachment);
  EXPECT_EQ(subject->text, "Old advice");
  const TextSegment* body = find_segment(facts, "2/1 text/plain");
  ASSERT_NE(body, nullptr) << ::testing::PrintToString(locations(facts));
  EXPECT_EQ(body->kind, SegmentKind::attachment);
  EXPECT_NE(body->text.find("our advice on the merger"), std::string::npos);
  const TextSegment* notes = find_segment(facts, "2/2 attachment[notes.txt]");
  ASSERT_NE(notes, nullptr) << ::testing::PrintToString(locations(facts));
  // The outer message stays unencrypted and its own body is still body text.
  EXPECT_EQ(facts.encryption, EncryptionState::none);
  const TextSegment* outer = find_segment(facts, "1 text/plain");
  ASSERT_NE(outer, nullptr);
  EXPECT_EQ(outer->kind, SegmentKind::body);
}

TEST_F(EmbeddedFileTest, DetachedPgpSignatureIsSignedNotUninspectable) {
  auto facts = facts_of(with_attachment("signature.asc", "application/octet-stream",
                                        "-----BEGIN PGP SIGNATURE-----\n\niQEzBAEBCAAdFiEE\n-----END PGP SIGNATURE-----\n"));
  const PartFact* part = find_part(facts, "2");
  ASSERT_NE(part, nullptr);
  EXPECT_TRUE(part->has(PartFlag::signed_data));
  EXPECT_FALSE(part->has(PartFlag::uninspectable));
}

TEST_F(EmbeddedFileTest, BinaryOpenPgpFileIsFlaggedEncrypted) {
  // An old-format public-key encrypted session key packet (tag 1), then noise.
  const std::string gpg = std::string("\x85\x01\x0c\x03", 4) + std::string(64, '\x5a');
  auto facts = facts_of(with_attachment("brief.docx.gpg", "application/octet-stream", gpg));
  const PartFact* part = find_part(facts, "2");
  ASSERT_NE(part, nullptr);
  EXPECT_EQ(part->detected_type, "application/pgp-encrypted");
  EXPECT_TRUE(part->has(PartFlag::encrypted));
  // The same bytes under another name are not taken for OpenPGP.
  auto other = facts_of(with_attachment("data.bin", "application/octet-stream", gpg));
  EXPECT_FALSE(find_part(other, "2")->has(PartFlag::encrypted));
}

TEST_F(EmbeddedFileTest, HtmlFileIsReducedToItsVisibleText) {
  auto facts = facts_of(with_attachment("memo.html", "application/octet-stream",
                                        "<html><head><style>p{}</style></head><body><p>Privileged &amp; "
                                        "confidential</p><script>var x;</script></body></html>"));
  const TextSegment* text = find_segment(facts, "2");
  ASSERT_NE(text, nullptr) << ::testing::PrintToString(locations(facts));
  EXPECT_NE(text->text.find("Privileged & confidential"), std::string::npos) << text->text;
  EXPECT_EQ(text->text.find("<p>"), std::string::npos);
  EXPECT_EQ(text->text.find("var x"), std::string::npos);
}

TEST_F(EmbeddedFileTest, PgpEncryptedAttachmentIsFlagged) {
  auto facts = facts_of(with_attachment("memo.asc", "application/octet-stream",
                                        "-----BEGIN PGP MESSAGE-----\n\nhQEMA+abc\n-----END PGP MESSAGE-----\n"));
  const PartFact* part = find_part(facts, "2");
  ASSERT_NE(part, nullptr);
  EXPECT_TRUE(part->has(PartFlag::encrypted));
}

}  // namespace
}  // namespace privmilter::testing

namespace privmilter::testing {
namespace {

constexpr const char* kArmored =
    "-----BEGIN PGP MESSAGE-----\n\nhQEMAzg0dW1ZbmF0AQf/Y2lwaGVydGV4dA==\n=abcd\n-----END PGP MESSAGE-----\n";

class ProtectionTest : public ContentTest {};

TEST_F(ProtectionTest, InlinePgpMessageIsEncryptedAndItsCiphertextIsNotText) {
  auto facts = facts_of(std::string("From: alice@examplelaw.com\nSubject: memo\n\n") + kArmored);
  EXPECT_EQ(facts.encryption, EncryptionState::pgp_inline);
  EXPECT_TRUE(facts.all_content_protected);
  EXPECT_EQ(find_segment(facts, "1 text/plain"), nullptr);
}

TEST_F(ProtectionTest, PgpQuotedInsideClearTextIsNotEncryption) {
  auto facts = facts_of(std::string("Subject: fwd\n\nSee the key material below.\n") + kArmored);
  EXPECT_EQ(facts.encryption, EncryptionState::none);
  EXPECT_FALSE(facts.all_content_protected);
}

TEST_F(ProtectionTest, EncryptedAttachmentWithoutClearTextIsFullyProtected) {
  auto facts = facts_of(
      "Subject: docs\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b\"\n\n--b\n"
      "Content-Type: text/plain\n\n\n--b\nContent-Type: application/octet-stream; name=\"memo.asc\"\n"
      "Content-Disposition: attachment; filename=\"memo.asc\"\n\n" + std::string(kArmored) + "--b--\n");
  EXPECT_EQ(facts.encryption, EncryptionState::none);
  EXPECT_TRUE(facts.all_content_protected);
}

TEST_F(ProtectionTest, ClearCoverNoteBesideAnEncryptedAttachmentIsNotFullyProtected) {
  auto facts = facts_of(
      "Subject: docs\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b\"\n\n--b\n"
      "Content-Type: text/plain\n\nThe settlement figure is in the attachment.\n--b\n"
      "Content-Type: application/octet-stream; name=\"memo.asc\"\n"
      "Content-Disposition: attachment; filename=\"memo.asc\"\n\n" + std::string(kArmored) + "--b--\n");
  EXPECT_FALSE(facts.all_content_protected);
}

TEST_F(ProtectionTest, ClearMessageIsNotProtected) {
  auto facts = facts_of("Subject: hi\n\nhello\n");
  EXPECT_FALSE(facts.all_content_protected);
}

}  // namespace
}  // namespace privmilter::testing

namespace privmilter::testing {
namespace {

class TextBudgetTest : public ContentTest {};

TEST_F(TextBudgetTest, InlineTextCountsAgainstTheTextLimit) {
  ContentLimits limits;
  limits.max_text_bytes = 2048;
  auto facts = facts_of("Subject: long\n\n" + std::string(10000, 'a') + "\n", SpoolMode::memory, limits);
  EXPECT_EQ(find_segment(facts, "1 text/plain"), nullptr);
  EXPECT_TRUE(has_limit_fact(facts, "limit:max_text_bytes"));
}

class CalendarTest : public ContentTest {};

TEST_F(CalendarTest, InviteTextIsInspected) {
  auto facts = facts_of(
      "Subject: Meeting\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=\"b\"\n\n--b\n"
      "Content-Type: text/calendar; method=REQUEST; charset=utf-8\n\nBEGIN:VCALENDAR\nBEGIN:VEVENT\n"
      "SUMMARY:Privileged & confidential: settlement strategy\nDESCRIPTION:Dial-in for Acme v. Widget\n"
      "END:VEVENT\nEND:VCALENDAR\n--b--\n");
  EXPECT_NE(all_text(facts).find("settlement strategy"), std::string::npos);
  EXPECT_NE(all_text(facts).find("Acme v. Widget"), std::string::npos);
}

TEST_F(CalendarTest, AttachedInviteIsInspected) {
  auto facts = facts_of(
      "Subject: Meeting\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b\"\n\n--b\n"
      "Content-Type: text/plain\n\nSee invite.\n--b\nContent-Type: application/octet-stream; name=\"invite.ics\"\n"
      "Content-Disposition: attachment; filename=\"invite.ics\"\n\nBEGIN:VCALENDAR\nSUMMARY:Board call on the "
      "merger\nEND:VCALENDAR\n--b--\n");
  const TextSegment* invite = find_segment(facts, "2");
  ASSERT_NE(invite, nullptr) << ::testing::PrintToString(locations(facts));
  EXPECT_EQ(invite->kind, SegmentKind::attachment);
  EXPECT_NE(invite->text.find("Board call on the merger"), std::string::npos);
}

}  // namespace
}  // namespace privmilter::testing
