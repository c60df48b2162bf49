#pragma once
// Shell-style wildcards for attachment names, types and reasons in policy
// conditions: '*' is any run of characters (also none), '?' exactly one
// character, everything else itself. No brackets or escapes: file names
// contain '[' often enough that treating it as syntax would surprise.

#include <string_view>

namespace privmilter {

// Letters compare without regard to case (ASCII letters only: content types
// and reasons are ASCII, and so are the extensions administrators match).
// '?' and '*' step over whole UTF-8 characters, so "?.pdf" matches "é.pdf".
bool glob_matches(std::string_view pattern, std::string_view text);

}  // namespace privmilter
