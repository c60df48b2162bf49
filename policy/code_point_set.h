#pragma once
// Sets of Unicode code points as sorted ranges, for rewriting character
// classes (prefilter_translation.h).

#include <algorithm>
#include <bitset>
#include <utility>
#include <vector>

namespace privmilter {

using CodePoint = char32_t;
inline constexpr CodePoint kFirstNonAscii = 0x80;
inline constexpr CodePoint kMaxCodePoint = 0x10FFFF;

class CodePointSet {
 public:
  static CodePointSet all() { return range(0, kMaxCodePoint); }
  static CodePointSet beyond_ascii() { return range(kFirstNonAscii, kMaxCodePoint); }
  static CodePointSet range(CodePoint lo, CodePoint hi) {
    CodePointSet set;
    set.add(lo, hi);
    return set;
  }
  static CodePointSet of_ascii(const std::bitset<128>& members) {
    CodePointSet set;
    for (CodePoint c = 0; c < 128; ++c) {
      if (members[c]) set.ranges_.emplace_back(c, c);
    }
    set.normalize();
    return set;
  }

  void add(CodePoint lo, CodePoint hi) {
    ranges_.emplace_back(lo, hi);
    normalize();
  }
  void add(const CodePointSet& other) {
    ranges_.insert(ranges_.end(), other.ranges_.begin(), other.ranges_.end());
    normalize();
  }
  CodePointSet complement() const {
    CodePointSet result;
    CodePoint next = 0;
    for (const auto& [lo, hi] : ranges_) {
      if (lo > next) result.ranges_.emplace_back(next, lo - 1);
      next = hi + 1;
    }
    if (next <= kMaxCodePoint) result.ranges_.emplace_back(next, kMaxCodePoint);
    return result;
  }
  CodePointSet without(const CodePointSet& other) const {
    CodePointSet result = complement();
    result.add(other);
    return result.complement();
  }
  bool contains(CodePoint c) const {
    return std::any_of(ranges_.begin(), ranges_.end(), [c](const auto& r) { return r.first <= c && c <= r.second; });
  }
  std::size_t size() const {
    std::size_t count = 0;
    for (const auto& [lo, hi] : ranges_) count += hi - lo + 1;
    return count;
  }
  bool empty() const { return ranges_.empty(); }
  const std::vector<std::pair<CodePoint, CodePoint>>& ranges() const { return ranges_; }
  bool operator==(const CodePointSet&) const = default;

 private:
  void normalize() {
    std::sort(ranges_.begin(), ranges_.end());
    std::vector<std::pair<CodePoint, CodePoint>> merged;
    for (const auto& r : ranges_) {
      if (!merged.empty() && r.first <= merged.back().second + 1) {
        merged.back().second = std::max(merged.back().second, r.second);
      } else {
        merged.push_back(r);
      }
    }
    ranges_ = std::move(merged);
  }

  std::vector<std::pair<CodePoint, CodePoint>> ranges_;  // sorted, disjoint, not adjacent
};

}  // namespace privmilter
