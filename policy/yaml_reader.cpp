#include "yaml_reader.h"

#include <algorithm>

namespace privmilter {

int line_of(const YAML::Node& node) {
  if (!node.IsDefined()) return 0;
  const YAML::Mark mark = node.Mark();
  return mark.is_null() ? 0 : mark.line + 1;
}

int column_of(const YAML::Node& node) {
  if (!node.IsDefined()) return 0;
  const YAML::Mark mark = node.Mark();
  return mark.is_null() ? 0 : mark.column + 1;
}

void fail_at(const YAML::Node& node, const std::string& message) {
  throw PolicySyntaxError(line_of(node), message, column_of(node));
}

std::string in_quotes(std::string_view text) {
  // Appending, rather than "'" + text + "'", sidesteps a false -Wrestrict
  // alarm in g++ 12 release builds.
  std::string quoted;
  quoted.reserve(text.size() + 2);
  quoted.append(1, '\'').append(text).append(1, '\'');
  return quoted;
}

std::vector<MapEntry> map_entries(const YAML::Node& node, std::string_view what) {
  if (!node.IsMap()) fail_at(node, std::string(what) + " must be a mapping of keys to values");
  std::vector<MapEntry> entries;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const YAML::Node key_node = it->first;
    if (!key_node.IsScalar()) fail_at(key_node, std::string(what) + ": keys must be plain names");
    const std::string key = key_node.Scalar();
    const auto previous = std::find_if(entries.begin(), entries.end(),
                                       [&](const MapEntry& entry) { return entry.key == key; });
    if (previous != entries.end()) {
      fail_at(key_node, "duplicate key " + in_quotes(key) + " in " + std::string(what) +
                            " (first at line " + std::to_string(line_of(previous->key_node)) + ")");
    }
    // An empty value's mark points at whatever follows it; the key's line
    // is the one to fix. No key in a policy may be left empty.
    if (it->second.IsNull()) fail_at(key_node, in_quotes(key) + " has no value");
    entries.push_back({key, key_node, it->second});
  }
  return entries;
}

MapReader::MapReader(const YAML::Node& node, std::string_view what,
                     std::initializer_list<std::string_view> allowed_keys)
    : node_(node), what_(what), entries_(map_entries(node, what)) {
  for (const MapEntry& entry : entries_) {
    if (std::find(allowed_keys.begin(), allowed_keys.end(), entry.key) == allowed_keys.end()) {
      std::string expected;
      for (const std::string_view allowed : allowed_keys) {
        expected += (expected.empty() ? "" : ", ") + std::string(allowed);
      }
      fail_at(entry.key_node, "unknown key " + in_quotes(entry.key) + " in " + what_ + " (expected " +
                                  expected + ")");
    }
  }
}

std::optional<YAML::Node> MapReader::find(std::string_view key) const {
  for (const MapEntry& entry : entries_) {
    if (entry.key == key) return entry.value;
  }
  return std::nullopt;
}

YAML::Node MapReader::require(std::string_view key) const {
  std::optional<YAML::Node> value = find(key);
  if (!value) fail_at(node_, what_ + " is missing " + in_quotes(key));
  return *value;
}

std::vector<YAML::Node> sequence_items(const YAML::Node& node, std::string_view what) {
  if (!node.IsSequence()) fail_at(node, std::string(what) + " must be a list");
  std::vector<YAML::Node> items;
  for (const YAML::Node& item : node) items.push_back(item);
  return items;
}

std::string read_string(const YAML::Node& node, std::string_view what) {
  if (!node.IsScalar()) fail_at(node, std::string(what) + " must be a single value");
  return node.Scalar();
}

bool read_bool(const YAML::Node& node, std::string_view what) {
  const std::string text = read_string(node, what);
  if (text == "true") return true;
  if (text == "false") return false;
  fail_at(node, std::string(what) + " must be true or false, not " + in_quotes(text));
}

std::size_t read_count(const YAML::Node& node, std::string_view what, std::size_t low, std::size_t high) {
  const std::string text = read_string(node, what);
  const std::string range = std::to_string(low) + " to " + std::to_string(high);
  const bool digits_only = !text.empty() && text.size() <= 9 &&
                           std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits_only) fail_at(node, std::string(what) + " must be a whole number from " + range + ", not " + in_quotes(text));
  const std::size_t value = std::stoul(text);
  if (value < low || value > high) {
    fail_at(node, std::string(what) + " must be from " + range + ", not " + text);
  }
  return value;
}

namespace {

bool is_identifier(std::string_view text) {
  return !text.empty() && text.size() <= kMaxIdentifierLength &&
         std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
         });
}

}  // namespace

std::string read_identifier(const YAML::Node& node, std::string_view what) {
  std::string text = read_string(node, what);
  if (!is_identifier(text)) {
    fail_at(node, std::string(what) + " " + in_quotes(text) + " must be 1 to " +
                      std::to_string(kMaxIdentifierLength) + " lowercase letters, digits, '-' and '_'");
  }
  return text;
}

}  // namespace privmilter
