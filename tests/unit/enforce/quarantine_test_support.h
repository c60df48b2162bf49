#pragma once
// Shared material of the quarantine tests: a key, an envelope and verdict
// like the ones the enforcer stores, and a spool holding a message.

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <filesystem>
#include <string>

#include "privmilter/enforce.h"
#include "privmilter/key_file.h"
#include "privmilter/quarantine.h"
#include "unit/temp_dir.h"

namespace privmilter::quarantine_test {

inline SecretKey key_of(unsigned char seed) {
  std::array<unsigned char, SecretKey::kSize> bytes{};
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<unsigned char>(seed * 31 + i * 7);
  return SecretKey(bytes);
}

inline Envelope envelope(std::string sender = "alice@examplelaw.com",
                         std::vector<std::string> recipients = {"bob@client.example", "carol@examplelaw.com"}) {
  Envelope out;
  out.queue_id = "4ABC123";
  out.sender = std::move(sender);
  out.recipients = std::move(recipients);
  out.auth_authen = "alice";
  out.client_addr = "10.1.2.3";
  out.client_name = "ws1";
  out.daemon_name = "submission";
  return out;
}

inline Verdict verdict(const std::string& rule = "privileged-unencrypted-external",
                       std::vector<std::string> removed = {}) {
  Verdict out;
  out.action = Action::quarantine;
  out.deciding_rule = rule;
  FiredRule fired;
  fired.rule_id = rule;
  fired.action = Action::quarantine;
  fired.recipients = {"bob@client.example"};
  Evidence evidence;
  evidence.rule_id = rule;
  evidence.detector = "list:privilege_markings";
  evidence.location = "1 text/plain";
  evidence.masked_match = "pri****************ed";
  evidence.offset = 0;
  fired.evidence.push_back(evidence);
  out.fired.push_back(fired);
  FiredRule monitored;
  monitored.rule_id = "monitored-rule";
  monitored.action = Action::reject;
  monitored.monitor = true;
  out.fired.push_back(monitored);
  out.removed_recipients = std::move(removed);
  return out;
}

inline MessageSpool spool_with(const std::filesystem::path& dir, const std::string& content,
                               std::size_t threshold = 1 << 20) {
  MessageSpool spool(dir, threshold);
  EXPECT_TRUE(spool.append(content).ok());
  return spool;
}

inline const std::string kPhrase = "the settlement figure of 2.4 million stays between us";

inline std::string message_text(const std::string& sender = "alice@examplelaw.com") {
  return "From: " + sender + "\r\nTo: bob@client.example\r\nSubject: memo\r\n\r\nPrivileged & Confidential\r\n" +
         kPhrase + "\r\n";
}

inline std::chrono::system_clock::time_point at(int day, int hour = 12) {
  // 2026-11-01T00:00:00Z plus whole days and hours.
  return std::chrono::system_clock::time_point(std::chrono::seconds(1793491200)) + std::chrono::hours(24 * day + hour);
}

inline std::vector<std::string> names_in(const std::filesystem::path& directory) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace privmilter::quarantine_test
