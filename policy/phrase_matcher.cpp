// Phrase lists compile to one RE2 alternation with one capture group per
// phrase. RE2 finds the match span with its DFA and only runs the slower
// capture engine over that short span, so the group that names the phrase
// costs almost nothing.

#include <re2/re2.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <utility>

#include "phrase_alternation.h"
#include "phrase_whitespace.h"
#include "text_matcher.h"

namespace privmilter {
namespace {

// A word is letters, digits, combining marks and '_' in any script. RE2's
// \b only knows ASCII, so boundaries are spelled out as "start of text or a
// non-word character"; the character consumed there is outside the group.
constexpr std::string_view kWordCharacterClass = "[\\p{L}\\p{N}\\p{M}_]";
constexpr std::string_view kLeftBoundary = "(?:^|[^\\p{L}\\p{N}\\p{M}_])";
constexpr std::string_view kRightBoundary = "(?:$|[^\\p{L}\\p{N}\\p{M}_])";
// \p{Z} covers the no-break spaces that HTML-to-text conversion leaves.
const std::string kWhitespaceRun = std::string(kPhraseWhitespace) + "+";
// Large lists with Unicode case folding outgrow RE2's 8 MiB default.
constexpr std::int64_t kPhraseListMemoryBudget = std::int64_t{64} << 20;

bool is_phrase_whitespace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::vector<std::string_view> split_words(std::string_view phrase) {
  std::vector<std::string_view> words;
  std::size_t position = 0;
  while (position < phrase.size()) {
    while (position < phrase.size() && is_phrase_whitespace(phrase[position])) ++position;
    const std::size_t start = position;
    while (position < phrase.size() && !is_phrase_whitespace(phrase[position])) ++position;
    if (position > start) words.push_back(phrase.substr(start, position - start));
  }
  return words;
}

re2::StringPiece piece(std::string_view text) { return {text.data(), text.size()}; }

std::size_t character_count(std::string_view utf8) {
  return static_cast<std::size_t>(
      std::count_if(utf8.begin(), utf8.end(), [](char byte) { return (static_cast<unsigned char>(byte) & 0xC0) != 0x80; }));
}

class PhraseBoundaryRules {
 public:
  PhraseBoundaryRules()
      : word_at_start_("^" + std::string(kWordCharacterClass), quiet_options()),
        word_at_end_(std::string(kWordCharacterClass) + "$", quiet_options()) {}

  struct Alternative {
    std::string body;  // the phrase as a capture group, its only one
    bool left_bounded;
    bool right_bounded;
  };

  Alternative alternative(const std::vector<std::string_view>& words) const {
    std::string body;
    for (const std::string_view word : words) {
      if (!body.empty()) body += kWhitespaceRun;
      body += RE2::QuoteMeta(piece(word));
    }
    return {"(" + body + ")", RE2::PartialMatch(piece(words.front()), word_at_start_),
            RE2::PartialMatch(piece(words.back()), word_at_end_)};
  }

 private:
  static RE2::Options quiet_options() {
    RE2::Options options;
    options.set_log_errors(false);
    return options;
  }

  RE2 word_at_start_;
  RE2 word_at_end_;
};

class PhraseMatcher final : public TextMatcher {
 public:
  PhraseMatcher(std::string detector, std::unique_ptr<RE2> alternation,
                std::vector<std::string> phrase_of_group)
      : detector_(std::move(detector)),
        alternation_(std::move(alternation)),
        phrase_of_group_(std::move(phrase_of_group)) {
    shortest_bytes_ = std::numeric_limits<std::size_t>::max();
    for (const std::string& phrase : phrase_of_group_) {
      // A character is at least a byte; words are apart by at least one.
      const std::vector<std::string_view> words = split_words(phrase);
      std::size_t bytes = words.size() - 1;
      for (const std::string_view word : words) bytes += character_count(word);
      shortest_bytes_ = std::min(shortest_bytes_, bytes);
    }
  }

  const std::string& detector() const override { return detector_; }

  void scan(std::string_view text, const MatchVisitor& visit) const override {
    const TextWindow whole{0, text.size()};
    scan_within(text, {&whole, 1}, visit);
  }

  void scan_within(std::string_view text, std::span<const TextWindow> windows,
                   const MatchVisitor& visit) const override {
    std::vector<re2::StringPiece> groups(phrase_of_group_.size() + 1);
    std::size_t position = 0;
    for (const TextWindow& window : windows) {
      position = std::max(position, window.begin);
      // Where no phrase fits, RE2 need not be asked.
      while (position <= window.end && window.end - position >= shortest_bytes_) {
        if (!alternation_->Match(piece(text), position, window.end, RE2::UNANCHORED, groups.data(),
                                 static_cast<int>(groups.size()))) {
          break;
        }
        const auto matched = std::find_if(groups.begin() + 1, groups.end(),
                                          [](const re2::StringPiece& group) { return group.data(); });
        if (matched == groups.end()) break;
        const std::string& phrase = phrase_of_group_[static_cast<std::size_t>(matched - groups.begin() - 1)];
        const auto begin = static_cast<std::size_t>(matched->data() - text.data());
        // The phrase names itself, so it is both what is shown and what makes
        // two findings "the same" for min_count.
        if (!visit(TextMatch{phrase, phrase, begin, matched->size()})) return;
        // Resume right after the phrase, not after the boundary character the
        // alternative consumed: that character may open the next match.
        position = begin + matched->size();
      }
    }
  }

