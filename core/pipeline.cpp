#include "privmilter/pipeline.h"

#include "privmilter/content.h"

namespace privmilter {

Result<Decision> decide(const Envelope& envelope, const MessageSpool& spool, const Policy& policy,
                        const Directory& directory, const ContentLimits& limits) {
  auto facts = extract_facts(spool, limits);
  if (!facts) return facts.error();
  Decision decision{.facts = std::move(facts).value(), .verdict = {}};
  decision.verdict = evaluate(policy, decision.facts, envelope, directory);
  return decision;
}

}  // namespace privmilter
