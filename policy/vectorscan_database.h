#pragma once
// Vectorscan block-mode databases and the scratch space their scans need,
// behind RAII. Only detector_set.cpp uses it; nothing outside policy/
// sees Vectorscan.
//
// Vectorscan's compile time grows much faster than linearly with the
// number of expressions without a literal compiled together (100 regexes
// such as an e-mail address pattern take seconds, 400 close to a minute),
// but about linearly for expressions with one, which it finds first. So
// expressions with a literal all go into one database, the others into
// databases of at most kMaxExpressionsPerDatabase each: compile time stays
// linear, at one more pass over the text per such database.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "privmilter/result.h"

namespace privmilter {

struct VectorscanExpression {
  std::string pattern;   // compiled with HS_FLAG_UTF8 | HS_FLAG_PREFILTER
  unsigned id = 0;       // reported with its matches; several expressions may share one
  bool has_literal = false;  // every match contains a literal of 3 or more characters
  // Only its first match is reported (HS_FLAG_SINGLEMATCH): enough when
  // where it matches does not matter.
  bool first_match_only = false;
};

// Receives the matches of a scan: the expression's id and the offset just
// past the match. Returns false to stop the scan.
class VectorscanMatchSink {
 public:
  virtual bool on_match(unsigned id, std::size_t end) = 0;

 protected:
  ~VectorscanMatchSink() = default;
};

class VectorscanDatabase {
 public:
  static constexpr std::size_t kMaxExpressionsPerDatabase = 32;  // without a literal

  struct Compiled {
    std::unique_ptr<const VectorscanDatabase> database;  // null when nothing was compiled
    std::vector<unsigned> refused_ids;  // ids with an expression Vectorscan refused: what is marked
                                        // for them is incomplete
  };

  // Never fails for a refused expression: its id is reported instead.
  // Errors are for resources (memory).
  static Result<Compiled> compile(std::vector<VectorscanExpression> expressions);

  ~VectorscanDatabase();
  VectorscanDatabase(const VectorscanDatabase&) = delete;
  VectorscanDatabase& operator=(const VectorscanDatabase&) = delete;

  // The longest match of `pattern` (as compiled here), in bytes; nothing
  // when unbounded or when Vectorscan cannot tell.
  static std::optional<std::size_t> max_match_bytes(const std::string& pattern);

  // Reports every match in `text` (valid UTF-8) to `sink`: for each
  // expression, every offset at which one of its matches ends (only the
  // first for first_match_only), not necessarily in order of offset.
  // False when the text could not be scanned (longer than Vectorscan
  // takes, out of memory): what was reported is then incomplete. Safe to
  // call from many threads at once.
  bool scan(std::string_view text, VectorscanMatchSink& sink) const;

  struct Handles;  // defined where Vectorscan's header is included
  explicit VectorscanDatabase(std::unique_ptr<Handles> handles);

 private:
  std::unique_ptr<Handles> handles_;
};

}  // namespace privmilter
