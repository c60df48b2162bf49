#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/resource.h>
#include <sys/stat.h>

#include <csignal>

#include "privmilter/enforce.h"
#include "unit/temp_dir.h"

namespace privmilter {
namespace {

using testing::read_file;
using testing::TempDir;

Envelope sample_envelope() {
  return Envelope{.queue_id = "4ABC123",
                  .sender = "alice@examplelaw.com",
                  .recipients = {"bob@client.example", "carol@examplelaw.com"},
                  .auth_authen = "alice",
                  .client_addr = "10.1.2.3",
                  .client_name = "ws1",
                  .daemon_name = "submission"};
}

Verdict sample_verdict() {
  Verdict verdict;
  verdict.action = Action::quarantine;
  verdict.deciding_rule = "privileged-unencrypted-external";
  verdict.fired.push_back({"privileged-unencrypted-external", Action::quarantine, false, false, {"bob@client.example"},
                           {{"privileged-unencrypted-external", "list:privilege_markings", "1 text/plain",
                             "privileged & confidential", 0, 1}}});
  return verdict;
}

MessageSpool spool_with(const std::filesystem::path& dir, const std::string& content, std::size_t threshold = 1 << 20) {
  MessageSpool spool(dir, threshold);
  EXPECT_TRUE(spool.append(content).ok());
  return spool;
}

TEST(QuarantineStore, StoresMessageAndRecordPrivately) {
  TempDir tmp;
  QuarantineStore store(tmp / "quarantine");
  ASSERT_TRUE(store.open().ok());
  const std::string message = "From: alice@examplelaw.com\r\nSubject: memo\r\n\r\nPrivileged & Confidential\r\n";
  auto spool = spool_with(tmp / "spool", message);

  ASSERT_TRUE(store.store("20261128T000000Z-0011223344556677", sample_envelope(), sample_verdict(), spool,
                          std::chrono::system_clock::now())
                  .ok());

  const auto eml = tmp / "quarantine" / "20261128T000000Z-0011223344556677.eml";
  const auto json = tmp / "quarantine" / "20261128T000000Z-0011223344556677.json";
  EXPECT_EQ(read_file(eml), message);
  auto record = nlohmann::json::parse(read_file(json));
  EXPECT_EQ(record["status"], "held");
  EXPECT_EQ(record["envelope"]["sender"], "alice@examplelaw.com");
  EXPECT_EQ(record["envelope"]["recipients"].size(), 2u);
  EXPECT_EQ(record["verdict"]["action"], "quarantine");
  EXPECT_EQ(record["verdict"]["rules"][0]["hits"][0]["detector"], "list:privilege_markings");

  struct stat info {};
  ASSERT_EQ(stat(eml.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  ASSERT_EQ(stat((tmp / "quarantine").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u);
  // No temporary files are left behind.
  int entries = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(tmp / "quarantine")) ++entries;
  EXPECT_EQ(entries, 2);
}

TEST(QuarantineStore, CopiesSpooledFileContent) {
  TempDir tmp;
  QuarantineStore store(tmp / "quarantine");
  ASSERT_TRUE(store.open().ok());
  std::string message = "Subject: big\r\n\r\n";
  for (int i = 0; i < 20000; ++i) message += "line " + std::to_string(i) + " of a large privileged brief\r\n";
  auto spool = spool_with(tmp / "spool", message, 4096);
  ASSERT_FALSE(spool.in_memory());
  ASSERT_TRUE(store.store("id-large", sample_envelope(), sample_verdict(), spool, std::chrono::system_clock::now()).ok());
  EXPECT_EQ(read_file(tmp / "quarantine" / "id-large.eml"), message);
}

TEST(QuarantineStore, FailsWhenDirectoryCannotBeCreated) {
  TempDir tmp;
  testing::write_file(tmp / "occupied", "a file where the directory should be");
  QuarantineStore store(tmp / "occupied" / "quarantine");
  EXPECT_FALSE(store.open().ok());
  auto spool = spool_with(tmp / "spool", "Subject: x\r\n\r\nbody\r\n");
  auto stored = store.store("id", sample_envelope(), sample_verdict(), spool, std::chrono::system_clock::now());
  ASSERT_FALSE(stored.ok());
  EXPECT_NE(stored.error().message.find("occupied"), std::string::npos);
}

// A file-size limit makes write() fail as on a full disk: the store must
// report it and leave no partial entry.
TEST(QuarantineStore, WriteFailureLeavesNothingBehind) {
  TempDir tmp;
  QuarantineStore store(tmp / "quarantine");
  ASSERT_TRUE(store.open().ok());
  auto spool = spool_with(tmp / "spool", std::string(256 * 1024, 'x'));

  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &saved), 0);
  auto previous_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit small = saved;
  small.rlim_cur = 64 * 1024;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  auto stored = store.store("id-full", sample_envelope(), sample_verdict(), spool, std::chrono::system_clock::now());
  setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, previous_handler);

  EXPECT_FALSE(stored.ok());
  EXPECT_TRUE(std::filesystem::is_empty(tmp / "quarantine"));
}

}  // namespace
}  // namespace privmilter
