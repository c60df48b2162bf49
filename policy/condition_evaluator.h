#pragma once
// Evaluating one rule's condition tree against a message's evaluation
// context. A condition either holds or not; recipient conditions also say
// which recipients they hold for, and all/any combine those selections, so
// a rule can concern some recipients and not others.

#include <optional>
#include <string>
#include <vector>

#include "compiled_policy.h"
#include "evaluation_context.h"
#include "privmilter/verdict.h"

namespace privmilter {

struct Selection {
  bool holds = false;
  // One flag per envelope recipient; absent when the condition is about
  // the message, not about particular recipients.
  std::optional<std::vector<bool>> recipients;
};

class ConditionEvaluator {
 public:
  // Enough to show a reviewer where a rule fired; a message with thousands
  // of hits must not turn into a verdict of thousands of entries.
  static constexpr std::size_t kMaxEvidencePerCondition = 5;

  ConditionEvaluator(const EvaluationContext& context, const std::string& rule_id)
      : context_(context), rule_id_(rule_id) {}

  // Appends to `evidence` only what supports a condition that holds.
  Selection evaluate(const Condition& condition, std::vector<Evidence>& evidence) const;

 private:
  Selection evaluate_node(const ContentCondition& condition, std::vector<Evidence>& evidence) const;
  Selection evaluate_node(const EncryptionCondition& condition, std::vector<Evidence>& evidence) const;
  Selection evaluate_node(const RecipientCondition& condition, std::vector<Evidence>& evidence) const;
  Selection evaluate_node(const SenderCondition& condition, std::vector<Evidence>& evidence) const;
  Selection evaluate_node(const MatterCondition& condition, std::vector<Evidence>& evidence) const;
  Selection evaluate_node(const SubjectTagCondition& condition, std::vector<Evidence>& evidence) const;
  Selection evaluate_node(const AttachmentCondition& condition, std::vector<Evidence>& evidence) const;
  Selection evaluate_node(const UninspectableCondition& condition, std::vector<Evidence>& evidence) const;
  Selection evaluate_node(const ProtectionCondition& condition, std::vector<Evidence>& evidence) const;
  Selection evaluate_node(const SizeCondition& condition, std::vector<Evidence>& evidence) const;
  Selection evaluate_node(const AllCondition& condition, std::vector<Evidence>& evidence) const;
  Selection evaluate_node(const AnyCondition& condition, std::vector<Evidence>& evidence) const;
  Selection evaluate_node(const NotCondition& condition, std::vector<Evidence>& evidence) const;

  // Why one recipient is in a recipient class; empty when it is not.
  std::string recipient_reason(RecipientClass selects, const RecipientInfo& recipient) const;

  Evidence make_evidence(std::string detector, std::string location, std::string shown) const;

  const EvaluationContext& context_;
  const std::string& rule_id_;
};

}  // namespace privmilter
