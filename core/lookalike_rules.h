#pragma once
// The lookalike rules shared by imitated_domain() and LookalikeIndex, so
// that the index confirms its candidates with exactly the same tests.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace privmilter::lookalike_rules {

struct SplitDomain {
  std::string label;   // the registrable label: "examplelaw"
  std::string suffix;  // what follows it: "com", "co.uk"
};

// No limit on edits beyond what the label length allows.
constexpr std::size_t kNoEditCap = static_cast<std::size_t>(-1);

// Lowercase, without a trailing root dot: the form every rule compares.
std::string query_form(std::string_view domain);
std::optional<SplitDomain> split_registrable(std::string_view domain);
// What a reader sees: digits that pass for letters, letter pairs that pass
// for one letter, and no hyphens.
std::string as_read(std::string_view label);
// The read registrable label of a protected domain; none when it has none.
std::optional<std::string> read_label_of(std::string_view protected_domain);
bool is_same_or_subdomain(std::string_view domain, std::string_view protected_domain);
// "examplelaw.com.evil.example": the protected name as leading labels of a
// domain registered by someone else.
bool embeds_as_labels(std::string_view domain, std::string_view protected_domain);
// Edits allowed between read labels when the protected one has this length.
std::size_t allowed_edits(std::size_t read_length);

// Whether `domain` (query form, registrable label read as `read_candidate`)
// imitates `protected_domain` (read label `read_original`), counting at
// most `edit_cap` edits.
bool imitates(std::string_view domain, std::string_view read_candidate, std::string_view protected_domain,
              const std::optional<std::string>& read_original, std::size_t edit_cap);

}  // namespace privmilter::lookalike_rules
