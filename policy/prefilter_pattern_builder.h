#pragma once
// The Vectorscan side of prefilter_translation.h: writes the rewritten
// pattern item by item as the RE2 reader hands them over, and keeps what
// is known of the pattern's shape (its top-level pieces) to decide what
// goes into the database and how far a match can reach.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "code_point_set.h"
#include "prefilter_translation.h"

namespace privmilter {

class PrefilterPatternBuilder {
 public:
  // One character of `set`. False when the set is empty: Vectorscan has no
  // empty class.
  bool add_set(const CodePointSet& set);
  // A zero-width assertion as Vectorscan writes it; empty for one that is
  // left out (an anchor), which only widens the pattern.
  void add_assertion(std::string_view assertion);
  // Applies to the last item; `quantifier` as Vectorscan writes it
  // ("*", "{2,5}"), greedy.
  void add_quantifier(const std::string& quantifier);
  void add_alternative();  // '|'
  void open_group();
  bool close_group();  // false when no group is open
  bool has_open_groups() const { return depth_ != 0; }

  // The pattern, or the part of it every match contains when `may_cut`
  // and cutting pays (see the .cpp), with the facts about its matches.
  VectorscanPrefilter finish(bool may_cut) const;

 private:
  // A pattern without top-level alternatives is a sequence of pieces, so
  // each run of literal pieces occurs in every match.
  struct Piece {
    std::size_t begin = 0;  // in out_
    std::size_t end = 0;
    bool literal = false;     // one of at most three characters
    bool character = false;   // exactly one character: a set, not repeated
    bool whitespace = false;  // a set of ASCII whitespace (RE2's \s)
    // The most characters it matches besides a repeat of whitespace;
    // nothing when unknown or unbounded.
    std::optional<std::size_t> most_characters;
  };

  void add_piece(std::size_t begin, bool literal, bool character = false);
  static std::optional<std::size_t> most_repeated(const Piece& piece, const std::string& quantifier);
  VectorscanPrefilter whole(bool has_literal) const;

  std::string out_;
  std::size_t depth_ = 0;        // open groups
  std::size_t group_begin_ = 0;  // of the open top-level group
  bool top_level_alternation_ = false;
  bool unbounded_repeat_ = false;  // *, + or {n,} anywhere
  bool wide_class_ = false;        // a class with characters beyond ASCII anywhere
  std::optional<std::size_t> assertion_begin_;  // set while the last thing added is an assertion
  std::vector<Piece> pieces_;
};

}  // namespace privmilter
