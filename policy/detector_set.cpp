#include "detector_set.h"

#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>

#include "prefilter_translation.h"
#include "utf8.h"
#include "vectorscan_database.h"

namespace privmilter {
namespace {

// The database expressions of one detector, or nothing when it must
// always run.
std::optional<std::vector<VectorscanExpression>> database_expressions(const TextMatcher& matcher, unsigned id,
                                                                      PrefilterTranslator& translator) {
  const std::vector<PrefilterExpression> prefilters = matcher.prefilter_expressions();
  if (prefilters.empty()) return std::nullopt;
  std::vector<VectorscanExpression> expressions;
  std::set<std::string> seen;  // a phrase list may name a phrase twice
  for (const PrefilterExpression& prefilter : prefilters) {
    std::optional<VectorscanPrefilter> translated = translator.translate(prefilter);
    if (!translated) return std::nullopt;
    if (seen.insert(translated->pattern).second) {
      expressions.push_back({std::move(translated->pattern), id, translated->has_literal});
    }
  }
  return expressions;
}

// Runs one detector over one segment, keeping what scan() promises.
void collect(const TextMatcher& matcher, std::size_t segment, std::string_view text, std::size_t max_hits,
             std::vector<DetectorHit>& hits) {
  std::unordered_map<std::string, std::size_t> kept_per_identity;
  matcher.scan(text, [&](TextMatch match) {
    const auto [entry, first] = kept_per_identity.try_emplace(match.identity, 0);
    if (entry->second < DetectorSet::kRepeatsKeptPerSegment) {
      ++entry->second;
      hits.push_back({segment, std::move(match)});
    }
    return hits.size() < max_hits;
  });
}

}  // namespace

DetectorSet::DetectorSet(std::vector<std::shared_ptr<const TextMatcher>> matchers,
                         std::vector<unsigned char> always_runs, std::unique_ptr<const VectorscanDatabase> database,
                         DetectorSetOptions options)
    : matchers_(std::move(matchers)),
      always_runs_(std::move(always_runs)),
      database_(std::move(database)),
      options_(options) {}

DetectorSet::~DetectorSet() = default;

Result<std::unique_ptr<const DetectorSet>> DetectorSet::compile(
    std::vector<std::shared_ptr<const TextMatcher>> matchers, DetectorSetOptions options) {
  std::set<const TextMatcher*> distinct;
  for (const auto& matcher : matchers) {
    if (!matcher) return make_error("detector set: no matcher given");
    if (!distinct.insert(matcher.get()).second) {
      return make_error("detector set: " + matcher->detector() + " given twice");
    }
  }
  if (matchers.size() > std::numeric_limits<unsigned>::max()) return make_error("detector set: too many detectors");

  std::vector<unsigned char> always_runs(matchers.size(), 0);
  std::vector<VectorscanExpression> expressions;
  PrefilterTranslator translator;
  for (std::size_t index = 0; index < matchers.size(); ++index) {
    std::optional<std::vector<VectorscanExpression>> own =
        database_expressions(*matchers[index], static_cast<unsigned>(index), translator);
    if (!own) {
      always_runs[index] = 1;
      continue;
    }
    expressions.insert(expressions.end(), std::make_move_iterator(own->begin()), std::make_move_iterator(own->end()));
  }

  Result<VectorscanDatabase::Compiled> compiled = VectorscanDatabase::compile(std::move(expressions));
  if (!compiled.ok()) return compiled.error();
  for (const unsigned refused : compiled->refused_ids) always_runs[refused] = 1;
  return std::unique_ptr<const DetectorSet>(std::make_unique<const DetectorSet>(
      std::move(matchers), std::move(always_runs), std::move(compiled->database), options));
}

void DetectorSet::find_candidates(std::string_view text, std::vector<unsigned char>& candidates) const {
  std::copy(always_runs_.begin(), always_runs_.end(), candidates.begin());
  // Vectorscan's answer is undefined on invalid UTF-8 for HS_FLAG_UTF8
  // expressions: such text gets every detector, as do texts too long for it.
  const bool prefiltered = database_ && text.size() <= options_.max_prefiltered_length && is_valid_utf8(text) &&
                           database_->mark_matches(text, candidates);
  if (!prefiltered) std::fill(candidates.begin(), candidates.end(), 1);
}

std::vector<std::vector<DetectorHit>> DetectorSet::scan(const std::vector<std::string_view>& segments,
                                                        std::size_t max_hits_per_detector) const {
  std::vector<std::vector<DetectorHit>> hits(matchers_.size());
  if (max_hits_per_detector == 0) return hits;
  std::vector<unsigned char> candidates(matchers_.size());
  std::size_t detectors_at_cap = 0;
  for (std::size_t segment = 0; segment < segments.size() && detectors_at_cap < matchers_.size(); ++segment) {
    const std::string_view text = segments[segment];
    if (text.empty()) {
      // Nothing for the database to find; detectors that always run get
      // their say all the same.
      std::copy(always_runs_.begin(), always_runs_.end(), candidates.begin());
    } else {
      find_candidates(text, candidates);
    }
    for (std::size_t detector = 0; detector < matchers_.size(); ++detector) {
      if (candidates[detector] == 0 || hits[detector].size() >= max_hits_per_detector) continue;
      collect(*matchers_[detector], segment, text, max_hits_per_detector, hits[detector]);
      if (hits[detector].size() >= max_hits_per_detector) ++detectors_at_cap;
    }
  }
  return hits;
}

}  // namespace privmilter
