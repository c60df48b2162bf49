// The audit log's disk full (a small tmpfs mounted as its directory and
// filled): a decision that cannot be recorded does not take effect, so a
// message that needs a record is deferred and never delivered unrecorded.
// The writer takes back what it wrote of a failed batch, so no record of a
// deferred message stays and the chain still verifies; once there is
// space, mail flows again.

#include <algorithm>
#include <sstream>

#include "daemon_fixture.h"
#include "sample_messages.h"
#include "tmpfs_mount.h"

namespace privmilter::integration {
namespace {

bool deferred(const MessageResult& result) {
  return result.verdict.kind == ReplyKind::replycode && result.verdict.text.rfind("451 4.3.0", 0) == 0;
}

class AuditDiskFull : public DaemonTest {
 protected:
  void SetUp() override {
    DaemonTest::SetUp();
    std::string why;
    disk_ = TmpfsMount::over(path("audit"), 1 << 20, why);
    if (!disk_) GTEST_SKIP() << why;
  }
  void TearDown() override {
    DaemonTest::TearDown();  // the daemon first: it has the log open there
    disk_.reset();
  }

  // Tagged by the bundled policy, which needs a record; many recipients
  // make the record large, so that few fill the log's last block.
  MessageResult send_ordinary(const std::string& queue_id) {
    std::vector<std::string> recipients;
    for (int i = 0; i < 40; ++i) recipients.push_back("recipient" + std::to_string(i) + "@client.example");
    SmtpEnvelope envelope = outgoing(recipients);
    envelope.queue_id = queue_id;
    return send(envelope, kOrdinary);
  }

  // The complete records; a line cut short is not one.
  std::vector<nlohmann::json> complete_records() const {
    std::vector<nlohmann::json> records;
    std::istringstream in(read_text(path("audit/audit.log")));
    for (std::string line; std::getline(in, line);) {
      auto record = nlohmann::json::parse(line, nullptr, false);
      if (!record.is_discarded()) records.push_back(std::move(record));
    }
    return records;
  }

  bool recorded_as_delivered(const std::string& queue_id) const {
    for (const auto& record : complete_records()) {
      if (record.value("queue_id", "") == queue_id && record.value("disposition", "") == "accept") return true;
    }
    return false;
  }

  std::optional<TmpfsMount> disk_;
};

TEST_F(AuditDiskFull, UnrecordableDecisionsAreDeferredAndTheChainSurvives) {
  start_daemon();
  ASSERT_TRUE(send_ordinary("4ZBEFORE").verdict.delivers());
  ASSERT_TRUE(disk_->fill());

  // Records still fit in the log's last, partly used block for a while;
  // then one does not.
  std::vector<std::string> delivered;
  bool deferred_one = false;
  for (int i = 0; i < 100 && !deferred_one; ++i) {
    const std::string queue_id = "4ZFULL" + std::to_string(i);
    const auto result = send_ordinary(queue_id);
    if (result.verdict.delivers()) {
      delivered.push_back(queue_id);
    } else {
      EXPECT_TRUE(deferred(result)) << to_string(result.verdict.kind) << " " << result.verdict.text;
      deferred_one = true;
    }
  }
  ASSERT_TRUE(deferred_one) << "the full disk never stopped a record";
  // Nothing goes out unrecorded while the disk stays full.
  const auto while_full = send_ordinary("4ZWHILEFULL");
  EXPECT_TRUE(deferred(while_full)) << to_string(while_full.verdict.kind) << " " << while_full.verdict.text;
  EXPECT_TRUE(daemon_running());

  disk_->free_space();
  const auto after = send_ordinary("4ZAFTER");
  EXPECT_TRUE(after.verdict.delivers()) << to_string(after.verdict.kind) << " " << after.verdict.text;
  EXPECT_EQ(after.added_header("X-Privmilter"), "scanned");

  const auto verified = run_command(std::string(PRIVMILTERCTL_PATH) + " audit verify -c " +
                                    path("privmilter.yaml").string());
  EXPECT_EQ(verified.exit_code, 0) << verified.output;
  for (const auto& queue_id : delivered) EXPECT_TRUE(recorded_as_delivered(queue_id)) << queue_id;
  EXPECT_TRUE(recorded_as_delivered("4ZBEFORE"));
  EXPECT_TRUE(recorded_as_delivered("4ZAFTER"));
  EXPECT_FALSE(recorded_as_delivered("4ZWHILEFULL"));
  // Nothing of the failed writes is left: every line is a whole record.
  const std::string log = read_text(path("audit/audit.log"));
  EXPECT_EQ(complete_records().size(), static_cast<std::size_t>(std::count(log.begin(), log.end(), '\n')));
  for (const auto& record : complete_records()) EXPECT_NE(record.value("type", ""), "recovered");
}

}  // namespace
}  // namespace privmilter::integration
