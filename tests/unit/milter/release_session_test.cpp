// The filter's side of a release, driven stage by stage: a reviewed message
// carrying a valid token passes once with the token removed; a replayed or
// forged token is refused and the message judged like any other; delivery
// header fields a sender wrote are removed.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "privmilter/release_token.h"
#include "session.h"
#include "unit/milter/engine_testing.h"
#include "unit/json_lines.h"
#include "unit/temp_dir.h"

namespace privmilter::milter {
namespace {

using privmilter::testing::TempDir;
using privmilter::testing::write_file;

const char* kPolicy = R"(version: 1
lists:
  privilege_markings: [privileged & confidential]
rules:
  - id: hold-privileged
    when:
      all:
        - content: { list: privilege_markings }
        - recipient: external
    action: quarantine
)";

const std::string kBody = "PRIVILEGED & CONFIDENTIAL\r\nThe draft terms.\r\n";
const std::string kEntry = "20261128T101010Z-0011223344556677";

class ReleaseSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = testing::make_test_engine(tmp_, kPolicy);
    ASSERT_NE(engine_, nullptr);
  }

  // The entry a release names, held for `action`.
  void hold(Action action) {
    MessageSpool spool(tmp_ / "spool", 1 << 20);
    ASSERT_TRUE(spool.append("Subject: Draft\r\n\r\n" + kBody).ok());
    Envelope envelope;
    envelope.sender = "alice@examplelaw.com";
    envelope.recipients = {"bob@client.example"};
    Verdict verdict;
    verdict.action = action;
    verdict.deciding_rule = "hold-privileged";
    verdict.fired.push_back({"hold-privileged", action, false, false, {}, {}});
    ASSERT_TRUE(engine_->quarantine().store(kEntry, envelope, verdict, spool, std::chrono::system_clock::now()).ok());
  }

  // A token the reviewer's release would carry, recorded as issued.
  std::string issue_token(const std::string& body, std::chrono::minutes lifetime = std::chrono::minutes(60),
                          const std::vector<std::string>& recipients = {"bob@client.example"}) {
    if (!engine_->quarantine().load(kEntry).ok()) hold(Action::quarantine);
    const auto expires = std::chrono::system_clock::now() + lifetime;
    const ReleaseToken token = make_release_token(kEntry, body, expires, recipients);
    EXPECT_TRUE(engine_->quarantine().record_release_token(token.nonce, token.quarantine_id, expires).ok());
    return format_release_token(token, engine_->snapshot()->release_key);
  }

  MtaEdits send(const std::vector<std::pair<std::string, std::string>>& headers, const std::string& body,
                const std::string& recipient = "bob@client.example") {
    Connection connection(*engine_);
    connection.on_connect("relay", "10.0.0.5", "smtpd");
    EXPECT_EQ(connection.on_mail("<alice@examplelaw.com>", "", "Q1"), StageReply::proceed);
    EXPECT_EQ(connection.on_rcpt("<" + recipient + ">"), StageReply::proceed);
    EXPECT_EQ(connection.on_data(), StageReply::proceed);
    for (const auto& [name, value] : headers) EXPECT_EQ(connection.on_header(name, value), StageReply::proceed);
    last_eoh_ = connection.on_end_of_headers();
    if (last_eoh_ != StageReply::proceed) return {};
    EXPECT_EQ(connection.on_body(body), StageReply::proceed);
    return connection.on_end_of_message("Q1");
  }

  std::vector<nlohmann::json> audit_of_type(const std::string& type) const {
    std::vector<nlohmann::json> found;
    for (auto& line : privmilter::testing::read_json_lines(tmp_ / "audit.log")) {
      if (line["type"] == type) found.push_back(line);
    }
    return found;
  }

  TempDir tmp_;
  std::unique_ptr<Engine> engine_;
  StageReply last_eoh_ = StageReply::proceed;
};

const HeaderChange kDeleteToken{std::string(kReleaseHeader), 1, std::nullopt};

TEST_F(ReleaseSessionTest, AValidTokenPassesOnceWithTheTokenRemoved) {
  const std::string token = issue_token(kBody);
  const MtaEdits edits = send({{"Subject", "Draft"}, {std::string(kReleaseHeader), token}}, kBody);
  EXPECT_EQ(edits.disposition, Disposition::accept);
  ASSERT_FALSE(edits.change_headers.empty());
  EXPECT_EQ(edits.change_headers.front(), kDeleteToken);
  const auto releases = audit_of_type("release");
  ASSERT_EQ(releases.size(), 1u);
  EXPECT_EQ(releases[0]["result"], "delivered");
  EXPECT_EQ(releases[0]["quarantine_id"], "20261128T101010Z-0011223344556677");
  EXPECT_TRUE(audit_of_type("decision").empty());  // not judged again
}

