#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <regex>

#include "enforce/smime_certificate.h"
#include "privmilter/enforce.h"
#include "unit/enforce/smime_test_identities.h"
#include "unit/json_lines.h"
#include "unit/temp_dir.h"

namespace privmilter {
namespace {

using testing::Identity;
using testing::IdentitySpec;
using testing::TempDir;
using testing::write_text;

constexpr const char* kMessage =
    "From: alice@examplelaw.com\r\nSubject: memo\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    "privileged body\r\n";
constexpr const char* kEntity = "Content-Type: text/plain; charset=utf-8\r\n\r\nprivileged body\r\n";

SecretKey key_of(unsigned char byte) {
  std::array<unsigned char, SecretKey::kSize> bytes{};
  bytes.fill(byte);
  return SecretKey(bytes);
}

// The notifier's side of the contract: what the enforcer hands over.
class RecordingSink : public NotificationSink {
 public:
  Status enqueue(const Notification& notification) override {
    sent.push_back(notification);
    return refuse ? Status(make_error("outbox full")) : Status();
  }
  std::vector<Notification> sent;
  bool refuse = false;
};

struct Identities {
  Identity bob{IdentitySpec().emails({"bob@client.example"})};
  Identity carol{IdentitySpec().ec().emails({"carol@other.example"})};
  Identity escrow{IdentitySpec().common_name("Example Law escrow")};
};
const Identities& identities() {
  static const Identities made;
  return made;
}

class EnforcerTest : public ::testing::Test {
 protected:
  EnforcerTest() {
    EXPECT_TRUE(quarantine_.open().ok());
    EXPECT_TRUE(audit_.open().ok());
    EXPECT_TRUE(spool_.append(kMessage).ok());
    std::filesystem::create_directory(tmp_ / "certs");
    write_text(tmp_ / "certs" / "bob.pem", identities().bob.certificate_pem());
    write_text(tmp_ / "certs" / "carol.pem", identities().carol.certificate_pem());
    write_text(tmp_ / "escrow.pem", identities().escrow.certificate_pem());
    auto loaded = load_smime_context(
        SmimeSettings{.certificates = tmp_ / "certs", .escrow_certificate = tmp_ / "escrow.pem"});
    EXPECT_TRUE(loaded) << (loaded ? "" : loaded.error().message);
    if (loaded) smime_ = std::move(loaded).value();
  }

  Envelope envelope(std::vector<std::string> recipients = {"bob@client.example"}) const {
    return Envelope{.queue_id = "Q1", .sender = "alice@examplelaw.com", .recipients = std::move(recipients),
                    .auth_authen = "alice", .client_addr = "10.0.0.5", .client_name = "", .daemon_name = ""};
  }

  static Verdict encrypt_verdict(EncryptFallback fallback = EncryptFallback::quarantine) {
    Verdict verdict;
    verdict.action = Action::encrypt;
    verdict.deciding_rule = "encrypt-privileged";
    verdict.fired.push_back({"encrypt-privileged", Action::encrypt, false, false, {}, {}});
    verdict.encrypt_fallback = fallback;
    return verdict;
  }

  EnforcementContext context() const {
    return EnforcementContext{.smime = &smime_, .notify = &notify_, .firm_name = "Example Law"};
  }

  EnforcementResult enforce(const Envelope& envelope, const Verdict& verdict) {
    return enforcer_.enforce(envelope, verdict, spool_, std::chrono::system_clock::now(), context());
  }

  std::vector<nlohmann::json> decisions() const {
    std::vector<nlohmann::json> found;
    for (auto& line : testing::read_json_lines(audit_.path())) {
      if (line.value("type", "") == "decision") found.push_back(std::move(line));
    }
    return found;
  }

