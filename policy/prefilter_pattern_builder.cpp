#include "prefilter_pattern_builder.h"

#include <algorithm>
#include <cstdio>

namespace privmilter {
namespace {

bool is_ascii_alnum(CodePoint c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool is_ascii_whitespace(CodePoint c) { return c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' '; }

std::string hex_escape(CodePoint c) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "\\x{%X}", static_cast<unsigned>(c));
  return buffer;
}

bool is_unbounded(const std::string& quantifier) {
  return quantifier == "*" || quantifier == "+" || quantifier.ends_with(",}");
}

}  // namespace

void PrefilterPatternBuilder::add_piece(std::size_t begin, bool literal, bool character) {
  if (depth_ == 0) {
    pieces_.push_back(
        {begin, out_.size(), literal, character, false, character ? std::optional<std::size_t>(1) : std::nullopt});
  }
}

// The most characters `quantifier` lets a piece match: a repeat of
// whitespace counts none (see characters_outside_whitespace).
std::optional<std::size_t> PrefilterPatternBuilder::most_repeated(const Piece& piece, const std::string& quantifier) {
  if (!piece.character) return std::nullopt;
  if (quantifier == "?") return 1;
  if (is_unbounded(quantifier)) return piece.whitespace ? std::optional<std::size_t>(0) : std::nullopt;
  // "{n}" or "{n,m}": at most the last number.
  const std::size_t last = quantifier.find_last_of("{,") + 1;
  return static_cast<std::size_t>(std::stoul(quantifier.substr(last, quantifier.size() - last - 1)));
}

void PrefilterPatternBuilder::add_assertion(std::string_view assertion) {
  const std::size_t begin = out_.size();
  out_ += assertion;
  add_piece(begin, false);
  if (depth_ == 0) pieces_.back().most_characters = 0;
  assertion_begin_ = begin;
}

void PrefilterPatternBuilder::add_quantifier(const std::string& quantifier) {
  if (assertion_begin_) {
    // Vectorscan refuses to repeat an assertion (\b+, ^*); without it
    // the expression only matches more.
    out_.resize(*assertion_begin_);
    assertion_begin_.reset();
    if (depth_ == 0 && !pieces_.empty()) pieces_.back().end = out_.size();
    return;
  }
  out_ += quantifier;
  if (is_unbounded(quantifier)) unbounded_repeat_ = true;
  if (depth_ == 0 && !pieces_.empty()) {
    Piece& repeated = pieces_.back();
    repeated.most_characters = most_repeated(repeated, quantifier);
    repeated.literal = false;
    repeated.character = false;
    repeated.end = out_.size();
  }
}

void PrefilterPatternBuilder::add_alternative() {
  if (depth_ == 0) top_level_alternation_ = true;
  assertion_begin_.reset();
  out_ += '|';
}

void PrefilterPatternBuilder::open_group() {
  assertion_begin_.reset();
  if (depth_ == 0) group_begin_ = out_.size();
  out_ += "(?:";
  ++depth_;
}

bool PrefilterPatternBuilder::close_group() {
  if (depth_ == 0) return false;
  assertion_begin_.reset();
  out_ += ')';
  if (--depth_ == 0) add_piece(group_begin_, false);
  return true;
}

bool PrefilterPatternBuilder::add_set(const CodePointSet& set) {
  assertion_begin_.reset();
  if (set.empty()) return false;
  const std::size_t begin = out_.size();
  const auto& ranges = set.ranges();
  if (ranges.size() == 1 && ranges[0].first == ranges[0].second) {
    const CodePoint c = ranges[0].first;
    out_ += is_ascii_alnum(c) ? std::string(1, static_cast<char>(c)) : hex_escape(c);
    add_piece(begin, true, true);
    return true;
  }
  // A letter in either case (with the long s or the Kelvin sign) is still
  // a literal to Vectorscan, which finds the text around it first.
  const bool few_characters = set.size() <= 3;
  if (set == CodePointSet::all()) {
    out_ += "(?s:.)";
  } else if (set == CodePointSet::all().without(CodePointSet::range('\n', '\n'))) {
    out_ += '.';
  } else {
    if (ranges.back().second >= kFirstNonAscii) wide_class_ = true;
    out_ += '[';
    for (const auto& [lo, hi] : ranges) {
      out_ += hex_escape(lo);
      if (hi != lo) out_ += '-' + hex_escape(hi);
    }
    out_ += ']';
  }
  add_piece(begin, few_characters, true);
  if (depth_ == 0) {
    pieces_.back().whitespace = std::all_of(ranges.begin(), ranges.end(), [](const auto& range) {
      if (range.second >= kFirstNonAscii) return false;
      for (CodePoint c = range.first; c <= range.second; ++c) {
        if (!is_ascii_whitespace(c)) return false;
      }
      return true;
    });
  }
  return true;
}

// Vectorscan compiles expressions that contain a literal (which it finds
// first) in about linear time however many are compiled together, but a
// repeated class beyond ASCII (the whitespace of a phrase, \pL+) still
// costs it about a millisecond each, and expressions without a literal
// cost it far more together than apart. So an expression with both a
// literal of kMinimumLiteral characters and such a repeat is cut down to
// its longest literal run, which every match contains; others stay whole,
// being more selective. Phrases are kept whole unless there are many
// (PrefilterTranslator's keep_phrases_whole): a phrase's longest word
// ("confidential") is common in mail on its own, and each of its
// occurrences costs an exact search, but whole phrases take about twice
// as long to compile.
VectorscanPrefilter PrefilterPatternBuilder::finish(bool may_cut) const {
  constexpr std::size_t kMinimumLiteral = 3;
  if (top_level_alternation_) return {out_, false, true};
  std::size_t best_first = 0;
  std::size_t best_length = 0;
  for (std::size_t first = 0; first < pieces_.size();) {
    std::size_t length = 0;
    while (first + length < pieces_.size() && pieces_[first + length].literal) ++length;
    if (length > best_length) {
      best_first = first;
      best_length = length;
    }
    first += length + 1;
  }
  if (best_length < kMinimumLiteral) return whole(false);
  if (!may_cut || best_length == pieces_.size() || !(unbounded_repeat_ && wide_class_)) return whole(true);
  const std::size_t begin = pieces_[best_first].begin;
  VectorscanPrefilter cut{out_.substr(begin, pieces_[best_first + best_length - 1].end - begin), true, false};
  cut.kept_characters = best_length;
  for (std::size_t piece = 0; piece < pieces_.size(); ++piece) {
    if (!pieces_[piece].character || (piece >= best_first && piece < best_first + best_length)) continue;
    ++(piece < best_first ? cut.characters_before : cut.characters_after);
  }
  return cut;
}

VectorscanPrefilter PrefilterPatternBuilder::whole(bool has_literal) const {
  VectorscanPrefilter prefilter{out_, has_literal, true};
  std::size_t most = 0;
  for (const Piece& piece : pieces_) {
    if (!piece.most_characters) return prefilter;
    most += *piece.most_characters;
  }
  prefilter.characters_outside_whitespace = most;
  return prefilter;
}

}  // namespace privmilter
