#include "privmilter/lookalike.h"

#include <algorithm>
#include <array>
#include <cstddef>

#include "lookalike_rules.h"
#include "privmilter/strings.h"

namespace privmilter {
namespace lookalike_rules {
namespace {

// Labels this short have too many honest neighbours ("law.com", "lab.com")
// to flag on a one-letter difference.
constexpr std::size_t kMinLabelForOneEdit = 5;
constexpr std::size_t kMinLabelForTwoEdits = 10;

// Second-level labels under which country registries sell names
// ("examplelaw.co.uk"): the label before them is the one people read.
constexpr std::array<std::string_view, 9> kSecondLevelLabels = {"co", "com", "net", "org", "ac",
                                                               "gov", "edu", "ltd", "plc"};

std::vector<std::string_view> split_labels(std::string_view domain) {
  std::vector<std::string_view> labels;
  std::size_t start = 0;
  while (start <= domain.size()) {
    const std::size_t dot = std::min(domain.find('.', start), domain.size());
    labels.push_back(domain.substr(start, dot - start));
    start = dot + 1;
  }
  return labels;
}

}  // namespace

std::string query_form(std::string_view domain) {
  std::string lower = ascii_lower(domain);
  if (!lower.empty() && lower.back() == '.') lower.pop_back();
  return lower;
}

std::optional<SplitDomain> split_registrable(std::string_view domain) {
  const std::vector<std::string_view> labels = split_labels(domain);
  if (labels.size() < 2 || std::any_of(labels.begin(), labels.end(), [](std::string_view l) { return l.empty(); })) {
    return std::nullopt;
  }
  std::size_t suffix_labels = 1;
  if (labels.size() >= 3 && labels.back().size() == 2 &&
      std::find(kSecondLevelLabels.begin(), kSecondLevelLabels.end(), labels[labels.size() - 2]) !=
          kSecondLevelLabels.end()) {
    suffix_labels = 2;
  }
  SplitDomain split;
  split.label = labels[labels.size() - suffix_labels - 1];
  for (std::size_t i = labels.size() - suffix_labels; i < labels.size(); ++i) {
    if (!split.suffix.empty()) split.suffix += '.';
    split.suffix += labels[i];
  }
  return split;
}

std::string as_read(std::string_view label) {
  std::string read;
  for (const char c : label) {
    switch (c) {
      case '-': break;
      case '0': read += 'o'; break;
      case '1': read += 'l'; break;
      case '3': read += 'e'; break;
      case '5': read += 's'; break;
      default: read += c;
    }
  }
  std::string merged;
  for (std::size_t i = 0; i < read.size(); ++i) {
    if (i + 1 < read.size() && read[i] == 'r' && read[i + 1] == 'n') {
      merged += 'm';
      ++i;
    } else if (i + 1 < read.size() && read[i] == 'v' && read[i + 1] == 'v') {
      merged += 'w';
      ++i;
    } else {
      merged += read[i];
    }
  }
  return merged;
}

std::optional<std::string> read_label_of(std::string_view protected_domain) {
  const std::optional<SplitDomain> split = split_registrable(protected_domain);
  if (!split) return std::nullopt;
  return as_read(split->label);
}

bool is_same_or_subdomain(std::string_view domain, std::string_view protected_domain) {
  if (domain == protected_domain) return true;
  return domain.size() > protected_domain.size() && domain.ends_with(protected_domain) &&
         domain[domain.size() - protected_domain.size() - 1] == '.';
}

bool embeds_as_labels(std::string_view domain, std::string_view protected_domain) {
  std::size_t position = 0;
  while ((position = domain.find(protected_domain, position)) != std::string_view::npos) {
    const std::size_t end = position + protected_domain.size();
    const bool starts_label = position == 0 || domain[position - 1] == '.';
    if (starts_label && end < domain.size() && domain[end] == '.') return true;
    ++position;
  }
  return false;
}

std::size_t allowed_edits(std::size_t read_length) {
  if (read_length >= kMinLabelForTwoEdits) return 2;
  if (read_length >= kMinLabelForOneEdit) return 1;
  return 0;
}

bool imitates(std::string_view domain, std::string_view read_candidate, std::string_view protected_domain,
              const std::optional<std::string>& read_original, std::size_t edit_cap) {
  if (embeds_as_labels(domain, protected_domain)) return true;
  if (!read_original) return false;
  // Same name under another suffix, or with hyphens or confusable letters.
  if (read_candidate == *read_original) return true;
  const std::size_t allowed = std::min(allowed_edits(read_original->size()), edit_cap);
  if (allowed == 0) return false;
  const std::size_t length_gap = read_candidate.size() > read_original->size()
                                     ? read_candidate.size() - read_original->size()
                                     : read_original->size() - read_candidate.size();
  return length_gap <= allowed && edit_distance(read_candidate, *read_original) <= allowed;
}

}  // namespace lookalike_rules

std::size_t edit_distance(std::string_view a, std::string_view b) {
  const std::size_t rows = a.size() + 1;
  const std::size_t columns = b.size() + 1;
  std::vector<std::size_t> d(rows * columns);
  const auto at = [&](std::size_t i, std::size_t j) -> std::size_t& { return d[i * columns + j]; };
  for (std::size_t i = 0; i < rows; ++i) at(i, 0) = i;
  for (std::size_t j = 0; j < columns; ++j) at(0, j) = j;
  for (std::size_t i = 1; i < rows; ++i) {
    for (std::size_t j = 1; j < columns; ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      at(i, j) = std::min({at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        at(i, j) = std::min(at(i, j), at(i - 2, j - 2) + 1);
      }
    }
  }
  return at(a.size(), b.size());
}

std::optional<std::string> imitated_domain(std::string_view domain,
                                           const std::vector<std::string>& protected_domains) {
  using namespace lookalike_rules;
  const std::string lower = query_form(domain);
  for (const std::string& protected_domain : protected_domains) {
    if (is_same_or_subdomain(lower, protected_domain)) return std::nullopt;
  }
  const std::optional<SplitDomain> candidate = split_registrable(lower);
  if (!candidate) return std::nullopt;
  const std::string read_candidate = as_read(candidate->label);
  for (const std::string& protected_domain : protected_domains) {
    if (imitates(lower, read_candidate, protected_domain, read_label_of(protected_domain), kNoEditCap)) {
      return protected_domain;
    }
  }
  return std::nullopt;
}

}  // namespace privmilter
