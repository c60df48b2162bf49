#include "fact_condition_evaluator.h"

#include <utility>

#include "glob.h"

namespace privmilter {
namespace {

constexpr std::string_view kMessageLocation = "message";

const std::string& effective_type(const PartFact& part) {
  return part.detected_type.empty() ? part.content_type : part.detected_type;
}

bool matches(const AttachmentCondition& condition, const PartFact& part) {
  if (!part.has(PartFlag::attachment)) return false;
  if (condition.flag && !part.has(*condition.flag)) return false;
  if (condition.type_glob && !glob_matches(*condition.type_glob, effective_type(part))) return false;
  if (condition.name_glob && !glob_matches(*condition.name_glob, part.filename)) return false;
  if (condition.reason_glob && !glob_matches(*condition.reason_glob, part.uninspectable_reason)) return false;
  return true;
}

// "attachment:flag=encrypted,name=*.docx": the condition as written, so a
// reviewer sees which clause of the policy the part met.
std::string attachment_detector(const AttachmentCondition& condition) {
  std::string detector = "attachment:";
  const auto add = [&](std::string_view key, const std::string& value) {
    if (detector.back() != ':') detector += ',';
    detector.append(key).append(1, '=').append(value);
  };
  if (condition.flag) add("flag", condition.flag_name);
  if (condition.type_glob) add("type", *condition.type_glob);
  if (condition.name_glob) add("name", *condition.name_glob);
  if (condition.reason_glob) add("reason", *condition.reason_glob);
  return detector;
}

std::string location_of(const PartFact& part) {
  return part.path.empty() ? std::string(kMessageLocation) : part.path;
}

}  // namespace

bool attachment_holds(const AttachmentCondition& condition, const FactEvaluation& context,
                      std::vector<Evidence>& evidence) {
  std::vector<Evidence> gathered;
  for (const PartFact& part : context.facts.parts) {
    if (gathered.size() == context.max_evidence) break;
    if (!matches(condition, part)) continue;
    const std::string& shown = part.filename.empty() ? effective_type(part) : part.filename;
    gathered.push_back({context.rule_id, attachment_detector(condition), location_of(part), shown, std::nullopt, 1});
  }
  evidence.insert(evidence.end(), gathered.begin(), gathered.end());
  return !gathered.empty();
}

bool uninspectable_holds(const FactEvaluation& context, std::vector<Evidence>& evidence) {
  std::vector<Evidence> gathered;
  for (const PartFact& part : context.facts.parts) {
    if (gathered.size() == context.max_evidence) break;
    if (!part.has(PartFlag::uninspectable)) continue;
    const std::string reason = part.uninspectable_reason.empty() ? "unknown" : part.uninspectable_reason;
    gathered.push_back({context.rule_id, "uninspectable", location_of(part), reason, std::nullopt, 1});
  }
  evidence.insert(evidence.end(), gathered.begin(), gathered.end());
  return !gathered.empty();
}

bool protection_holds(const ProtectionCondition& condition, const FactEvaluation& context,
                      std::vector<Evidence>& evidence) {
  const MessageFacts& facts = context.facts;
  if (condition.all_protected != facts.all_content_protected) return false;
  std::string shown;
  if (!facts.all_content_protected) {
    shown = "content in clear";
  } else if (facts.encrypted()) {
    shown = std::string(to_string(facts.encryption));
  } else {
    shown = "every attachment encrypted";
  }
  evidence.push_back({context.rule_id, condition.all_protected ? "protected" : "unprotected",
                      std::string(kMessageLocation), std::move(shown), std::nullopt, 1});
  return true;
}

bool size_holds(const SizeCondition& condition, const FactEvaluation& context, std::vector<Evidence>& evidence) {
  if (context.facts.message_bytes <= condition.over_bytes) return false;
  evidence.push_back({context.rule_id, "size:over=" + condition.as_written, std::string(kMessageLocation),
                      std::to_string(context.facts.message_bytes) + " bytes", std::nullopt, 1});
  return true;
}

}  // namespace privmilter
