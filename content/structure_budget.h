#pragma once
// A pre-parse bound on MIME structure. GMime builds an object for every
// header line and every part before the walker can apply limits.max_parts,
// so a message made of millions of empty parts or header lines, or of huge
// address lists in an attached message's headers, would cost gigabytes. A cheap line scan decides
// how much of the message the parser may see.

#include <gmime/gmime.h>

#include <cstddef>

#include "privmilter/config.h"

namespace privmilter::content {

struct StructureBudget {
  std::size_t max_boundary_lines;  // lines starting with "--"
  std::size_t max_header_lines;    // lines inside header blocks
  std::size_t max_header_bytes;    // their total length: address lists and
                                   // parameters cost far more parsed than raw
};

// Generous multiples of limits.max_parts: legitimate mail stays far below.
StructureBudget structure_budget_for(const ContentLimits& limits);

// Byte length of the prefix of `stream` that stays within `budget`: the
// whole stream, or the offset of the first line over budget. Header blocks
// are approximated as the lines from the message start, after a "--" line,
// or after a header block that announces message/* (or is empty, as in a
// digest), up to the next blank line. Leaves the stream reset.
std::size_t structurally_bounded_length(GMimeStream* stream, const StructureBudget& budget);

}  // namespace privmilter::content