  TempDir tmp_;
  QuarantineStore quarantine_{tmp_ / "quarantine", key_of(1)};
  AuditLog audit_{AuditLogOptions{.path = tmp_ / "audit" / "audit.log", .key = key_of(2), .rotate_bytes = 1 << 20}};
  RecordingSink sink_;
  Enforcer enforcer_{quarantine_, audit_, &sink_};
  MessageSpool spool_{tmp_ / "spool", 1 << 20};
  SmimeContext smime_;
  NotifySettings notify_{.from = "postmaster@examplelaw.com", .outbox = tmp_ / "outbox", .max_attempts = 3};
};

TEST_F(EnforcerTest, AcceptCarriesTheVerdictHeaders) {
  Verdict verdict;
  verdict.action = Action::tag;
  verdict.fired.push_back({"tag-external", verdict.action, false, false, {}, {}});
  verdict.add_headers = {{"X-Privmilter", "scanned"}};
  auto result = enforcer_.enforce(envelope(), verdict, spool_, std::chrono::system_clock::now());
  EXPECT_EQ(result.edits.disposition, Disposition::accept);
  EXPECT_EQ(result.failure, EnforcementFailure::none);
  ASSERT_EQ(result.edits.add_headers.size(), 1u);
  EXPECT_EQ(result.edits.add_headers[0].value, "scanned");
  EXPECT_FALSE(result.edits.replace_body);
  auto lines = decisions();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["action"], "tag");
  EXPECT_EQ(lines[0]["ref"], result.reference);
}

TEST_F(EnforcerTest, QuarantineStoresThenDiscards) {
  Verdict verdict;
  verdict.action = Action::quarantine;
  verdict.deciding_rule = "privileged";
  auto result = enforcer_.enforce(envelope(), verdict, spool_, std::chrono::system_clock::now());
  EXPECT_EQ(result.edits.disposition, Disposition::discard);
  ASSERT_FALSE(result.quarantine_id.empty());
  auto held = quarantine_.load(result.quarantine_id);
  ASSERT_TRUE(held) << held.error().message;
  EXPECT_EQ(held->message, kMessage);
  EXPECT_EQ(decisions().at(0)["quarantine_id"], result.quarantine_id);
}

TEST_F(EnforcerTest, QuarantineFailureTempfailsSoTheMtaKeepsTheMessage) {
  TempDir other;
  testing::write_file(other / "file", "x");
  QuarantineStore broken(other / "file" / "quarantine", key_of(1));
  Enforcer enforcer(broken, audit_);
  Verdict verdict;
  verdict.action = Action::quarantine;
  auto result = enforcer.enforce(envelope(), verdict, spool_, std::chrono::system_clock::now());
  EXPECT_EQ(result.edits.disposition, Disposition::tempfail);
  EXPECT_EQ(result.failure, EnforcementFailure::quarantine_write);
  ASSERT_TRUE(result.edits.reply);
  EXPECT_EQ(result.edits.reply->code, "451");
  auto lines = decisions();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["disposition"], "tempfail");
  EXPECT_NE(lines[0]["error"].get<std::string>().find("quarantine"), std::string::npos);
}

TEST_F(EnforcerTest, RejectQuotesRuleAndReference) {
  Verdict verdict;
  verdict.action = Action::reject;
  verdict.deciding_rule = "ssn-external";
  verdict.reply = SmtpReply{"550", "5.7.1", "Personal identifiers cannot be sent unencrypted"};
  auto result = enforcer_.enforce(envelope(), verdict, spool_, std::chrono::system_clock::now());
  EXPECT_EQ(result.edits.disposition, Disposition::reject);
  ASSERT_TRUE(result.edits.reply);
  EXPECT_EQ(result.edits.reply->xcode, "5.7.1");
  EXPECT_NE(result.edits.reply->text.find("ssn-external"), std::string::npos);
  EXPECT_NE(result.edits.reply->text.find(result.reference), std::string::npos);
  EXPECT_TRUE(std::regex_match(result.reference, std::regex(R"(\d{8}T\d{6}Z-[0-9a-f]{16})")));
}

