// on_error: what the daemon answers when it cannot decide at all, for an
// internal failure (the spool it buffers messages in is unusable) and for a
// message too large to parse (limits.max_message_bytes). tempfail keeps the
// message at the MTA; accept lets it through uninspected, unrecorded.

#include <ostream>

#include "daemon_fixture.h"

namespace privmilter::integration {
namespace {

// Stamps what it judged, so that a judged message is told apart from one
// let through unjudged.
constexpr const char* kStampingPolicy = R"(version: 1
rules:
  - id: stamp
    when: { recipient: external }
    action: add_header
    header: { name: X-Inspected, value: fully }
)";

enum class Failure { spool_unusable, message_too_large };

struct OnErrorCase {
  const char* name;
  const char* on_error;
  Failure failure;
};

void PrintTo(const OnErrorCase& test, std::ostream* out) { *out << test.name; }

class OnError : public DaemonTest, public ::testing::WithParamInterface<OnErrorCase> {};

TEST_P(OnError, AnInternalFailureIsAnsweredPerOnError) {
  const OnErrorCase& test = GetParam();
  std::ofstream(path("policy.yaml")) << kStampingPolicy;
  start_daemon(std::string("on_error: ") + test.on_error + "\nlimits: {max_message_bytes: 100000}\n");
  const std::string fits = "Subject: Exhibits\n\n" + std::string(80000, 'x') + "\n";
  const std::string too_large = "Subject: Exhibits\n\n" + std::string(200000, 'x') + "\n";
  if (test.failure == Failure::spool_unusable) {
    // A message past the spool's memory threshold (64 KiB here) goes to a
    // file there, and cannot.
    std::filesystem::remove_all(path("spool"));
    std::ofstream(path("spool")) << "not a directory\n";
  }
  auto failed = send(outgoing({"bob@client.example"}),
                     test.failure == Failure::message_too_large ? too_large : fits);
  if (std::string(test.on_error) == "accept") {
    // Let through uninspected: no stamp, no policy, no record.
    EXPECT_TRUE(failed.verdict.delivers()) << to_string(failed.verdict.kind);
    EXPECT_FALSE(failed.added_header("X-Inspected").has_value());
  } else {
    const bool deferred = failed.verdict.kind == ReplyKind::tempfail ||
                          (failed.verdict.kind == ReplyKind::replycode && failed.verdict.text.rfind("451 ", 0) == 0);
    EXPECT_TRUE(deferred) << to_string(failed.verdict.kind) << " " << failed.verdict.text;
  }
  EXPECT_TRUE(audit_lines().empty());
  EXPECT_TRUE(daemon_running());

  if (test.failure == Failure::spool_unusable) {
    std::filesystem::remove(path("spool"));
    std::filesystem::create_directory(path("spool"));
  }
  auto next = send(outgoing({"bob@client.example"}), fits);
  EXPECT_TRUE(next.verdict.delivers()) << to_string(next.verdict.kind);
  EXPECT_EQ(next.added_header("X-Inspected"), "fully");
}

INSTANTIATE_TEST_SUITE_P(
    InternalFailures, OnError,
    ::testing::Values(OnErrorCase{"spool_unusable_tempfail", "tempfail", Failure::spool_unusable},
                      OnErrorCase{"spool_unusable_accept", "accept", Failure::spool_unusable},
                      OnErrorCase{"too_large_tempfail", "tempfail", Failure::message_too_large},
                      OnErrorCase{"too_large_accept", "accept", Failure::message_too_large}),
    [](const ::testing::TestParamInfo<OnErrorCase>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace privmilter::integration
