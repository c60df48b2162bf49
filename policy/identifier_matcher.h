#pragma once
// Finding validated identifiers (card numbers, SSNs, routing numbers,
// IBANs) in message text: RE2 proposes candidates in the usual written
// forms, identifier_checks.h decides which of them are real.

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "identifier_checks.h"
#include "privmilter/result.h"
#include "text_matcher.h"

namespace privmilter {

struct IdentifierOptions {
  static constexpr std::size_t kDefaultWithin = 50;
  static constexpr std::size_t kMaxWithin = 10000;

  IdentifierKind kind = IdentifierKind::payment_card;
  // When not empty, an identifier counts only with one of these phrases
  // (matched like a phrase list) at most `within` characters before or after it.
  std::vector<std::string> near;
  std::size_t within = kDefaultWithin;
};

// Detector name "identifier:<kind>". Findings show the identifier masked
// (cards and IBANs keep their last 4 characters, SSNs and routing numbers
// their last 2); their identity is the identifier without separators.
Result<std::unique_ptr<TextMatcher>> compile_identifier_matcher(const IdentifierOptions& options);

}  // namespace privmilter
