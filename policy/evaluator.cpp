// Evaluation: rules in policy order against one message. Pure: the result
// depends only on the policy, the facts, the envelope and the directory.
//
// Every rule whose condition holds is recorded. The verdict then follows
// from the enforced ones (not monitored, not overridden by a confirmation):
// remove_recipients rules drop the recipients they concern; of the other
// rules, those that still concern a remaining recipient compete, and the
// most protective action wins (the first such rule decides).

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "compiled_policy.h"
#include "condition_evaluator.h"
#include "confirmation.h"
#include "evaluation_context.h"
#include "privmilter/policy.h"
#include "privmilter/strings.h"

namespace privmilter {
namespace {

constexpr std::string_view kAllRemovedText = "No recipient of this message may receive it under firm policy";

struct Outcome {
  Action action = Action::accept;
  const FiredRule* deciding = nullptr;
  std::set<std::string> removed;
};

bool is_enforced(const FiredRule& rule) { return !rule.monitor && !rule.confirmed; }

Outcome decide_outcome(const std::vector<FiredRule>& fired, std::size_t recipient_count, bool include_monitored) {
  Outcome outcome;
  const auto counts = [&](const FiredRule& rule) {
    return !rule.confirmed && (include_monitored || !rule.monitor);
  };
  for (const FiredRule& rule : fired) {
    if (counts(rule) && rule.action == Action::remove_recipients) {
      outcome.removed.insert(rule.recipients.begin(), rule.recipients.end());
    }
  }
  for (const FiredRule& rule : fired) {
    if (!counts(rule) || rule.action == Action::remove_recipients) continue;
    const bool concerns_someone_kept =
        rule.recipients.empty() || std::any_of(rule.recipients.begin(), rule.recipients.end(),
                                               [&](const std::string& r) { return !outcome.removed.contains(r); });
    if (!concerns_someone_kept) continue;
    if (outcome.deciding == nullptr || rule.action > outcome.action) {
      outcome.action = rule.action;
      outcome.deciding = &rule;
    }
  }
  if (recipient_count > 0 && outcome.removed.size() >= recipient_count && outcome.action < Action::reject) {
    outcome.action = Action::reject;
    outcome.deciding = nullptr;
    for (const FiredRule& rule : fired) {
      if (counts(rule) && rule.action == Action::remove_recipients) {
        outcome.deciding = &rule;
        break;
      }
    }
  }
  return outcome;
}

const Rule& rule_named(const Policy& policy, const std::string& id) {
  return *std::find_if(policy.rules().begin(), policy.rules().end(), [&](const Rule& rule) { return rule.id == id; });
}

std::optional<SmtpReply> reply_for(const Policy& policy, const Outcome& outcome) {
  // An encrypt rule's own reply, for when its reject fallback is taken.
  if (outcome.action == Action::encrypt) {
    return outcome.deciding != nullptr ? rule_named(policy, outcome.deciding->rule_id).reply : std::nullopt;
  }
  if (outcome.action != Action::reject && outcome.action != Action::reject_unless_confirmed) return std::nullopt;
  std::optional<SmtpReply> reply;
  if (outcome.deciding != nullptr) reply = rule_named(policy, outcome.deciding->rule_id).reply;
  if (!reply) reply = SmtpReply{"550", "5.7.1", std::string(kAllRemovedText)};
  if (outcome.action == Action::reject_unless_confirmed) {
    reply->text += "; to send it anyway, resend with " + confirmation_example(policy.settings().confirm_tag) +
                   " in the subject";
  }
  return reply;
}

// Prefixes from tag rules, and the confirmation tag taken out.
std::optional<std::string> edited_subject(const std::string& subject, const std::vector<std::string>& prefixes,
                                          const std::optional<FoundConfirmation>& confirmation) {
  std::string edited = confirmation ? confirmation->subject_without : subject;
  bool changed = confirmation.has_value();
  for (auto prefix = prefixes.rbegin(); prefix != prefixes.rend(); ++prefix) {
    // Replies keep the prefix they already carry: no "[EXT] [EXT] Re:".
    if (ascii_lower(edited).find(ascii_lower(*prefix)) != std::string::npos) continue;
    edited = *prefix + " " + edited;
    changed = true;
  }
  if (!changed) return std::nullopt;
  return edited;
}

void apply_side_effects(const Policy& policy, const FiredRule& fired, Verdict& verdict,
                        std::vector<std::string>& prefixes) {
  const Rule& rule = rule_named(policy, fired.rule_id);
  if (rule.action == Action::tag) {
    for (const HeaderField& header : rule.headers) {
      if (std::find(verdict.add_headers.begin(), verdict.add_headers.end(), header) == verdict.add_headers.end()) {
        verdict.add_headers.push_back(header);
      }
    }
    if (!rule.subject_prefix.empty() &&
        std::find(prefixes.begin(), prefixes.end(), rule.subject_prefix) == prefixes.end()) {
      prefixes.push_back(rule.subject_prefix);
    }
  }
  if (rule.action == Action::route && verdict.route.empty()) verdict.route = rule.route;
  if (rule.action == Action::notify || rule.notify_sender) verdict.notify_sender = true;
  for (const std::string& address : rule.notify_also) {
    if (std::find(verdict.notify_also.begin(), verdict.notify_also.end(), address) == verdict.notify_also.end()) {
      verdict.notify_also.push_back(address);
    }
  }
}

std::optional<FiredRule> fire(const Rule& rule, const EvaluationContext& context, bool policy_monitor,
                              bool confirmed) {
  const ConditionEvaluator evaluator(context, rule.id);
  std::vector<Evidence> evidence;
  Selection selection{true, std::nullopt};
  if (rule.when) {
    selection = evaluator.evaluate(*rule.when, evidence);
    if (!selection.holds) return std::nullopt;
  }
  const auto& recipients = context.recipients();
  if (rule.unless) {
    std::vector<Evidence> exemption;
    const Selection exempt = evaluator.evaluate(*rule.unless, exemption);
    if (exempt.holds && !exempt.recipients) return std::nullopt;
    if (exempt.holds) {
      std::vector<bool> remaining = selection.recipients.value_or(std::vector<bool>(recipients.size(), true));
      for (std::size_t index = 0; index < remaining.size(); ++index) {
        remaining[index] = remaining[index] && !(*exempt.recipients)[index];
      }
      if (std::find(remaining.begin(), remaining.end(), true) == remaining.end()) return std::nullopt;
      selection.recipients = std::move(remaining);
    }
  }
  FiredRule fired{rule.id, rule.action, rule.monitor || policy_monitor,
                  confirmed && rule.action == Action::reject_unless_confirmed, {}, std::move(evidence)};
  // A rule about the whole message concerns every recipient.
  for (std::size_t index = 0; index < recipients.size(); ++index) {
    if (!selection.recipients || (*selection.recipients)[index]) fired.recipients.push_back(recipients[index].address);
  }
  return fired;
}

}  // namespace

Verdict evaluate(const Policy& policy, const MessageFacts& facts, const Envelope& envelope,
                 const Directory& directory) {
  const EvaluationContext context(policy, facts, envelope, directory);
  const PolicySettings& settings = policy.settings();
  const std::optional<FoundConfirmation> confirmation =
      find_confirmation(facts.subject, settings.confirm_tag, settings.min_justification);

  Verdict verdict;
  for (const Rule& rule : policy.rules()) {
    std::optional<FiredRule> fired = fire(rule, context, settings.monitor, confirmation.has_value());
    if (!fired) continue;
    const bool ends_evaluation = fired->action == Action::accept && !fired->monitor;
    verdict.fired.push_back(std::move(*fired));
    if (ends_evaluation) break;  // an explicit allow ends evaluation
  }

  const Outcome outcome = decide_outcome(verdict.fired, envelope.recipients.size(), false);
  verdict.action = outcome.action;
  if (outcome.deciding != nullptr) verdict.deciding_rule = outcome.deciding->rule_id;
  verdict.reply = reply_for(policy, outcome);
  verdict.removed_recipients.assign(outcome.removed.begin(), outcome.removed.end());

  std::vector<std::string> prefixes;
  for (const FiredRule& fired : verdict.fired) {
    if (is_enforced(fired)) apply_side_effects(policy, fired, verdict, prefixes);
  }
  if (verdict.action == Action::encrypt && outcome.deciding != nullptr) {
    const Rule& deciding = rule_named(policy, outcome.deciding->rule_id);
    verdict.encrypt_fallback = deciding.encrypt_fallback;
    if (deciding.encrypt_fallback == EncryptFallback::route) verdict.route = deciding.route;
  }
  if (confirmation) verdict.confirmation = Confirmation{confirmation->justification};
  verdict.new_subject = edited_subject(facts.subject, prefixes, confirmation);

  for (const RecipientInfo& recipient : context.recipients()) {
    RecipientVerdict item{recipient.address,
                          outcome.removed.contains(recipient.address) ? Action::remove_recipients : verdict.action,
                          {}};
    for (const FiredRule& fired : verdict.fired) {
      const bool concerns = std::find(fired.recipients.begin(), fired.recipients.end(), recipient.address) !=
                            fired.recipients.end();
      if (is_enforced(fired) && concerns) item.rules.push_back(fired.rule_id);
    }
    verdict.recipients.push_back(std::move(item));
  }

  const Outcome monitored = decide_outcome(verdict.fired, envelope.recipients.size(), true);
  if (monitored.action != outcome.action || monitored.removed != outcome.removed) {
    verdict.monitor_action = monitored.action;
  }
  return verdict;
}

}  // namespace privmilter
