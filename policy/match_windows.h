#pragma once
// Confining a detector's exact scan to the text around its prefilter
// matches (detector_set.h). Vectorscan reports where each match of a
// prefilter expression ends; a rule per expression, derived from what its
// matcher promises (PrefilterExpression), turns that end into a window
// that holds every finding the match could belong to. RE2 then scans the
// windows with the whole segment as context, which gives the findings of a
// scan of the whole segment, because none lies elsewhere.

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

#include "text_window.h"

namespace privmilter {

struct WindowRule {
  enum class Reach : unsigned char {
    segment,  // nothing known: a match has the whole segment scanned
    bounded,  // a match is at most max_bytes long
    // A phrase, as long as its runs of phrase whitespace: the match is
    // reported_characters (no whitespace among them) that end where it is
    // reported, with at most characters_before and characters_after
    // characters besides whitespace on either side.
    elastic,
  };
  Reach reach = Reach::segment;
  std::size_t detector = 0;
  std::size_t max_bytes = 0;
  std::size_t reported_characters = 0;
  std::size_t characters_before = 0;
  std::size_t characters_after = 0;
  std::size_t margin = 0;  // characters a finding extends beyond the match on either side
};

// Window of a match of a rule's expression that ends at `end` in `text`
// (valid UTF-8). Nothing for Reach::segment, and when finding the window
// would mean walking over more whitespace than kMaxWhitespaceWalk: the
// segment is then scanned whole.
inline constexpr std::size_t kMaxWhitespaceWalk = 4096;
std::optional<TextWindow> window_of_match(std::string_view text, std::size_t end, const WindowRule& rule);

// A rule for an expression that two rules' findings share (phrases cut
// down to the same word): the window it gives any match holds the windows
// both would give it.
WindowRule covering_both(const WindowRule& first, const WindowRule& second);

// More windows than this in a segment and one RE2 pass over the whole of
// it is cheaper than a search per window.
std::size_t max_windows_for(std::size_t text_size);

// A detector's windows in one segment. Adding keeps them merged as long as
// they come in order, as Vectorscan mostly reports them; merged() sorts and
// merges what did not.
class WindowList {
 public:
  void clear() {
    windows_.clear();
    in_order_ = true;
  }
  void add(TextWindow window);
  std::size_t size() const { return windows_.size(); }
  bool empty() const { return windows_.empty(); }
  std::vector<TextWindow>& raw() { return windows_; }  // for a matcher's candidate_windows
  const std::vector<TextWindow>& merged();

 private:
  std::vector<TextWindow> windows_;
  bool in_order_ = true;
};

}  // namespace privmilter
