// Release tokens: signed, bound to the body, expiring, and single use.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "privmilter/release_token.h"
#include "quarantine_test_support.h"

namespace privmilter {
namespace {

using namespace quarantine_test;
using testing::TempDir;

const std::string kBody = "Privileged & Confidential\r\nSettlement terms attached.\r\n";
const auto kNow = at(27);

std::string replace_field(const std::string& value, const std::string& name, const std::string& replacement) {
  const auto start = value.find(name + "=") + name.size() + 1;
  const auto end = value.find(';', start);
  return value.substr(0, start) + replacement + (end == std::string::npos ? "" : value.substr(end));
}

TEST(ReleaseToken, FormatsAndVerifies) {
  const auto token = make_release_token("20261128T163301Z-9f2c41d07a3be815", kBody, kNow + std::chrono::minutes(60));
  EXPECT_EQ(token.nonce.size(), 32u);
  EXPECT_EQ(token.body_digest, release_body_digest(kBody));
  const std::string value = format_release_token(token, key_of(1));
  EXPECT_EQ(value.rfind("v1; id=20261128T163301Z-9f2c41d07a3be815; exp=", 0), 0u) << value;
  EXPECT_NE(value.find("; nonce=" + token.nonce + "; body=" + token.body_digest + "; rcpt=" + token.recipients_digest + "; mac="), std::string::npos);

  auto verified = verify_release_token(value, key_of(1), kBody, kNow);
  ASSERT_TRUE(verified.ok()) << verified.error().message;
  EXPECT_EQ(verified->quarantine_id, token.quarantine_id);
  EXPECT_EQ(verified->nonce, token.nonce);
  EXPECT_EQ(verified->expires, token.expires);
  // Header whitespace as an MTA may leave it.
  std::string spaced = " " + value + "\r\n";
  EXPECT_TRUE(verify_release_token(spaced, key_of(1), kBody, kNow).ok());
}

TEST(ReleaseToken, TwoTokensForTheSameEntryDiffer) {
  const auto first = make_release_token("id", kBody, kNow);
  const auto second = make_release_token("id", kBody, kNow);
  EXPECT_NE(first.nonce, second.nonce);
}

TEST(ReleaseToken, RefusesAnotherKeyAndAlteredFields) {
  const auto token = make_release_token("entry-1", kBody, kNow + std::chrono::minutes(60));
  const std::string value = format_release_token(token, key_of(1));
  auto other_key = verify_release_token(value, key_of(2), kBody, kNow);
  ASSERT_FALSE(other_key.ok());
  EXPECT_EQ(other_key.error().message, "bad signature");

  const std::string later = std::to_string(
      std::chrono::duration_cast<std::chrono::seconds>((kNow + std::chrono::hours(48)).time_since_epoch()).count());
  for (const auto& altered :
       {replace_field(value, "id", "entry-2"), replace_field(value, "exp", later),
        replace_field(value, "nonce", std::string(32, 'a')), replace_field(value, "body", release_body_digest("x")),
        replace_field(value, "rcpt", release_recipients_digest({"eve@elsewhere.example"})),
        replace_field(value, "mac", std::string(64, '0'))}) {
    auto verified = verify_release_token(altered, key_of(1), kBody, kNow);
    ASSERT_FALSE(verified.ok()) << altered;
    EXPECT_EQ(verified.error().message, "bad signature") << altered;
  }
}

TEST(ReleaseToken, RefusesMalformedValues) {
  const std::string value = format_release_token(make_release_token("entry-1", kBody, kNow), key_of(1));
  for (const std::string& bad :
       {std::string(), std::string("v1"), std::string("v2") + value.substr(2), value.substr(0, value.size() - 1),
        value + "; extra=1", replace_field(value, "exp", "soon"), replace_field(value, "id", "a b"),
        replace_field(value, "nonce", "XYZ"), replace_field(value, "mac", std::string(64, 'G'))}) {
    auto verified = verify_release_token(bad, key_of(1), kBody, kNow);
    ASSERT_FALSE(verified.ok()) << bad;
    EXPECT_EQ(verified.error().message, "malformed") << bad;
  }
}

TEST(ReleaseToken, BindsTheRecipientsAsASet) {
  const std::vector<std::string> issued{"bob@client.example", "Carol@Client.example"};
  const std::string value =
      format_release_token(make_release_token("entry-1", kBody, kNow + std::chrono::hours(1), issued), key_of(1));
  const std::vector<std::string> same{"carol@client.example", "BOB@client.example"};
  EXPECT_TRUE(verify_release_token(value, key_of(1), kBody, kNow, &same).ok());
  for (const std::vector<std::string>& other :
       {std::vector<std::string>{"bob@client.example"},
        std::vector<std::string>{"bob@client.example", "carol@client.example", "eve@elsewhere.example"},
        std::vector<std::string>{}}) {
    auto verified = verify_release_token(value, key_of(1), kBody, kNow, &other);
    ASSERT_FALSE(verified.ok());
    EXPECT_EQ(verified.error().message, "recipients differ");
  }
}

TEST(ReleaseToken, RefusesAnExpiredToken) {
  const auto expires = kNow + std::chrono::minutes(60);
  const std::string value = format_release_token(make_release_token("entry-1", kBody, expires), key_of(1));
  EXPECT_TRUE(verify_release_token(value, key_of(1), kBody, expires - std::chrono::seconds(1)).ok());
  auto verified = verify_release_token(value, key_of(1), kBody, expires);
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.error().message, "expired");
}

TEST(ReleaseToken, BindsTheBodyButNotItsLineEnds) {
  const std::string value = format_release_token(make_release_token("entry-1", kBody, kNow + std::chrono::hours(1)),
                                                 key_of(1));
  EXPECT_TRUE(verify_release_token(value, key_of(1), "Privileged & Confidential\nSettlement terms attached.\n", kNow)
                  .ok());
  EXPECT_TRUE(
      verify_release_token(value, key_of(1), "Privileged & Confidential\r\nSettlement terms attached.\r\n\r\n\r\n", kNow)
          .ok());
  auto altered = verify_release_token(value, key_of(1), "Privileged & Confidential\r\nSettlement terms changed.\r\n",
                                      kNow);
  ASSERT_FALSE(altered.ok());
  EXPECT_EQ(altered.error().message, "body altered");
  EXPECT_NE(release_body_digest("a\r\nb"), release_body_digest("a\r\n\r\nb"));
}

TEST(ReleaseToken, FindsTheBodyOfAMessage) {
  EXPECT_EQ(release_message_body("Subject: x\r\nTo: y\r\n\r\nbody\r\n\r\nmore\r\n"), "body\r\n\r\nmore\r\n");
  EXPECT_EQ(release_message_body("Subject: x\n\nbody\n"), "body\n");
  EXPECT_EQ(release_message_body("Subject: x\r\n"), "");
}

TEST(ReleaseToken, IsConsumedExactlyOnce) {
  TempDir tmp;
  QuarantineStore store(tmp / "quarantine", key_of(1));
  ASSERT_TRUE(store.open().ok());
  const auto token = make_release_token("entry-1", kBody, kNow + std::chrono::hours(1));
  ASSERT_TRUE(store.record_release_token(token.nonce, token.quarantine_id, token.expires).ok());
  EXPECT_FALSE(store.record_release_token(token.nonce, token.quarantine_id, token.expires).ok());

  auto unknown = store.consume_release_token(std::string(32, 'a'), kNow);
  ASSERT_TRUE(unknown.ok());
  EXPECT_FALSE(*unknown);
  auto first = store.consume_release_token(token.nonce, kNow);
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(*first);
  auto second = store.consume_release_token(token.nonce, kNow);
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(*second);

  const auto late = make_release_token("entry-1", kBody, kNow + std::chrono::hours(1));
  ASSERT_TRUE(store.record_release_token(late.nonce, late.quarantine_id, late.expires).ok());
  auto expired = store.consume_release_token(late.nonce, late.expires);
  ASSERT_TRUE(expired.ok());
  EXPECT_FALSE(*expired);
}

// Several processes (milter instances) race to consume one token: exactly
// one wins.
TEST(ReleaseToken, OneOfManyProcessesConsumesIt) {
  TempDir tmp;
  const auto token = make_release_token("entry-1", kBody, kNow + std::chrono::hours(1));
  {
    QuarantineStore store(tmp / "quarantine", key_of(1));
    ASSERT_TRUE(store.open().ok());
    ASSERT_TRUE(store.record_release_token(token.nonce, token.quarantine_id, token.expires).ok());
  }
  constexpr int kProcesses = 6;
  std::vector<pid_t> children;
  for (int i = 0; i < kProcesses; ++i) {
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      QuarantineStore own(tmp / "quarantine", key_of(1));
      if (!own.open().ok()) ::_exit(2);
      auto consumed = own.consume_release_token(token.nonce, kNow);
      ::_exit(!consumed.ok() ? 2 : *consumed ? 0 : 1);
    }
    children.push_back(child);
  }
  int winners = 0;
  int losers = 0;
  for (pid_t child : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    winners += WEXITSTATUS(status) == 0;
    losers += WEXITSTATUS(status) == 1;
  }
  EXPECT_EQ(winners, 1);
  EXPECT_EQ(losers, kProcesses - 1);
}

}  // namespace
}  // namespace privmilter
