#pragma once
// Where a text's numbers are, for the identifiers (card numbers, SSNs,
// routing numbers, IBANs) to look around, found once per segment for all
// of them. Mail has a number every few dozen words but few long ones, so
// only the groups that could hold an identifier are kept.

#include <cstddef>
#include <string_view>
#include <vector>

namespace privmilter {

// Runs of ASCII digits joined by single spaces or hyphens:
// "4111 1111 1111 1111", "536-22-1234", "021000021".
struct DigitGroup {
  std::size_t begin = 0;  // its first digit
  std::size_t end = 0;    // past its last digit
  std::size_t digits = 0;
  std::size_t first_run = 0;  // digits before its first separator
  bool after_two_capitals = false;  // "DE89 3704 …": two ASCII capitals right before it
};

// Replaces `groups` with those of `text`, in order, that hold at least
// `fewest_digits` digits or come after two capitals with a first run of at
// least two digits.
void find_digit_groups(std::string_view text, std::size_t fewest_digits, std::vector<DigitGroup>& groups);

}  // namespace privmilter
