// The words of a notification. What may appear: addresses, rule ids, plain
// descriptions derived from detector kinds and names, the reference. What
// never may: the subject, the content, evidence snippets (masked_match),
// locations inside the message.

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "privmilter/notify.h"
#include "privmilter/strings.h"

namespace privmilter {
namespace {

constexpr std::size_t kWrapColumn = 72;
constexpr std::size_t kMaxListedRecipients = 10;

enum class Outcome { held, rejected, recipients_removed, encrypted, routed, tls, delivered };

Outcome classify(const Verdict& verdict, std::string_view outcome) {
  if (outcome == kOutcomeQuarantined) return Outcome::held;
  if (outcome == kOutcomeRejected) return Outcome::rejected;
  if (outcome == kOutcomeEncrypted) return Outcome::encrypted;
  if (outcome == kOutcomeRecipientsRemoved) return Outcome::recipients_removed;
  if (outcome == kOutcomeRouted) return Outcome::routed;
  switch (verdict.action) {
    case Action::quarantine: return Outcome::held;
    case Action::reject:
    case Action::reject_unless_confirmed: return Outcome::rejected;
    case Action::encrypt: return Outcome::encrypted;
    case Action::route: return Outcome::routed;
    case Action::require_tls: return Outcome::tls;
    default: break;
  }
  return verdict.removed_recipients.empty() ? Outcome::delivered : Outcome::recipients_removed;
}

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

// Lists and patterns are named by the firm; well-known names get plain
// words, others are named as the firm's list (a name, never a match).
std::string describe_named(std::string_view name) {
  std::vector<std::string> tokens(1);
  for (const char c : ascii_lower(name)) {
    if (c == '_' || c == '-' || c == ' ') {
      if (!tokens.back().empty()) tokens.emplace_back();
    } else {
      tokens.back() += c;
    }
  }
  const auto has = [&](std::string_view prefix) {
    return std::any_of(tokens.begin(), tokens.end(), [&](const std::string& token) { return token.starts_with(prefix); });
  };
  if (has("privilege") || has("confidential") || (has("work") && has("product"))) {
    return "a privilege or confidentiality marking";
  }
  const auto is = [&](std::string_view word) { return std::find(tokens.begin(), tokens.end(), word) != tokens.end(); };
  if (has("protective")) return "a protective order marking";
  if (is("ssn") || (has("social") && has("security"))) return "a US social security number";
  if (has("card")) return "a payment card number";
  if (is("iban")) return "a bank account number (IBAN)";
  if (has("routing") || is("aba")) return "a routing number";
  if (has("matter")) return "a client-matter number";
  std::string words;
  for (const auto& token : tokens) {
    if (token.empty()) continue;
    if (!words.empty()) words += ' ';
    words += token;
  }
  return "wording on the firm's \"" + words + "\" list";
}

std::optional<std::string> describe(const Evidence& evidence) {
  const std::string_view kind = evidence.detector_kind();
  const std::string_view detector(evidence.detector);
  const std::string_view name = kind.size() < detector.size() ? detector.substr(kind.size() + 1) : std::string_view();
  if (kind == "identifier") {
    if (name == "payment_card") return "a payment card number";
    if (name == "us_ssn") return "a US social security number";
    if (name == "iban") return "a bank account number (IBAN)";
    if (name == "aba_routing") return "a routing number";
    return std::nullopt;
  }
  if (kind == "list" || kind == "regex" || kind == "pattern") return describe_named(name);
  if (kind == "phrases") return "wording the firm's policy names";
  if (kind == "matter") {
    return name == "unknown" ? "a client-matter number the firm's directory does not know" : "a client-matter number";
  }
  if (kind == "recipient") {
    if (name == "external") return "a recipient outside the firm";
    if (name == "unauthorized") return "a recipient outside the firm who is not authorised for this matter";
    if (name == "webmail") return "a personal webmail address";
    if (name == "lookalike") return "an address that imitates a known domain";
    if (name == "walled") return "an ethical wall";
    if (name == "internal") return "a recipient inside the firm";
    return std::nullopt;
  }
  if (kind == "sender") {
    if (name == "walled") return "an ethical wall";
    if (name == "unknown") return "a sender the firm's directory does not know";
    return "the sender's role in the firm";
  }
  if (kind == "unencrypted" || kind == "unprotected") return "content that is not encrypted";
  if (kind == "uninspectable") return "an attachment or part that could not be inspected";
  if (kind == "attachment") {
    if (contains(name, "encrypted") || contains(name, "password")) return "an encrypted or password-protected attachment";
    return "an attachment of a kind the firm's policy restricts";
  }
  if (kind == "size") return "the size of the message";
  return std::nullopt;
}

// "a, b and c"
std::string join_words(const std::vector<std::string>& items) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += (i + 1 == items.size()) ? " and " : ", ";
    out += items[i];
  }
  return out;
}