// Held because a recipient had no certificate: the release does not send it
// in clear. Without a certificate still, it is refused (the reviewer's
// command sees the 5.7.1 at once), not held again.
TEST_F(ReleaseSessionTest, AnEntryHeldForEncryptionIsNotReleasedInClear) {
  hold(Action::encrypt);
  const std::string token = issue_token(kBody);
  const MtaEdits edits = send({{std::string(kReleaseHeader), token}}, kBody);
  EXPECT_EQ(edits.disposition, Disposition::reject);
  ASSERT_TRUE(edits.reply.has_value());
  EXPECT_EQ(edits.reply->xcode, "5.7.1");
  EXPECT_NE(edits.reply->text.find("no certificate is available for bob@client.example"), std::string::npos)
      << edits.reply->text;
  EXPECT_FALSE(edits.replace_body.has_value());
}

TEST_F(ReleaseSessionTest, AReplayedTokenIsRefusedAndTheMessageJudged) {
  const std::string token = issue_token(kBody);
  ASSERT_EQ(send({{std::string(kReleaseHeader), token}}, kBody).disposition, Disposition::accept);
  const MtaEdits replay = send({{std::string(kReleaseHeader), token}}, kBody);
  EXPECT_EQ(replay.disposition, Disposition::discard);  // held again by hold-privileged
  const auto releases = audit_of_type("release");
  ASSERT_EQ(releases.size(), 2u);
  EXPECT_EQ(releases[1]["result"], "refused");
  EXPECT_NE(releases[1]["reason"].get<std::string>().find("replayed"), std::string::npos);
  EXPECT_EQ(audit_of_type("decision").size(), 1u);
}

TEST_F(ReleaseSessionTest, AnAlteredBodyOrForgedTokenIsRefused) {
  const std::string token = issue_token(kBody);
  EXPECT_EQ(send({{std::string(kReleaseHeader), token}}, kBody + "One more line.\r\n").disposition,
            Disposition::discard);
  std::string forged = token;
  forged[forged.size() - 3] = forged[forged.size() - 3] == 'a' ? 'b' : 'a';
  EXPECT_EQ(send({{std::string(kReleaseHeader), forged}}, kBody).disposition, Disposition::discard);
  const auto releases = audit_of_type("release");
  ASSERT_EQ(releases.size(), 2u);
  EXPECT_EQ(releases[0]["reason"], "body altered");
  EXPECT_EQ(releases[1]["reason"], "bad signature");
  // The genuine token is still unused: the refusals did not consume it.
  EXPECT_EQ(send({{std::string(kReleaseHeader), token}}, kBody).disposition, Disposition::accept);
}

// Bound to the recipients it was issued for: sent anywhere else (such as to
// a recipient the verdict removed) it is refused, and the message judged.
TEST_F(ReleaseSessionTest, ATokenForOtherRecipientsIsRefused) {
  const std::string token = issue_token(kBody);
  EXPECT_EQ(send({{std::string(kReleaseHeader), token}}, kBody, "eve@elsewhere.example").disposition,
            Disposition::discard);
  const auto releases = audit_of_type("release");
  ASSERT_EQ(releases.size(), 1u);
  EXPECT_EQ(releases[0]["reason"], "recipients differ");
}

TEST_F(ReleaseSessionTest, ATokenOfADeletedEntryIsRefused) {
  const std::string token = issue_token(kBody);
  ASSERT_TRUE(engine_->quarantine().remove(kEntry).ok());
  EXPECT_EQ(send({{std::string(kReleaseHeader), token}}, kBody).disposition, Disposition::discard);
  const auto releases = audit_of_type("release");
  ASSERT_EQ(releases.size(), 1u);
  EXPECT_EQ(releases[0]["reason"], "the entry is no longer in the quarantine");
}

TEST_F(ReleaseSessionTest, ATokenOnInternalMailIsStillRemoved) {
  const std::string token = issue_token(kBody, std::chrono::minutes(60), {"carol@examplelaw.com"});
  const MtaEdits edits = send({{std::string(kReleaseHeader), token}}, kBody, "carol@examplelaw.com");
  EXPECT_EQ(last_eoh_, StageReply::proceed);  // read to the end for the token
  EXPECT_EQ(edits.disposition, Disposition::accept);
  ASSERT_EQ(edits.change_headers.size(), 1u);
  EXPECT_EQ(edits.change_headers[0], kDeleteToken);
}

TEST_F(ReleaseSessionTest, InternalMailWithoutATokenIsAcceptedAfterItsHeaders) {
  send({{"Subject", "Lunch"}}, "See you.\r\n", "carol@examplelaw.com");
  EXPECT_EQ(last_eoh_, StageReply::accept);
}

TEST_F(ReleaseSessionTest, DeliveryFieldsASenderWroteAreRemoved) {
  const MtaEdits edits = send({{std::string(kRouteHeaderName), "encryption-gateway"},
                               {"Subject", "Lunch"},
                               {std::string(kDeliveryHeaderName), "require-tls"},
                               {std::string(kRouteHeaderName), "other"}},
                              "See you at noon.\r\n");
  EXPECT_EQ(edits.disposition, Disposition::accept);
  const std::vector<HeaderChange> expected{{std::string(kDeliveryHeaderName), 1, std::nullopt},
                                           {std::string(kRouteHeaderName), 2, std::nullopt},
                                           {std::string(kRouteHeaderName), 1, std::nullopt}};
  EXPECT_EQ(edits.change_headers, expected);
}

}  // namespace
}  // namespace privmilter::milter
