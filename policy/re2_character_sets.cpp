#include "re2_character_sets.h"

#include <re2/re2.h>

#include <array>
#include <cstdio>
#include <utility>

namespace privmilter {
namespace {

// The only characters beyond ASCII that RE2's case folding pairs with
// ASCII letters: LATIN SMALL LETTER LONG S and KELVIN SIGN (a unit test
// checks this against RE2's tables).
constexpr std::array<std::pair<CodePoint, char>, 2> kNonAsciiFoldingToAscii = {{{0x17F, 's'}, {0x212A, 'k'}}};

bool is_ascii_letter(CodePoint c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

CodePoint capital(char letter) { return static_cast<CodePoint>(letter - 'a' + 'A'); }

RE2::Options quiet_options() {
  RE2::Options options;
  options.set_log_errors(false);
  return options;
}

std::string hex_escape(CodePoint c) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "\\x{%X}", static_cast<unsigned>(c));
  return buffer;
}

}  // namespace

CharacterBounds Re2CharacterSets::range(CodePoint lo, CodePoint hi, bool folded) {
  CharacterBounds bounds{CodePointSet::range(lo, hi), CodePointSet::range(lo, hi)};
  if (!folded) return bounds;
  CodePointSet& upper = bounds.upper;
  const auto holds = [&](CodePoint c) { return lo <= c && c <= hi; };
  for (CodePoint c = std::max<CodePoint>(lo, 'A'); c <= std::min<CodePoint>(hi, 'z'); ++c) {
    if (is_ascii_letter(c)) upper.add(c ^ 0x20, c ^ 0x20);
  }
  for (const auto& [non_ascii, letter] : kNonAsciiFoldingToAscii) {
    if (holds(static_cast<CodePoint>(letter)) || holds(capital(letter))) upper.add(non_ascii, non_ascii);
    if (holds(non_ascii)) {
      upper.add(static_cast<CodePoint>(letter), static_cast<CodePoint>(letter));
      upper.add(capital(letter), capital(letter));
    }
  }
  // Which characters beyond ASCII fold together depends on the Unicode
  // version: any of them may be a partner.
  if (hi >= kFirstNonAscii) {
    const CodePoint first = std::max(lo, kFirstNonAscii);
    if (first != hi || has_case_variants(first)) upper.add(CodePointSet::beyond_ascii());
  }
  return bounds;
}

std::optional<CharacterBounds> Re2CharacterSets::group(std::string_view item, bool folded) {
  const std::optional<GroupAscii>& ascii = ascii_members(item);
  if (!ascii) return std::nullopt;
  CharacterBounds bounds;
  if (folded) {
    bounds.lower = CodePointSet::of_ascii(ascii->case_sensitive & ascii->caseless);
    bounds.upper = CodePointSet::of_ascii(ascii->case_sensitive | ascii->caseless);
  } else {
    bounds.lower = CodePointSet::of_ascii(ascii->case_sensitive);
    bounds.upper = bounds.lower;
  }
  if (item.size() >= 2 && (item[1] == 'p' || item[1] == 'P')) {
    bounds.upper.add(CodePointSet::beyond_ascii());  // Unicode tables: nothing beyond ASCII is certain
    return bounds;
  }
  // Perl and POSIX groups are ASCII sets or their complements.
  if (ascii->beyond_ascii) {
    bounds.upper.add(CodePointSet::beyond_ascii());
    CodePointSet certain = CodePointSet::beyond_ascii();
    if (folded) {
      // Folded, a complement leaves out what folds to its ASCII letters.
      for (const auto& [non_ascii, letter] : kNonAsciiFoldingToAscii) {
        certain = certain.without(CodePointSet::range(non_ascii, non_ascii));
      }
    }
    bounds.lower.add(certain);
  } else if (folded) {
    for (const auto& [non_ascii, letter] : kNonAsciiFoldingToAscii) {
      if (bounds.upper.contains(static_cast<CodePoint>(letter))) bounds.upper.add(non_ascii, non_ascii);
    }
  }
  return bounds;
}

bool Re2CharacterSets::has_case_variants(CodePoint c) {
  const auto known = case_variants_.find(c);
  if (known != case_variants_.end()) return known->second;
  // Anchored, a case-folded single character matches exactly its fold
  // orbit, whose first and last members differ when it has more than one.
  const RE2 folded("^(?i)" + hex_escape(c), quiet_options());
  std::string first;
  std::string last;
  const bool varies = !folded.ok() || !folded.PossibleMatchRange(&first, &last, 8) || first != last;
  case_variants_.emplace(c, varies);
  return varies;
}

const std::optional<Re2CharacterSets::GroupAscii>& Re2CharacterSets::ascii_members(std::string_view item) {
  const auto known = groups_.find(item);
  if (known != groups_.end()) return known->second;
  const std::string in_class = "[" + std::string(item) + "]";
  const RE2 case_sensitive(in_class, quiet_options());
  const RE2 caseless("(?i)" + in_class, quiet_options());
  std::optional<GroupAscii> answer;
  if (case_sensitive.ok() && caseless.ok()) {
    answer.emplace();
    for (int c = 0; c < 128; ++c) {
      const std::string one(1, static_cast<char>(c));
      answer->case_sensitive[static_cast<std::size_t>(c)] = RE2::FullMatch(one, case_sensitive);
      answer->caseless[static_cast<std::size_t>(c)] = RE2::FullMatch(one, caseless);
    }
    answer->beyond_ascii = RE2::FullMatch("\xC3\xA9", case_sensitive);  // U+00E9
  }
  return groups_.emplace(std::string(item), std::move(answer)).first->second;
}

}  // namespace privmilter
