#include "policy_expectation.h"

#include <algorithm>

#include "privmilter/strings.h"

namespace privmilter::tools {
namespace {

const FiredRule* find_fired(const Verdict& verdict, std::string_view rule_id) {
  for (const FiredRule& rule : verdict.fired) {
    if (rule.rule_id == rule_id) return &rule;
  }
  return nullptr;
}

std::string quoted(std::string_view text) { return "\"" + std::string(text) + "\""; }

std::string listed(std::vector<std::string> addresses) {
  if (addresses.empty()) return "none";
  std::sort(addresses.begin(), addresses.end());
  std::string out;
  for (const std::string& address : addresses) out += (out.empty() ? "" : ", ") + address;
  return out;
}

std::vector<std::string> lowered(const std::vector<std::string>& addresses) {
  std::vector<std::string> out;
  for (const std::string& address : addresses) out.push_back(ascii_lower(address));
  std::sort(out.begin(), out.end());
  return out;
}

void check_rules(const ExpectedOutcome& expected, const Verdict& verdict, std::vector<std::string>& unmet) {
  for (const std::string& id : expected.rules) {
    const FiredRule* rule = find_fired(verdict, id);
    if (rule == nullptr) {
      unmet.push_back("rule " + id + " did not fire");
    } else if (rule->monitor) {
      unmet.push_back("rule " + id + " fired in monitor mode only (expect it under monitor_rules)");
    }
  }
  for (const std::string& id : expected.monitor_rules) {
    const FiredRule* rule = find_fired(verdict, id);
    if (rule == nullptr) {
      unmet.push_back("rule " + id + " did not fire in monitor mode");
    } else if (!rule->monitor) {
      unmet.push_back("rule " + id + " fired enforced, not in monitor mode");
    }
  }
  for (const std::string& id : expected.not_rules) {
    if (find_fired(verdict, id) != nullptr) unmet.push_back("rule " + id + " fired");
  }
}

void check_recipients(const ExpectedOutcome& expected, const Verdict& verdict, std::vector<std::string>& unmet) {
  if (expected.removed && lowered(*expected.removed) != lowered(verdict.removed_recipients)) {
    unmet.push_back("expected removed " + listed(*expected.removed) + ", got " + listed(verdict.removed_recipients));
  }
  for (const auto& [address, action] : expected.recipients) {
    const auto found = std::find_if(verdict.recipients.begin(), verdict.recipients.end(),
                                    [&](const RecipientVerdict& recipient) { return iequals(recipient.address, address); });
    if (found == verdict.recipients.end()) {
      unmet.push_back("no verdict for recipient " + address);
    } else if (found->action != action) {
      unmet.push_back("expected " + address + " to get " + std::string(to_string(action)) + ", got " +
                      std::string(to_string(found->action)));
    }
  }
}

}  // namespace

std::vector<std::string> unmet_expectations(const ExpectedOutcome& expected, const Verdict& verdict,
                                            std::string_view original_subject) {
  std::vector<std::string> unmet;
  if (verdict.action != expected.action) {
    unmet.push_back("expected action " + std::string(to_string(expected.action)) + ", got " +
                    std::string(to_string(verdict.action)));
  }
  check_rules(expected, verdict, unmet);
  check_recipients(expected, verdict, unmet);
  if (expected.subject) {
    const std::string actual = verdict.new_subject.value_or(std::string(original_subject));
    if (actual != *expected.subject) {
      unmet.push_back("expected subject " + quoted(*expected.subject) + ", got " + quoted(actual));
    }
  }
  return unmet;
}

}  // namespace privmilter::tools
