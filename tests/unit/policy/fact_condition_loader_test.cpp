// Refusals of malformed attachment, uninspectable, protected and size
// conditions, each at the line to fix.

#include <gtest/gtest.h>

#include "policy_test_support.h"

namespace privmilter::policy_test {
namespace {

void expect_error_at(const std::string& yaml, int line, const std::string& part) {
  const std::string error = load_error(yaml);
  EXPECT_TRUE(located_at_line(error, line)) << "expected line " << line << " in: " << error;
  EXPECT_TRUE(contains(error, part)) << "expected '" << part << "' in: " << error;
}

// A policy whose only rule's condition starts on line 5.
std::string rule_when(const std::string& condition_lines) {
  return "version: 1\nrules:\n  - id: a\n    when:\n" + condition_lines + "    action: quarantine\n";
}

TEST(FactConditionLoader, LoadsEveryForm) {
  const auto policy = load(rule_when(R"(      all:
        - attachment: { flag: password_protected }
        - attachment: { type: 'application/vnd.openxmlformats-officedocument.*', name: '*.docx' }
        - attachment: { flag: uninspectable, reason: 'limit:*' }
        - uninspectable: true
        - protected: false
        - size: { over: 10MB }
        - size: { over: 12345 }
)"));
  ASSERT_NE(policy, nullptr);
  EXPECT_EQ(rule_count(*policy), 1u);
}

TEST(FactConditionLoader, RefusesAnUnknownFlag) {
  expect_error_at(rule_when("      any:\n        - unencrypted: true\n        - attachment:\n            flag: tracked-changes\n"),
                  8, "unknown attachment flag 'tracked-changes' (expected encrypted, password_protected, signed");
}

TEST(FactConditionLoader, RefusesAnUnknownAttachmentKey) {
  expect_error_at(rule_when("      attachment:\n        flag: encrypted\n        filename: '*.pdf'\n"), 7,
                  "unknown key 'filename' in attachment condition (expected flag, type, name, reason)");
}

TEST(FactConditionLoader, RefusesAnEmptyAttachmentCondition) {
  expect_error_at(rule_when("      attachment: {}\n"), 5, "at least one of flag, type, name or reason");
}

TEST(FactConditionLoader, RefusesATypeWithoutASlash) {
  expect_error_at(rule_when("      attachment:\n        type: pdf\n"), 6, "must look like type/subtype");
}

TEST(FactConditionLoader, RefusesAnEmptyOrControlCharacterGlob) {
  expect_error_at(rule_when("      attachment:\n        name: ''\n"), 6, "attachment name must be 1 to");
  expect_error_at(rule_when("      attachment:\n        reason: \"limit:\\t*\"\n"), 6, "control characters");
}

TEST(FactConditionLoader, RefusesUninspectableFalse) {
  expect_error_at(rule_when("      uninspectable: false\n"), 5, "not: { uninspectable: true }");
  expect_error_at(rule_when("      uninspectable: yes\n"), 5, "true or false");
}

TEST(FactConditionLoader, RefusesAProtectedValueOtherThanTrueOrFalse) {
  expect_error_at(rule_when("      protected: sometimes\n"), 5, "protected must be true or false");
}

TEST(FactConditionLoader, RefusesMalformedSizes) {
  expect_error_at(rule_when("      size:\n        over: 10 MB\n"), 6, "'over' must be a number of bytes");
  expect_error_at(rule_when("      size:\n        over: 10TB\n"), 6, "not '10TB'");
  expect_error_at(rule_when("      size:\n        over: MB\n"), 6, "'over' must be a number of bytes");
  expect_error_at(rule_when("      size:\n        over: -1\n"), 6, "'over' must be a number of bytes");
  expect_error_at(rule_when("      size:\n        over: 999999999999GB\n"), 6, "too large");
  expect_error_at(rule_when("      size:\n        under: 10MB\n"), 6, "unknown key 'under' in size condition");
  expect_error_at(rule_when("      size: {}\n"), 5, "size condition is missing 'over'");
  expect_error_at(rule_when("      size: 10MB\n"), 5, "must be a mapping");
}

TEST(FactConditionLoader, NamesTheNewConditionsWhenOneIsUnknown) {
  expect_error_at(rule_when("      attachments: { flag: encrypted }\n"), 5,
                  "unknown condition 'attachments' (expected content, unencrypted, recipient, sender, matter, "
                  "subject_tag, attachment, uninspectable, protected, size");
}

}  // namespace
}  // namespace privmilter::policy_test
