// Each way of tampering with the log is detected, at the first bad record.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "enforce/audit_files.h"
#include "privmilter/audit.h"
#include "unit/enforce/audit_test_support.h"

namespace privmilter {
namespace {

using testing::read_lines;
using testing::TempDir;
using testing::verify;
using testing::write_lines;

class AuditVerify : public ::testing::Test {
 protected:
  void SetUp() override { testing::write_events(path_, 10); }

  void expect_tampered(std::size_t line, const std::string& problem,
                       const std::filesystem::path& file = {}) const {
    const auto result = verify(path_);
    EXPECT_FALSE(result.ok);
    EXPECT_EQ(result.file, file.empty() ? path_ : file);
    EXPECT_EQ(result.line, line) << result.problem;
    EXPECT_NE(result.problem.find(problem), std::string::npos) << result.problem;
  }

  TempDir tmp_;
  std::filesystem::path path_ = tmp_ / "audit.log";
};

TEST_F(AuditVerify, AnIntactLogVerifies) {
  const auto result = verify(path_);
  EXPECT_TRUE(result.ok) << result.problem;
  EXPECT_EQ(result.records, 10u);
  EXPECT_EQ(result.files, 1u);
  EXPECT_EQ(result.last_seq, 10u);
  EXPECT_TRUE(result.notes.empty());
}

TEST_F(AuditVerify, DetectsOneChangedByte) {
  auto lines = read_lines(path_);
  const auto at = lines[3].find("ref-4");
  ASSERT_NE(at, std::string::npos);
  lines[3][at + 4] = '5';
  write_lines(path_, lines);
  expect_tampered(4, "MAC mismatch");
}

TEST_F(AuditVerify, DetectsAnEditThatKeepsTheParsedRecord) {
  auto lines = read_lines(path_);
  lines[5].insert(1, " ");
  write_lines(path_, lines);
  expect_tampered(6, "record altered");
}

TEST_F(AuditVerify, DetectsARemovedRecord) {
  auto lines = read_lines(path_);
  lines.erase(lines.begin() + 4);
  write_lines(path_, lines);
  expect_tampered(5, "sequence gap: expected 5, found 6");
}

TEST_F(AuditVerify, DetectsARemovedFirstRecord) {
  auto lines = read_lines(path_);
  lines.erase(lines.begin());
  write_lines(path_, lines);
  expect_tampered(1, "does not start at seq 1");
}

TEST_F(AuditVerify, DetectsAReplayedRecord) {
  auto lines = read_lines(path_);
  lines.insert(lines.begin() + 6, lines[2]);
  write_lines(path_, lines);
  expect_tampered(7, "sequence out of order: expected 7, found 3");
}

TEST_F(AuditVerify, DetectsAForgedRecord) {
  auto lines = read_lines(path_);
  auto forged = nlohmann::json::parse(lines[6]);
  forged["ref"] = "forged";
  forged["seq"] = 7;
  lines.insert(lines.begin() + 6, forged.dump());
  write_lines(path_, lines);
  expect_tampered(7, "MAC mismatch");
}

TEST_F(AuditVerify, DetectsTwoSwappedRecords) {
  auto lines = read_lines(path_);
  std::swap(lines[2], lines[3]);
  write_lines(path_, lines);
  expect_tampered(3, "expected 3, found 4");
}

TEST_F(AuditVerify, DetectsRecordsCutOffTheEnd) {
  auto lines = read_lines(path_);
  lines.resize(7);
  write_lines(path_, lines);
  expect_tampered(8, "log truncated: the chain ends at seq 7 but the head file records seq 10");
}

TEST_F(AuditVerify, DetectsALogCutInTheMiddleOfALine) {
  std::string content = testing::read_file(path_);
  content.resize(content.size() - 40);
  testing::write_file(path_, content);
  expect_tampered(10, "partial last line");
}

TEST_F(AuditVerify, DetectsAnEmptiedLog) {
  testing::write_file(path_, "");
  expect_tampered(1, "log truncated: the chain ends at seq 0");
}

TEST_F(AuditVerify, DetectsADeletedHeadFile) {
  std::filesystem::remove(audit::head_path(path_));
  expect_tampered(0, "head file missing", audit::head_path(path_));
}

TEST_F(AuditVerify, NamesAWrongKey) {
  const auto result = verify(path_, 42);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.line, 1u);
  EXPECT_NE(result.problem.find("MAC mismatch"), std::string::npos) << result.problem;
  EXPECT_NE(result.problem.find("verifying with key " + testing::test_key(42).fingerprint()), std::string::npos)
      << result.problem;
}

TEST_F(AuditVerify, ReportsALogThatIsNotThereAsUnverifiable) {
  EXPECT_FALSE(verify_audit_log(tmp_ / "elsewhere.log", testing::test_key()).ok());
}

TEST(AuditVerifyRotated, DetectsADeletedRotatedFile) {
  TempDir tmp;
  const auto path = tmp / "audit.log";
  testing::write_events(path, 40, 1500);
  const auto rotated = audit::rotated_files(path);
  ASSERT_GE(rotated.size(), 3u);
  ASSERT_TRUE(testing::verify(path).ok);
  std::filesystem::remove(rotated[1]);
  const auto result = testing::verify(path);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.file, rotated[2]);
  EXPECT_EQ(result.line, 1u);
  EXPECT_NE(result.problem.find("a rotated file is missing"), std::string::npos) << result.problem;
}

TEST(AuditVerifyRotated, DetectsADeletedFirstFile) {
  TempDir tmp;
  const auto path = tmp / "audit.log";
  testing::write_events(path, 40, 1500);
  const auto rotated = audit::rotated_files(path);
  ASSERT_GE(rotated.size(), 2u);
  std::filesystem::remove(rotated[0]);
  const auto result = testing::verify(path);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.file, rotated[1]);
  EXPECT_EQ(result.line, 1u);
  EXPECT_NE(result.problem.find("does not start at seq 1"), std::string::npos) << result.problem;
}

TEST(AuditVerifyRotated, ReadsTheChainOfACurrentFileThatIsGone) {
  // A rotation interrupted after the rename: the chain ends in the newest
  // rotated file, and the next writer continues from it.
  TempDir tmp;
  const auto path = tmp / "audit.log";
  testing::write_events(path, 40, 1500);
  const auto before = testing::verify(path).last_seq;
  std::filesystem::rename(path, audit::rotated_path(path, std::chrono::system_clock::now(), before));
  EXPECT_TRUE(testing::verify(path).ok);
  testing::write_events(path, 1, 1500, 41);
  const auto result = testing::verify(path);
  EXPECT_TRUE(result.ok) << result.problem;
  EXPECT_EQ(result.last_seq, before + 2);  // a rotate record, then the event
}

}  // namespace
}  // namespace privmilter
