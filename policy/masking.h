#pragma once
// Masking what a pattern matched before it goes into evidence, so audit
// logs and quarantine records show where a rule fired without repeating
// the personal data that made it fire.

#include <cstddef>
#include <string>
#include <string_view>

namespace privmilter {

// Replaces every letter and digit (and every non-ASCII character) with '*';
// a match of 8 or more characters keeps its last 2 as written, so
// "123-45-6789" becomes "***-**-**89". Control characters become spaces,
// and very long matches are cut short and end in "...".
std::string mask_match(std::string_view match);

// For identifiers, whose tail is how people tell them apart: masks every
// letter and digit except the last `revealed` of them and keeps the
// separators, so a card shows as "****-****-****-1111". Characters other
// than ASCII letters, digits, spaces and dashes are masked too.
std::string mask_all_but_last(std::string_view match, std::size_t revealed);

}  // namespace privmilter
