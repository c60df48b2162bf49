#include "rule_parser.h"

#include <algorithm>
#include <array>

#include "yaml_reader.h"

namespace privmilter {
namespace {

// SMTP caps a reply line at 512 octets, and enforcement appends the rule id,
// a reference and, for reject_unless_confirmed, how to confirm.
constexpr std::size_t kMaxReplyTextLength = 300;
constexpr std::size_t kMaxHeaderNameLength = 76;
constexpr std::size_t kMaxHeaderValueLength = 400;
constexpr std::size_t kMaxSubjectPrefixLength = 40;
constexpr std::size_t kMaxHeadersPerRule = 10;
constexpr std::size_t kMaxNotifyAddresses = 10;
constexpr std::string_view kDefaultRejectText = "Message blocked by firm policy";
constexpr std::string_view kActionNames =
    "accept, tag, notify, require_tls, route, encrypt, remove_recipients, quarantine, reject_unless_confirmed or "
    "reject";

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


bool is_mail_address(std::string_view address) {
  const std::size_t at = address.find('@');
  return at != std::string_view::npos && at > 0 && at + 1 < address.size() && address.find('@', at + 1) == std::string_view::npos &&
         is_printable_ascii(address) && address.find(' ') == std::string_view::npos;
}

std::vector<HeaderField> parse_headers(const MapReader& rule) {
  std::vector<HeaderField> headers;
  if (const auto one = rule.find("header")) headers.push_back(parse_header(*one));
  if (const auto many = rule.find("headers")) {
    const std::vector<YAML::Node> items = sequence_items(*many, "headers");
    if (items.empty() || items.size() > kMaxHeadersPerRule) {
      fail_at(*many, "headers needs 1 to " + std::to_string(kMaxHeadersPerRule) + " entries");
    }
    for (const YAML::Node& item : items) headers.push_back(parse_header(item));
  }
  return headers;
}

std::string parse_subject_prefix(const YAML::Node& node) {
  std::string prefix = read_string(node, "subject_prefix");
  if (prefix.empty() || prefix.size() > kMaxSubjectPrefixLength || prefix.front() == ' ' || prefix.back() == ' ') {
    fail_at(node, "subject_prefix must be 1 to " + std::to_string(kMaxSubjectPrefixLength) +
                      " characters without leading or trailing spaces, e.g. '[EXTERNAL]'");
  }
  if (prefix.find_first_of("\r\n") != std::string::npos) fail_at(node, "subject_prefix must be on one line");
  return prefix;
}

void parse_notify(const YAML::Node& node, Rule& rule) {
  if (node.IsScalar()) {
    rule.notify_sender = read_bool(node, "notify");
    return;
  }
  const MapReader fields(node, "notify", {"sender", "also"});
  if (const auto sender = fields.find("sender")) rule.notify_sender = read_bool(*sender, "notify sender");
  if (const auto also = fields.find("also")) {
    const std::vector<YAML::Node> items = sequence_items(*also, "notify also");
    if (items.size() > kMaxNotifyAddresses) {
      fail_at(*also, "notify also takes at most " + std::to_string(kMaxNotifyAddresses) + " addresses");
    }
    for (const YAML::Node& item : items) {
      std::string address = read_string(item, "notify address");
      if (!is_mail_address(address)) fail_at(item, in_quotes(address) + " is not a mail address");
      rule.notify_also.push_back(std::move(address));
    }
  }
}

EncryptFallback parse_encrypt_fallback(const YAML::Node& node) {
  const std::string text = read_string(node, "fallback");
  for (const EncryptFallback fallback : {EncryptFallback::quarantine, EncryptFallback::route, EncryptFallback::reject}) {
    if (text == to_string(fallback)) return fallback;
  }
  fail_at(node, "unknown fallback " + in_quotes(text) + " (expected quarantine, route or reject)");
}

// Which of the action-specific keys each action takes. An encrypt rule
// names a gateway only for its route fallback (checked when parsing it).
void check_action_keys(const MapReader& fields, const Rule& rule) {
  const bool tags = rule.action == Action::tag;
  const bool encrypts = rule.action == Action::encrypt;
  // An encrypt rule answers only when its fallback rejects; checked below.
  const bool replies = rule.action == Action::reject || rule.action == Action::reject_unless_confirmed ||
                       rule.action == Action::remove_recipients || encrypts;
  const std::array<std::pair<std::string_view, bool>, 6> keys = {{{"header", tags},
                                                                   {"headers", tags},
                                                                   {"subject_prefix", tags},
                                                                   {"reply", replies},
                                                                   {"route", rule.action == Action::route || encrypts},
                                                                   {"fallback", encrypts}}};
  for (const auto& [key, allowed] : keys) {
    const auto present = fields.find(key);
    if (present && !allowed) {
      fail_at(*present, in_quotes(key) + " does not belong to a rule with action " +
                            std::string(to_string(rule.action)));
    }
  }
}

}  // namespace

Rule parse_rule(const YAML::Node& node, ConditionContext& context) {
  const MapReader fields(node, "rule",
                         {"id", "description", "when", "except", "action", "header", "headers", "subject_prefix",
                          "reply", "route", "fallback", "monitor", "notify"});
  Rule rule;
  rule.id = read_identifier(fields.require("id"), "rule id");
  if (const auto description = fields.find("description")) {
    rule.description = read_string(*description, "description");
  }

  const YAML::Node action_node = fields.require("action");
  const std::string action = read_string(action_node, "action");
  if (!parse_action(action, rule.action)) {
    fail_at(action_node, "unknown action " + in_quotes(action) + " (expected " + std::string(kActionNames) + ")");
  }
  check_action_keys(fields, rule);

  if (const auto when = fields.find("when")) rule.when = parse_condition(*when, context);
  if (const auto unless = fields.find("except")) rule.unless = parse_condition(*unless, context);
  if (const auto monitor = fields.find("monitor")) rule.monitor = read_bool(*monitor, "monitor");
  if (const auto notify = fields.find("notify")) parse_notify(*notify, rule);

  switch (rule.action) {
    case Action::tag:
      rule.headers = parse_headers(fields);
      if (const auto prefix = fields.find("subject_prefix")) rule.subject_prefix = parse_subject_prefix(*prefix);
      if (rule.headers.empty() && rule.subject_prefix.empty()) {
        fail_at(action_node, "a tag rule needs header, headers or subject_prefix");
      }
      break;
    case Action::route:
      rule.route = read_identifier(fields.require("route"), "route (the gateway name)");
      break;
    case Action::encrypt:
      if (const auto fallback = fields.find("fallback")) {
        rule.encrypt_fallback = parse_encrypt_fallback(*fallback);
        if (rule.encrypt_fallback == EncryptFallback::route) {
          const auto route = fields.find("route");
          if (!route) fail_at(*fallback, "fallback: route needs 'route', the encryption gateway's name");
          rule.route = read_identifier(*route, "route (the gateway name)");
        }
      }
      if (const auto route = fields.find("route"); route && rule.encrypt_fallback != EncryptFallback::route) {
        fail_at(*route, "'route' belongs to an encrypt rule only with fallback: route");
      }
      if (const auto reply = fields.find("reply")) {
        if (rule.encrypt_fallback != EncryptFallback::reject) {
          fail_at(*reply, "'reply' belongs to an encrypt rule only with fallback: reject");
        }
        rule.reply = parse_reply(fields);
      }
      break;
    case Action::remove_recipients:
      // Without a recipient condition it would remove everyone: a reject
      // in disguise, and surely not what the author meant.
      if (!rule.when || !selects_recipients(*rule.when)) {
        fail_at(action_node, "remove_recipients needs a recipient condition in 'when' to say whom to remove");
      }
      rule.reply = parse_reply(fields);
      break;
    case Action::reject:
    case Action::reject_unless_confirmed:
      rule.reply = parse_reply(fields);
      break;
    default:
      break;
  }
  return rule;
}

}  // namespace privmilter
