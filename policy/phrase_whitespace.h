#pragma once
// The whitespace between the words of a phrase: a run of any characters
// of RE2's [\s\p{Z}], so a phrase wrapped over lines or joined by no-break
// spaces is still found. Which characters those are beyond ASCII is asked
// of RE2 itself, so that whatever its Unicode tables say, a walk over
// "whitespace" here never stops short of where RE2 would continue.

#include <string_view>

namespace privmilter {

// One character of it, in RE2 syntax; a phrase repeats it with '+'.
inline constexpr std::string_view kPhraseWhitespace = "[\\s\\p{Z}]";

// True for the characters kPhraseWhitespace matches. Thread-safe; the
// first call asks RE2 about every character beyond ASCII (milliseconds),
// so compiling a phrase matcher makes it.
bool is_phrase_whitespace(char32_t c);

}  // namespace privmilter
