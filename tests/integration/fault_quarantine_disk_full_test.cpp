// The quarantine's disk full (a small tmpfs mounted as the quarantine
// directory and filled): a message to hold is deferred (451), so the MTA
// keeps it; no partial entry is left and the index lists exactly the
// entries on disk; once there is space again the next attempt is held.

#include <set>

#include "daemon_fixture.h"
#include "tmpfs_mount.h"

namespace privmilter::integration {
namespace {

// Held by the bundled policy (privileged-unencrypted-external), and large
// enough not to fit in what a full disk has left.
std::string large_privileged_message() {
  std::string message =
      "From: Alice <alice@examplelaw.com>\n"
      "To: Bob <bob@client.example>\n"
      "Subject: Draft settlement\n"
      "\n"
      "PRIVILEGED & CONFIDENTIAL\n"
      "ATTORNEY-CLIENT COMMUNICATION\n\n";
  while (message.size() < 512 * 1024) message += "Our position on the settlement figure is as follows.\n";
  return message;
}

class QuarantineDiskFull : public DaemonTest {
 protected:
  void SetUp() override {
    DaemonTest::SetUp();
    std::string why;
    disk_ = TmpfsMount::over(path("quarantine"), 4 << 20, why);
    if (!disk_) GTEST_SKIP() << why;
  }
  void TearDown() override {
    DaemonTest::TearDown();  // the daemon first: it has the index open there
    disk_.reset();
  }

  std::set<std::string> entry_files() const {
    std::set<std::string> ids;
    for (const auto& file : quarantined(".pmq")) ids.insert(file.stem().string());
    return ids;
  }

  std::optional<TmpfsMount> disk_;
};

TEST_F(QuarantineDiskFull, DefersLeavesNothingHalfWrittenAndHoldsOnceThereIsSpace) {
  start_daemon();
  ASSERT_TRUE(disk_->fill());

  auto deferred = send(outgoing({"bob@client.example"}), large_privileged_message());
  ASSERT_EQ(deferred.verdict.kind, ReplyKind::replycode) << to_string(deferred.verdict.kind);
  EXPECT_EQ(deferred.verdict.text.rfind("451 4.3.0", 0), 0u) << deferred.verdict.text;
  EXPECT_TRUE(entry_files().empty());
  EXPECT_TRUE(quarantined(".tmp").empty()) << "a partial entry was left behind";
  EXPECT_TRUE(quarantine_listed().empty());
  auto lines = audit_lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["disposition"], "tempfail");
  const std::string error = lines[0]["error"];
  EXPECT_NE(error.find("quarantine write failed"), std::string::npos) << error;
  EXPECT_NE(error.find("No space left on device"), std::string::npos) << error;
  EXPECT_TRUE(daemon_running());

  // The MTA's retry, once space is back.
  disk_->free_space();
  auto held = send(outgoing({"bob@client.example"}), large_privileged_message());
  EXPECT_EQ(held.verdict.kind, ReplyKind::discard) << to_string(held.verdict.kind);
  const auto files = entry_files();
  ASSERT_EQ(files.size(), 1u);
  EXPECT_TRUE(quarantined(".tmp").empty());
  const auto listed = quarantine_listed();
  EXPECT_EQ(std::set<std::string>(listed.begin(), listed.end()), files);
  lines = audit_lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1]["quarantine_id"], *files.begin());
  // Complete: the whole message as the MTA sent it (CRLF line ends).
  std::string sent;
  for (char c : large_privileged_message()) sent += c == '\n' ? std::string("\r\n") : std::string(1, c);
  EXPECT_TRUE(quarantine_entry(*files.begin())["message"] == sent);
}

}  // namespace
}  // namespace privmilter::integration
