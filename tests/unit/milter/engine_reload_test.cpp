// Engine::reload against real configuration and policy files: the new
// snapshot is installed only when everything loads, and a message keeps the
// snapshot it started with.

#include <gtest/gtest.h>

#include "engine.h"
#include "session.h"
#include "unit/temp_dir.h"

namespace privmilter::milter {
namespace {

using privmilter::testing::TempDir;
using privmilter::testing::write_file;

std::string stamping_policy(const std::string& value, int extra_rules = 0) {
  std::string yaml = "version: 1\nrules:\n";
  for (int i = 0; i < extra_rules; ++i) {
    yaml += "  - id: internal-" + std::to_string(i) + "\n    when: { recipient: internal }\n    action: accept\n";
  }
  yaml += "  - id: stamp-" + value + "\n    when: { recipient: external }\n    action: add_header\n"
          "    header: { name: X-Policy-Version, value: " + value + " }\n";
  return yaml;
}

const char* kBrokenPolicy = "version: 1\nrules:\n  - id: r1\n    action: rejct\n";

class EngineReloadTest : public ::testing::Test {
 protected:
  void write_config(const std::string& extra = "") const {
    privmilter::testing::write_test_keys(tmp_.path());
    write_file(tmp_ / "privmilter.yaml", "milter: {socket: 'inet:8891@127.0.0.1'}\n"
                                         "firm: {internal_domains: [examplelaw.com]}\n"
                                         "policy: policy.yaml\n"
                                         "quarantine: {directory: quarantine, key_file: keys/quarantine.key}\n"
                                         "audit: {log: audit.log, key_file: keys/audit.key}\n"
                                         "release: {key_file: keys/release.key}\n"
                                         "spool: {directory: spool}\n" +
                                             extra);
  }

  std::unique_ptr<Engine> start(const std::string& policy, ConfigSource source = {}) {
    write_config();
    write_file(tmp_ / "policy.yaml", policy);
    if (source.file.empty()) source.file = tmp_ / "privmilter.yaml";
    auto config = load_config(source);
    EXPECT_TRUE(config.ok()) << config.error().message;
    auto engine = Engine::create(std::move(config).value(), source);
    EXPECT_TRUE(engine.ok()) << engine.error().message;
    return std::move(engine).value();
  }

  // MAIL FROM to end of headers for an authenticated sender and an external recipient.
  static void start_message(Connection& connection) {
    connection.on_connect("ws1", "192.0.2.10", "submission");
    ASSERT_EQ(connection.on_mail("<alice@examplelaw.com>", "alice", "Q1"), StageReply::proceed);
    ASSERT_EQ(connection.on_rcpt("<bob@client.example>"), StageReply::proceed);
    ASSERT_EQ(connection.on_data(), StageReply::proceed);
    ASSERT_EQ(connection.on_header("Subject", "Schedule"), StageReply::proceed);
    ASSERT_EQ(connection.on_end_of_headers(), StageReply::proceed);
  }

  static std::string stamp(const MtaEdits& edits) {
    for (const auto& header : edits.add_headers) {
      if (header.name == "X-Policy-Version") return header.value;
    }
    return "(none)";
  }

