#pragma once
// The policy's decision for one message, with the evidence for it.
// Pure data: produced by policy/, carried out by enforce/.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace privmilter {

// What a rule asks for, ordered from least to most protective: when several
// rules fire, the highest wins for the message as a whole.
//   accept .. encrypt: the message is delivered (tagged, with a notice, over
//   enforced TLS, through the gateway, encrypted).
//   remove_recipients: acts per recipient, never on the message as a whole:
//   the recipients a rule concerns are dropped and the others still receive
//   it (see Verdict::removed_recipients); it is never Verdict::action.
enum class Action {
  accept,
  tag,
  notify,
  require_tls,
  route,
  encrypt,
  remove_recipients,
  quarantine,
  reject_unless_confirmed,
  reject,
};
std::string_view to_string(Action action);
// Also reads "add_header", the earlier name of "tag".
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

// One reason a rule fired. Never carries message content: the snippet is
// masked, and recipients are named only by what the rule is about.
struct Evidence {
  std::string rule_id;
  std::string detector;      // "kind:name": "list:privilege_markings", "identifier:us_ssn",
                             // "matter:number", "recipient:external", "attachment", ...
  std::string location;      // segment location ("subject", "1 text/plain"), "envelope", "message"
  std::string masked_match;  // e.g. "pri****************ed" or "***-**-**89"
  std::optional<std::size_t> offset;  // byte offset of the first finding in that text
  std::size_t count = 1;              // findings of this detector at this location

  std::string_view detector_kind() const {
    return std::string_view(detector).substr(0, std::string_view(detector).find(':'));
  }
};

// A rule whose conditions held.
struct FiredRule {
  std::string rule_id;
  Action action = Action::accept;
  bool monitor = false;    // recorded only: the rule (or the whole policy) is in monitor mode
  bool confirmed = false;  // reject_unless_confirmed, and the sender confirmed
  std::vector<std::string> recipients;  // the recipients the rule concerns
  std::vector<Evidence> evidence;
};

// The sender's knowing override of reject_unless_confirmed rules: a tag in
// the subject with a short justification, recorded and then stripped.
struct Confirmation {
  std::string justification;
};

// What an encrypt verdict becomes when a recipient has no usable
// certificate: never sent in clear by accident.
enum class EncryptFallback { quarantine, route, reject };
std::string_view to_string(EncryptFallback fallback);

struct RecipientVerdict {
  std::string address;
  Action action = Action::accept;  // remove_recipients, or the message's action
  std::vector<std::string> rules;  // enforced rules that concern this recipient
};

struct Verdict {
  Action action = Action::accept;  // for the message as a whole; never remove_recipients
  std::string deciding_rule;       // rule whose action won; empty for default accept
  std::vector<FiredRule> fired;    // every rule that fired, in policy order, monitor ones too
  std::vector<RecipientVerdict> recipients;     // one per envelope recipient, in envelope order
  std::vector<std::string> removed_recipients;  // dropped by remove_recipients rules
  std::vector<HeaderField> add_headers;         // from every enforced tag rule that fired
  std::optional<std::string> new_subject;       // decoded UTF-8; set when tagging or a
                                                // confirmation changes the subject
  std::optional<SmtpReply> reply;               // for reject and reject_unless_confirmed
  std::string route;                            // the gateway, for route (and a route fallback)
  EncryptFallback encrypt_fallback = EncryptFallback::quarantine;  // of the deciding encrypt rule
  bool notify_sender = false;
  std::vector<std::string> notify_also;         // further addresses to notify (compliance)
  std::optional<Confirmation> confirmation;
  // What the monitored rules would have made of the message had they been
  // enforced; set only when that differs from `action`.
  std::optional<Action> monitor_action;

  std::vector<std::string> matched_rules() const;  // ids of every fired rule, in order
  std::vector<Evidence> all_evidence() const;      // flattened over the fired rules
};

}  // namespace privmilter
