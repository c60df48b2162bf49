#pragma once
// Reading the `when:` and `except:` trees of a rule into compiled
// Conditions. Text detectors are registered in the policy's DetectorTable,
// so every list and pattern is compiled once and scanned once per message.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "compiled_policy.h"
#include "text_matcher.h"

namespace privmilter {

struct DetectorTable {
  std::map<std::string, std::size_t, std::less<>> lists;     // name -> index in entries
  std::map<std::string, std::size_t, std::less<>> patterns;  // name -> index in entries
  std::vector<DetectorEntry> entries;
  std::optional<std::size_t> matters;  // the firm's matter-number pattern

  std::size_t add(std::shared_ptr<const TextMatcher> matcher, std::optional<std::size_t> ignore_within = {}) {
    entries.push_back({std::move(matcher), ignore_within});
    return entries.size() - 1;
  }
};

struct ConditionContext {
  DetectorTable& detectors;
  std::vector<DirectoryReference>& references;
  std::string file;  // for DirectoryReference::where
};

// Throws PolicySyntaxError (see yaml_reader.h).
Condition parse_condition(const YAML::Node& node, ConditionContext& context);

// True when the tree holds a condition that selects recipients.
bool selects_recipients(const Condition& condition);

// Reads a list of phrases, refusing empty ones; shared with `lists:`.
std::vector<std::string> read_phrases(const YAML::Node& node, std::string_view what);

}  // namespace privmilter
