#include "privmilter/verdict.h"

namespace privmilter {

std::vector<std::string> Verdict::matched_rules() const {
  std::vector<std::string> ids;
  ids.reserve(fired.size());
  for (const FiredRule& rule : fired) ids.push_back(rule.rule_id);
  return ids;
}

std::vector<Evidence> Verdict::all_evidence() const {
  std::vector<Evidence> evidence;
  for (const FiredRule& rule : fired) evidence.insert(evidence.end(), rule.evidence.begin(), rule.evidence.end());
  return evidence;
}

}  // namespace privmilter
