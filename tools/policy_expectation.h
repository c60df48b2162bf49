#pragma once
// What a policy test case expects of the verdict, and the comparison that
// says, in words, what did not come true.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "privmilter/verdict.h"

namespace privmilter::tools {

struct ExpectedOutcome {
  Action action = Action::accept;          // the message's action
  std::vector<std::string> rules;          // fired and enforced
  std::vector<std::string> not_rules;      // did not fire at all
  std::vector<std::string> monitor_rules;  // fired in monitor mode
  std::optional<std::vector<std::string>> removed;  // exactly these recipients removed
  std::vector<std::pair<std::string, Action>> recipients;  // per-recipient actions
  std::optional<std::string> subject;  // the subject after the verdict's edits
};

// Empty when the verdict meets every expectation. `original_subject` is
// what the subject stays when the verdict does not change it.
std::vector<std::string> unmet_expectations(const ExpectedOutcome& expected, const Verdict& verdict,
                                            std::string_view original_subject);

}  // namespace privmilter::tools
