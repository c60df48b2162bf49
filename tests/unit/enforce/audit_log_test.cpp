#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include <set>
#include <thread>

#include "enforce/audit_files.h"
#include "privmilter/audit.h"
#include "unit/enforce/audit_test_support.h"
#include "unit/json_lines.h"

namespace privmilter {
namespace {

using testing::audit_options;
using testing::read_lines;
using testing::reviewer_event;
using testing::TempDir;
using testing::verify;

std::vector<std::uint64_t> all_seqs(const std::filesystem::path& path) {
  auto records = read_audit_records(path);
  EXPECT_TRUE(records.ok()) << (records.ok() ? "" : records.error().message);
  std::vector<std::uint64_t> seqs;
  if (records.ok()) {
    for (const auto& record : *records) seqs.push_back(record["seq"].get<std::uint64_t>());
  }
  return seqs;
}

std::vector<std::uint64_t> one_to(std::uint64_t n) {
  std::vector<std::uint64_t> seqs;
  for (std::uint64_t i = 1; i <= n; ++i) seqs.push_back(i);
  return seqs;
}

TEST(AuditLog, ChainsEachRecordToThePreviousOne) {
  TempDir tmp;
  const auto path = tmp / "audit" / "audit.log";
  AuditLog log(audit_options(path));
  ASSERT_TRUE(log.open().ok());
  ASSERT_TRUE(log.append(reviewer_event("ref-1")).ok());
  ASSERT_TRUE(log.append(reviewer_event("ref-2")).ok());

  const auto lines = testing::read_json_lines(path);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["seq"], 1);
  EXPECT_EQ(lines[0]["prev"], std::string(64, '0'));
  EXPECT_EQ(lines[1]["seq"], 2);
  EXPECT_EQ(lines[1]["prev"], lines[0]["mac"]);
  EXPECT_EQ(lines[1]["ref"], "ref-2");
  EXPECT_TRUE(lines[0]["time"].is_string());  // added when the event has none
  EXPECT_EQ(lines[0]["mac"].get<std::string>().size(), 64u);
  const auto result = verify(path);
  EXPECT_TRUE(result.ok) << result.problem;
  EXPECT_EQ(result.records, 2u);

  struct stat info {};
  ASSERT_EQ(::stat(path.parent_path().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u);
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
}

TEST(AuditLog, RefusesEventsWithoutTypeOrWithChainFieldsAndAppendsBeforeOpen) {
  TempDir tmp;
  AuditLog log(audit_options(tmp / "audit.log"));
  EXPECT_FALSE(log.append(reviewer_event("early")).ok());
  ASSERT_TRUE(log.open().ok());
  EXPECT_FALSE(log.append(nlohmann::json{{"ref", "x"}}).ok());
  EXPECT_FALSE(log.append(nlohmann::json{{"type", "reviewer"}, {"seq", 99}}).ok());
  EXPECT_FALSE(log.append(nlohmann::json::array()).ok());
  EXPECT_EQ(verify(tmp / "audit.log").records, 0u);
}

TEST(AuditLog, ConcurrentAppendsShareFdatasyncsAndKeepTheChain) {
  TempDir tmp;
  const auto path = tmp / "audit.log";
  AuditLog log(audit_options(path));
  ASSERT_TRUE(log.open().ok());
  constexpr int kThreads = 8;
  constexpr int kPerThread = 100;
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&log, t] {
      for (int i = 0; i < kPerThread; ++i) {
        EXPECT_TRUE(log.append(reviewer_event(std::to_string(t) + "-" + std::to_string(i))).ok());
      }
    });
  }
  for (auto& writer : writers) writer.join();

  const auto result = verify(path);
  EXPECT_TRUE(result.ok) << result.problem;
  EXPECT_EQ(result.records, std::size_t{kThreads * kPerThread});
  EXPECT_EQ(all_seqs(path), one_to(kThreads * kPerThread));
  // Group commit: while one batch is being synced the others queue up.
  EXPECT_LT(log.commits(), std::uint64_t{kThreads * kPerThread});
  EXPECT_GT(log.commits(), 0u);
}

