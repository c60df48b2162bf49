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
