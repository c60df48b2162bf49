// The recipients' certificate directory: loading PEM and DER files,
// lookup by address then domain, and skipping certificates no mail can be
// encrypted to, with the reason.

#include <gtest/gtest.h>

#include "enforce/smime_certificate.h"
#include "privmilter/enforce.h"
#include "unit/enforce/smime_test_identities.h"
#include "unit/temp_dir.h"

namespace privmilter {
namespace {

using testing::Identity;
using testing::IdentitySpec;
using testing::KeyType;
using testing::TempDir;
using testing::write_text;

const auto kNow = [] { return std::chrono::system_clock::now(); };

bool same(const std::shared_ptr<const Certificate>& found, const Identity& identity) {
  return found && X509_cmp(found->x509(), identity.cert()) == 0;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

CertificateDirectory load(const TempDir& dir) {
  auto loaded = CertificateDirectory::load(dir.path());
  if (!loaded) throw std::runtime_error(loaded.error().message);
  return std::move(loaded).value();
}

TEST(CertificateDirectory, FindsByEveryAddressInPemAndDerFilesIgnoringCase) {
  const Identity bob(IdentitySpec().emails({"Bob.Smith@Client.Example"}));
  const Identity carol(IdentitySpec().ec().subject_email("carol@client.example"));
  const Identity dave(IdentitySpec().emails({"dave@other.example", "d.jones@other.example"}));
  const Identity erin(IdentitySpec().emails({"erin@other.example"}));
  TempDir dir;
  write_text(dir / "bob.pem", bob.certificate_pem());
  write_text(dir / "carol.crt", carol.certificate_der());
  write_text(dir / "other.pem", dave.certificate_pem() + erin.certificate_pem());
  write_text(dir / "README.txt", "not a certificate, and not read");
  std::filesystem::create_directory(dir / "old.pem");  // not a file: skipped

  const CertificateDirectory certificates = load(dir);
  EXPECT_EQ(certificates.size(), 4u);
  EXPECT_TRUE(same(certificates.find("Bob.Smith@Client.Example", kNow()).value(), bob));
  EXPECT_TRUE(same(certificates.find("bob.smith@CLIENT.EXAMPLE", kNow()).value(), bob));
  EXPECT_TRUE(same(certificates.find("carol@client.example", kNow()).value(), carol));
  EXPECT_TRUE(same(certificates.find("d.jones@other.example", kNow()).value(), dave));
  EXPECT_TRUE(same(certificates.find("erin@other.example", kNow()).value(), erin));

  const auto missing = certificates.find("frank@client.example", kNow());
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, "no certificate for frank@client.example");
}

TEST(CertificateDirectory, AFileNamedAfterADomainServesItWhenItsCertificateNamesNoAddress) {
  const Identity gateway(IdentitySpec().common_name("Client gateway"));
  const Identity bob(IdentitySpec().emails({"bob@client.example"}));
  const Identity stray(IdentitySpec().common_name("no address, no domain"));
  TempDir dir;
  write_text(dir / "Client.Example.pem", gateway.certificate_pem());
  write_text(dir / "bob.pem", bob.certificate_pem());
  write_text(dir / "stray.pem", stray.certificate_pem());

  const CertificateDirectory certificates = load(dir);
  EXPECT_TRUE(same(certificates.find("anyone@CLIENT.example", kNow()).value(), gateway));
  // The address's own certificate comes before the domain's.
  EXPECT_TRUE(same(certificates.find("bob@client.example", kNow()).value(), bob));
  EXPECT_FALSE(certificates.find("anyone@sub.client.example", kNow()));
  EXPECT_FALSE(certificates.find("stray", kNow()));
}

TEST(CertificateDirectory, FallsBackToTheDomainWhenTheAddressCertificateIsUnusable) {
  const Identity gateway(IdentitySpec().common_name("Client gateway"));
  const Identity expired(IdentitySpec().emails({"bob@client.example"}).valid(-7200, -3600));
  TempDir dir;
  write_text(dir / "client.example.pem", gateway.certificate_pem());
  write_text(dir / "bob.pem", expired.certificate_pem());
  EXPECT_TRUE(same(load(dir).find("bob@client.example", kNow()).value(), gateway));
}

TEST(CertificateDirectory, PrefersTheCertificateValidLongest) {
  const Identity older(IdentitySpec().emails({"bob@client.example"}).valid(-3600, 86400));
  const Identity renewed(IdentitySpec().emails({"bob@client.example"}).valid(-3600, 400L * 86400));
  TempDir dir;
  write_text(dir / "a.pem", renewed.certificate_pem());
  write_text(dir / "b.pem", older.certificate_pem());
  EXPECT_TRUE(same(load(dir).find("bob@client.example", kNow()).value(), renewed));
}

// Certificates meant never to expire (notAfter 99991231235959Z, RFC 5280
// 4.1.2.5) lie beyond what the clock's nanosecond count can hold: still
// valid, never an overflow that turns them expired.
TEST(CertificateDirectory, ACertificateValidUntilYear9999IsUsable) {
  const long until_9999 = 7900L * 365 * 86400;  // seconds from now, near the end of year 9999
  const Identity forever(IdentitySpec().emails({"bob@client.example"}).valid(-3600, until_9999));
  TempDir dir;
  write_text(dir / "bob.pem", forever.certificate_pem());
  auto found = load(dir).find("bob@client.example", kNow());
  ASSERT_TRUE(found.ok()) << found.error().message;
  EXPECT_TRUE(same(found.value(), forever));
}

struct UnusableCase {
  const char* label;
  IdentitySpec spec;
  const char* reason;
};

TEST(CertificateDirectory, SkipsUnusableCertificatesAndSaysWhy) {
  const std::vector<UnusableCase> cases = {
      {"expired", IdentitySpec().emails({"x@client.example"}).valid(-7200, -60), "expired on "},
      {"not yet valid", IdentitySpec().emails({"x@client.example"}).valid(3600, 7200), "not valid before "},
      {"rsa signing only", IdentitySpec().emails({"x@client.example"}).key_usage("critical,digitalSignature"),
       "keyUsage lacks keyEncipherment"},
      {"ec without key agreement", IdentitySpec().ec().emails({"x@client.example"}).key_usage("digitalSignature"),
       "keyUsage lacks keyAgreement"},
      {"server certificate", IdentitySpec().emails({"x@client.example"}).extended_key_usage("serverAuth,clientAuth"),
       "extendedKeyUsage lacks emailProtection"},
  };
  for (const UnusableCase& item : cases) {
    SCOPED_TRACE(item.label);
    const Identity identity(item.spec);
    TempDir dir;
    write_text(dir / "x.pem", identity.certificate_pem());
    const CertificateDirectory certificates = load(dir);
    ASSERT_EQ(certificates.size(), 1u);
    const auto found = certificates.find("x@client.example", kNow());
    ASSERT_FALSE(found);
    EXPECT_TRUE(contains(found.error().message, "no usable certificate for x@client.example: x.pem (CN=privmilter test")) << found.error().message;
    EXPECT_TRUE(contains(found.error().message, item.reason)) << found.error().message;
  }
}

TEST(CertificateDirectory, AcceptsTheUsagesThatAllowEncryption) {
  const std::vector<IdentitySpec> usable = {
      IdentitySpec()
          .emails({"x@client.example"})
          .key_usage("critical,digitalSignature,keyEncipherment")
          .extended_key_usage("emailProtection"),
      IdentitySpec().ec().emails({"x@client.example"}).key_usage("digitalSignature,keyAgreement"),
      IdentitySpec().emails({"x@client.example"}).extended_key_usage("anyExtendedKeyUsage"),
      IdentitySpec().ec().emails({"x@client.example"}),
  };
  for (const IdentitySpec& spec : usable) {
    const Identity identity(spec);
    TempDir dir;
    write_text(dir / "x.pem", identity.certificate_pem());
    const auto found = load(dir).find("x@client.example", kNow());
    EXPECT_TRUE(found) << (found ? "" : found.error().message);
  }
}

TEST(CertificateDirectory, UsabilityFollowsTheClock) {
  const Identity identity(IdentitySpec().emails({"x@client.example"}).valid(-60, 3600));
  TempDir dir;
  write_text(dir / "x.pem", identity.certificate_pem());
  const CertificateDirectory certificates = load(dir);
  EXPECT_TRUE(certificates.find("x@client.example", kNow()));
  EXPECT_FALSE(certificates.find("x@client.example", kNow() + std::chrono::hours(2)));
  EXPECT_FALSE(certificates.find("x@client.example", kNow() - std::chrono::hours(1)));
}

TEST(CertificateDirectory, AnUnreadableFileIsAnErrorNamingIt) {
  TempDir dir;
  write_text(dir / "broken.pem", "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n");
  const auto loaded = CertificateDirectory::load(dir.path());
  ASSERT_FALSE(loaded);
  EXPECT_TRUE(contains(loaded.error().message, "broken.pem: no certificate")) << loaded.error().message;
  EXPECT_FALSE(CertificateDirectory::load(dir / "absent"));
}

TEST(SmimeContext, LoadsDirectoryAndEscrow) {
  const Identity bob(IdentitySpec().emails({"bob@client.example"}));
  const Identity escrow(IdentitySpec().common_name("Example Law escrow"));
  TempDir dir;
  std::filesystem::create_directory(dir / "certs");
  write_text(dir / "certs" / "bob.pem", bob.certificate_pem());
  write_text(dir / "escrow.pem", escrow.certificate_pem());

  auto context = load_smime_context(SmimeSettings{.certificates = dir / "certs", .escrow_certificate = dir / "escrow.pem"});
  ASSERT_TRUE(context) << context.error().message;
  ASSERT_TRUE(context->certificates);
  EXPECT_EQ(context->certificates->size(), 1u);
  EXPECT_TRUE(same(context->escrow, escrow));

  auto empty = load_smime_context(SmimeSettings{.certificates = std::nullopt, .escrow_certificate = std::nullopt});
  ASSERT_TRUE(empty);
  EXPECT_FALSE(empty->certificates);
  EXPECT_EQ(empty->escrow, nullptr);
}

TEST(SmimeContext, RefusesAnEscrowCertificateThatCannotReceiveMail) {
  const Identity signing(IdentitySpec().common_name("escrow").key_usage("digitalSignature"));
  TempDir dir;
  write_text(dir / "escrow.pem", signing.certificate_pem());
  auto context = load_smime_context(SmimeSettings{.certificates = std::nullopt, .escrow_certificate = dir / "escrow.pem"});
  ASSERT_FALSE(context);
  EXPECT_TRUE(contains(context.error().message, "keyUsage lacks keyEncipherment")) << context.error().message;

  const Identity other(IdentitySpec().common_name("other"));
  write_text(dir / "two.pem", signing.certificate_pem() + other.certificate_pem());
  EXPECT_FALSE(load_smime_context(SmimeSettings{.certificates = std::nullopt, .escrow_certificate = dir / "two.pem"}));
}

}  // namespace
}  // namespace privmilter
