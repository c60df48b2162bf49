// The daemon's retention period: entries older than quarantine.retention_days
// are purged and the purge is audited; younger ones stay.

#include <gtest/gtest.h>

#include "retention_sweeper.h"
#include "unit/json_lines.h"
#include "unit/temp_dir.h"

namespace privmilter::milter {
namespace {

using privmilter::testing::TempDir;
using privmilter::testing::write_file;

class RetentionSweeperTest : public ::testing::Test {
 protected:
  std::unique_ptr<Engine> make_engine(unsigned retention_days) {
    write_file(tmp_ / "policy.yaml", "version: 1\nrules: []\n");
    privmilter::testing::write_test_keys(tmp_.path());
    auto config = load_config_string(
        "milter: {socket: 'inet:8891@127.0.0.1'}\n"
        "firm: {internal_domains: [examplelaw.com]}\n"
        "policy: policy.yaml\n"
        "quarantine: {directory: quarantine, key_file: keys/quarantine.key, retention_days: " +
            std::to_string(retention_days) + "}\n"
            "audit: {log: audit.log, key_file: keys/audit.key}\n"
            "release: {key_file: keys/release.key}\n"
            "spool: {directory: spool}\n",
        tmp_.path(), "test.yaml");
    EXPECT_TRUE(config.ok()) << config.error().message;
    auto engine = Engine::create(std::move(config).value());
    EXPECT_TRUE(engine.ok()) << engine.error().message;
    return std::move(engine).value();
  }

  void hold(Engine& engine, const std::string& id, std::chrono::system_clock::time_point when) {
    MessageSpool spool(tmp_ / "spool", 1 << 20);
    ASSERT_TRUE(spool.append("Subject: held\r\n\r\nbody\r\n").ok());
    Envelope envelope;
    envelope.sender = "alice@examplelaw.com";
    envelope.recipients = {"bob@client.example"};
    Verdict verdict;
    verdict.action = Action::quarantine;
    ASSERT_TRUE(engine.quarantine().store(id, envelope, verdict, spool, when).ok());
  }

  TempDir tmp_;
};

TEST_F(RetentionSweeperTest, PurgesOnlyWhatIsPastRetentionAndAuditsIt) {
  auto engine = make_engine(30);
  const auto now = std::chrono::system_clock::now();
  hold(*engine, "20261001T000000Z-00000000000000aa", now - std::chrono::hours(24 * 31));
  hold(*engine, "20261120T000000Z-00000000000000bb", now - std::chrono::hours(24 * 29));
  auto swept = sweep_expired_quarantine(*engine, now);
  ASSERT_TRUE(swept.ok()) << swept.error().message;
  EXPECT_EQ(*swept, 1u);
  EXPECT_FALSE(engine->quarantine().load("20261001T000000Z-00000000000000aa").ok());
  EXPECT_TRUE(engine->quarantine().load("20261120T000000Z-00000000000000bb").ok());
  const auto lines = privmilter::testing::read_json_lines(tmp_ / "audit.log");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["type"], "reviewer");
  EXPECT_EQ(lines[0]["action"], "purge");
  EXPECT_EQ(lines[0]["ids"], nlohmann::json::array({"20261001T000000Z-00000000000000aa"}));
}

TEST_F(RetentionSweeperTest, ZeroDaysKeepsEverything) {
  auto engine = make_engine(0);
  const auto now = std::chrono::system_clock::now();
  hold(*engine, "20200101T000000Z-00000000000000cc", now - std::chrono::hours(24 * 2000));
  auto swept = sweep_expired_quarantine(*engine, now);
  ASSERT_TRUE(swept.ok());
  EXPECT_EQ(*swept, 0u);
  EXPECT_TRUE(engine->quarantine().load("20200101T000000Z-00000000000000cc").ok());
}

}  // namespace
}  // namespace privmilter::milter