std::string list_addresses(const std::vector<std::string>& addresses) {
  if (addresses.empty()) return "no recipient";
  std::vector<std::string> shown(addresses.begin(),
                                 addresses.begin() + static_cast<std::ptrdiff_t>(std::min(addresses.size(), kMaxListedRecipients)));
  if (addresses.size() > shown.size()) shown.push_back(std::to_string(addresses.size() - shown.size()) + " others");
  return join_words(shown);
}

// Greedy wrap on spaces; a word longer than the line (an address) stands alone.
std::string wrap(std::string_view paragraph, std::string_view indent = {}) {
  std::string out;
  std::size_t column = 0;
  std::size_t position = 0;
  while (position < paragraph.size()) {
    auto end = paragraph.find(' ', position);
    if (end == std::string_view::npos) end = paragraph.size();
    const std::string_view word = paragraph.substr(position, end - position);
    position = end + 1;
    if (word.empty()) continue;
    if (column > 0 && column + 1 + word.size() > kWrapColumn) {
      out += '\n';
      out += indent;
      column = indent.size();
    } else if (column > 0) {
      out += ' ';
      ++column;
    }
    out += word;
    column += word.size();
  }
  return out;
}

// Only an address that can stand in a header and an RCPT command.
bool usable_address(std::string_view address) {
  if (address.empty() || address.find('@') == std::string_view::npos) return false;
  for (const char c : address) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7F || c == '<' || c == '>' || c == ',' || c == ';' || c == '"' || c == '\\') {
      return false;
    }
  }
  return true;
}

void add_unique(std::vector<std::string>& to, const std::string& address) {
  if (!usable_address(address)) return;
  for (const auto& existing : to) {
    if (iequals(existing, address)) return;
  }
  to.push_back(address);
}

std::vector<std::string> reasons(const Verdict& verdict) {
  std::vector<std::string> lines;
  for (const auto& rule : verdict.fired) {
    if (rule.monitor || rule.confirmed) continue;
    std::vector<std::string> described;
    bool unknown = rule.evidence.empty();
    for (const auto& evidence : rule.evidence) {
      const auto words = describe(evidence);
      if (!words) {
        unknown = true;
        continue;
      }
      if (std::find(described.begin(), described.end(), *words) == described.end()) described.push_back(*words);
    }
    std::string line = described.empty() ? "the firm's policy rule " + rule.rule_id
                                          : join_words(described) + " (rule " + rule.rule_id + ")";
    if (!described.empty() && unknown) line = join_words(described) + " and the firm's policy rule " + rule.rule_id;
    lines.push_back(std::move(line));
  }
  return lines;
}

std::string subject_for(Outcome outcome, bool to_sender, const std::string& sender) {
  const std::string whose = to_sender ? "Your message" : "A message from " + sender;
  switch (outcome) {
    case Outcome::held: return whose + " was held for review";
    case Outcome::rejected: return whose + " was not sent";
    case Outcome::recipients_removed: return whose + " did not go to all its recipients";
    case Outcome::encrypted: return whose + " was sent encrypted";
    case Outcome::routed: return whose + " was sent through the secure gateway";
    case Outcome::tls: return whose + " was sent over an encrypted connection only";
    case Outcome::delivered: break;
  }
  return whose + " was delivered";
}

