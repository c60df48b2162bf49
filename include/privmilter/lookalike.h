#pragma once
// Lookalike domains: a recipient domain that is not one of the domains we
// protect (the firm's and its clients') but could be mistaken for one, the
// usual way misdirected and phished mail leaves a firm. Pure: no I/O, no DNS.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "privmilter/transparent_hash.h"

namespace privmilter {

// The protected domain that `domain` imitates, or nothing when it imitates
// none of them. A protected domain itself and its subdomains never
// imitate anything. `domain` is matched in any case; protected domains
// must be lowercase. See docs/POLICY.md ("Lookalike recipients") for the rules.
// Looks at every protected domain: for a few; LookalikeIndex for many.
std::optional<std::string> imitated_domain(std::string_view domain,
                                           const std::vector<std::string>& protected_domains);

// Optimal-string-alignment (restricted Damerau-Levenshtein) distance:
// insertions, deletions, substitutions and swaps of adjacent characters.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The same question against many protected domains (every client's), built
// once. A query costs a few hash and binary searches per character of the
// recipient's label, whatever the number of protected domains.
//
// Answers as imitated_domain(domain, firm_domains + other_domains) does,
// with one limit: two-edit imitations (labels of 10 characters or more) are
// found for the firm domains only, which are checked one by one. Every other
// rule (same reading, hyphens, confusables, another suffix, one edit, the
// protected name as leading labels) applies to every domain.
class LookalikeIndex {
 public:
  LookalikeIndex() = default;
  LookalikeIndex(const std::vector<std::string>& firm_domains, const std::vector<std::string>& other_domains);

  std::optional<std::string> imitated_domain(std::string_view domain) const;
  std::size_t size() const { return firm_.size() + others_.size(); }

 private:
  struct Protected {
    std::string domain;
    std::optional<std::string> read_label;  // none when the domain has no registrable label
  };

  std::optional<std::size_t> imitated_other(const std::string& domain, const std::string& read_candidate) const;
  void add_candidates(std::uint64_t hash, std::vector<std::uint32_t>& candidates) const;

  std::vector<Protected> firm_;
  std::vector<Protected> others_;
  // Every protected domain, for "is the recipient one of ours?".
  std::unordered_set<std::string, TransparentStringHash, std::equal_to<>> all_domains_;
  // Each other domain to its first position in others_, for leading labels.
  std::unordered_map<std::string, std::uint32_t, TransparentStringHash, std::equal_to<>> other_positions_;
  std::size_t max_other_labels_ = 0;
  // (hash, position in others_) for each other domain's read label and its
  // one-deletion variants, sorted. A hash collision only adds a candidate,
  // which the exact rules then reject.
  std::vector<std::pair<std::uint64_t, std::uint32_t>> neighbourhood_;
};

}  // namespace privmilter
