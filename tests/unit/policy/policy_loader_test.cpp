// Loading and validating policy files: what loads, and that every refusal
// names the file and the line an administrator has to fix.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "policy_test_support.h"

namespace privmilter::policy_test {
namespace {

// Asserts "test.yaml:<line>:<column>: " followed by a message containing `part`.
void expect_error_at(const std::string& yaml, int line, const std::string& part) {
  const std::string error = load_error(yaml);
  EXPECT_TRUE(located_at_line(error, line)) << "expected line " << line << " in: " << error;
  EXPECT_TRUE(contains(error, part)) << "expected '" << part << "' in: " << error;
}

TEST(PolicyLoader, LoadsAWellFormedPolicy) {
  const auto policy = load(R"(version: 1
lists:
  markings: [privileged and confidential]
patterns:
  digits: '\d{6}'
rules:
  - id: first
    description: anything marked
    when: { content: { list: markings } }
    action: quarantine
  - id: second
    when: { content: { pattern: digits, in: [body] } }
    action: reject
    reply: { text: "No account numbers" }
  - id: third
    action: add_header
    header: { name: X-Test, value: seen }
)");
  ASSERT_NE(policy, nullptr);
  EXPECT_EQ(rule_count(*policy), 3u);
}

TEST(PolicyLoader, AcceptsAnEmptyRuleList) {
  const auto policy = load("version: 1\nrules: []\n");
  ASSERT_NE(policy, nullptr);
  EXPECT_EQ(rule_count(*policy), 0u);
}

TEST(PolicyLoader, RefusesAnUnknownTopLevelKey) {
  expect_error_at("version: 1\nrules: []\nrulez: []\n", 3, "unknown key 'rulez'");
}

TEST(PolicyLoader, RefusesAnUnknownKeyInARule) {
  expect_error_at(R"(version: 1
rules:
  - id: a
    action: accept
    actoin: reject
)", 5, "unknown key 'actoin'");
}

TEST(PolicyLoader, RefusesAnUnknownKeyInAContentCondition) {
  expect_error_at(R"(version: 1
rules:
  - id: a
    when:
      content:
        phrases: [secret]
        inside: [body]
    action: quarantine
)", 7, "unknown key 'inside'");
}

TEST(PolicyLoader, RefusesAnUnknownAction) {
  expect_error_at(R"(version: 1
rules:
  - id: a
    action: accept
  - id: b
    action: rejct
)", 6, "unknown action 'rejct'");
}

TEST(PolicyLoader, RefusesAnInvalidNamedPattern) {
  expect_error_at(R"(version: 1
patterns:
  good: 'abc'
  broken: '(unclosed'
rules: []
)", 4, "pattern 'broken': invalid regular expression");
}

TEST(PolicyLoader, RefusesAnInvalidInlineRegex) {
  expect_error_at(R"(version: 1
rules:
  - id: a
    when:
      content:
        regex: '[z-a]'
    action: reject
)", 6, "invalid regular expression");
}

TEST(PolicyLoader, RefusesARegexThatMatchesTheEmptyString) {
  expect_error_at(R"(version: 1
patterns:
  anything: '\d*'
rules: []
)", 3, "matches the empty string");
}

TEST(PolicyLoader, RefusesADuplicateRuleId) {
  expect_error_at(R"(version: 1
rules:
  - id: same
    action: accept
  - id: other
    action: accept
  - id: same
    action: reject
)", 7, "duplicate rule id 'same' (first defined at test.yaml:3)");
}

TEST(PolicyLoader, RefusesAReferenceToAMissingList) {
  expect_error_at(R"(version: 1
lists:
  markings: [privileged]
rules:
  - id: a
    when:
      all:
        - recipient: external
        - content: { list: marking }
    action: quarantine
)", 9, "unknown list 'marking'");
}

TEST(PolicyLoader, RefusesAReferenceToAMissingPattern) {
  expect_error_at(R"(version: 1
rules:
  - id: a
    when: { content: { pattern: ssn } }
    action: reject
)", 4, "unknown pattern 'ssn'");
}

TEST(PolicyLoader, RefusesATemporaryFailureCodeForReject) {
  expect_error_at(R"(version: 1
rules:
  - id: a
    action: reject
    reply:
      code: "450"
)", 6, "must be 5xx");
}

TEST(PolicyLoader, RefusesANonPermanentEnhancedCodeForReject) {
  expect_error_at(R"(version: 1
rules:
  - id: a
    action: reject
    reply: { code: "550", xcode: "4.7.1" }
)", 5, "5.x.x");
}

TEST(PolicyLoader, RefusesReplyTextThatCouldBreakTheSmtpReply) {
  expect_error_at("version: 1\nrules:\n  - id: a\n    action: reject\n    reply:\n      text: \"two\\r\\nlines\"\n",
                  6, "printable ASCII");
}

TEST(PolicyLoader, RefusesAnotherVersion) {
  expect_error_at("rules: []\nversion: 2\n", 2, "unsupported policy version '2'");
}

TEST(PolicyLoader, RequiresAVersion) {
  expect_error_at("rules: []\n", 1, "missing 'version'");
}

TEST(PolicyLoader, RequiresAHeaderForAddHeader) {
  expect_error_at(R"(version: 1
rules:
  - id: a
    action: add_header
)", 4, "a tag rule needs header, headers or subject_prefix");
}

TEST(PolicyLoader, RefusesAHeaderNameWithAColon) {
  expect_error_at(R"(version: 1
rules:
  - id: a
    action: add_header
    header: { name: "X-Bad:", value: x }
)", 5, "header name 'X-Bad:'");
}

TEST(PolicyLoader, RefusesAReplyOnANonRejectRule) {
  expect_error_at(R"(version: 1
rules:
  - id: a
    action: quarantine
    reply: { text: held }
)", 5, "'reply' does not belong to a rule with action quarantine");
}

TEST(PolicyLoader, RefusesAConditionWithTwoKeys) {
  expect_error_at(R"(version: 1
rules:
  - id: a
    when:
      unencrypted: true
      recipient: external
    action: quarantine
)", 5, "exactly one of");
}

TEST(PolicyLoader, RefusesAnUnknownCondition) {
  expect_error_at(R"(version: 1
rules:
  - id: a
    when:
      any:
        - unencrypted: true
        - sendr: external
    action: quarantine
)", 7, "unknown condition 'sendr'");
}

TEST(PolicyLoader, RefusesAContentConditionWithTwoSources) {
  expect_error_at(R"(version: 1
rules:
  - id: a
    when:
      content: { phrases: [x], regex: 'y' }
    action: quarantine
)", 5, "exactly one of list, phrases, pattern, regex or identifier");
}

TEST(PolicyLoader, RefusesAnUnknownTextKind) {
  expect_error_at(R"(version: 1
rules:
  - id: a
    when:
      content:
        phrases: [x]
        in: [subject, footer]
    action: quarantine
)", 7, "unknown text kind 'footer'");
}

TEST(PolicyLoader, RefusesAnEmptyPhrase) {
  expect_error_at(R"(version: 1
lists:
  markings:
    - privileged
    - "   "
rules: []
)", 5, "empty phrase");
}

TEST(PolicyLoader, RefusesAnUnencryptedValueOtherThanTrueOrFalse) {
  expect_error_at(R"(version: 1
rules:
  - id: a
    when: { unencrypted: maybe }
    action: quarantine
)", 4, "true or false");
}

TEST(PolicyLoader, RefusesAnUppercaseRuleId) {
  expect_error_at(R"(version: 1
rules:
  - id: Tag-External
    action: accept
)", 3, "rule id 'Tag-External'");
}

TEST(PolicyLoader, RefusesADuplicateKeyThatYamlWouldAccept) {
  expect_error_at(R"(version: 1
patterns:
  ssn: 'a'
  ssn: 'b'
rules: []
)", 4, "duplicate key 'ssn'");
}

TEST(PolicyLoader, ReportsYamlSyntaxErrorsWithTheirLine) {
  const std::string error = load_error("version: 1\nrules:\n  - id: [unclosed\n");
  EXPECT_TRUE(starts_with(error, "test.yaml:")) << error;
  EXPECT_FALSE(starts_with(error, "test.yaml: ")) << "no line number in: " << error;
}

TEST(PolicyLoader, RefusesAnEmptyDocument) {
  expect_error_at("", 1, "empty");
}

TEST(PolicyLoader, RefusesConditionsNestedAbsurdlyDeep) {
  std::string when = "{ unencrypted: true }";
  for (int depth = 0; depth < 40; ++depth) when = "{ not: " + when + " }";
  const std::string error = load_error("version: 1\nrules:\n  - id: a\n    when: " + when + "\n    action: accept\n");
  EXPECT_TRUE(contains(error, "nested more than")) << error;
}

class PolicyFile : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = std::filesystem::temp_directory_path() /
                 ("privmilter-policy-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(directory_);
  }
  void TearDown() override { std::filesystem::remove_all(directory_); }

