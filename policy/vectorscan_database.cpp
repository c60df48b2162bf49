#include "vectorscan_database.h"

#include <hs.h>

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <mutex>
#include <set>
#include <utility>

namespace privmilter {
namespace {

// HS_FLAG_PREFILTER lets Vectorscan accept and approximate constructs it
// cannot match exactly (large bounded repeats); the matches it reports are
// a superset of the exact expression's, end offsets included.
constexpr unsigned kExpressionFlags = HS_FLAG_UTF8 | HS_FLAG_PREFILTER;

// SINGLEMATCH stops Vectorscan reporting an expression again once it has
// matched.
unsigned flags_of(const VectorscanExpression& expression) {
  return kExpressionFlags | (expression.first_match_only ? HS_FLAG_SINGLEMATCH : 0u);
}
// Each refused expression costs a whole recompilation. After this many,
// every remaining expression is first checked on its own.
constexpr int kRecompilationsBeforeScreening = 4;
constexpr int kMaxCompilations = 16;

struct DatabaseDeleter {
  void operator()(hs_database_t* database) const { hs_free_database(database); }
};
struct ScratchDeleter {
  void operator()(hs_scratch_t* scratch) const { hs_free_scratch(scratch); }
};
struct CompileErrorDeleter {
  void operator()(hs_compile_error_t* error) const { hs_free_compile_error(error); }
};
struct ExpressionInfoDeleter {
  void operator()(hs_expr_info_t* info) const { std::free(info); }  // allocated by Vectorscan with malloc
};
using DatabaseHandle = std::unique_ptr<hs_database_t, DatabaseDeleter>;
using ScratchHandle = std::unique_ptr<hs_scratch_t, ScratchDeleter>;
using CompileErrorHandle = std::unique_ptr<hs_compile_error_t, CompileErrorDeleter>;
using ExpressionInfoHandle = std::unique_ptr<hs_expr_info_t, ExpressionInfoDeleter>;

// Scratch space serves one scan at a time. Scans borrow a clone of the
// prototype and give it back, so a pool grows to the number of threads
// that ever scanned at once.
class ScratchPool {
 public:
  explicit ScratchPool(ScratchHandle prototype) : prototype_(std::move(prototype)) {}

  ScratchHandle borrow() {
    {
      const std::lock_guard lock(mutex_);
      if (!idle_.empty()) {
        ScratchHandle scratch = std::move(idle_.back());
        idle_.pop_back();
        return scratch;
      }
    }
    hs_scratch_t* clone = nullptr;
    if (hs_clone_scratch(prototype_.get(), &clone) != HS_SUCCESS) return nullptr;
    return ScratchHandle(clone);
  }

  void give_back(ScratchHandle scratch) {
    const std::lock_guard lock(mutex_);
    idle_.push_back(std::move(scratch));
  }

 private:
  ScratchHandle prototype_;
  std::mutex mutex_;
  std::vector<ScratchHandle> idle_;
};

int on_match(unsigned int id, unsigned long long /*from*/, unsigned long long to, unsigned int /*flags*/,
             void* context) {
  // Non-zero stops the scan.
  return static_cast<VectorscanMatchSink*>(context)->on_match(id, static_cast<std::size_t>(to)) ? 0 : 1;
}

// Most of what hs_compile_multi would refuse, for one expression, at a
// fraction of the cost of compiling.
bool compiles_alone(const VectorscanExpression& expression) {
  hs_expr_info_t* info = nullptr;
  hs_compile_error_t* error = nullptr;
  if (hs_expression_info(expression.pattern.c_str(), flags_of(expression), &info, &error) != HS_SUCCESS) {
    const CompileErrorHandle release(error);
    return false;
  }
  const ExpressionInfoHandle release(info);
  return info->min_width > 0;  // without HS_FLAG_ALLOWEMPTY, matching the empty string is refused
}

// Compiles one database from `expressions`, leaving out (and adding to
// `refused`) the ids of the expressions Vectorscan refuses. Null when
// nothing is left.
DatabaseHandle compile_database(std::vector<VectorscanExpression> expressions, std::set<unsigned>& refused) {
  const auto refuse = [&](const auto& is_refused) {
    for (const VectorscanExpression& expression : expressions) {
      if (is_refused(expression)) refused.insert(expression.id);
    }
    std::erase_if(expressions, [&](const VectorscanExpression& expression) { return refused.contains(expression.id); });
  };
  const auto refuse_all = [&] { refuse([](const VectorscanExpression&) { return true; }); };
  const auto refuse_each_failing_alone = [&] {
    refuse([](const VectorscanExpression& expression) { return !compiles_alone(expression); });
  };

  bool screened = false;
  for (int compilation = 0; !expressions.empty(); ++compilation) {
    if (compilation == kMaxCompilations) {
      refuse_all();
      break;
    }
    if (!screened && compilation == kRecompilationsBeforeScreening) {
      refuse_each_failing_alone();
      screened = true;
      continue;
    }
    std::vector<const char*> patterns;
    std::vector<unsigned> ids;
    std::vector<unsigned> flags;
    for (const VectorscanExpression& expression : expressions) {
      patterns.push_back(expression.pattern.c_str());
      ids.push_back(expression.id);
      flags.push_back(flags_of(expression));
    }
    hs_database_t* database = nullptr;
    hs_compile_error_t* error = nullptr;
    if (hs_compile_multi(patterns.data(), flags.data(), ids.data(), static_cast<unsigned>(expressions.size()),
                         HS_MODE_BLOCK, nullptr, &database, &error) == HS_SUCCESS) {
      return DatabaseHandle(database);
    }
    const CompileErrorHandle release(error);
    const int culprit = error != nullptr ? error->expression : -1;
    if (culprit >= 0 && static_cast<std::size_t>(culprit) < expressions.size()) {
      const unsigned id = expressions[static_cast<std::size_t>(culprit)].id;
      refuse([id](const VectorscanExpression& expression) { return expression.id == id; });
    } else if (!screened) {
      // Not one expression's fault as far as Vectorscan can tell; maybe several.
      refuse_each_failing_alone();
      screened = true;
    } else {
      refuse_all();
    }
  }
  return nullptr;
}

// Expressions with a literal together, the others
// kMaxExpressionsPerDatabase at a time.
// Kept apart from the literals even when few: beside them, Vectorscan runs
// them alongside its literal matcher and the one pass costs more than two
// (1.8 against 1.2 ms per MiB for the shipped policy's phrases and its two
// digit patterns).
std::vector<std::vector<VectorscanExpression>> partition(std::vector<VectorscanExpression> expressions) {
  std::vector<std::vector<VectorscanExpression>> groups(1);
  std::size_t in_last_group = VectorscanDatabase::kMaxExpressionsPerDatabase;  // the literals' group is not theirs
  for (VectorscanExpression& expression : expressions) {
    if (expression.has_literal) {
      groups.front().push_back(std::move(expression));
      continue;
    }
    if (in_last_group == VectorscanDatabase::kMaxExpressionsPerDatabase) {
      groups.emplace_back();
      in_last_group = 0;
    }
    groups.back().push_back(std::move(expression));
    ++in_last_group;
  }
  return groups;
}

}  // namespace

struct VectorscanDatabase::Handles {
  Handles(std::vector<DatabaseHandle> compiled, ScratchHandle prototype)
      : databases(std::move(compiled)), scratch(std::move(prototype)) {}

