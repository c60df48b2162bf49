// Loading a policy file: strict validation of the whole document, then
// compilation of every list and pattern, so that a policy that loads can
// be evaluated without any further failure.

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <utility>

#include "compiled_policy.h"
#include "condition_parser.h"
#include "privmilter/policy.h"
#include "yaml_reader.h"

namespace privmilter {
namespace {

constexpr std::string_view kSupportedVersion = "1";
constexpr std::size_t kMaxPolicyFileBytes = std::size_t{16} << 20;
// SMTP caps a reply line at 512 octets, and enforcement appends the rule id
// and a reference to the text.
constexpr std::size_t kMaxReplyTextLength = 300;
constexpr std::size_t kMaxHeaderNameLength = 76;
constexpr std::size_t kMaxHeaderValueLength = 400;
constexpr std::string_view kDefaultRejectText = "Message blocked by firm policy";

bool is_printable_ascii(std::string_view text) {
  for (const char c : text) {
    if (c < 0x20 || c > 0x7E) return false;
  }
  return true;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// RFC 3463 class.subject.detail with a permanent-failure class.
bool is_permanent_enhanced_code(std::string_view xcode) {
  if (xcode.size() < 5 || xcode.substr(0, 2) != "5.") return false;
  const std::string_view rest = xcode.substr(2);
  const std::size_t dot = rest.find('.');
  if (dot == std::string_view::npos) return false;
  const auto is_number = [](std::string_view part) {
    return !part.empty() && part.size() <= 3 &&
           std::all_of(part.begin(), part.end(), [](char c) { return is_digit(c); });
  };
  return is_number(rest.substr(0, dot)) && is_number(rest.substr(dot + 1));
}

// RFC 5322 field names: printable ASCII without ':' or space.
bool is_header_name(std::string_view name) {
  return !name.empty() && name.size() <= kMaxHeaderNameLength &&
         std::all_of(name.begin(), name.end(), [](char c) { return c > 0x20 && c < 0x7F && c != ':'; });
}

HeaderField parse_header(const YAML::Node& node) {
  const MapReader header(node, "header", {"name", "value"});
  const YAML::Node name_node = header.require("name");
  const YAML::Node value_node = header.require("value");
  HeaderField field{read_string(name_node, "header name"), read_string(value_node, "header value")};
  if (!is_header_name(field.name)) {
    fail_at(name_node, "header name " + in_quotes(field.name) +
                           " must be printable ASCII without spaces or ':'");
  }
  if (field.value.empty() || field.value.size() > kMaxHeaderValueLength ||
      !is_printable_ascii(field.value)) {
    fail_at(value_node, "header value must be 1 to " + std::to_string(kMaxHeaderValueLength) +
                            " printable ASCII characters");
  }
  return field;
}

SmtpReply parse_reply(const MapReader& rule) {
  SmtpReply reply;
  reply.text = kDefaultRejectText;
  const std::optional<YAML::Node> node = rule.find("reply");
  if (!node) return reply;

  const MapReader fields(*node, "reply", {"code", "xcode", "text"});
  if (const auto code = fields.find("code")) {
    reply.code = read_string(*code, "reply code");
    if (reply.code.size() != 3 || reply.code[0] != '5' || !is_digit(reply.code[1]) ||
        !is_digit(reply.code[2])) {
      fail_at(*code, "a reject reply code must be 5xx (a permanent failure), not " + in_quotes(reply.code));
    }
  }
  if (const auto xcode = fields.find("xcode")) {
    reply.xcode = read_string(*xcode, "reply xcode");
    if (!is_permanent_enhanced_code(reply.xcode)) {
      fail_at(*xcode, "a reject reply xcode must look like 5.x.x, not " + in_quotes(reply.xcode));
    }
  }
  if (const auto text = fields.find("text")) {
    reply.text = read_string(*text, "reply text");
    if (reply.text.empty() || reply.text.size() > kMaxReplyTextLength ||
        !is_printable_ascii(reply.text)) {
      fail_at(*text, "reply text must be 1 to " + std::to_string(kMaxReplyTextLength) +
                         " printable ASCII characters on one line");
    }
  }
  return reply;
}

Rule parse_rule(const YAML::Node& node, const NamedMatchers& named) {
  const MapReader fields(node, "rule", {"id", "description", "when", "action", "header", "reply"});
  Rule rule;
  rule.id = read_identifier(fields.require("id"), "rule id");
  if (const auto description = fields.find("description")) {
    rule.description = read_string(*description, "description");
  }

  const YAML::Node action_node = fields.require("action");
  const std::string action = read_string(action_node, "action");
  if (!parse_action(action, rule.action)) {
    fail_at(action_node,
            "unknown action " + in_quotes(action) + " (expected accept, add_header, quarantine or reject)");
  }

  if (const auto when = fields.find("when")) rule.when = parse_condition(*when, named);

  if (rule.action == Action::add_header) {
    rule.header = parse_header(fields.require("header"));
  } else if (const auto header = fields.find("header")) {
    fail_at(*header, "'header' belongs only to rules with action add_header");
  }

  if (rule.action == Action::reject) {
    rule.reply = parse_reply(fields);
  } else if (const auto reply = fields.find("reply")) {
    fail_at(*reply, "'reply' belongs only to rules with action reject");
  }
  return rule;
}

void compile_lists(const YAML::Node& node, NamedMatchers& named) {
  for (const MapEntry& entry : map_entries(node, "lists")) {
    read_identifier(entry.key_node, "list name");
    Result<std::unique_ptr<TextMatcher>> compiled =
        compile_phrase_matcher("list:" + entry.key, read_phrases(entry.value, "list " + in_quotes(entry.key)));
    if (!compiled.ok()) fail_at(entry.value, "list " + in_quotes(entry.key) + ": " + compiled.error().message);
    named.lists.emplace(entry.key, std::move(compiled).value());
  }
}

void compile_patterns(const YAML::Node& node, NamedMatchers& named) {
  for (const MapEntry& entry : map_entries(node, "patterns")) {
    read_identifier(entry.key_node, "pattern name");
    Result<std::unique_ptr<TextMatcher>> compiled =
        compile_regex_matcher("regex:" + entry.key, read_string(entry.value, "pattern"));
    if (!compiled.ok()) {
      fail_at(entry.value, "pattern " + in_quotes(entry.key) + ": " + compiled.error().message);
    }
    named.patterns.emplace(entry.key, std::move(compiled).value());
  }
}

std::shared_ptr<const Policy> compile_policy(const YAML::Node& root, const std::string& name) {
  if (!root.IsDefined() || root.IsNull()) throw PolicySyntaxError(1, "the policy is empty");
  const MapReader document(root, "the policy", {"version", "lists", "patterns", "rules"});

  const YAML::Node version = document.require("version");
  if (read_string(version, "version") != kSupportedVersion) {
    fail_at(version, "unsupported policy version " + in_quotes(version.Scalar()) +
                         " (this privmilter reads version 1)");
  }

  NamedMatchers named;
  if (const auto lists = document.find("lists")) compile_lists(*lists, named);
  if (const auto patterns = document.find("patterns")) compile_patterns(*patterns, named);

  std::vector<Rule> rules;
  std::map<std::string, int, std::less<>> first_line_of_rule;
  for (const YAML::Node& item : sequence_items(document.require("rules"), "rules")) {
    Rule rule = parse_rule(item, named);
    const auto [previous, inserted] = first_line_of_rule.emplace(rule.id, line_of(item));
    if (!inserted) {
      fail_at(item, "duplicate rule id " + in_quotes(rule.id) + " (first defined at line " +
                        std::to_string(previous->second) + ")");
    }
    rules.push_back(std::move(rule));
  }
  return std::make_shared<const Policy>(name, std::move(rules));
}

Error located(const std::string& name, int line, const std::string& message) {
  if (line <= 0) return make_error(name + ": " + message);
  return make_error(name + ":" + std::to_string(line) + ": " + message);
}

}  // namespace

Result<std::shared_ptr<const Policy>> load_policy_string(const std::string& yaml,
                                                         const std::string& name) {
  try {
    return compile_policy(YAML::Load(yaml), name);
  } catch (const PolicySyntaxError& error) {
    return located(name, error.line(), error.what());
  } catch (const YAML::Exception& error) {
    return located(name, error.mark.is_null() ? 0 : error.mark.line + 1, error.msg);
  } catch (const std::exception& error) {
    return located(name, 0, error.what());
  }
}

Result<std::shared_ptr<const Policy>> load_policy_file(const std::filesystem::path& path) {
  std::error_code size_error;
  const std::uintmax_t size = std::filesystem::file_size(path, size_error);
  if (size_error) {
    return make_error("cannot open policy file " + path.string() + ": " + size_error.message());
  }
  if (size > kMaxPolicyFileBytes) {
    return make_error(path.string() + ": policy file larger than " +
                      std::to_string(kMaxPolicyFileBytes >> 20) + " MiB");
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return make_error("cannot open policy file " + path.string() + ": " + std::strerror(errno));
  }
  std::ostringstream content;
  content << file.rdbuf();
  if (file.bad()) return make_error("cannot read policy file " + path.string());
  return load_policy_string(content.str(), path.string());
}

std::size_t rule_count(const Policy& policy) { return policy.rules().size(); }

}  // namespace privmilter