TEST_F(EnforcerTest, AnUnrecordableDecisionIsDeferred) {
  AuditLog unopened(AuditLogOptions{.path = tmp_ / "other" / "audit.log", .key = key_of(2), .rotate_bytes = 1 << 20});
  Enforcer enforcer(quarantine_, unopened, &sink_);
  Verdict verdict;
  verdict.action = Action::accept;
  verdict.notify_sender = true;
  auto result = enforcer.enforce(envelope(), verdict, spool_, std::chrono::system_clock::now(), context());
  EXPECT_EQ(result.edits.disposition, Disposition::tempfail);
  EXPECT_EQ(result.failure, EnforcementFailure::audit_write);
  EXPECT_TRUE(sink_.sent.empty());  // a deferred message is not yet decided
}

TEST_F(EnforcerTest, EncryptsForEveryRemainingRecipientAndTheEscrow) {
  Verdict verdict = encrypt_verdict();
  verdict.add_headers = {{"X-Privmilter", "encrypted"}};
  verdict.new_subject = "[SECURE] memo";
  verdict.removed_recipients = {"dave@nocert.example"};
  const auto result = enforce(envelope({"bob@client.example", "dave@nocert.example", "carol@other.example"}), verdict);

  EXPECT_EQ(result.edits.disposition, Disposition::accept);
  EXPECT_EQ(result.edits.remove_recipients, std::vector<std::string>{"dave@nocert.example"});
  EXPECT_EQ(result.edits.replace_subject, "[SECURE] memo");
  ASSERT_TRUE(result.edits.replace_body);
  const std::vector<HeaderChange> changes = {
      {"Content-Type", 1, "application/pkcs7-mime; smime-type=enveloped-data; name=\"smime.p7m\""}};
  EXPECT_EQ(result.edits.change_headers, changes);
  const std::vector<HeaderField> added = {{"X-Privmilter", "encrypted"},
                                          {"Content-Transfer-Encoding", "base64"},
                                          {"Content-Disposition", "attachment; filename=\"smime.p7m\""},
                                          {"MIME-Version", "1.0"}};
  EXPECT_EQ(result.edits.add_headers, added);
  for (const Identity* identity : {&identities().bob, &identities().carol, &identities().escrow}) {
    EXPECT_EQ(testing::decrypt_body(*result.edits.replace_body, *identity), kEntity);
  }
  const auto lines = decisions();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["action"], "encrypt");
  EXPECT_EQ(lines[0]["disposition"], "accept");
  EXPECT_EQ(lines[0]["enforcement"], "encrypted for 2 recipients + escrow");
}

TEST_F(EnforcerTest, WithoutEscrowEncryptsForTheRecipientsAlone) {
  smime_.escrow = nullptr;
  const auto result = enforce(envelope(), encrypt_verdict());
  ASSERT_TRUE(result.edits.replace_body);
  EXPECT_EQ(testing::decrypt_body(*result.edits.replace_body, identities().bob), kEntity);
  EXPECT_FALSE(testing::decrypt_body(*result.edits.replace_body, identities().escrow));
  EXPECT_EQ(decisions().at(0)["enforcement"], "encrypted for 1 recipient");
}

TEST_F(EnforcerTest, AMissingCertificateQuarantinesByDefault) {
  const auto result = enforce(envelope({"bob@client.example", "frank@nocert.example"}), encrypt_verdict());
  EXPECT_EQ(result.edits.disposition, Disposition::discard);
  EXPECT_FALSE(result.edits.replace_body);
  auto held = quarantine_.load(result.quarantine_id);
  ASSERT_TRUE(held) << held.error().message;
  EXPECT_EQ(held->message, kMessage);
  const std::string enforcement = decisions().at(0)["enforcement"];
  EXPECT_EQ(enforcement, "fallback quarantine: no certificate for frank@nocert.example");
}

