// A reload that fails part-way through loading a policy directory: the
// bundled policy's ten files load, then a later one cannot be used
// (invalid, naming a phrase file that is missing, or too large). The
// running policy stays in force (mail is judged by it, as before), the
// reload status names the file (and line, where there is one), and a
// reload after the file is put right succeeds.

#include <signal.h>

#include <ostream>

#include "reload_fixture.h"
#include "sample_messages.h"

namespace privmilter::integration {
namespace {

// Read after the bundled files (00- to 90-): stamps outgoing mail, so a
// message shows whether the new version is in force.
constexpr const char* kLateRules = R"(version: 1
rules:
  - id: late-stamp
    when: { recipient: external }
    action: add_header
    header: { name: X-Late-Rules, value: "in force" }
)";

enum class Breakage { invalid_rule, missing_phrase_file, oversized };

struct BrokenFileCase {
  const char* name;
  Breakage breakage;
  std::string expected_location;  // in the error, after the policy directory
};

void PrintTo(const BrokenFileCase& test, std::ostream* out) { *out << test.name; }

class FailedReload : public ReloadTest, public ::testing::WithParamInterface<BrokenFileCase> {
 protected:
  std::filesystem::path late_file() const { return path("policy/95-late.yaml"); }

  void break_late_file(Breakage breakage) const {
    std::filesystem::remove(late_file());
    switch (breakage) {
      case Breakage::invalid_rule:
        std::ofstream(late_file()) << "version: 1\nrules:\n  - id: late-stamp\n    when: { recipient: external }\n"
                                      "    action: stamp\n";
        break;
      case Breakage::missing_phrase_file:
        std::ofstream(late_file()) << "version: 1\nlists:\n  late_markings:\n    file: late-markings.txt\n";
        break;
      case Breakage::oversized:
        // Past the 16 MiB a policy file may have (sparse: nothing is written).
        std::ofstream(late_file()) << kLateRules;
        std::filesystem::resize_file(late_file(), std::uintmax_t{17} << 20);
        break;
    }
  }

  std::optional<std::string> late_stamp() {
    auto result = send(outgoing({"bob@client.example"}), kOrdinary);
    EXPECT_TRUE(result.verdict.delivers()) << to_string(result.verdict.kind);
    return result.added_header("X-Late-Rules");
  }
};

TEST_P(FailedReload, KeepsTheRunningPolicyAndNamesTheFile) {
  const BrokenFileCase& test = GetParam();
  start_daemon(kPidFileConfig);
  ASSERT_TRUE(wait_for_file(status_file()));
  EXPECT_EQ(late_stamp(), std::nullopt);

  break_late_file(test.breakage);
  ASSERT_EQ(::kill(daemon_->pid(), SIGUSR1), 0);
  auto status = wait_for_attempt(1);
  ASSERT_TRUE(status.has_value()) << "no reload reported";
  EXPECT_EQ((*status)["ok"], false);
  EXPECT_EQ((*status)["generation"], 1);
  const std::string error = (*status)["error"];
  EXPECT_NE(error.find(path("policy").string() + "/" + test.expected_location), std::string::npos) << error;

  // The bundled policy, loaded at start, still judges mail.
  EXPECT_TRUE(daemon_running());
  EXPECT_EQ(late_stamp(), std::nullopt);
  auto privileged = send(outgoing({"bob@client.example"}),
                         "Subject: Draft\n\nPRIVILEGED & CONFIDENTIAL\nATTORNEY-CLIENT COMMUNICATION\n");
  EXPECT_EQ(privileged.verdict.kind, ReplyKind::discard) << to_string(privileged.verdict.kind);

  std::filesystem::remove(late_file());
  std::ofstream(late_file()) << kLateRules;
  ASSERT_EQ(::kill(daemon_->pid(), SIGUSR1), 0);
  status = wait_for_attempt(2);
  ASSERT_TRUE(status.has_value()) << "no reload reported";
  EXPECT_EQ((*status)["ok"], true) << status->dump();
  EXPECT_EQ((*status)["generation"], 2);
  EXPECT_EQ(late_stamp(), "in force");
}

INSTANTIATE_TEST_SUITE_P(
    LaterFileBroken, FailedReload,
    ::testing::Values(BrokenFileCase{"invalid_rule", Breakage::invalid_rule, "95-late.yaml:5"},
                      BrokenFileCase{"missing_phrase_file", Breakage::missing_phrase_file, "95-late.yaml:4"},
                      BrokenFileCase{"oversized", Breakage::oversized, "95-late.yaml: policy file larger than"}),
    [](const ::testing::TestParamInfo<BrokenFileCase>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace privmilter::integration
