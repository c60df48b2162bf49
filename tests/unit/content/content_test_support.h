#pragma once
// Helpers for content extraction tests: spooling raw messages and finding
// what extraction produced.

#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "privmilter/content.h"
#include "privmilter/spool.h"
#include "unit/temp_dir.h"

namespace privmilter::testing {

// Messages are written with LF in the tests; the MTA sends CRLF.
inline std::string crlf(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 16);
  for (char c : text) {
    if (c == '\n') out.push_back('\r');
    out.push_back(c);
  }
  return out;
}

enum class SpoolMode { memory, file };

class ContentTest : public ::testing::Test {
 protected:
  Result<MessageFacts> extract(const std::string& raw, SpoolMode mode = SpoolMode::memory,
                               const ContentLimits& limits = ContentLimits{}) {
    const std::size_t threshold = mode == SpoolMode::memory ? raw.size() + 1 : 0;
    MessageSpool spool(temp_.path() / "spool", threshold);
    EXPECT_TRUE(spool.append(raw).ok());
    EXPECT_EQ(spool.in_memory(), mode == SpoolMode::memory || raw.empty());
    return extract_facts(spool, limits);
  }

  // Extraction that must succeed; fails the test otherwise.
  MessageFacts facts_of(const std::string& raw, SpoolMode mode = SpoolMode::memory,
                        const ContentLimits& limits = ContentLimits{}) {
    Result<MessageFacts> facts = extract(raw, mode, limits);
    if (!facts.ok()) {
      ADD_FAILURE() << "extract_facts failed: " << facts.error().message;
      return MessageFacts{};
    }
    return std::move(facts).value();
  }

  TempDir temp_;
};

inline const TextSegment* find_segment(const MessageFacts& facts, std::string_view location) {
  auto it = std::find_if(facts.segments.begin(), facts.segments.end(),
                         [&](const TextSegment& s) { return s.location == location; });
  return it == facts.segments.end() ? nullptr : &*it;
}

inline std::vector<std::string> locations(const MessageFacts& facts) {
  std::vector<std::string> out;
  for (const TextSegment& segment : facts.segments) out.push_back(segment.location);
  return out;
}

inline bool has_defect_containing(const MessageFacts& facts, std::string_view fragment) {
  return std::any_of(facts.defects.begin(), facts.defects.end(), [&](const std::string& defect) {
    return defect.find(fragment) != std::string::npos;
  });
}

// The parts that are files (attachments and what is inside them), not the
// message's own text parts.
inline std::vector<PartFact> attachments_of(const MessageFacts& facts) {
  std::vector<PartFact> out;
  std::copy_if(facts.parts.begin(), facts.parts.end(), std::back_inserter(out),
               [](const PartFact& part) { return part.has(PartFlag::attachment); });
  return out;
}

// A limit that stopped inspection is recorded as an uninspectable fact.
inline bool has_limit_fact(const MessageFacts& facts, std::string_view reason) {
  return std::any_of(facts.parts.begin(), facts.parts.end(), [&](const PartFact& part) {
    return part.has(PartFlag::uninspectable) && part.uninspectable_reason == reason;
  });
}

inline std::string all_text(const MessageFacts& facts) {
  std::string text;
  for (const TextSegment& segment : facts.segments) text += segment.text + "\n";
  return text;
}

inline std::size_t count_occurrences(std::string_view haystack, std::string_view needle) {
  std::size_t count = 0;
  for (std::size_t pos = haystack.find(needle); pos != std::string_view::npos;
       pos = haystack.find(needle, pos + needle.size())) {
    ++count;
  }
  return count;
}

}  // namespace privmilter::testing
