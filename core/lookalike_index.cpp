// LookalikeIndex: SymSpell-style candidates (a label and its one-deletion
// variants meet whenever two labels are within one edit, swaps included),
// confirmed by the same rules imitated_domain() applies.

#include <algorithm>

#include "lookalike_rules.h"
#include "privmilter/lookalike.h"

namespace privmilter {
namespace {

using namespace lookalike_rules;

// FNV-1a, so that a label with one character left out can be hashed in
// place, without building the shorter string.
constexpr std::uint64_t kFnvOffset = 14695981039346656037ull;
constexpr std::uint64_t kFnvPrime = 1099511628211ull;

std::uint64_t hash_more(std::uint64_t hash, std::string_view text) {
  for (const char c : text) hash = (hash ^ static_cast<unsigned char>(c)) * kFnvPrime;
  return hash;
}

// The hashes of `label` and of every string made by deleting one of its
// characters (deleting either of two equal neighbours gives the same one).
template <typename Visit>
void for_each_one_deletion_hash(std::string_view label, Visit&& visit) {
  visit(hash_more(kFnvOffset, label));
  std::uint64_t prefix = kFnvOffset;
  for (std::size_t i = 0; i < label.size(); ++i) {
    if (i == 0 || label[i] != label[i - 1]) visit(hash_more(prefix, label.substr(i + 1)));
    prefix = hash_more(prefix, label.substr(i, 1));
  }
}

std::size_t label_count(std::string_view domain) { return std::count(domain.begin(), domain.end(), '.') + 1; }

}  // namespace

LookalikeIndex::LookalikeIndex(const std::vector<std::string>& firm_domains,
                               const std::vector<std::string>& other_domains) {
  all_domains_.reserve(firm_domains.size() + other_domains.size());
  other_positions_.reserve(other_domains.size());
  others_.reserve(other_domains.size());
  neighbourhood_.reserve(other_domains.size() * 12);
  for (const std::string& domain : firm_domains) {
    std::string lower = query_form(domain);
    all_domains_.insert(lower);
    std::optional<std::string> read_label = read_label_of(lower);
    firm_.push_back({std::move(lower), std::move(read_label)});
  }
  for (const std::string& domain : other_domains) {
    std::string lower = query_form(domain);
    // A repeated domain could never be the first to match.
    if (other_positions_.contains(lower)) continue;
    const auto position = static_cast<std::uint32_t>(others_.size());
    all_domains_.insert(lower);
    other_positions_.emplace(lower, position);
    max_other_labels_ = std::max(max_other_labels_, label_count(lower));
    std::optional<std::string> read_label = read_label_of(lower);
    if (read_label) {
      if (allowed_edits(read_label->size()) == 0) {
        neighbourhood_.emplace_back(hash_more(kFnvOffset, *read_label), position);
      } else {
        for_each_one_deletion_hash(*read_label, [&](std::uint64_t hash) { neighbourhood_.emplace_back(hash, position); });
      }
    }
    others_.push_back({std::move(lower), std::move(read_label)});
  }
  std::sort(neighbourhood_.begin(), neighbourhood_.end());
}

std::optional<std::string> LookalikeIndex::imitated_domain(std::string_view domain) const {
  const std::string lower = query_form(domain);
  for (std::string_view suffix = lower;;) {
    if (all_domains_.contains(suffix)) return std::nullopt;
    const std::size_t dot = suffix.find('.');
    if (dot == std::string_view::npos) break;
    suffix.remove_prefix(dot + 1);
  }
  const std::optional<SplitDomain> candidate = split_registrable(lower);
  if (!candidate) return std::nullopt;
  const std::string read_candidate = as_read(candidate->label);
  for (const Protected& firm : firm_) {
    if (imitates(lower, read_candidate, firm.domain, firm.read_label, kNoEditCap)) return firm.domain;
  }
  if (const std::optional<std::size_t> position = imitated_other(lower, read_candidate)) {
    return others_[*position].domain;
  }
  return std::nullopt;
}

std::optional<std::size_t> LookalikeIndex::imitated_other(const std::string& domain,
                                                          const std::string& read_candidate) const {
  std::vector<std::uint32_t> candidates;
  // Leading labels: every run of whole labels that another label follows.
  std::vector<std::size_t> label_starts{0};
  for (std::size_t i = 0; i < domain.size(); ++i) {
    if (domain[i] == '.') label_starts.push_back(i + 1);
  }
  for (std::size_t first = 0; first < label_starts.size(); ++first) {
    for (std::size_t next = first + 1; next < label_starts.size() && next - first <= max_other_labels_; ++next) {
      const std::string_view run(domain.data() + label_starts[first], label_starts[next] - 1 - label_starts[first]);
      if (auto found = other_positions_.find(run); found != other_positions_.end()) {
        candidates.push_back(found->second);
      }
    }
  }
  for_each_one_deletion_hash(read_candidate, [&](std::uint64_t hash) { add_candidates(hash, candidates); });
  std::sort(candidates.begin(), candidates.end());
  candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
  for (const std::uint32_t position : candidates) {
    const Protected& other = others_[position];
    if (imitates(domain, read_candidate, other.domain, other.read_label, 1)) return position;
  }
  return std::nullopt;
}

void LookalikeIndex::add_candidates(std::uint64_t hash, std::vector<std::uint32_t>& candidates) const {
  auto entry = std::lower_bound(neighbourhood_.begin(), neighbourhood_.end(), std::make_pair(hash, std::uint32_t{0}));
  for (; entry != neighbourhood_.end() && entry->first == hash; ++entry) candidates.push_back(entry->second);
}

}  // namespace privmilter
