#pragma once
// Finding policy phrases and patterns in decoded message text. Every
// matcher is compiled once at load time into RE2, so matching is linear in
// the text whatever the policy says.

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "digit_groups.h"
#include "privmilter/result.h"
#include "text_window.h"

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
// may be looser than the matcher (they decide whether, and with what
// follows, where it needs to run); detector_set.h turns them into one
// multi-pattern database.
struct PrefilterExpression {
  std::string pattern;    // RE2 syntax
  bool caseless = false;  // matched ignoring case, like RE2's (?i)

  // What else is known of where the findings lie, so that the exact scan
  // can be confined to the text around the expression's matches rather
  // than the whole segment (see TextMatcher::scan_within).
  //
  // True: every finding lies within a match of this expression widened by
  // `margin` characters on each side. False: nothing is known, so a match
  // anywhere in a segment has the whole segment scanned.
  bool findings_around_match = false;
  std::size_t margin = 0;  // characters; a phrase's boundary character
  // When the expression's matches are as long as their runs of whitespace
  // (phrase_whitespace.h) make them: how many characters outside those
  // runs a match holds at most. Without it, only the expression's width
  // bounds a match.
  std::optional<std::size_t> characters_outside_whitespace = std::nullopt;
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

  // The same findings as scan(text), given that every one of them lies
  // within `windows` (sorted, disjoint, inside the text): a matcher may
  // look only there, with the rest of the text as context. By default the
  // whole text is scanned.
  virtual void scan_within(std::string_view text, std::span<const TextWindow> windows,
                           const MatchVisitor& visit) const {
    (void)windows;
    scan(text, visit);
  }

  // See PrefilterExpression. Empty: no cheaper test is known, so the
  // matcher runs on every text.
  virtual std::vector<PrefilterExpression> prefilter_expressions() const { return {}; }

  // Matchers of a fixed shape (identifiers) may find where their findings
  // can be from the text's groups of digits (digit_groups.h), faster than a
  // database of expressions: then their prefilter expressions are not
  // used. candidate_digits: the fewest digits a group needs to hold a
  // candidate (groups after two capitals are given whatever their size);
  // candidate_windows adds to `windows` (sorted, disjoint) spans that hold
  // every finding, and returns false when there would be more than
  // `max_windows`: the whole text is then scanned.
  virtual std::optional<std::size_t> candidate_digits() const { return std::nullopt; }
  virtual bool candidate_windows(std::string_view text, std::span<const DigitGroup> groups, std::size_t max_windows,
                                 std::vector<TextWindow>& windows) const {
    (void)text, (void)groups, (void)max_windows, (void)windows;
    return false;
  }
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
