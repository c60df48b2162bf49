#pragma once
// Shared by the audit log tests: keys, events, and editing log files the
// way someone tampering with them would.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <array>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "privmilter/audit.h"
#include "unit/temp_dir.h"

namespace privmilter::testing {

inline SecretKey test_key(unsigned char seed = 7) {
  std::array<unsigned char, SecretKey::kSize> bytes{};
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<unsigned char>(seed * 31 + i);
  return SecretKey(bytes);
}

inline AuditLogOptions audit_options(const std::filesystem::path& path, std::size_t rotate_bytes = 0,
                                     unsigned char seed = 7) {
  AuditLogOptions options;
  options.path = path;
  options.key = test_key(seed);
  options.rotate_bytes = rotate_bytes;
  return options;
}

inline nlohmann::json reviewer_event(const std::string& ref) {
  return {{"type", "reviewer"}, {"action", "release"}, {"ref", ref}, {"reviewer", "sec@examplelaw.com"}};
}

// Appends `count` events "ref-1".."ref-N" through a fresh AuditLog.
inline void write_events(const std::filesystem::path& path, int count, std::size_t rotate_bytes = 0, int first = 1) {
  AuditLog log(audit_options(path, rotate_bytes));
  ASSERT_TRUE(log.open().ok());
  for (int i = first; i < first + count; ++i) ASSERT_TRUE(log.append(reviewer_event("ref-" + std::to_string(i))).ok());
}

inline std::vector<std::string> read_lines(const std::filesystem::path& path) {
  std::vector<std::string> lines;
  std::istringstream in(read_file(path));
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

inline void write_lines(const std::filesystem::path& path, const std::vector<std::string>& lines) {
  std::string content;
  for (const auto& line : lines) content += line + "\n";
  write_file(path, content);
}

inline AuditVerification verify(const std::filesystem::path& path, unsigned char seed = 7) {
  auto result = verify_audit_log(path, test_key(seed));
  EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().message);
  return result.ok() ? *result : AuditVerification{};
}

}  // namespace privmilter::testing
