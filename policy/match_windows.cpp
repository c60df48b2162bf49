#include "match_windows.h"

#include <algorithm>

#include "phrase_whitespace.h"
#include "utf8.h"

namespace privmilter {
namespace {

bool is_continuation(char byte) { return (static_cast<unsigned char>(byte) & 0xC0) == 0x80; }

// The start of the character that ends at `position` (> 0).
std::size_t previous_character(std::string_view text, std::size_t position) {
  do {
    --position;
  } while (position > 0 && is_continuation(text[position]));
  return position;
}

std::size_t back_characters(std::string_view text, std::size_t position, std::size_t count) {
  for (; count > 0 && position > 0; --count) position = previous_character(text, position);
  return position;
}

std::size_t forward_characters(std::string_view text, std::size_t position, std::size_t count) {
  for (; count > 0 && position < text.size(); --count) {
    do {
      ++position;
    } while (position < text.size() && is_continuation(text[position]));
  }
  return position;
}

bool is_whitespace_at(std::string_view text, std::size_t position) {
  const auto byte = static_cast<unsigned char>(text[position]);
  if (byte < 0x80) return is_phrase_whitespace(byte);
  const std::optional<char32_t> c = decode_utf8(text, position);
  return c && is_phrase_whitespace(*c);
}

// How far a phrase can reach from `from`, backwards or forwards: every
// character besides phrase whitespace counts against `budget`, whitespace
// is free. Stopping at a character that would exceed the budget cannot
// stop short of the phrase's edge, since it holds no more than `budget`
// such characters on that side.
enum class Direction : unsigned char { back, forward };

std::optional<std::size_t> walk(std::string_view text, std::size_t from, std::size_t budget, Direction direction) {
  const bool back = direction == Direction::back;
  std::size_t position = from;
  std::size_t whitespace_walked = 0;
  while (back ? position > 0 : position < text.size()) {
    const std::size_t next = back ? previous_character(text, position) : forward_characters(text, position, 1);
    const std::size_t character = std::min(position, next);
    if (is_whitespace_at(text, character)) {
      whitespace_walked += std::max(position, next) - character;
      if (whitespace_walked > kMaxWhitespaceWalk) return std::nullopt;
    } else {
      if (budget == 0) break;
      --budget;
    }
    position = next;
  }
  return position;
}

}  // namespace

std::optional<TextWindow> window_of_match(std::string_view text, std::size_t end, const WindowRule& rule) {
  end = std::min(end, text.size());
  std::size_t begin = 0;
  switch (rule.reach) {
    case WindowRule::Reach::segment: return std::nullopt;
    case WindowRule::Reach::bounded:
      begin = end >= rule.max_bytes ? end - rule.max_bytes : 0;
      // A window may start inside a character; RE2 finds nothing there.
      while (begin > 0 && is_continuation(text[begin])) --begin;
      begin = back_characters(text, begin, rule.margin);
      break;
    case WindowRule::Reach::elastic: {
      const std::size_t reported = back_characters(text, end, rule.reported_characters);
      const std::optional<std::size_t> start = walk(text, reported, rule.characters_before + rule.margin, Direction::back);
      // Only a cut phrase has words after what is reported.
      const std::optional<std::size_t> finish =
          rule.characters_after == 0 ? forward_characters(text, end, rule.margin)
                                     : walk(text, end, rule.characters_after + rule.margin, Direction::forward);
      if (!start || !finish) return std::nullopt;
      return TextWindow{*start, *finish};
    }
  }
  return TextWindow{begin, forward_characters(text, end, rule.margin)};
}

WindowRule covering_both(const WindowRule& first, const WindowRule& second) {
  WindowRule both;
  both.detector = first.detector;
  if (first.reach != second.reach || first.reach == WindowRule::Reach::segment) return both;
  both.reach = first.reach;
  both.margin = std::max(first.margin, second.margin);
  both.max_bytes = std::max(first.max_bytes, second.max_bytes);
  both.characters_after = std::max(first.characters_after, second.characters_after);
  if (first.reported_characters == second.reported_characters) {
    both.reported_characters = first.reported_characters;
    both.characters_before = std::max(first.characters_before, second.characters_before);
  } else {
    // Walked rather than counted, the reported characters cost no more
    // (whitespace among them is free), so the walk back reaches as far.
    both.characters_before = std::max(first.reported_characters + first.characters_before,
                                      second.reported_characters + second.characters_before);
  }
  return both;
}

std::size_t max_windows_for(std::size_t text_size) { return 16 + text_size / 256; }

void WindowList::add(TextWindow window) {
  if (!windows_.empty()) {
    TextWindow& last = windows_.back();
    if (window.begin >= last.begin && window.begin <= last.end) {
      last.end = std::max(last.end, window.end);
      return;
    }
    if (window.begin < last.begin) in_order_ = false;
  }
  windows_.push_back(window);
}

const std::vector<TextWindow>& WindowList::merged() {
  if (in_order_) return windows_;
  std::sort(windows_.begin(), windows_.end(),
            [](const TextWindow& a, const TextWindow& b) { return a.begin < b.begin; });
  std::size_t kept = 0;
  for (const TextWindow& window : windows_) {
    if (kept > 0 && window.begin <= windows_[kept - 1].end) {
      windows_[kept - 1].end = std::max(windows_[kept - 1].end, window.end);
    } else {
      windows_[kept++] = window;
    }
  }
  windows_.resize(kept);
  in_order_ = true;
  return windows_;
}

}  // namespace privmilter
