#pragma once
// The regular expression behind a phrase list, shared by phrase lists and
// by the proximity keywords of identifier conditions, so both read phrases
// the same way (case, word boundaries, runs of whitespace).

#include <re2/re2.h>

#include <memory>
#include <string>
#include <vector>

#include "privmilter/result.h"

namespace privmilter {

struct PhraseAlternation {
  std::unique_ptr<RE2> regex;        // capture group i + 1 is phrases[i]; the match may
                                     // include one boundary character on either side
  std::vector<std::string> phrases;  // trimmed, longest first
};

Result<PhraseAlternation> compile_phrase_alternation(const std::vector<std::string>& phrases);

}  // namespace privmilter