std::string what_happened(Outcome outcome, const std::string& whose, const std::vector<std::string>& recipients,
                          const Verdict& verdict) {
  const std::string to_whom = list_addresses(recipients);
  switch (outcome) {
    case Outcome::held:
      return whose + " to " + to_whom + " was held for review by the firm's security team. It has not been delivered to anyone.";
    case Outcome::rejected: return whose + " to " + to_whom + " was refused. It has not been delivered to anyone.";
    case Outcome::recipients_removed: {
      std::vector<std::string> reached;
      for (const auto& recipient : recipients) {
        if (std::find(verdict.removed_recipients.begin(), verdict.removed_recipients.end(), recipient) ==
            verdict.removed_recipients.end()) {
          reached.push_back(recipient);
        }
      }
      return whose + " was delivered to " + list_addresses(reached) + ", but NOT to " +
             list_addresses(verdict.removed_recipients) + ": the firm's policy does not allow it to go to them.";
    }
    case Outcome::encrypted: return whose + " to " + to_whom + " was delivered encrypted (S/MIME).";
    case Outcome::routed: return whose + " to " + to_whom + " was delivered through the firm's secure gateway.";
    case Outcome::tls: return whose + " to " + to_whom + " was delivered over an encrypted connection only.";
    case Outcome::delivered: break;
  }
  return whose + " to " + to_whom + " was delivered.";
}

std::string next_steps(Outcome outcome, const Verdict& verdict) {
  switch (outcome) {
    case Outcome::held:
      return "What to do next: the security team reviews held messages and either releases the message or "
             "contacts you. If it is urgent, contact the security team and quote the reference. Please do not "
             "send it again: a copy would be held as well.";
    case Outcome::rejected:
      if (verdict.action == Action::reject_unless_confirmed) {
        return "What to do next: if you are sure it should go to these recipients, send it again with "
               "\"[confirmed: your reason]\" in the subject, for example \"[confirmed: client asked for the "
               "draft]\". The reason is recorded with the message. Otherwise revise it, or contact the "
               "security team and quote the reference.";
      }
      return "What to do next: revise the message so that it no longer contains what is named above, or "
             "send it by a channel the firm approves. If you believe the policy is wrong, contact the "
             "security team and quote the reference.";
    case Outcome::recipients_removed:
      return "What to do next: the recipients named as not reached did not receive the message. If they "
             "should, contact the security team and quote the reference.";
    default: break;
  }
  return "This notice is for your information; you need not do anything.";
}

}  // namespace

Notification compose_notification(const NotifySettings& settings, const std::string& firm_name,
                                  const std::string& sender, const std::vector<std::string>& recipients,
                                  const Verdict& verdict, const std::string& outcome,
                                  const std::string& reference) {
  Notification notification;
  notification.reference = reference;
  // Taken now, so that a reloaded notify.from applies to what is composed next.
  notification.from_address = settings.from;
  std::string firm = firm_name.empty() ? std::string("Mail") : firm_name;
  for (char& c : firm) {
    if (c == '\r' || c == '\n' || c == '\t') c = ' ';
  }
  notification.from_name = firm + " mail protection";

  const bool tell_sender = (verdict.notify_sender || verdict.action == Action::notify) && usable_address(sender);
  if (tell_sender) add_unique(notification.to, sender);
  for (const auto& address : verdict.notify_also) add_unique(notification.to, address);
  if (notification.to.empty()) return notification;

  const Outcome kind = classify(verdict, outcome);
  const std::string shown_sender = sender.empty() ? "<>" : sender;
  notification.subject = subject_for(kind, tell_sender, shown_sender) + " [ref " + reference + "]";

  const std::string whose = tell_sender ? "Your message" : "The message from " + shown_sender;
  std::string body = wrap(what_happened(kind, whose, recipients, verdict)) + "\n\n";
  const auto why = reasons(verdict);
  if (!why.empty()) {
    body += "Why: the firm's policy found\n";
    for (const auto& line : why) body += "  - " + wrap(line, "    ") + "\n";
    body += "\n";
  }
  body += "Reference: " + reference + "\n\n";
  body += wrap(next_steps(kind, verdict)) + "\n\n";
  if (notification.to.size() > 1) {
    std::vector<std::string> others(notification.to.begin() + (tell_sender ? 1 : 0), notification.to.end());
    if (tell_sender) body += wrap("A copy of this notice went to " + list_addresses(others) + ".") + "\n\n";
  }
  body += wrap("This is an automatic message from " + notification.from_name + ". Replies are not read.") + "\n";
  notification.body = std::move(body);
  return notification;
}

}  // namespace privmilter
