// S/MIME encryption of a message: the MIME entity becomes CMS
// EnvelopedData (AES-256-CBC) that every recipient's key, and the escrow
// key, decrypts back to the original entity; the header edits make the
// rest of the message an application/pkcs7-mime message.

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>

#include "enforce/smime_certificate.h"
#include "enforce/smime_entity.h"
#include "privmilter/smime.h"
#include "unit/enforce/smime_test_identities.h"
#include "unit/temp_dir.h"

namespace privmilter {
namespace {

using testing::Identity;
using testing::IdentitySpec;
using testing::TempDir;
using testing::write_text;

// aes-256-cbc and aes-256-gcm (NIST object identifiers).
constexpr const char* kAes256Cbc = "2.16.840.1.101.3.4.1.42";
constexpr const char* kAes256Gcm = "2.16.840.1.101.3.4.1.46";

const std::string kMessage =
    "Received: from laptop (10.0.0.5)\r\n"
    "From: Alice <alice@examplelaw.com>\r\n"
    "To: bob@client.example, carol@other.example\r\n"
    "Subject: Settlement draft\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed;\r\n"
    "\tboundary=\"b1\"\r\n"
    "content-language: en\r\n"
    "X-Mailer: Test\r\n"
    "Content-Description: draft\r\n"
    "\r\n"
    "--b1\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "Privileged and confidential: the settlement figure.\r\n"
    "--b1--\r\n";

const std::string kEntity =
    "Content-Type: multipart/mixed;\r\n"
    "\tboundary=\"b1\"\r\n"
    "content-language: en\r\n"
    "Content-Description: draft\r\n"
    "\r\n"
    "--b1\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "Privileged and confidential: the settlement figure.\r\n"
    "--b1--\r\n";

// Key generation is the slow part: one set of identities for every test.
struct Identities {
  Identity rsa{IdentitySpec().emails({"bob@client.example"}).key_usage("keyEncipherment")};
  Identity ec{IdentitySpec().ec().emails({"carol@other.example"}).key_usage("keyAgreement")};
  Identity escrow{IdentitySpec().common_name("Example Law escrow")};
  Identity stranger{IdentitySpec().emails({"eve@elsewhere.example"})};
};
const Identities& identities() {
  static const Identities made;
  return made;
}

std::shared_ptr<const Certificate> certificate_of(const Identity& identity) {
  X509_up_ref(identity.cert());
  return std::make_shared<const Certificate>(openssl::X509Handle(identity.cert()), "test.pem");
}

std::vector<std::shared_ptr<const Certificate>> all_three() {
  return {certificate_of(identities().rsa), certificate_of(identities().ec), certificate_of(identities().escrow)};
}

TEST(SmimeEncrypt, EveryRecipientAndTheEscrowDecryptTheOriginalEntity) {
  auto encrypted = encrypt_message(kMessage, all_three());
  ASSERT_TRUE(encrypted) << encrypted.error().message;
  for (const Identity* identity : {&identities().rsa, &identities().ec, &identities().escrow}) {
    const auto decrypted = testing::decrypt_body(encrypted->body, *identity);
    ASSERT_TRUE(decrypted);
    EXPECT_EQ(*decrypted, kEntity);
  }
  EXPECT_FALSE(testing::decrypt_body(encrypted->body, identities().stranger));
}

TEST(SmimeEncrypt, IsEnvelopedDataWithAes256CbcInBase64LinesOf76) {
  auto encrypted = encrypt_message(kMessage, {certificate_of(identities().rsa)});
  ASSERT_TRUE(encrypted) << encrypted.error().message;
  EXPECT_EQ(testing::cms_content_type(encrypted->body), "pkcs7-envelopedData");
  const std::string der = testing::base64_decode(encrypted->body);
  EXPECT_TRUE(testing::der_contains_oid(der, kAes256Cbc));
  EXPECT_FALSE(testing::der_contains_oid(der, kAes256Gcm));
  // The settlement text must not survive anywhere in the clear.
  EXPECT_EQ(encrypted->body.find("settlement"), std::string::npos);
  EXPECT_EQ(der.find("settlement"), std::string::npos);

  const std::string& body = encrypted->body;
  ASSERT_GE(body.size(), 2u);
  EXPECT_EQ(body.substr(body.size() - 2), "\r\n");
  std::size_t start = 0;
  std::size_t lines = 0;
  while (start < body.size()) {
    const std::size_t end = body.find("\r\n", start);
    ASSERT_NE(end, std::string::npos);
    EXPECT_LE(end - start, 76u);
    EXPECT_EQ(body.substr(start, end - start).find_first_not_of(
                  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="),
              std::string::npos);
    start = end + 2;
    ++lines;
  }
  EXPECT_GT(lines, 1u);
  EXPECT_EQ(body.find('\n'), body.find("\r\n") + 1);
}

TEST(SmimeEncrypt, ReplacesTheContentFieldsAndKeepsTheOthers) {
  auto encrypted = encrypt_message(kMessage, {certificate_of(identities().rsa)});
  ASSERT_TRUE(encrypted) << encrypted.error().message;
  const std::vector<HeaderChange> expected = {
      {"Content-Description", 1, std::nullopt},
      {"content-language", 1, std::nullopt},
      {"Content-Type", 1, "application/pkcs7-mime; smime-type=enveloped-data; name=\"smime.p7m\""},
  };
  EXPECT_EQ(encrypted->change_headers, expected);
  const std::vector<HeaderField> added = {{"Content-Transfer-Encoding", "base64"},
                                          {"Content-Disposition", "attachment; filename=\"smime.p7m\""}};
  EXPECT_EQ(encrypted->add_headers, added);  // MIME-Version was there already
}

TEST(SmimeEncrypt, RepeatedFieldsAreChangedFromTheLastOccurrence) {
  const std::string message =
      "Subject: x\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: 8bit\r\nCONTENT-TYPE: text/html\r\n"
      "Content-Disposition: inline\r\n\r\nhello\r\n";
  auto encrypted = encrypt_message(message, {certificate_of(identities().rsa)});
  ASSERT_TRUE(encrypted) << encrypted.error().message;
  const std::vector<HeaderChange> expected = {
      {"Content-Disposition", 1, "attachment; filename=\"smime.p7m\""},
      {"Content-Transfer-Encoding", 1, "base64"},
      {"Content-Type", 2, std::nullopt},
      {"Content-Type", 1, "application/pkcs7-mime; smime-type=enveloped-data; name=\"smime.p7m\""},
  };
  EXPECT_EQ(encrypted->change_headers, expected);
  EXPECT_EQ(encrypted->add_headers, (std::vector<HeaderField>{{"MIME-Version", "1.0"}}));
  EXPECT_EQ(testing::decrypt_body(encrypted->body, identities().rsa),
            "Content-Type: text/plain\r\nContent-Transfer-Encoding: 8bit\r\nCONTENT-TYPE: text/html\r\n"
            "Content-Disposition: inline\r\n\r\nhello\r\n");
}

TEST(SmimeEncrypt, AMessageWithBareLineFeedsAndNoContentFieldsBecomesCanonical) {
  const std::string message = "From: a@examplelaw.com\nSubject: folded\n  subject\n\nline one\nline two\n";
  auto encrypted = encrypt_message(message, {certificate_of(identities().ec)});
  ASSERT_TRUE(encrypted) << encrypted.error().message;
  EXPECT_TRUE(encrypted->change_headers.empty());
  const std::vector<HeaderField> added = {
      {"Content-Type", "application/pkcs7-mime; smime-type=enveloped-data; name=\"smime.p7m\""},
      {"Content-Transfer-Encoding", "base64"},
      {"Content-Disposition", "attachment; filename=\"smime.p7m\""},
      {"MIME-Version", "1.0"}};
  EXPECT_EQ(encrypted->add_headers, added);
  EXPECT_EQ(testing::decrypt_body(encrypted->body, identities().ec), "\r\nline one\r\nline two\r\n");
}

TEST(SmimeEncrypt, NeedsAtLeastOneCertificate) {
  EXPECT_FALSE(encrypt_message(kMessage, {}));
  EXPECT_FALSE(encrypt_message(kMessage, {nullptr}));
}

TEST(SmimeEntity, SplitsFieldsWithFoldingAndCountsOccurrences) {
  const std::string message = "A: 1\r\nB: 2\n\tmore\r\na: 3\r\nnot a field\r\n\r\nbody\r\n\r\nrest";
  const SplitMessage split = split_message(message);
  ASSERT_EQ(split.fields.size(), 4u);
  EXPECT_EQ(split.fields[1].text, "B: 2\n\tmore\r\n");
  EXPECT_EQ(split.fields[2].name, "a");
  EXPECT_EQ(split.fields[2].occurrence, 2u);
  EXPECT_EQ(split.fields[3].name, "");
  EXPECT_EQ(split.body, "body\r\n\r\nrest");
  EXPECT_TRUE(split_message("Subject: only headers").body.empty());
  EXPECT_EQ(to_crlf("a\nb\r\nc\n"), "a\r\nb\r\nc\r\n");
}

// What a recipient's mail client does: read the rewritten message as
// S/MIME and decrypt it, here with the openssl command.
TEST(SmimeEncrypt, TheOpensslCommandDecryptsTheRewrittenMessage) {
  auto encrypted = encrypt_message(kMessage, all_three());
  ASSERT_TRUE(encrypted) << encrypted.error().message;
  MtaEdits edits;
  edits.change_headers = encrypted->change_headers;
  edits.add_headers = encrypted->add_headers;
  edits.replace_body = encrypted->body;
  const std::string delivered = testing::apply_edits(kMessage, edits);
  EXPECT_NE(delivered.find("Subject: Settlement draft\r\n"), std::string::npos);
  EXPECT_NE(delivered.find("X-Mailer: Test\r\n"), std::string::npos);
  EXPECT_EQ(delivered.find("content-language"), std::string::npos);
  EXPECT_EQ(delivered.find("boundary"), std::string::npos);

  TempDir dir;
  write_text(dir / "message.eml", delivered);
  write_text(dir / "cert.pem", identities().ec.certificate_pem());
  write_text(dir / "key.pem", identities().ec.key_pem());
  const std::string command = "openssl cms -decrypt -in '" + (dir / "message.eml").string() + "' -recip '" +
                              (dir / "cert.pem").string() + "' -inkey '" + (dir / "key.pem").string() +
                              "' -out '" + (dir / "out.eml").string() + "' 2>'" + (dir / "err.txt").string() + "'";
  ASSERT_EQ(std::system(command.c_str()), 0) << testing::read_file(dir / "err.txt");
  EXPECT_EQ(testing::read_file(dir / "out.eml"), kEntity);
}

}  // namespace
}  // namespace privmilter
