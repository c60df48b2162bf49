// Evaluation: rules in policy order against one message. Pure: the result
// depends only on the policy, the facts, the envelope and the directory.

#include <algorithm>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include "compiled_policy.h"
#include "fact_condition_evaluator.h"
#include "lookalike.h"
#include "privmilter/policy.h"

namespace privmilter {
namespace {

// Enough to show a reviewer where a rule fired; a message with thousands of
// hits must not turn into a verdict of thousands of entries.
constexpr std::size_t kMaxEvidencePerCondition = 5;

constexpr std::string_view kMessageLocation = "message";
constexpr std::string_view kEnvelopeLocation = "envelope";

class ConditionEvaluator {
 public:
  ConditionEvaluator(const MessageFacts& facts, const Envelope& envelope, const Directory& directory,
                     const std::string& rule_id)
      : facts_(facts), envelope_(envelope), directory_(directory), rule_id_(rule_id) {}

  // Appends to `evidence` only what supports a true answer.
  bool holds(const Condition& condition, std::vector<Evidence>& evidence) const {
    return std::visit([&](const auto& node) { return holds_node(node, evidence); }, condition.node);
  }

 private:
  bool holds_node(const ContentCondition& condition, std::vector<Evidence>& evidence) const {
    // Identities stay in this function: they may be the raw numbers.
    std::set<std::string, std::less<>> distinct;
    std::vector<Evidence> gathered;
    const auto satisfied = [&] {
      return distinct.size() >= condition.min_count && gathered.size() == kMaxEvidencePerCondition;
    };
    for (const TextSegment& segment : facts_.segments) {
      if (satisfied()) break;
      if (!condition.in.admits(segment.kind)) continue;
      condition.matcher->scan(segment.text, [&](TextMatch match) {
        if (distinct.size() < condition.min_count) distinct.insert(std::move(match.identity));
        if (gathered.size() < kMaxEvidencePerCondition) {
          gathered.push_back({rule_id_, condition.matcher->detector(), segment.location, std::move(match.shown)});
        }
        return !satisfied();
      });
    }
    if (distinct.empty() || distinct.size() < condition.min_count) return false;
    evidence.insert(evidence.end(), std::make_move_iterator(gathered.begin()),
                    std::make_move_iterator(gathered.end()));
    return true;
  }

  bool holds_node(const EncryptionCondition& condition, std::vector<Evidence>& evidence) const {
    if (condition.unencrypted == facts_.encrypted()) return false;
    evidence.push_back({rule_id_, condition.unencrypted ? "unencrypted" : "encrypted",
                        std::string(kMessageLocation), std::string(to_string(facts_.encryption))});
    return true;
  }

  bool holds_node(const RecipientCondition& condition, std::vector<Evidence>& evidence) const {
    if (condition.scope == RecipientScope::lookalike) return holds_lookalike(evidence);
    const auto& recipients = envelope_.recipients;
    const auto external = std::find_if(recipients.begin(), recipients.end(), [&](const std::string& r) {
      return !directory_.is_internal_address(r);
    });
    if (condition.scope == RecipientScope::external) {
      if (external == recipients.end()) return false;
      // The domain tells a reviewer where the mail was going without
      // repeating a person's address.
      evidence.push_back({rule_id_, "recipient:external", std::string(kEnvelopeLocation),
                          domain_of(*external)});
      return true;
    }
    // Without recipients there is nothing to call internal, and an
    // "internal only" exception must not wave such a message through.
    if (recipients.empty() || external != recipients.end()) return false;
    evidence.push_back({rule_id_, "recipient:internal", std::string(kEnvelopeLocation),
                        std::to_string(recipients.size()) + " recipients"});
    return true;
  }

  // Protected domains are the firm's own for now; client domains from the
  // matter directory will join them.
  bool holds_lookalike(std::vector<Evidence>& evidence) const {
    std::set<std::string, std::less<>> reported;
    for (const std::string& recipient : envelope_.recipients) {
      if (reported.size() == kMaxEvidencePerCondition) break;
      std::string domain = domain_of(recipient);
      if (reported.contains(domain)) continue;
      const std::optional<std::string> imitated = imitated_domain(domain, directory_.internal_domains());
      if (!imitated) continue;
      evidence.push_back({rule_id_, "recipient:lookalike", std::string(kEnvelopeLocation),
                          domain + " imitates " + *imitated});
      reported.insert(std::move(domain));
    }
    return !reported.empty();
  }

  bool holds_node(const AttachmentCondition& condition, std::vector<Evidence>& evidence) const {
    return attachment_holds(condition, fact_evaluation(), evidence);
  }

  bool holds_node(const UninspectableCondition&, std::vector<Evidence>& evidence) const {
    return uninspectable_holds(fact_evaluation(), evidence);
  }

  bool holds_node(const ProtectionCondition& condition, std::vector<Evidence>& evidence) const {
    return protection_holds(condition, fact_evaluation(), evidence);
  }

  bool holds_node(const SizeCondition& condition, std::vector<Evidence>& evidence) const {
    return size_holds(condition, fact_evaluation(), evidence);
  }

  FactEvaluation fact_evaluation() const { return {facts_, rule_id_, kMaxEvidencePerCondition}; }

  bool holds_node(const AllCondition& condition, std::vector<Evidence>& evidence) const {
    std::vector<Evidence> gathered;
    for (const Condition& child : condition.children) {
      if (!holds(child, gathered)) return false;
    }
    evidence.insert(evidence.end(), std::make_move_iterator(gathered.begin()),
                    std::make_move_iterator(gathered.end()));
    return true;
  }

  bool holds_node(const AnyCondition& condition, std::vector<Evidence>& evidence) const {
    return std::any_of(condition.children.begin(), condition.children.end(),
                       [&](const Condition& child) { return holds(child, evidence); });
  }

  bool holds_node(const NotCondition& condition, std::vector<Evidence>&) const {
    // What the inner condition found is evidence against this rule firing.
    std::vector<Evidence> discarded;
    return !holds(*condition.child, discarded);
  }

  const MessageFacts& facts_;
  const Envelope& envelope_;
  const Directory& directory_;
  const std::string& rule_id_;
};

bool contains(const std::vector<HeaderField>& headers, const HeaderField& header) {
  return std::find(headers.begin(), headers.end(), header) != headers.end();
}

}  // namespace

Verdict evaluate(const Policy& policy, const MessageFacts& facts, const Envelope& envelope,
                 const Directory& directory) {
  Verdict verdict;
  bool any_rule_fired = false;
  for (const Rule& rule : policy.rules()) {
    std::vector<Evidence> evidence;
    if (rule.when) {
      const ConditionEvaluator evaluator(facts, envelope, directory, rule.id);
      if (!evaluator.holds(*rule.when, evidence)) continue;
    }
    verdict.matched_rules.push_back(rule.id);
    verdict.evidence.insert(verdict.evidence.end(), std::make_move_iterator(evidence.begin()),
                            std::make_move_iterator(evidence.end()));
    // Strictly greater: among rules with the winning action, the first decides.
    if (!any_rule_fired || rule.action > verdict.action) {
      verdict.action = rule.action;
      verdict.deciding_rule = rule.id;
      verdict.reply = rule.reply;
    }
    any_rule_fired = true;
    if (rule.action == Action::add_header && rule.header && !contains(verdict.add_headers, *rule.header)) {
      verdict.add_headers.push_back(*rule.header);
    }
    if (rule.action == Action::accept) break;  // an explicit allow ends evaluation
  }
  return verdict;
}

}  // namespace privmilter
