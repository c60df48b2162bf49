#pragma once
// The compiled policy and its evaluation. Evaluation is pure: facts and
// envelope in, verdict with evidence out; no I/O, no clock, no globals.

#include <filesystem>
#include <memory>
#include <string>

#include "privmilter/directory.h"
#include "privmilter/envelope.h"
#include "privmilter/message_facts.h"
#include "privmilter/result.h"
#include "privmilter/verdict.h"

namespace privmilter {

class Policy;  // immutable after loading; safe to share between threads

// `path` is one policy file or a directory whose *.yaml files are read in
// name order as one policy. Errors name file, line and column:
// "policy/20-rules.yaml:12:13: unknown action 'rejct' (...)".
Result<std::shared_ptr<const Policy>> load_policy_file(const std::filesystem::path& path);
Result<std::shared_ptr<const Policy>> load_policy_string(const std::string& yaml,
                                                         const std::string& name);

std::size_t rule_count(const Policy& policy);

// Whether mail between colleagues must be inspected too: the policy has
// ethical-wall rules. Otherwise only mail with an outside recipient is.
bool inspects_internal_mail(const Policy& policy);

// Every user and group the policy names exists in the directory; the error
// names where the policy uses the first one that does not.
Status check_directory_references(const Policy& policy, const Directory& directory);

Verdict evaluate(const Policy& policy, const MessageFacts& facts, const Envelope& envelope,
                 const Directory& directory);

}  // namespace privmilter