TEST(AuditLog, EachAppendIsDurableBeforeItReturnsWithoutConcurrency) {
  TempDir tmp;
  AuditLog log(audit_options(tmp / "audit.log"));
  ASSERT_TRUE(log.open().ok());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(log.append(reviewer_event(std::to_string(i))).ok());
  EXPECT_EQ(log.commits(), 5u);  // alone, every record is its own commit
}

TEST(AuditLog, ReopeningContinuesTheChain) {
  TempDir tmp;
  const auto path = tmp / "audit.log";
  testing::write_events(path, 3);
  testing::write_events(path, 2, 0, 4);
  EXPECT_EQ(all_seqs(path), one_to(5));
  EXPECT_TRUE(verify(path).ok);
}

TEST(AuditLog, TwoWritersOnTheSameFileKeepOneChain) {
  // As the daemon and privmilterctl do: separate descriptors, one lock.
  TempDir tmp;
  const auto path = tmp / "audit.log";
  AuditLog daemon(audit_options(path));
  AuditLog reviewer(audit_options(path));
  ASSERT_TRUE(daemon.open().ok());
  ASSERT_TRUE(reviewer.open().ok());
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(daemon.append(reviewer_event("d" + std::to_string(i))).ok());
    ASSERT_TRUE(reviewer.append(reviewer_event("r" + std::to_string(i))).ok());
  }
  std::thread a([&daemon] {
    for (int i = 0; i < 50; ++i) EXPECT_TRUE(daemon.append(reviewer_event("da" + std::to_string(i))).ok());
  });
  std::thread b([&reviewer] {
    for (int i = 0; i < 50; ++i) EXPECT_TRUE(reviewer.append(reviewer_event("rb" + std::to_string(i))).ok());
  });
  a.join();
  b.join();
  const auto result = verify(path);
  EXPECT_TRUE(result.ok) << result.file << ":" << result.line << ": " << result.problem;
  EXPECT_EQ(all_seqs(path), one_to(120));
}

TEST(AuditLog, RotationContinuesTheChainAcrossFiles) {
  TempDir tmp;
  const auto path = tmp / "audit.log";
  testing::write_events(path, 40, 2000);
  const auto rotated = audit::rotated_files(path);
  ASSERT_GE(rotated.size(), 2u);
  for (const auto& file : rotated) EXPECT_LT(std::filesystem::file_size(file), 2000u + 400u) << file;

  const auto result = verify(path);
  EXPECT_TRUE(result.ok) << result.file << ":" << result.line << ": " << result.problem;
  EXPECT_EQ(result.files, rotated.size() + 1);
  // Every file after the first opens with a rotate record naming its predecessor.
  for (std::size_t i = 1; i <= rotated.size(); ++i) {
    const auto file = i < rotated.size() ? rotated[i] : path;
    const auto first = nlohmann::json::parse(read_lines(file).front());
    EXPECT_EQ(first["type"], "rotate");
    EXPECT_EQ(first["previous"], rotated[i - 1].filename().string());
  }
  const auto seqs = all_seqs(path);
  EXPECT_EQ(seqs, one_to(seqs.size()));
  auto records = read_audit_records(path);
  ASSERT_TRUE(records.ok());
  int reviewer_records = 0;
  for (const auto& record : *records) reviewer_records += record["type"] == "reviewer";
  EXPECT_EQ(reviewer_records, 40);
}

TEST(AuditLog, AWriterNoticesThatAnotherProcessRotated) {
  TempDir tmp;
  const auto path = tmp / "audit.log";
  AuditLog first(audit_options(path, 1500));
  AuditLog second(audit_options(path, 1500));
  ASSERT_TRUE(first.open().ok());
  ASSERT_TRUE(second.open().ok());
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE((i % 3 == 0 ? second : first).append(reviewer_event(std::to_string(i))).ok());
  }
  EXPECT_GE(audit::rotated_files(path).size(), 2u);
  const auto result = verify(path);
  EXPECT_TRUE(result.ok) << result.file << ":" << result.line << ": " << result.problem;
}

