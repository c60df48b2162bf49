#pragma once
// Finding policy phrases and patterns in decoded message text. Every
// matcher is compiled once at load time into RE2, so matching is linear in
// the text whatever the policy says.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "privmilter/result.h"

namespace privmilter {

class TextMatcher {
 public:
  virtual ~TextMatcher() = default;

  // How evidence names this matcher: "list:privilege_markings", "regex:us_ssn".
  virtual const std::string& detector() const = 0;

  // Appends a displayable token for each of at most `limit` matches in
  // `text`, in text order, and returns how many it appended. A token never
  // contains message text: phrase matchers show the policy's own phrase,
  // regex matchers a masked copy of the match.
  virtual std::size_t find(std::string_view text, std::size_t limit,
                           std::vector<std::string>& shown) const = 0;
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
