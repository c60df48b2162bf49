#pragma once
// Building blocks for policy tests: policies from inline YAML, messages
// from a few text segments, and the sample firm's directory.

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "privmilter/directory.h"
#include "privmilter/envelope.h"
#include "privmilter/message_facts.h"
#include "privmilter/policy.h"
#include "privmilter/verdict.h"

namespace privmilter::policy_test {

inline const char* const kInternalSender = "alice@examplelaw.com";

// Null (with a test failure naming the load error) when the YAML is refused.
inline std::shared_ptr<const Policy> load(const std::string& yaml) {
  auto loaded = load_policy_string(yaml, "test.yaml");
  if (!loaded.ok()) {
    ADD_FAILURE() << "policy did not load: " << loaded.error().message;
    return nullptr;
  }
  return *loaded;
}

// The error message a refused policy produced; empty (and a test failure)
// when it loaded after all.
inline std::string load_error(const std::string& yaml) {
  auto loaded = load_policy_string(yaml, "test.yaml");
  if (loaded.ok()) {
    ADD_FAILURE() << "policy unexpectedly loaded:\n" << yaml;
    return {};
  }
  return loaded.error().message;
}

inline TextSegment subject(std::string text) {
  return {SegmentKind::subject, "subject", std::move(text)};
}
inline TextSegment body(std::string text, std::string location = "1 text/plain") {
  return {SegmentKind::body, std::move(location), std::move(text)};
}
inline TextSegment attachment(std::string text, std::string location = "2 application/pdf") {
  return {SegmentKind::attachment, std::move(location), std::move(text)};
}

inline MessageFacts message(std::vector<TextSegment> segments,
                            EncryptionState encryption = EncryptionState::none) {
  MessageFacts facts;
  for (const TextSegment& segment : segments) {
    if (segment.kind == SegmentKind::subject) facts.subject = segment.text;
  }
  facts.segments = std::move(segments);
  facts.encryption = encryption;
  return facts;
}

inline Envelope envelope_to(std::vector<std::string> recipients) {
  Envelope envelope;
  envelope.queue_id = "4XyZ1";
  envelope.sender = kInternalSender;
  envelope.recipients = std::move(recipients);
  return envelope;
}

inline Directory firm_directory() { return Directory({"examplelaw.com"}, {}); }

inline Verdict evaluate_for(const Policy& policy, const MessageFacts& facts,
                            std::vector<std::string> recipients = {"counsel@client.example"}) {
  return evaluate(policy, facts, envelope_to(std::move(recipients)), firm_directory());
}

inline bool fired(const Verdict& verdict, const std::string& rule_id) {
  const std::vector<std::string> rules = verdict.matched_rules();
  return std::find(rules.begin(), rules.end(), rule_id) != rules.end();
}

inline bool starts_with(const std::string& text, const std::string& prefix) {
  return text.rfind(prefix, 0) == 0;
}

// "test.yaml:<line>:<column>: ..." for the given line (any column).
inline bool located_at_line(const std::string& error, int line) {
  const std::string prefix = "test.yaml:" + std::to_string(line) + ":";
  if (!starts_with(error, prefix)) return false;
  std::size_t at = prefix.size();
  const std::size_t digits_start = at;
  while (at < error.size() && error[at] >= '0' && error[at] <= '9') ++at;
  return at > digits_start && error.compare(at, 2, ": ") == 0;
}

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace privmilter::policy_test