  TempDir tmp_;
};

TEST_F(EngineReloadTest, ValidPolicyIsSwappedInAsTheNextGeneration) {
  auto engine = start(stamping_policy("alpha"));
  EXPECT_EQ(engine->snapshot()->generation, 1u);
  EXPECT_EQ(engine->last_reload().attempts, 0u);

  write_file(tmp_ / "policy.yaml", stamping_policy("beta", 2));
  auto outcome = engine->reload();
  ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  EXPECT_EQ(outcome->generation, 2u);
  EXPECT_EQ(outcome->rule_count, 3u);
  EXPECT_TRUE(outcome->restart_required.empty());
  EXPECT_EQ(engine->snapshot()->generation, 2u);
  EXPECT_EQ(rule_count(*engine->snapshot()->policy), 3u);

  const ReloadStatus status = engine->last_reload();
  EXPECT_EQ(status.attempts, 1u);
  EXPECT_TRUE(status.ok);
  EXPECT_EQ(status.generation, 2u);
  EXPECT_EQ(status.rule_count, 3u);
  EXPECT_TRUE(status.error.empty());
}

TEST_F(EngineReloadTest, InvalidPolicyIsRejectedAndTheRunningSnapshotStays) {
  auto engine = start(stamping_policy("alpha"));
  const auto before = engine->snapshot();

  write_file(tmp_ / "policy.yaml", kBrokenPolicy);
  auto outcome = engine->reload();
  ASSERT_FALSE(outcome.ok());
  EXPECT_NE(outcome.error().message.find("policy.yaml:4"), std::string::npos) << outcome.error().message;
  EXPECT_EQ(engine->snapshot(), before);

  const ReloadStatus status = engine->last_reload();
  EXPECT_EQ(status.attempts, 1u);
  EXPECT_FALSE(status.ok);
  EXPECT_EQ(status.generation, 1u);
  EXPECT_EQ(status.error, outcome.error().message);

  // Fixed again: the next reload is generation 2, not 3.
  write_file(tmp_ / "policy.yaml", stamping_policy("beta"));
  auto fixed = engine->reload();
  ASSERT_TRUE(fixed.ok()) << fixed.error().message;
  EXPECT_EQ(fixed->generation, 2u);
  EXPECT_EQ(engine->last_reload().attempts, 2u);
  EXPECT_TRUE(engine->last_reload().ok);
}

TEST_F(EngineReloadTest, InvalidConfigurationIsRejectedWithItsLine) {
  auto engine = start(stamping_policy("alpha"));
  const auto before = engine->snapshot();
  write_config("on_error: sometimes\n");
  auto outcome = engine->reload();
  ASSERT_FALSE(outcome.ok());
  EXPECT_NE(outcome.error().message.find("privmilter.yaml:8: on_error must be tempfail or accept"), std::string::npos)
      << outcome.error().message;
  EXPECT_EQ(engine->snapshot(), before);
}

TEST_F(EngineReloadTest, SettingsBoundAtStartKeepTheirRunningValues) {
  auto engine = start(stamping_policy("alpha"));
  const auto running = engine->snapshot()->config;
  write_file(tmp_ / "privmilter.yaml", "milter: {socket: 'inet:9999@127.0.0.1'}\n"
                                       "firm: {internal_domains: [examplelaw.com, examplelaw.co.uk]}\n"
                                       "policy: policy.yaml\n"
                                       "quarantine: {directory: held, key_file: keys/quarantine.key}\n"
                                       "audit: {log: audit.log, key_file: keys/audit.key}\n"
                                       "release: {key_file: keys/release.key}\n"
                                       "spool: {directory: spool}\n"
                                       "pid_file: run/privmilter.pid\n"
                                       "on_error: accept\n");
  auto outcome = engine->reload();
  ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  EXPECT_EQ(outcome->restart_required,
            (std::vector<std::string>{"milter.socket", "quarantine.directory", "pid_file"}));
  const auto& reloaded = *engine->snapshot()->config;
  EXPECT_EQ(reloaded.socket, running->socket);
  EXPECT_EQ(reloaded.quarantine.directory, running->quarantine.directory);
  EXPECT_EQ(reloaded.pid_file, running->pid_file);
  // Everything else is the new file's.
  EXPECT_EQ(reloaded.on_error, OnError::accept);
  EXPECT_TRUE(engine->snapshot()->directory.is_internal_address("carol@examplelaw.co.uk"));
  EXPECT_EQ(engine->last_reload().restart_required, outcome->restart_required);
}

TEST_F(EngineReloadTest, CommandLineOverridesSurviveAReload) {
  auto engine = start(stamping_policy("alpha"), ConfigSource{.file = {},
                                                             .socket = "unix:/run/privmilter/test.sock",
                                                             .pid_file = tmp_ / "override.pid"});
  auto outcome = engine->reload();
  ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  EXPECT_TRUE(outcome->restart_required.empty());
  EXPECT_EQ(engine->snapshot()->config->socket, "unix:/run/privmilter/test.sock");
  EXPECT_EQ(engine->snapshot()->config->pid_file, tmp_ / "override.pid");
}

TEST_F(EngineReloadTest, MessageInFlightIsDecidedByTheSnapshotAtItsMailFrom) {
  auto engine = start(stamping_policy("alpha"));
  Connection connection(*engine);
  start_message(connection);
  ASSERT_EQ(connection.on_body("Part one of the schedule.\r\n"), StageReply::proceed);

  write_file(tmp_ / "policy.yaml", stamping_policy("beta"));
  ASSERT_TRUE(engine->reload().ok());

  ASSERT_EQ(connection.on_body("Part two.\r\n"), StageReply::proceed);
  EXPECT_EQ(stamp(connection.on_end_of_message("Q1")), "alpha");

  // The next message on the same connection starts on the new snapshot.
  start_message(connection);
  ASSERT_EQ(connection.on_body("Another schedule.\r\n"), StageReply::proceed);
  EXPECT_EQ(stamp(connection.on_end_of_message("Q2")), "beta");
}

TEST_F(EngineReloadTest, MessageInFlightAnswersFailuresPerItsOwnOnError) {
  auto engine = start(stamping_policy("alpha"));
  Connection connection(*engine);
  start_message(connection);
  write_config("on_error: accept\n");
  ASSERT_TRUE(engine->reload().ok());
  // Started under on_error: tempfail, so a failure still defers it.
  EXPECT_EQ(connection.failure_reply(), StageReply::tempfail);
  EXPECT_EQ(connection.failure_edits("test").disposition, Disposition::tempfail);
  connection.on_abort();
  EXPECT_EQ(connection.failure_reply(), StageReply::accept);
}

}  // namespace
}  // namespace privmilter::milter
