#include "identifier_matcher.h"

#include <re2/re2.h>

#include <algorithm>
#include <limits>
#include <optional>
#include <utility>

#include "masking.h"
#include "phrase_alternation.h"

namespace privmilter {
namespace {

struct Span {
  std::size_t begin = 0;
  std::size_t end = 0;
};

re2::StringPiece piece(std::string_view text) { return {text.data(), text.size()}; }

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_word_byte(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_separator(char c) { return c == ' ' || c == '-'; }

// The shortest candidate candidate_pattern accepts, of any kind: 9 digits.
constexpr std::size_t kShortestCandidate = 9;

// The longest IBAN candidate_pattern accepts: 2 letters, 2 digits and
// seven groups of four plus one of three, each after a space.
constexpr std::size_t kLongestIbanCandidate = 4 + 7 * 5 + 4;

// Whether a group of digit runs joined by single separators can hold a
// match of candidate_pattern(kind), from the lengths of its runs. A run
// between two separators of a match is exactly as long as the pattern's
// group there; the first and last may be longer, a match taking their ends.
bool has_candidate_shape(IdentifierKind kind, std::string_view text, const DigitGroup& group) {
  constexpr std::size_t kMostRuns = 4;  // as many as the longest shape has
  std::size_t runs[kMostRuns] = {};     // the latest runs, newest last
  std::size_t seen = 0;
  if (kind == IdentifierKind::payment_card && group.digits < 13) return false;  // no shape has fewer
  const auto latest = [&](std::size_t back) { return back < seen ? runs[kMostRuns - 1 - back] : 0; };
  for (std::size_t position = group.begin; position < group.end; ++position) {
    const std::size_t run_begin = position;
    while (position < group.end && text[position] >= '0' && text[position] <= '9') ++position;
    std::copy(runs + 1, runs + kMostRuns, runs);
    runs[kMostRuns - 1] = position - run_begin;
    ++seen;
    switch (kind) {
      case IdentifierKind::payment_card:
        // 13-19 digits; 4-4-4-4(-3); 4-6-4(5).
        if (latest(0) >= 13) return true;
        if (latest(3) >= 4 && latest(2) == 4 && latest(1) == 4 && latest(0) >= 4) return true;
        if (latest(2) >= 4 && latest(1) == 6 && latest(0) >= 4) return true;
        break;
      case IdentifierKind::us_ssn:
        // 3-2-4 or 9 in a row.
        if (latest(0) >= 9) return true;
        if (latest(2) >= 3 && latest(1) == 2 && latest(0) >= 4) return true;
        break;
      case IdentifierKind::aba_routing:
        if (latest(0) >= 9) return true;
        break;
      case IdentifierKind::iban: return true;
    }
  }
  return false;
}

void add_window(std::vector<TextWindow>& windows, TextWindow window) {
  if (!windows.empty() && window.begin <= windows.back().end) {
    windows.back().end = std::max(windows.back().end, window.end);
  } else {
    windows.push_back(window);
  }
}
// "12-4111..." or "4111...-7" or "3.1415926535": the digits carry on past
// the candidate, so it is a piece of a longer number.
bool is_digit_joiner(char c) { return c == '-' || c == '.'; }

// The written forms each kind is looked for in. Separators are checked for
// consistency in code, because RE2 has no backreferences. candidate_windows
// relies on these shapes: change both together.
std::string_view candidate_pattern(IdentifierKind kind) {
  switch (kind) {
    case IdentifierKind::payment_card:
      // 13-19 digits; 4-4-4-4 with an optional 3-digit fifth group; Amex
      // and Diners 4-6-5 and 4-6-4.
      return R"(\d{13,19}|\d{4}(?:[ -]\d{4}){3}(?:[ -]\d{3})?|\d{4}[ -]\d{6}[ -]\d{4,5})";
    case IdentifierKind::us_ssn: return R"(\d{3}-\d{2}-\d{4}|\d{3} \d{2} \d{4}|\d{9})";
    case IdentifierKind::aba_routing: return R"(\d{9})";
    case IdentifierKind::iban:
      return R"([A-Z]{2}\d{2}[A-Z0-9]{11,30}|[A-Z]{2}\d{2}(?: [A-Z0-9]{4}){2,7}(?: [A-Z0-9]{1,3})?)";
  }
  return {};
}

std::size_t revealed_tail(IdentifierKind kind) {
  switch (kind) {
    case IdentifierKind::payment_card:
    case IdentifierKind::iban: return 4;
    case IdentifierKind::us_ssn:
    case IdentifierKind::aba_routing: return 2;
  }
  return 0;
}

bool left_boundary_ok(std::string_view text, std::size_t begin) {
  if (begin == 0) return true;
  const char before = text[begin - 1];
  if (is_word_byte(before)) return false;
  return !(is_digit_joiner(before) && begin >= 2 && is_digit(text[begin - 2]));
}

bool right_boundary_ok(std::string_view text, std::size_t end) {
  if (end >= text.size()) return true;
  const char after = text[end];
  if (is_word_byte(after)) return false;
  return !(is_digit_joiner(after) && end + 1 < text.size() && is_digit(text[end + 1]));
}

// Ends (relative to the candidate) of each separator-delimited group.
std::vector<std::size_t> group_ends(std::string_view candidate) {
  std::vector<std::size_t> ends;
  for (std::size_t i = 1; i < candidate.size(); ++i) {
    if (is_separator(candidate[i])) ends.push_back(i);
  }
  ends.push_back(candidate.size());
  return ends;
}

// The identifier without separators, or nothing when the separators are
// mixed ("4111 1111-1111 1111" is not how anyone writes a number).
std::optional<std::string> compact_form(std::string_view written) {
  std::string compact;
  char separator = 0;
  for (const char c : written) {
    if (!is_separator(c)) {
      compact += c;
    } else if (separator == 0) {
      separator = c;
    } else if (c != separator) {
      return std::nullopt;
    }
  }
  return compact;
}

std::size_t characters_between(std::string_view text, std::size_t from, std::size_t to, std::size_t cap) {
  std::size_t count = 0;
  for (std::size_t i = from; i < to && count <= cap; ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++count;
  }
  return count;
}

class ProximityKeywords {
 public:
  ProximityKeywords(PhraseAlternation alternation, std::size_t within)
      : alternation_(std::move(alternation)), within_(within) {}

  // Where the keywords occur in `text`, in text order, without overlaps.
  std::vector<Span> occurrences(std::string_view text) const {
    std::vector<Span> spans;
    std::vector<re2::StringPiece> groups(alternation_.phrases.size() + 1);
    std::size_t position = 0;
    while (position <= text.size()) {
      if (!alternation_.regex->Match(piece(text), position, text.size(), RE2::UNANCHORED, groups.data(),
                                     static_cast<int>(groups.size()))) {
        break;
      }
      const auto matched = std::find_if(groups.begin() + 1, groups.end(),
                                        [](const re2::StringPiece& group) { return group.data(); });
      if (matched == groups.end()) break;
      const auto begin = static_cast<std::size_t>(matched->data() - text.data());
      spans.push_back({begin, begin + matched->size()});
      position = spans.back().end;
    }
    return spans;
  }

  bool near(std::string_view text, const std::vector<Span>& keywords, Span found) const {
    const auto after = std::lower_bound(keywords.begin(), keywords.end(), found.end,
                                        [](const Span& keyword, std::size_t end) { return keyword.begin < end; });
    if (after != keywords.end() && characters_between(text, found.end, after->begin, within_) <= within_) {
      return true;
    }
    if (after == keywords.begin()) return false;
    const Span& before = *(after - 1);
    if (before.end > found.begin) return true;  // the keyword overlaps the identifier
    return characters_between(text, before.end, found.begin, within_) <= within_;
  }

 private:
  PhraseAlternation alternation_;
  std::size_t within_;
};

class IdentifierMatcher final : public TextMatcher {
 public:
  IdentifierMatcher(IdentifierKind kind, std::unique_ptr<RE2> candidates,
                    std::optional<ProximityKeywords> keywords)
      : kind_(kind),
        detector_("identifier:" + std::string(to_string(kind))),
        candidates_(std::move(candidates)),
        keywords_(std::move(keywords)) {}

  const std::string& detector() const override { return detector_; }

  void scan(std::string_view text, const MatchVisitor& visit) const override {
    const TextWindow whole{0, text.size()};
    scan_within(text, {&whole, 1}, visit);
  }

  void scan_within(std::string_view text, std::span<const TextWindow> windows,
                   const MatchVisitor& visit) const override {
    std::optional<std::vector<Span>> keyword_spans;  // found on first need, in the whole text
    re2::StringPiece match;
    std::size_t position = 0;
    for (const TextWindow& window : windows) {
      position = std::max(position, window.begin);
      // Every candidate has at least kShortestCandidate characters.
      while (position < window.end && window.end - position >= kShortestCandidate) {
        if (!candidates_->Match(piece(text), position, window.end, RE2::UNANCHORED, &match, 1)) break;
        const auto begin = static_cast<std::size_t>(match.data() - text.data());
        const std::optional<std::size_t> end = validated_end(text, begin, {match.data(), match.size()});
        position = end.value_or(begin + match.size());
        if (!end) continue;
        const Span found{begin, *end};
        if (keywords_) {
          if (!keyword_spans) keyword_spans = keywords_->occurrences(text);
          if (!keywords_->near(text, *keyword_spans, found)) continue;
        }
        const std::string_view written = text.substr(found.begin, found.end - found.begin);
        if (!visit(TextMatch{mask_all_but_last(written, revealed_tail(kind_)), *compact_form(written), found.begin,
                             written.size()})) {
          return;
        }
      }
    }
  }

  // Every identifier is a candidate first; keywords only narrow.
  std::vector<PrefilterExpression> prefilter_expressions() const override {
    return {{candidates_->pattern(), false}};
  }

  std::optional<std::size_t> candidate_digits() const override {
    switch (kind_) {
      case IdentifierKind::payment_card: return 13;
      case IdentifierKind::us_ssn:
      case IdentifierKind::aba_routing: return 9;
      case IdentifierKind::iban: break;  // the groups after two capitals
    }
    return std::numeric_limits<std::size_t>::max();
  }

  // Relies on the shapes of candidate_pattern (see has_candidate_shape).
  bool candidate_windows(std::string_view text, std::span<const DigitGroup> groups, std::size_t max_windows,
                         std::vector<TextWindow>& windows) const override {
    for (const DigitGroup& group : groups) {
      TextWindow window{group.begin, group.end};
      if (kind_ == IdentifierKind::iban) {
        if (!group.after_two_capitals || group.first_run < 2) continue;
        window = {group.begin - 2, std::min(text.size(), group.begin - 2 + kLongestIbanCandidate)};
      } else if (!has_candidate_shape(kind_, text, group)) {
        continue;
      }
      add_window(windows, window);
      if (windows.size() > max_windows) return false;
    }
    return true;
  }

 private:
  // The end of the longest valid identifier that starts the candidate and
  // ends on a group boundary: "4111 1111 1111 1111 123" may be a card
  // followed by its security code.
  std::optional<std::size_t> validated_end(std::string_view text, std::size_t begin,
                                           std::string_view candidate) const {
    if (!left_boundary_ok(text, begin)) return std::nullopt;
    const std::vector<std::size_t> ends = group_ends(candidate);
    for (auto end = ends.rbegin(); end != ends.rend(); ++end) {
      if (!right_boundary_ok(text, begin + *end)) continue;
      const std::optional<std::string> compact = compact_form(candidate.substr(0, *end));
      if (compact && is_valid_identifier(kind_, *compact)) return begin + *end;
    }
    return std::nullopt;
  }

  IdentifierKind kind_;
  std::string detector_;
  std::unique_ptr<RE2> candidates_;
  std::optional<ProximityKeywords> keywords_;
};

}  // namespace

Result<std::unique_ptr<TextMatcher>> compile_identifier_matcher(const IdentifierOptions& options) {
  RE2::Options regex_options;
  regex_options.set_log_errors(false);
  auto candidates = std::make_unique<RE2>(std::string(candidate_pattern(options.kind)), regex_options);
  if (!candidates->ok()) return make_error("internal: identifier pattern: " + candidates->error());

  std::optional<ProximityKeywords> keywords;
  if (!options.near.empty()) {
    Result<PhraseAlternation> alternation = compile_phrase_alternation(options.near);
    if (!alternation.ok()) return make_error("near: " + alternation.error().message);
    keywords.emplace(std::move(alternation).value(), options.within);
  }
  return std::unique_ptr<TextMatcher>(
      std::make_unique<IdentifierMatcher>(options.kind, std::move(candidates), std::move(keywords)));
}

}  // namespace privmilter
