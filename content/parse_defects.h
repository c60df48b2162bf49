#pragma once
// Collects the parse problems noticed in one message. Entries are short fixed
// descriptions (plus MIME paths and limits), never message content.

#include <gmime/gmime.h>

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace privmilter::content {

class DefectLog {
 public:
  // Repeated descriptions are recorded once; after kMaxDefects distinct
  // entries a single "too many defects" entry ends the list.
  void note(std::string description);
  std::vector<std::string> take() { return std::move(entries_); }

  static constexpr std::size_t kMaxDefects = 64;

 private:
  std::vector<std::string> entries_;
  bool overflowed_ = false;
};

// Routes GMime parser warnings for everything parsed with `options` into
// `log`, which must outlive every object parsed with those options (GMime
// decodes some headers lazily and may warn then).
void report_parser_warnings_to(GMimeParserOptions* options, DefectLog& log);

// Fixed description of a GMime parser warning code.
std::string describe_parser_warning(GMimeParserWarning code);

}  // namespace privmilter::content
