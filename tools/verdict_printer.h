#pragma once
// How privmilterctl shows a decision: the facts summary and the verdict, as
// text for people and as JSON for scripts. Shared by scan and test-policy.

#include <nlohmann/json.hpp>

#include <ostream>
#include <string>

#include "privmilter/message_facts.h"
#include "privmilter/verdict.h"

namespace privmilter::tools {

// Size, parts, text segments (lengths only, never the text) and defects.
nlohmann::json facts_summary_json(const MessageFacts& facts);
void print_facts_text(std::ostream& out, const std::string& message_path, const MessageFacts& facts);

// The message's action, each recipient's, and every fired rule with its
// hits (detector, location@offset, masked match, count). Each line starts
// with `indent`.
void print_verdict_text(std::ostream& out, const Verdict& verdict, const std::string& indent = "");

// "a, b [monitor], c [confirmed]", or "none": for one-line reports.
std::string fired_rules_summary(const Verdict& verdict);

}  // namespace privmilter::tools
