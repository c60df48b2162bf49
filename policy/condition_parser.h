#pragma once
// Reading the `when:` tree of a rule into a compiled Condition.

#include <map>
#include <memory>
#include <string>

#include <yaml-cpp/yaml.h>

#include "compiled_policy.h"
#include "text_matcher.h"

namespace privmilter {

// The policy's `lists:` and `patterns:`, compiled once and shared by every
// rule that names them.
struct NamedMatchers {
  std::map<std::string, std::shared_ptr<const TextMatcher>, std::less<>> lists;
  std::map<std::string, std::shared_ptr<const TextMatcher>, std::less<>> patterns;
};

// Throws PolicySyntaxError (see yaml_reader.h).
Condition parse_condition(const YAML::Node& node, const NamedMatchers& named);

// Reads a list of phrases, refusing empty ones; shared with `lists:`.
std::vector<std::string> read_phrases(const YAML::Node& node, std::string_view what);

}  // namespace privmilter