TEST_F(EnforcerTest, AMissingCertificateRoutesInClearOnlyToTheGateway) {
  Verdict verdict = encrypt_verdict(EncryptFallback::route);
  verdict.route = "smime-gateway";
  const auto result = enforce(envelope({"frank@nocert.example"}), verdict);
  EXPECT_EQ(result.edits.disposition, Disposition::accept);
  EXPECT_FALSE(result.edits.replace_body);
  EXPECT_TRUE(result.edits.change_headers.empty());
  EXPECT_EQ(result.edits.add_headers, (std::vector<HeaderField>{{"X-Privmilter-Route", "smime-gateway"}}));
  EXPECT_EQ(decisions().at(0)["enforcement"], "fallback route: no certificate for frank@nocert.example");
}

TEST_F(EnforcerTest, ARouteFallbackWithoutAGatewayIsDeferredNotDelivered) {
  const auto result = enforce(envelope({"frank@nocert.example"}), encrypt_verdict(EncryptFallback::route));
  EXPECT_EQ(result.edits.disposition, Disposition::tempfail);
  EXPECT_EQ(result.failure, EnforcementFailure::enforcement);
  EXPECT_EQ(result.edits.reply->code, "451");
}

TEST_F(EnforcerTest, AMissingCertificateRejectsWithTheAddressRuleAndReference) {
  Verdict verdict = encrypt_verdict(EncryptFallback::reject);
  // The rule's text leads; only a 5.7.x security code may replace 5.7.1.
  verdict.reply = SmtpReply{"554", "5.1.1", "Encrypted mail only"};
  const auto result = enforce(envelope({"bob@client.example", "frank@nocert.example", "gina@nocert.example"}), verdict);
  EXPECT_EQ(result.edits.disposition, Disposition::reject);
  ASSERT_TRUE(result.edits.reply);
  EXPECT_EQ(result.edits.reply->code, "554");
  EXPECT_EQ(result.edits.reply->xcode, "5.7.1");
  EXPECT_EQ(result.edits.reply->text,
            "Encrypted mail only: no certificate is available for frank@nocert.example and 1 more"
            " [rule encrypt-privileged, ref " + result.reference + "]");
  EXPECT_EQ(decisions().at(0)["disposition"], "reject");
}

TEST_F(EnforcerTest, AnUnusableCertificateTakesTheFallbackWithTheReason) {
  const Identity expired(IdentitySpec().emails({"hank@client.example"}).valid(-7200, -60));
  write_text(tmp_ / "certs" / "hank.pem", expired.certificate_pem());
  smime_.certificates = std::move(CertificateDirectory::load(tmp_ / "certs")).value();
  const auto result = enforce(envelope({"hank@client.example"}), encrypt_verdict(EncryptFallback::reject));
  EXPECT_EQ(result.edits.disposition, Disposition::reject);
  const std::string enforcement = decisions().at(0)["enforcement"];
  EXPECT_NE(enforcement.find("no usable certificate for hank@client.example: hank.pem"), std::string::npos);
  EXPECT_NE(enforcement.find("expired on"), std::string::npos);
}

TEST_F(EnforcerTest, WithoutSmimeEveryEncryptTakesItsFallback) {
  Verdict verdict = encrypt_verdict(EncryptFallback::route);
  verdict.route = "smime-gateway";
  auto result = enforcer_.enforce(envelope(), verdict, spool_, std::chrono::system_clock::now());
  EXPECT_FALSE(result.edits.replace_body);
  EXPECT_EQ(result.edits.add_headers, (std::vector<HeaderField>{{"X-Privmilter-Route", "smime-gateway"}}));

  const SmimeContext unconfigured;
  EnforcementContext without = context();
  without.smime = &unconfigured;
  result = enforcer_.enforce(envelope(), encrypt_verdict(), spool_, std::chrono::system_clock::now(), without);
  EXPECT_EQ(result.edits.disposition, Disposition::discard);
  EXPECT_NE(decisions().at(1)["enforcement"].get<std::string>().find("not configured"), std::string::npos);
}

