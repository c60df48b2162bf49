#include "fact_condition_parser.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <string_view>
#include <utility>

#include "yaml_reader.h"

namespace privmilter {
namespace {

constexpr std::size_t kMaxGlobLength = 256;

struct NamedFlag {
  std::string_view name;
  PartFlag flag;
};

// Underscores, like every other policy keyword; "signed" rather than the
// enumerator's name because that is what an administrator would write.
constexpr std::array<NamedFlag, 7> kAttachmentFlags = {{
    {"encrypted", PartFlag::encrypted},
    {"password_protected", PartFlag::password_protected},
    {"signed", PartFlag::signed_data},
    {"uninspectable", PartFlag::uninspectable},
    {"tracked_changes", PartFlag::tracked_changes},
    {"comments", PartFlag::comments},
    {"hidden_text", PartFlag::hidden_text},
}};

std::string flag_names() {
  std::string names;
  for (const NamedFlag& named : kAttachmentFlags) {
    names += (names.empty() ? "" : ", ") + std::string(named.name);
  }
  return names;
}

PartFlag read_flag(const YAML::Node& node) {
  const std::string name = read_string(node, "attachment flag");
  const auto found = std::find_if(kAttachmentFlags.begin(), kAttachmentFlags.end(),
                                  [&](const NamedFlag& named) { return named.name == name; });
  if (found == kAttachmentFlags.end()) {
    fail_at(node, "unknown attachment flag " + in_quotes(name) + " (expected " + flag_names() + ")");
  }
  return found->flag;
}

std::string read_glob(const YAML::Node& node, std::string_view what) {
  std::string glob = read_string(node, what);
  if (glob.empty() || glob.size() > kMaxGlobLength) {
    fail_at(node, std::string(what) + " must be 1 to " + std::to_string(kMaxGlobLength) + " characters");
  }
  if (std::any_of(glob.begin(), glob.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; })) {
    fail_at(node, std::string(what) + " must not contain control characters");
  }
  return glob;
}

std::string read_type_glob(const YAML::Node& node) {
  std::string glob = read_glob(node, "attachment type");
  // "pdf" or ".pdf" is a file name habit; a type always has a slash.
  if (glob.find('/') == std::string::npos) {
    fail_at(node, "attachment type " + in_quotes(glob) +
                      " must look like type/subtype (e.g. application/pdf or */*); match file names with 'name'");
  }
  return glob;
}

void require_true(const YAML::Node& node, std::string_view what, std::string_view instead) {
  if (!read_bool(node, what)) {
    fail_at(node, std::string(what) + ": false is not supported; write " + std::string(instead));
  }
}

struct SizeUnit {
  std::string_view suffix;
  std::size_t bytes;
};

// Binary multiples, as mail servers and file managers count.
constexpr std::array<SizeUnit, 4> kSizeUnits = {{
    {"GB", std::size_t{1} << 30},
    {"MB", std::size_t{1} << 20},
    {"KB", std::size_t{1} << 10},
    {"B", 1},
}};

bool ends_with_ignoring_case(std::string_view text, std::string_view suffix) {
  if (text.size() < suffix.size()) return false;
  const std::string_view tail = text.substr(text.size() - suffix.size());
  return std::equal(tail.begin(), tail.end(), suffix.begin(), [](char a, char b) {
    return (a >= 'a' && a <= 'z' ? static_cast<char>(a - 'a' + 'A') : a) == b;
  });
}

std::size_t read_byte_count(const YAML::Node& node) {
  const std::string text = read_string(node, "'over'");
  std::string_view digits = text;
  std::size_t multiplier = 1;
  for (const SizeUnit& unit : kSizeUnits) {
    if (ends_with_ignoring_case(digits, unit.suffix)) {
      digits.remove_suffix(unit.suffix.size());
      multiplier = unit.bytes;
      break;
    }
  }
  const bool well_formed = !digits.empty() && digits.size() <= 12 &&
                           std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!well_formed) {
    fail_at(node, "'over' must be a number of bytes, optionally with KB, MB or GB (e.g. 10MB), not " +
                      in_quotes(text));
  }
  const std::uint64_t value = std::stoull(std::string(digits));
  if (value > std::numeric_limits<std::size_t>::max() / multiplier) fail_at(node, "'over' is too large");
  return static_cast<std::size_t>(value) * multiplier;
}

}  // namespace

AttachmentCondition parse_attachment_condition(const YAML::Node& node) {
  const MapReader fields(node, "attachment condition", {"flag", "type", "name", "reason"});
  AttachmentCondition condition;
  if (const auto flag = fields.find("flag")) {
    condition.flag = read_flag(*flag);
    condition.flag_name = flag->Scalar();
  }
  if (const auto type = fields.find("type")) condition.type_glob = read_type_glob(*type);
  if (const auto name = fields.find("name")) condition.name_glob = read_glob(*name, "attachment name");
  if (const auto reason = fields.find("reason")) condition.reason_glob = read_glob(*reason, "attachment reason");
  if (!condition.flag && !condition.type_glob && !condition.name_glob && !condition.reason_glob) {
    fail_at(node, "an attachment condition needs at least one of flag, type, name or reason");
  }
  return condition;
}

UninspectableCondition parse_uninspectable_condition(const YAML::Node& node) {
  require_true(node, "uninspectable", "not: { uninspectable: true }");
  return {};
}

ProtectionCondition parse_protection_condition(const YAML::Node& node) {
  return {read_bool(node, "protected")};
}

SizeCondition parse_size_condition(const YAML::Node& node) {
  const MapReader fields(node, "size condition", {"over"});
  const YAML::Node over = fields.require("over");
  SizeCondition condition;
  condition.over_bytes = read_byte_count(over);
  condition.as_written = over.Scalar();
  return condition;
}

}  // namespace privmilter