TEST(AuditLog, APartialLastLineIsClosedAndRecordedOnOpen) {
  TempDir tmp;
  const auto path = tmp / "audit.log";
  testing::write_events(path, 3);
  const std::string garbage = "{\"type\":\"decision\",\"ref\":\"cut-of";
  testing::write_file(path, testing::read_file(path) + garbage);
  EXPECT_FALSE(verify(path).ok);  // until a writer has recorded it

  testing::write_events(path, 2, 0, 4);
  const auto lines = read_lines(path);
  ASSERT_EQ(lines.size(), 7u);
  EXPECT_EQ(lines[3], garbage);
  const auto recovered = nlohmann::json::parse(lines[4]);
  EXPECT_EQ(recovered["type"], "recovered");
  EXPECT_EQ(recovered["seq"], 4);
  EXPECT_EQ(recovered["damaged"]["bytes"], garbage.size());

  const auto result = verify(path);
  EXPECT_TRUE(result.ok) << result.line << ": " << result.problem;
  ASSERT_EQ(result.notes.size(), 1u);
  EXPECT_NE(result.notes[0].find(":4: partial record"), std::string::npos) << result.notes[0];
  EXPECT_EQ(all_seqs(path), one_to(6));
}

TEST(AuditLog, AWholeRecordCutBeforeItsNewlineIsRecordedAsDamage) {
  // A crash after the record's bytes but before its newline and the head.
  TempDir tmp;
  const auto path = tmp / "audit.log";
  testing::write_events(path, 4);
  const std::string head_after_four = testing::read_file(audit::head_path(path));
  testing::write_events(path, 1, 0, 5);
  std::string content = testing::read_file(path);
  content.pop_back();
  testing::write_file(path, content);
  testing::write_file(audit::head_path(path), head_after_four);

  testing::write_events(path, 1, 0, 6);
  const auto result = verify(path);
  EXPECT_TRUE(result.ok) << result.line << ": " << result.problem;
  EXPECT_EQ(result.notes.size(), 1u);
  EXPECT_EQ(all_seqs(path), one_to(6));  // the cut record is not counted
}

TEST(AuditLog, OpenRefusesALogItsKeyDoesNotVerify) {
  TempDir tmp;
  const auto path = tmp / "audit.log";
  testing::write_events(path, 2);
  AuditLog other(audit_options(path, 0, 99));
  const auto opened = other.open();
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.error().message.find("does not verify"), std::string::npos) << opened.error().message;
}

TEST(AuditLog, OpenRefusesALogWhoseEndWasCutOff) {
  TempDir tmp;
  const auto path = tmp / "audit.log";
  testing::write_events(path, 5);
  auto lines = read_lines(path);
  lines.resize(3);
  testing::write_lines(path, lines);
  AuditLog log(audit_options(path));
  const auto opened = log.open();
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.error().message.find("truncated"), std::string::npos) << opened.error().message;
}

TEST(AuditLog, OpenRefusesAChainWithoutItsHeadFile) {
  TempDir tmp;
  const auto path = tmp / "audit.log";
  testing::write_events(path, 2);
  std::filesystem::remove(audit::head_path(path));
  AuditLog log(audit_options(path));
  const auto opened = log.open();
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.error().message.find("missing"), std::string::npos) << opened.error().message;
}

TEST(AuditLog, AnUnchainedLogFromBeforeIsSetAsideAndANewChainBegins) {
  TempDir tmp;
  const auto path = tmp / "audit.log";
  testing::write_file(path, "{\"type\":\"decision\",\"ref\":\"old-1\"}\n{\"type\":\"decision\",\"ref\":\"old-2\"}\n");
  testing::write_events(path, 2);
  EXPECT_EQ(all_seqs(path), one_to(2));
  EXPECT_TRUE(verify(path).ok);
  int set_aside = 0;
  for (const auto& entry : std::filesystem::directory_iterator(tmp.path())) {
    if (entry.path().filename().string().rfind("audit.log.unchained-", 0) == 0) {
      ++set_aside;
      EXPECT_NE(testing::read_file(entry.path()).find("old-2"), std::string::npos);
    }
  }
  EXPECT_EQ(set_aside, 1);
}

}  // namespace
}  // namespace privmilter
