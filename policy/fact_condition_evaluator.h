#pragma once
// Evaluating the conditions over extraction facts (fact_condition_parser.h).
// Each appends evidence only when it holds, and never message text: file
// names, types, reasons and sizes are what a reviewer needs to find the
// attachment, not its content.

#include <cstddef>
#include <string>
#include <vector>

#include "compiled_policy.h"
#include "privmilter/message_facts.h"
#include "privmilter/verdict.h"

namespace privmilter {

struct FactEvaluation {
  const MessageFacts& facts;
  const std::string& rule_id;
  std::size_t max_evidence;
};

bool attachment_holds(const AttachmentCondition& condition, const FactEvaluation& context,
                      std::vector<Evidence>& evidence);
bool uninspectable_holds(const FactEvaluation& context, std::vector<Evidence>& evidence);
bool protection_holds(const ProtectionCondition& condition, const FactEvaluation& context,
                      std::vector<Evidence>& evidence);
bool size_holds(const SizeCondition& condition, const FactEvaluation& context, std::vector<Evidence>& evidence);

}  // namespace privmilter
