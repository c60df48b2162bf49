#pragma once
// Finding policy phrases and patterns in decoded message text. Every
// matcher is compiled once at load time into RE2, so matching is linear in
// the text whatever the policy says.

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "privmilter/result.h"

namespace privmilter {

// One finding of a matcher.
struct TextMatch {
  std::string shown;     // displayable: never message text (a policy phrase, or a masked match)
  std::string identity;  // what makes two findings "the same" for min_count; may be message
                         // text, so it stays inside evaluation and is never shown or logged
  std::size_t offset = 0;  // where the finding starts in the segment text, in bytes
  std::size_t length = 0;  // its length in bytes
};

// A necessary condition for a matcher's findings, in RE2 syntax: every
// finding contains a match of at least one of a matcher's expressions, so
// text in which none of them matches cannot hold a finding. Expressions
// may be looser than the matcher (they only decide whether it needs to
// run); detector_set.h turns them into one multi-pattern database.
struct PrefilterExpression {
  std::string pattern;    // RE2 syntax
  bool caseless = false;  // matched ignoring case, like RE2's (?i)
};

// Receives findings in text order; returns false to stop the scan.
using MatchVisitor = std::function<bool(TextMatch)>;

class TextMatcher {
 public:
  virtual ~TextMatcher() = default;

  // How evidence names this matcher: "list:privilege_markings", "regex:us_ssn".
  virtual const std::string& detector() const = 0;

  // Reports each finding in `text` to `visit` until it asks to stop.
  virtual void scan(std::string_view text, const MatchVisitor& visit) const = 0;

  // See PrefilterExpression. Empty: no cheaper test is known, so the
  // matcher runs on every text.
  virtual std::vector<PrefilterExpression> prefilter_expressions() const { return {}; }
};

// Case-insensitive phrases; whitespace in a phrase matches any run of
// whitespace in the text; a phrase starting or ending with a letter, digit
// or '_' only matches on a word boundary there. Errors carry no location:
// the loader adds it.
Result<std::unique_ptr<TextMatcher>> compile_phrase_matcher(std::string detector,
                                                            const std::vector<std::string>& phrases);

// An RE2 pattern, used as written (case-sensitive unless it says (?i)).
// Patterns that match the empty string are refused: they would fire on
// every message.
Result<std::unique_ptr<TextMatcher>> compile_regex_matcher(std::string detector,
                                                           const std::string& pattern);

}  // namespace privmilter
