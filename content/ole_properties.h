#pragma once
// Document properties (title, author, company, ...) from the property-set
// streams of an OLE file: "\005SummaryInformation" and
// "\005DocumentSummaryInformation" ([MS-OLEPS]). A small bounded parser of
// our own: libgsf's prints its complaints about damaged streams to stdout.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace privmilter::content {

// The string properties privmilter reports, as ("author", "Jane") pairs, in
// stream order. Damaged or truncated streams give what could be read.
std::vector<std::pair<std::string, std::string>> read_ole_properties(std::string_view stream);

}  // namespace privmilter::content
