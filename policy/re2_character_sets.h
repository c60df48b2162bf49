#pragma once
// Which characters an RE2 character item (a literal, a range, \d, \W,
// [:alpha:], \p{Greek}) may match, as a lower and an upper bound that hold
// whatever RE2's and Vectorscan's Unicode tables say and whether case
// folding is in force: exact on ASCII (asked of RE2 itself), and beyond
// ASCII exact only where no table is involved (a code point written out,
// a range without case folding).

#include <bitset>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "code_point_set.h"

namespace privmilter {

struct CharacterBounds {
  CodePointSet lower;  // RE2 surely matches these
  CodePointSet upper;  // RE2 matches nothing else
};

class Re2CharacterSets {
 public:
  // `folded`: case folding may be in force.
  CharacterBounds range(CodePoint lo, CodePoint hi, bool folded);

  // `item` as written in the pattern: "\d", "\W", "[:alpha:]", "\pL",
  // "\P{^Greek}". Nothing when RE2 does not know it.
  std::optional<CharacterBounds> group(std::string_view item, bool folded);

 private:
  // RE2's reading of a group on ASCII, with and without case folding.
  struct GroupAscii {
    std::bitset<128> case_sensitive;
    std::bitset<128> caseless;
    bool beyond_ascii = false;  // holds letters beyond ASCII (\W, [:^alpha:], \pL)
  };

  bool has_case_variants(CodePoint c);
  const std::optional<GroupAscii>& ascii_members(std::string_view item);

  std::map<CodePoint, bool> case_variants_;
  std::map<std::string, std::optional<GroupAscii>, std::less<>> groups_;
};

}  // namespace privmilter