  std::filesystem::path write(const std::string& name, const std::string& content) {
    const std::filesystem::path path = directory_ / name;
    std::ofstream(path) << content;
    return path;
  }

  std::filesystem::path directory_;
};

TEST_F(PolicyFile, ErrorsNameTheFileAndLine) {
  const auto path = write("policy.yaml", "version: 1\nrules:\n  - id: a\n    action: rejct\n");
  auto loaded = load_policy_file(path);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().message, path.string() + ":4:13: unknown action 'rejct' "
                                                    "(expected accept, tag, notify, require_tls, route, encrypt, "
                                                    "remove_recipients, quarantine, reject_unless_confirmed or reject)");
}

TEST_F(PolicyFile, LoadsFromDisk) {
  const auto path = write("policy.yaml", "version: 1\nrules:\n  - id: a\n    action: accept\n");
  auto loaded = load_policy_file(path);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(rule_count(**loaded), 1u);
}

TEST_F(PolicyFile, ReportsAMissingFile) {
  const auto path = directory_ / "absent.yaml";
  auto loaded = load_policy_file(path);
  ASSERT_FALSE(loaded.ok());
  EXPECT_TRUE(contains(loaded.error().message, path.string())) << loaded.error().message;
}

}  // namespace
}  // namespace privmilter::policy_test