TEST_F(EnforcerTest, AnExpiredEscrowCertificateStopsEncryption) {
  const Identity expired(IdentitySpec().common_name("old escrow").valid(-7200, -60));
  X509_up_ref(expired.cert());
  smime_.escrow = std::make_shared<const Certificate>(openssl::X509Handle(expired.cert()), tmp_ / "old.pem");
  const auto result = enforce(envelope(), encrypt_verdict());
  EXPECT_EQ(result.edits.disposition, Disposition::discard);
  EXPECT_FALSE(result.edits.replace_body);
  EXPECT_NE(decisions().at(0)["enforcement"].get<std::string>().find("escrow certificate old.pem"), std::string::npos);
}

TEST_F(EnforcerTest, AFailedQuarantineFallbackIsDeferred) {
  TempDir other;
  testing::write_file(other / "file", "x");
  QuarantineStore broken(other / "file" / "quarantine", key_of(1));
  Enforcer enforcer(broken, audit_);
  const auto result = enforcer.enforce(envelope({"frank@nocert.example"}), encrypt_verdict(), spool_,
                                       std::chrono::system_clock::now(), context());
  EXPECT_EQ(result.edits.disposition, Disposition::tempfail);
  EXPECT_FALSE(result.edits.replace_body);
}

TEST_F(EnforcerTest, ALargeSpooledMessageIsEncryptedFromItsFile) {
  MessageSpool spooled(tmp_ / "spool", 16);
  ASSERT_TRUE(spooled.append(kMessage).ok());
  ASSERT_FALSE(spooled.in_memory());
  const auto result = enforcer_.enforce(envelope(), encrypt_verdict(), spooled, std::chrono::system_clock::now(), context());
  ASSERT_TRUE(result.edits.replace_body);
  EXPECT_EQ(testing::decrypt_body(*result.edits.replace_body, identities().bob), kEntity);
}

TEST_F(EnforcerTest, NotifiesTheSenderOfWhatHappened) {
  Verdict verdict;
  verdict.action = Action::quarantine;
  verdict.deciding_rule = "privileged";
  verdict.notify_sender = true;
  verdict.notify_also = {"compliance@examplelaw.com"};
  const auto held = enforce(envelope(), verdict);
  ASSERT_EQ(sink_.sent.size(), 1u);
  EXPECT_EQ(sink_.sent[0].reference, held.reference);
  EXPECT_EQ(sink_.sent[0].to, (std::vector<std::string>{"alice@examplelaw.com", "compliance@examplelaw.com"}));
  EXPECT_NE(sink_.sent[0].body.find("held for review"), std::string::npos);

  Verdict encrypted = encrypt_verdict();
  encrypted.notify_sender = true;
  enforce(envelope(), encrypted);
  ASSERT_EQ(sink_.sent.size(), 2u);
  EXPECT_NE(sink_.sent[1].body.find("delivered encrypted"), std::string::npos);
}

TEST_F(EnforcerTest, NotificationsNeedAskingAndNeverChangeTheOutcome) {
  Verdict verdict;
  verdict.action = Action::tag;
  enforce(envelope(), verdict);
  EXPECT_TRUE(sink_.sent.empty());

  verdict.action = Action::notify;
  auto result = enforcer_.enforce(envelope(), verdict, spool_, std::chrono::system_clock::now());  // no settings
  EXPECT_TRUE(sink_.sent.empty());

  sink_.refuse = true;
  result = enforce(envelope(), verdict);
  EXPECT_EQ(sink_.sent.size(), 1u);
  EXPECT_EQ(result.edits.disposition, Disposition::accept);
}

TEST(ReferenceId, IsUniqueAndTimeStamped) {
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1795000000));
  const auto a = make_reference_id(now);
  const auto b = make_reference_id(now);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.substr(0, 16), "20261118T110640Z");
}

}  // namespace
}  // namespace privmilter
