// Whole-message encryption: S/MIME decided by parsing the CMS structure,
// PGP/MIME by its multipart/encrypted layout and OpenPGP payload.

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "unit/content/content_test_support.h"
#include "unit/content/smime_fixtures.h"

namespace privmilter::testing {
namespace {

const std::string kInnerEntity = crlf(
    "Content-Type: text/plain; charset=utf-8\n"
    "\n"
    "Privileged and confidential: settlement terms.\n");

class EncryptionDetectionTest : public ContentTest {
 protected:
  static void SetUpTestSuite() { identity_ = std::make_unique<SmimeIdentity>(); }
  static void TearDownTestSuite() { identity_.reset(); }

  static std::unique_ptr<SmimeIdentity> identity_;
};

std::unique_ptr<SmimeIdentity> EncryptionDetectionTest::identity_;

TEST_F(EncryptionDetectionTest, SmimeEnvelopedDataIsEncrypted) {
  const std::string der = identity_->enveloped_der(kInnerEntity, EVP_aes_256_cbc());
  const MessageFacts facts = facts_of(pkcs7_mime_message("enveloped-data", der));

  EXPECT_EQ(facts.encryption, EncryptionState::smime_enveloped);
  EXPECT_TRUE(facts.encrypted());
  EXPECT_EQ(all_text(facts).find("settlement"), std::string::npos);
  ASSERT_EQ(attachments_of(facts).size(), 1u);
  EXPECT_EQ(attachments_of(facts)[0].filename, "smime.p7m");
  EXPECT_EQ(attachments_of(facts)[0].content_type, "application/pkcs7-mime");
  EXPECT_EQ(attachments_of(facts)[0].size, der.size());
  EXPECT_TRUE(facts.defects.empty()) << facts.defects.front();
}

TEST_F(EncryptionDetectionTest, SmimeAuthEnvelopedDataIsEncrypted) {
  const std::string der = identity_->enveloped_der(kInnerEntity, EVP_aes_256_gcm());
  const MessageFacts facts = facts_of(pkcs7_mime_message("authEnveloped-data", der));
  EXPECT_EQ(facts.encryption, EncryptionState::smime_enveloped);
  EXPECT_TRUE(facts.defects.empty()) << facts.defects.front();
}

TEST_F(EncryptionDetectionTest, EnvelopedContentCountsEvenWhenMislabelled) {
  const std::string der = identity_->enveloped_der(kInnerEntity, EVP_aes_128_cbc());
  const MessageFacts facts = facts_of(pkcs7_mime_message("signed-data", der));
  EXPECT_EQ(facts.encryption, EncryptionState::smime_enveloped);
  EXPECT_TRUE(has_defect_containing(facts, "smime-type does not match"));
}

TEST_F(EncryptionDetectionTest, OpaqueSignedDataIsNotEncryptionAndItsContentIsInspected) {
  const std::string der = identity_->signed_der(kInnerEntity);
  const MessageFacts facts = facts_of(pkcs7_mime_message("signed-data", der));

  EXPECT_EQ(facts.encryption, EncryptionState::none);
  const TextSegment* signed_text = find_segment(facts, "1.1 text/plain");
  ASSERT_NE(signed_text, nullptr) << ::testing::PrintToString(locations(facts));
  EXPECT_EQ(signed_text->text, "Privileged and confidential: settlement terms.\n");
  EXPECT_TRUE(facts.defects.empty()) << facts.defects.front();
}

TEST_F(EncryptionDetectionTest, SignedContentIsBoundedLikeTheMessageItself) {
  std::string flood = "Content-Type: multipart/mixed; boundary=x\r\n\r\n";
  for (int i = 0; i < 50000; ++i) flood += "--x\r\n\r\na\r\n";
  const MessageFacts facts =
      facts_of(pkcs7_mime_message("signed-data", identity_->signed_der(flood)));
  EXPECT_TRUE(has_defect_containing(facts, "part 1: MIME structure limit reached"))
      << ::testing::PrintToString(facts.defects);
  EXPECT_LE(facts.part_count, ContentLimits{}.max_parts);
}

TEST_F(EncryptionDetectionTest, EncryptThenSignIsEncrypted) {
  const std::string enveloped = identity_->enveloped_der(kInnerEntity, EVP_aes_256_cbc());
  const std::string inner_entity =
      "Content-Type: application/pkcs7-mime; smime-type=enveloped-data\r\n"
      "Content-Transfer-Encoding: base64\r\n"
      "\r\n" +
      mime_base64(enveloped);
  const MessageFacts facts =
      facts_of(pkcs7_mime_message("signed-data", identity_->signed_der(inner_entity)));
  EXPECT_EQ(facts.encryption, EncryptionState::smime_enveloped);
}

TEST_F(EncryptionDetectionTest, LyingEnvelopedLabelOnGarbageIsNotEncryption) {
  const MessageFacts facts = facts_of(
      pkcs7_mime_message("enveloped-data", "this is not DER, just text pretending to be secret"));
  EXPECT_EQ(facts.encryption, EncryptionState::none);
  EXPECT_TRUE(has_defect_containing(facts,
                                    "part 1: S/MIME part declared enveloped-data but its "
                                    "content is not CMS"))
      << ::testing::PrintToString(facts.defects);
}

TEST_F(EncryptionDetectionTest, EnvelopedAttachmentBesideCleartextIsNotWholeMessageEncryption) {
  const std::string der = identity_->enveloped_der(kInnerEntity, EVP_aes_256_cbc());
  const MessageFacts facts = facts_of(
      crlf("Subject: see attachment\n"
           "MIME-Version: 1.0\n"
           "Content-Type: multipart/mixed; boundary=\"b\"\n"
           "\n"
           "--b\n"
           "Content-Type: text/plain\n"
           "\n"
           "Cleartext cover note.\n"
           "--b\n"
           "Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=\"doc.p7m\"\n"
           "Content-Transfer-Encoding: base64\n"
           "\n") +
      mime_base64(der) + "--b--\r\n");
  EXPECT_EQ(facts.encryption, EncryptionState::none);
  ASSERT_EQ(attachments_of(facts).size(), 1u);
  EXPECT_EQ(attachments_of(facts)[0].filename, "doc.p7m");
  // The attachment itself is protected, even though the message is not.
  EXPECT_TRUE(attachments_of(facts)[0].has(PartFlag::encrypted));
  EXPECT_NE(find_segment(facts, "1 text/plain"), nullptr);
}

const char kPgpMessage[] =
    "-----BEGIN PGP MESSAGE-----\n"
    "\n"
    "hQEMA8L8Mq5gNx+oAQf/Xj0kPbN3p7wQx0mMxn4mJ1u3VQ2c7m1Y9gR0X0GJ0ZfK\n"
    "=Ab3d\n"
    "-----END PGP MESSAGE-----\n";

TEST_F(EncryptionDetectionTest, PgpMimeEncryptedIsDetected) {
  const MessageFacts facts = facts_of(crlf(
      std::string("Subject: pgp\n"
                  "MIME-Version: 1.0\n"
                  "Content-Type: multipart/encrypted; protocol=\"Application/PGP-Encrypted\";\n"
                  " boundary=\"enc\"\n"
                  "\n"
                  "--enc\n"
                  "Content-Type: application/pgp-encrypted\n"
                  "\n"
                  "Version: 1\n"
                  "--enc\n"
                  "Content-Type: application/octet-stream; name=\"encrypted.asc\"\n"
                  "\n") +
      kPgpMessage + "--enc--\n"));
  EXPECT_EQ(facts.encryption, EncryptionState::pgp_mime_encrypted);
  EXPECT_TRUE(facts.defects.empty()) << facts.defects.front();
}

TEST_F(EncryptionDetectionTest, PgpMimeLayoutWithoutOpenPgpPayloadIsNotEncryption) {
  const MessageFacts facts =
      facts_of(crlf("Subject: fake\n"
                    "MIME-Version: 1.0\n"
                    "Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; "
                    "boundary=\"enc\"\n"
                    "\n"
                    "--enc\n"
                    "Content-Type: application/pgp-encrypted\n"
                    "\n"
                    "Version: 1\n"
                    "--enc\n"
                    "Content-Type: application/octet-stream\n"
                    "\n"
                    "Plain words, not encrypted at all.\n"
                    "--enc--\n"));
  EXPECT_EQ(facts.encryption, EncryptionState::none);
  EXPECT_TRUE(has_defect_containing(facts, "without an OpenPGP encrypted message"));
}

TEST_F(EncryptionDetectionTest, MultipartSignedIsNotEncryptionAndItsTextIsExtracted) {
  const MessageFacts facts =
      facts_of(crlf("Subject: signed\n"
                    "MIME-Version: 1.0\n"
                    "Content-Type: multipart/signed; micalg=pgp-sha256;\n"
                    " protocol=\"application/pgp-signature\"; boundary=\"sig\"\n"
                    "\n"
                    "--sig\n"
                    "Content-Type: text/plain; charset=utf-8\n"
                    "\n"
                    "Signed privileged advice.\n"
                    "--sig\n"
                    "Content-Type: application/pgp-signature; name=\"signature.asc\"\n"
                    "\n"
                    "-----BEGIN PGP SIGNATURE-----\n"
                    "iQEzBAEBCAAdFiEE\n"
                    "-----END PGP SIGNATURE-----\n"
                    "--sig--\n"));
  EXPECT_EQ(facts.encryption, EncryptionState::none);
  const TextSegment* text = find_segment(facts, "1 text/plain");
  ASSERT_NE(text, nullptr);
  EXPECT_EQ(text->text, "Signed privileged advice.");
}

}  // namespace
}  // namespace privmilter::testing
