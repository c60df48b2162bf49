#pragma once
// The policy's decision for one message, with the evidence for it.
// Pure data: produced by policy/, carried out by enforce/.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace privmilter {

// Ordered from least to most protective: when several rules fire, the
// highest wins. add_header is "accept, and tag".
enum class Action { accept, add_header, quarantine, reject };
std::string_view to_string(Action action);
bool parse_action(std::string_view text, Action& out);

struct SmtpReply {
  std::string code = "550";    // basic status code
  std::string xcode = "5.7.1";  // enhanced status code
  std::string text;            // human-readable text, without the codes
};

struct HeaderField {
  std::string name;
  std::string value;
  bool operator==(const HeaderField&) const = default;
};

// Why a rule fired. Never carries message content: the snippet is masked.
struct Evidence {
  std::string rule_id;
  std::string detector;      // e.g. "list:privilege_markings", "regex:ssn", "unencrypted"
  std::string location;      // segment location, e.g. "subject", "1 text/plain"
  std::string masked_match;  // e.g. "pri****************ed" or "***-**-**89"
};

struct Verdict {
  Action action = Action::accept;
  std::string deciding_rule;               // rule whose action won; empty for default accept
  std::vector<std::string> matched_rules;  // every rule that fired, in policy order
  std::vector<HeaderField> add_headers;    // from every add_header rule that fired
  std::optional<SmtpReply> reply;          // set for reject
  std::vector<Evidence> evidence;
};

}  // namespace privmilter
