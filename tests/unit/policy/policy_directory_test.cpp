// Policies split over a directory of files, phrase lists kept in files,
// the disclaimer-footer exception, and errors that point at file:line:column.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "../temp_dir.h"
#include "policy_test_support.h"

namespace privmilter::policy_test {
namespace {

namespace fs = std::filesystem;

void write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

TEST(PolicyDirectory, FilesAreReadInNameOrderAsOnePolicy) {
  testing::TempDir dir;
  write(dir.path() / "policy/10-detectors.yaml", "version: 1\nlists:\n  marks: { file: marks.txt }\n");
  write(dir.path() / "policy/marks.txt", "# the firm's markings\nprivileged and confidential\n\nattorney work product\n");
  write(dir.path() / "policy/20-hold.yaml", R"(version: 1
rules:
  - id: hold
    when: { content: { list: marks } }
    action: quarantine
)");
  write(dir.path() / "policy/05-tag.yaml", R"(version: 1
rules:
  - id: tag
    action: tag
    header: { name: X-Privmilter, value: scanned }
)");
  write(dir.path() / "policy/.hidden.yaml", "not: [valid");
  write(dir.path() / "policy/20-hold.yaml~", "not: [valid");
  auto policy = load_policy_file(dir.path() / "policy");
  ASSERT_TRUE(policy.ok()) << policy.error().message;
  EXPECT_EQ(rule_count(**policy), 2u);
  const Verdict verdict = evaluate_for(**policy, message({body("ATTORNEY WORK PRODUCT")}));
  EXPECT_EQ(verdict.matched_rules(), (std::vector<std::string>{"tag", "hold"}));
  EXPECT_EQ(verdict.action, Action::quarantine);
}

TEST(PolicyDirectory, ErrorsNameTheFileLineAndColumn) {
  testing::TempDir dir;
  write(dir.path() / "policy/10-a.yaml", "version: 1\nrules:\n  - id: same\n    action: accept\n");
  write(dir.path() / "policy/20-b.yaml", "version: 1\nrules:\n  - id: other\n    action: accept\n  - id: same\n    action: accept\n");
  auto policy = load_policy_file(dir.path() / "policy");
  ASSERT_FALSE(policy.ok());
  const std::string expected = (dir.path() / "policy/20-b.yaml").string() + ":5:5: duplicate rule id 'same'";
  EXPECT_TRUE(contains(policy.error().message, expected)) << policy.error().message;
  EXPECT_TRUE(contains(policy.error().message, "10-a.yaml:3")) << policy.error().message;
}

TEST(PolicyDirectory, ListsAreSharedAcrossFilesAndNamesAreUnique) {
  testing::TempDir dir;
  write(dir.path() / "policy/10-a.yaml", "version: 1\nlists:\n  marks: [privileged]\n");
  write(dir.path() / "policy/20-b.yaml", "version: 1\nlists:\n  marks: [confidential]\n");
  auto policy = load_policy_file(dir.path() / "policy");
  ASSERT_FALSE(policy.ok());
  EXPECT_TRUE(contains(policy.error().message, "20-b.yaml:3:3: list 'marks' is already defined at")) << policy.error().message;
}

TEST(PolicyDirectory, MissingPhraseFileIsReportedAtTheReference) {
  testing::TempDir dir;
  write(dir.path() / "policy.yaml", "version: 1\nlists:\n  marks:\n    file: nowhere.txt\n");
  auto policy = load_policy_file(dir.path() / "policy.yaml");
  ASSERT_FALSE(policy.ok());
  EXPECT_TRUE(contains(policy.error().message, "policy.yaml:4:11: cannot open phrase file")) << policy.error().message;
}

TEST(PolicyDirectory, EmptyDirectoryIsAnError) {
  testing::TempDir dir;
  fs::create_directories(dir.path() / "policy");
  auto policy = load_policy_file(dir.path() / "policy");
  ASSERT_FALSE(policy.ok());
  EXPECT_TRUE(contains(policy.error().message, "holds no .yaml files")) << policy.error().message;
}

TEST(ErrorLocations, ColumnPointsAtTheOffendingValue) {
  EXPECT_TRUE(contains(load_error("version: 1\nrules:\n  - id: r\n    action: rejct\n"),
                       "test.yaml:4:13: unknown action 'rejct'"));
  EXPECT_TRUE(contains(load_error("version: 1\npatterns:\n  bad: '(unclosed'\n"), "test.yaml:3:8: pattern 'bad'"));
  EXPECT_TRUE(contains(load_error("version: 1\nrules:\n  - id: r\n    acton: accept\n"),
                       "test.yaml:4:5: unknown key 'acton'"));
  EXPECT_TRUE(contains(load_error("version: 1\nrules:\n  - id: r\n    when: { content: { list: nope } }\n    action: accept\n"),
                       "test.yaml:4:30: unknown list 'nope'"));
  EXPECT_TRUE(contains(load_error("version: 1\nrules: [\n"), "test.yaml:3:1:"));
}

const std::string kFooterPolicy = R"(version: 1
lists:
  markings:
    phrases: [privileged and confidential, attorney-client privileged]
    ignore_within: footer
  footer:
    - >
      This message is from Example Law LLP and may be privileged and
      confidential. If you received it in error, please delete it.
rules:
  - id: marked
    when: { content: { list: markings } }
    action: quarantine
)";

TEST(FooterException, TheFirmsDisclaimerAloneIsNotAMarking) {
  const auto policy = load(kFooterPolicy);
  ASSERT_NE(policy, nullptr);
  const std::string footer =
      "\n--\nThis message is from Example Law LLP and may be privileged and\nconfidential. If you received it in "
      "error, please delete it.\n";
  EXPECT_EQ(evaluate_for(*policy, message({body("Lunch at noon?" + footer)})).action, Action::accept);
  const Verdict marked = evaluate_for(*policy, message({body("PRIVILEGED AND CONFIDENTIAL\nDraft terms" + footer)}));
  EXPECT_EQ(marked.action, Action::quarantine);
  ASSERT_EQ(marked.all_evidence().size(), 1u);
  EXPECT_EQ(marked.all_evidence()[0].count, 1u);  // the footer's phrase is not counted
  EXPECT_EQ(marked.all_evidence()[0].offset, 0u);
}

TEST(FooterException, UnknownCancellingListIsAnError) {
  const std::string error =
      load_error("version: 1\nlists:\n  markings:\n    phrases: [privileged]\n    ignore_within: footr\n");
  EXPECT_TRUE(contains(error, "test.yaml:5:20: unknown list 'footr'")) << error;
}

TEST(Evidence, HitsCarryOffsetAndCountPerLocation) {
  const auto policy = load(R"(version: 1
lists:
  marks: [privileged]
rules:
  - id: r
    when: { content: { list: marks } }
    action: quarantine
)");
  ASSERT_NE(policy, nullptr);
  const Verdict verdict = evaluate_for(
      *policy, message({subject("privileged"), body("one privileged, two privileged"), attachment("privileged")}));
  const auto evidence = verdict.all_evidence();
  ASSERT_EQ(evidence.size(), 3u);
  EXPECT_EQ(evidence[0].location, "subject");
  EXPECT_EQ(evidence[1].location, "1 text/plain");
  EXPECT_EQ(evidence[1].offset, 4u);
  EXPECT_EQ(evidence[1].count, 2u);
  EXPECT_EQ(evidence[1].detector_kind(), "list");
  EXPECT_EQ(evidence[2].location, "2 application/pdf");
}

}  // namespace
}  // namespace privmilter::policy_test
