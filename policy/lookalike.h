#pragma once
// Lookalike domains: a recipient domain that is not one of the domains we
// protect (the firm's, later its clients') but could be mistaken for one,
// the usual way misdirected and phished mail leaves a firm. Pure: no I/O,
// no DNS.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace privmilter {

// The protected domain that `domain` imitates, or nothing when it imitates
// none of them. A protected domain itself and its subdomains never
// imitate anything. `domain` is matched in any case; protected domains
// must be lowercase. See docs/POLICY.md ("Lookalike recipients") for the rules.
std::optional<std::string> imitated_domain(std::string_view domain,
                                           const std::vector<std::string>& protected_domains);

// Optimal-string-alignment (restricted Damerau-Levenshtein) distance:
// insertions, deletions, substitutions and swaps of adjacent characters.
std::size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace privmilter
