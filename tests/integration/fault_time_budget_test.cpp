// What inspecting one message may cost (limits.time_budget_ms). A spent
// budget is not a failure: inspection stops where it is, the message gets
// an uninspectable fact naming "limit:time_budget", and the policy judges
// it like any other fact (here: refused). The answer comes when the budget
// runs out, not when the MTA's own timeout would.

#include "daemon_fixture.h"

namespace privmilter::integration {
namespace {

// Holds what could not be read in full; stamps everything else, so that a
// fully inspected message is told apart from one let through unjudged.
constexpr const char* kPolicy = R"(version: 1
rules:
  - id: incompletely-inspected
    when:
      all:
        - recipient: external
        - uninspectable: true
    action: reject
    reply: { code: "550", xcode: "5.7.1", text: "Message could not be inspected in full" }
  - id: stamp
    when: { recipient: external }
    action: add_header
    header: { name: X-Inspected, value: fully }
)";

// Costly to inspect however fast the machine: hundreds of HTML parts, each
// parsed and reduced to text. Milliseconds of budget cannot cover it;
// the default budget (seconds) covers it many times over.
std::string many_html_parts() {
  std::string message =
      "From: Alice <alice@examplelaw.com>\n"
      "To: Bob <bob@client.example>\n"
      "Subject: Exhibits\n"
      "MIME-Version: 1.0\n"
      "Content-Type: multipart/mixed; boundary=\"part\"\n"
      "\n";
  std::string html = "<html><body>";
  while (html.size() < 8000) html += "<p>Exhibit <b>list</b> for the <i>hearing</i> next week.</p>\n";
  html += "</body></html>\n";
  for (int i = 0; i < 600; ++i) {
    message += "--part\nContent-Type: text/html; charset=utf-8\n\n" + html;
  }
  return message + "--part--\n";
}

class TimeBudget : public DaemonTest {
 protected:
  void SetUp() override {
    DaemonTest::SetUp();
    std::ofstream(path("policy.yaml")) << kPolicy;
  }
};

TEST_F(TimeBudget, ASpentBudgetIsAnUninspectableFactThePolicyJudges) {
  start_daemon("limits: {time_budget_ms: 10}\n");
  auto result = send(outgoing({"bob@client.example"}), many_html_parts());
  EXPECT_EQ(result.decided_at, miltertest::Stage::eom);
  ASSERT_EQ(result.verdict.kind, ReplyKind::replycode) << to_string(result.verdict.kind);
  EXPECT_EQ(result.verdict.text.rfind("550 5.7.1 Message could not be inspected in full", 0), 0u)
      << result.verdict.text;
  const auto lines = audit_lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["action"], "reject");
  // The evidence names the limit that stopped inspection.
  EXPECT_NE(lines[0].dump().find("limit:time_budget"), std::string::npos) << lines[0].dump();
  EXPECT_TRUE(daemon_running());
}

// The same message within the default budget: read in full.
TEST_F(TimeBudget, TheSameMessageWithinTheBudgetIsReadInFull) {
  start_daemon();
  auto result = send(outgoing({"bob@client.example"}), many_html_parts());
  EXPECT_TRUE(result.verdict.delivers()) << to_string(result.verdict.kind) << " " << result.verdict.text;
  EXPECT_EQ(result.added_header("X-Inspected"), "fully");
}

}  // namespace
}  // namespace privmilter::integration
