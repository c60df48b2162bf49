#pragma once
// Strict reading of policy YAML. Each helper returns a well-typed value or
// throws PolicySyntaxError naming the offending line. yaml-cpp itself
// reports through exceptions, so the loader's one catch at its public
// boundary turns both kinds into an Error; nothing here escapes policy/.

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace privmilter {

class PolicySyntaxError : public std::runtime_error {
 public:
  PolicySyntaxError(int line, const std::string& message, int column = 0)
      : std::runtime_error(message), line_(line), column_(column) {}
  int line() const { return line_; }      // 1-based; 0 when unknown
  int column() const { return column_; }  // 1-based; 0 when unknown

 private:
  int line_;
  int column_;
};

int line_of(const YAML::Node& node);
int column_of(const YAML::Node& node);
[[noreturn]] void fail_at(const YAML::Node& node, const std::string& message);
std::string in_quotes(std::string_view text);

struct MapEntry {
  std::string key;
  YAML::Node key_node;
  YAML::Node value;
};

// The entries of a mapping in file order; rejects non-mappings, non-string
// keys and duplicate keys (which yaml-cpp would otherwise accept silently).
std::vector<MapEntry> map_entries(const YAML::Node& node, std::string_view what);

// A mapping whose keys must come from a fixed set.
class MapReader {
 public:
  MapReader(const YAML::Node& node, std::string_view what,
            std::initializer_list<std::string_view> allowed_keys);

  std::optional<YAML::Node> find(std::string_view key) const;
  YAML::Node require(std::string_view key) const;
  const YAML::Node& node() const { return node_; }

 private:
  YAML::Node node_;
  std::string what_;
  std::vector<MapEntry> entries_;
};

std::vector<YAML::Node> sequence_items(const YAML::Node& node, std::string_view what);
std::string read_string(const YAML::Node& node, std::string_view what);
bool read_bool(const YAML::Node& node, std::string_view what);
// A whole number written in decimal digits, between `low` and `high`.
std::size_t read_count(const YAML::Node& node, std::string_view what, std::size_t low, std::size_t high);

// Names of rules, lists and patterns: [a-z0-9_-]{1,64}, so they read the
// same in logs, evidence, the audit trail and SMTP replies.
constexpr std::size_t kMaxIdentifierLength = 64;
std::string read_identifier(const YAML::Node& node, std::string_view what);

}  // namespace privmilter