  std::vector<DatabaseHandle> databases;
  ScratchPool scratch;  // serves every database
};

VectorscanDatabase::VectorscanDatabase(std::unique_ptr<Handles> handles) : handles_(std::move(handles)) {}
VectorscanDatabase::~VectorscanDatabase() = default;

Result<VectorscanDatabase::Compiled> VectorscanDatabase::compile(std::vector<VectorscanExpression> expressions) {
  std::set<unsigned> refused;
  std::vector<DatabaseHandle> databases;
  if (hs_valid_platform() != HS_SUCCESS) {  // a CPU Vectorscan does not support
    for (const VectorscanExpression& expression : expressions) refused.insert(expression.id);
  } else {
    for (std::vector<VectorscanExpression>& group : partition(std::move(expressions))) {
      DatabaseHandle database = compile_database(std::move(group), refused);
      if (database) databases.push_back(std::move(database));
    }
  }

  Compiled result;
  result.refused_ids.assign(refused.begin(), refused.end());
  if (databases.empty()) return result;

  // One scratch space, grown to fit every database.
  hs_scratch_t* prototype = nullptr;
  for (const DatabaseHandle& database : databases) {
    if (hs_alloc_scratch(database.get(), &prototype) != HS_SUCCESS) {
      hs_free_scratch(prototype);
      return make_error("cannot allocate Vectorscan scratch space");
    }
  }
  result.database = std::make_unique<const VectorscanDatabase>(
      std::make_unique<Handles>(std::move(databases), ScratchHandle(prototype)));
  return result;
}

std::optional<std::size_t> VectorscanDatabase::max_match_bytes(const std::string& pattern) {
  hs_expr_info_t* info = nullptr;
  hs_compile_error_t* error = nullptr;
  if (hs_expression_info(pattern.c_str(), kExpressionFlags, &info, &error) != HS_SUCCESS) {
    const CompileErrorHandle release(error);
    return std::nullopt;
  }
  const ExpressionInfoHandle release(info);
  if (info->max_width == std::numeric_limits<unsigned int>::max()) return std::nullopt;
  return info->max_width;
}

bool VectorscanDatabase::scan(std::string_view text, VectorscanMatchSink& sink) const {
  if (text.size() > std::numeric_limits<unsigned int>::max()) return false;
  ScratchHandle scratch = handles_->scratch.borrow();
  if (!scratch) return false;
  bool scanned = true;
  for (const DatabaseHandle& database : handles_->databases) {
    const hs_error_t status = hs_scan(database.get(), text.data(), static_cast<unsigned int>(text.size()), 0,
                                      scratch.get(), on_match, &sink);
    if (status == HS_SCAN_TERMINATED) break;  // the sink has learnt enough
    if (status != HS_SUCCESS) {
      scanned = false;
      break;
    }
  }
  handles_->scratch.give_back(std::move(scratch));
  return scanned;
}

}  // namespace privmilter
