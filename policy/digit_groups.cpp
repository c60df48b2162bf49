#include "digit_groups.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace privmilter {
namespace {

constexpr std::size_t kBlock = 64;

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_capital(char c) { return c >= 'A' && c <= 'Z'; }
bool is_separator(char c) { return c == ' ' || c == '-'; }

// One bit per byte of a 64-byte block.
struct BlockMasks {
  std::uint64_t digits = 0;      // '0'-'9'
  std::uint64_t separators = 0;  // ' ' or '-'
  std::uint64_t capitals = 0;    // 'A'-'Z'
};

BlockMasks masks_of(const char* block) {
  BlockMasks masks;
#if defined(__SSE2__)
  const auto between = [](__m128i bytes, char low, char high) {
    // Signed comparisons: bytes from 0x80 on are negative, below any range.
    return _mm_and_si128(_mm_cmpgt_epi8(bytes, _mm_set1_epi8(static_cast<char>(low - 1))),
                         _mm_cmplt_epi8(bytes, _mm_set1_epi8(static_cast<char>(high + 1))));
  };
  const auto bits = [](__m128i lanes, std::size_t part) {
    return std::uint64_t{static_cast<std::uint16_t>(_mm_movemask_epi8(lanes))} << part;
  };
  for (std::size_t part = 0; part < kBlock; part += 16) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block + part));
    masks.digits |= bits(between(bytes, '0', '9'), part);
    masks.capitals |= bits(between(bytes, 'A', 'Z'), part);
    masks.separators |=
        bits(_mm_or_si128(_mm_cmpeq_epi8(bytes, _mm_set1_epi8(' ')), _mm_cmpeq_epi8(bytes, _mm_set1_epi8('-'))), part);
  }
#else
  for (std::size_t i = 0; i < kBlock; ++i) {
    masks.digits |= std::uint64_t{is_digit(block[i])} << i;
    masks.separators |= std::uint64_t{is_separator(block[i])} << i;
    masks.capitals |= std::uint64_t{is_capital(block[i])} << i;
  }
#endif
  return masks;
}

// Two blocks' bits, the first in `low`.
struct Window {
  std::uint64_t low = 0;
  std::uint64_t high = 0;

  Window shifted_down(std::size_t by) const {  // 0 < by < 64
    return {low >> by | high << (64 - by), high >> by};
  }
  Window operator&(const Window& other) const { return {low & other.low, high & other.high}; }
};

// Bit i of the first block set when bits i to i + length - 1 of `bits`
// all are (1 <= length <= 65), by doubling the runs covered at each step.
std::uint64_t run_starts(Window bits, std::size_t length) {
  Window starts = bits;
  std::size_t covered = 1;
  while (covered < length) {
    const std::size_t step = std::min(covered, length - covered);
    starts = starts & starts.shifted_down(step);
    covered += step;
  }
  return starts.low;
}

// The text a block at a time, with the next block's masks at hand, so that
// groups and runs that cross from one block into the next are seen whole.
// Groups are rare enough in mail that those worth keeping are measured a
// byte at a time; only finding them is done a block at a time.
class GroupFinder {
 public:
  GroupFinder(std::string_view text, std::size_t fewest_digits, std::vector<DigitGroup>& groups)
      : text_(text), fewest_digits_(fewest_digits), groups_(groups) {}

  void run() {
    const std::size_t long_run = std::min<std::size_t>(fewest_digits_, 65);
    const std::size_t blocks = (text_.size() + kBlock - 1) / kBlock;
    BlockMasks current = masks_at(0);
    BlockMasks next = masks_at(kBlock);
    std::uint64_t previous_digit = 0;
    for (std::size_t block = 0; block < blocks; ++block) {
      const std::size_t offset = block * kBlock;
      const BlockMasks after = masks_at(offset + 2 * kBlock);
      if (current.digits != 0) {  // else nothing of a group is in the block
        const std::uint64_t group = group_bits(current, previous_digit, next.digits & 1);
        const std::uint64_t next_group = group_bits(next, current.digits >> 63, after.digits & 1);
        // Every group worth keeping for its size has at least that many
        // bytes in a row; two blocks show runs of up to 65 starting here.
        const std::uint64_t long_runs = run_starts({group, next_group}, long_run);
        const std::uint64_t capital_1 = offset >= 1 && is_capital(text_[offset - 1]) ? 1 : 0;
        const std::uint64_t capital_2 = offset >= 2 && is_capital(text_[offset - 2]) ? 1 : 0;
        const std::uint64_t two_capitals_before =
            (current.capitals << 1 | capital_1) & (current.capitals << 2 | capital_1 << 1 | capital_2);
        const std::uint64_t after_capitals = current.digits & two_capitals_before;
        for (std::uint64_t found = long_runs | after_capitals; found != 0; found &= found - 1) {
          const std::size_t position = offset + static_cast<std::size_t>(std::countr_zero(found));
          if (position >= measured_until_) measure_group_at(position);
        }
      }
      previous_digit = current.digits >> 63;
      current = next;
      next = after;
    }
  }

 private:
  BlockMasks masks_at(std::size_t offset) const {
    if (offset >= text_.size()) return {};
    if (text_.size() - offset >= kBlock) return masks_of(text_.data() + offset);
    char last[kBlock] = {};  // zeros are neither digits, separators nor capitals
    std::memcpy(last, text_.data() + offset, text_.size() - offset);
    return masks_of(last);
  }

  // Digits, and separators with a digit on either side.
  static std::uint64_t group_bits(const BlockMasks& block, std::uint64_t digit_before, std::uint64_t digit_after) {
    const std::uint64_t before = block.digits << 1 | digit_before;
    const std::uint64_t after = block.digits >> 1 | digit_after << 63;
    return block.digits | (block.separators & before & after);
  }

  bool joins(std::size_t separator) const {
    return separator > 0 && separator + 1 < text_.size() && is_separator(text_[separator]) &&
           is_digit(text_[separator - 1]) && is_digit(text_[separator + 1]);
  }

  // Measures the group that holds `position` (a digit or a joining
  // separator) and keeps it if it is worth it.
  void measure_group_at(std::size_t position) {
    std::size_t begin = position;
    while (begin > 0 && (is_digit(text_[begin - 1]) || joins(begin - 1))) --begin;
    DigitGroup group{begin, begin, 0, 0, begin >= 2 && is_capital(text_[begin - 1]) && is_capital(text_[begin - 2])};
    std::size_t end = begin;
    while (true) {
      const std::size_t run_begin = end;
      while (end < text_.size() && is_digit(text_[end])) ++end;
      group.digits += end - run_begin;
      if (group.first_run == 0) group.first_run = end - run_begin;
      if (!joins(end)) break;
      ++end;
    }
    group.end = end;
    measured_until_ = end;
    if (group.digits >= fewest_digits_ || (group.after_two_capitals && group.first_run >= 2)) groups_.push_back(group);
  }

  std::string_view text_;
  std::size_t fewest_digits_;
  std::vector<DigitGroup>& groups_;
  std::size_t measured_until_ = 0;  // groups before this are done
};

}  // namespace

void find_digit_groups(std::string_view text, std::size_t fewest_digits, std::vector<DigitGroup>& groups) {
  groups.clear();
  if (fewest_digits == 0) fewest_digits = 1;
  GroupFinder(text, fewest_digits, groups).run();
}

}  // namespace privmilter