  // Each phrase without its word boundaries: the boundaries only narrow.
  // A finding is the phrase's match and at most the boundary character on
  // either side; each character of a word is one character of text (RE2
  // folds case one character to one), whatever the whitespace between.
  std::vector<PrefilterExpression> prefilter_expressions() const override {
    std::vector<PrefilterExpression> expressions;
    expressions.reserve(phrase_of_group_.size());
    for (const std::string& phrase : phrase_of_group_) {
      std::string pattern;
      std::size_t characters = 0;
      for (const std::string_view word : split_words(phrase)) {
        if (!pattern.empty()) pattern += kWhitespaceRun;
        pattern += RE2::QuoteMeta(piece(word));
        characters += character_count(word);
      }
      expressions.push_back({std::move(pattern), true, true, 1, characters});
    }
    return expressions;
  }

 private:
  std::string detector_;
  std::unique_ptr<RE2> alternation_;
  std::vector<std::string> phrase_of_group_;  // index i: capture group i + 1
  std::size_t shortest_bytes_;                // of any phrase's match
};

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_phrase_whitespace(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_phrase_whitespace(text.back())) text.remove_suffix(1);
  return text;
}

}  // namespace

Result<PhraseAlternation> compile_phrase_alternation(const std::vector<std::string>& phrases) {
  if (phrases.empty()) return make_error("a phrase list needs at least one phrase");
  std::vector<std::string> ordered;
  for (const std::string& phrase : phrases) {
    const std::string_view trimmed = trim(phrase);
    if (trimmed.empty()) return make_error("empty phrase");
    ordered.emplace_back(trimmed);
  }
  // Alternatives are tried in order at each position, so longer phrases go
  // first: "privileged and confidential" is the better evidence than "privileged".
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });

  // Consecutive phrases with the same boundaries share them:
  // L(?:(p1)|(p2))R rather than L(p1)R|L(p2)R. Concatenation distributes
  // over alternation in RE2's leftmost-first order, so both match the same
  // text with the same preference, but the boundaries' Unicode classes are
  // most of the program: spelt out for each of 100 names they make it 40
  // times larger, and the reverse DFA that finds where a match starts runs
  // out of memory and falls back to a scan a thousand times slower.
  const PhraseBoundaryRules boundaries;
  std::string pattern;
  std::string group;
  std::optional<std::pair<bool, bool>> group_bounds;
  const auto close_group = [&] {
    if (!group_bounds) return;
    if (!pattern.empty()) pattern += '|';
    if (group_bounds->first) pattern += kLeftBoundary;
    pattern += "(?:" + group + ")";
    if (group_bounds->second) pattern += kRightBoundary;
    group.clear();
  };
  for (const std::string& phrase : ordered) {
    PhraseBoundaryRules::Alternative alternative = boundaries.alternative(split_words(phrase));
    const std::pair<bool, bool> bounds{alternative.left_bounded, alternative.right_bounded};
    if (group_bounds != bounds) {
      close_group();
      group_bounds = bounds;
    }
    if (!group.empty()) group += '|';
    group += alternative.body;
  }
  close_group();

  RE2::Options options;
  options.set_case_sensitive(false);
  options.set_log_errors(false);
  options.set_max_mem(kPhraseListMemoryBudget);
  auto alternation = std::make_unique<RE2>(pattern, options);
  if (!alternation->ok()) {
    return make_error("cannot compile phrase list: " + alternation->error());
  }
  return PhraseAlternation{std::move(alternation), std::move(ordered)};
}

Result<std::unique_ptr<TextMatcher>> compile_phrase_matcher(
    std::string detector, const std::vector<std::string>& phrases) {
  // Learnt now from RE2, so that no message waits for it (phrase_whitespace.h).
  (void)is_phrase_whitespace(' ');
  Result<PhraseAlternation> compiled = compile_phrase_alternation(phrases);
  if (!compiled.ok()) return compiled.error();
  PhraseAlternation alternation = std::move(compiled).value();
  return std::unique_ptr<TextMatcher>(std::make_unique<PhraseMatcher>(
      std::move(detector), std::move(alternation.regex), std::move(alternation.phrases)));
}

}  // namespace privmilter
