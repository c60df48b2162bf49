#include "detector_set.h"

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>

#include "digit_groups.h"
#include "prefilter_translation.h"
#include "utf8.h"
#include "vectorscan_database.h"

namespace privmilter {

// Whether and where each detector scans one segment. One per thread,
// reused, so that a warm scan allocates nothing here.
struct DetectorSet::SegmentPlan {
  enum Mode : unsigned char { skip, within_windows, whole };

  std::vector<unsigned char> mode;  // by detector
  std::vector<WindowList> windows;  // by detector, for within_windows
  std::vector<DigitGroup> digit_groups;

  void reset(const std::vector<unsigned char>& always_runs) {
    // Hostile text can leave a detector with many windows: not kept.
    constexpr std::size_t kWindowsKept = 1024;
    mode.resize(always_runs.size());
    windows.resize(always_runs.size());
    for (std::size_t detector = 0; detector < always_runs.size(); ++detector) {
      mode[detector] = always_runs[detector] != 0 ? whole : skip;
      windows[detector].clear();
      if (windows[detector].raw().capacity() > kWindowsKept) windows[detector].raw().shrink_to_fit();
    }
    if (digit_groups.capacity() > kWindowsKept) digit_groups = {};
  }

  void scan_everything_whole() { std::fill(mode.begin(), mode.end(), whole); }
};

namespace {

using SegmentPlan = DetectorSet::SegmentPlan;

// Turns Vectorscan's matches into each detector's windows, or into a whole
// scan of the segment once windows stop paying.
class WindowCollector final : public VectorscanMatchSink {
 public:
  WindowCollector(std::string_view text, const std::vector<WindowRule>& rules, SegmentPlan& plan,
                  std::size_t detectors_in_database)
      : text_(text),
        rules_(rules),
        plan_(plan),
        max_windows_(max_windows_for(text.size())),
        not_yet_whole_(detectors_in_database) {}

  bool on_match(unsigned id, std::size_t end) override {
    const WindowRule& rule = rules_[id];
    unsigned char& mode = plan_.mode[rule.detector];
    if (mode == SegmentPlan::whole) return true;
    WindowList& windows = plan_.windows[rule.detector];
    const std::optional<TextWindow> window =
        windows.size() < max_windows_ ? window_of_match(text_, end, rule) : std::nullopt;
    if (!window) {
      mode = SegmentPlan::whole;
      windows.clear();
      // Nothing is left to learn once every detector scans the whole segment.
      return --not_yet_whole_ > 0;
    }
    windows.add(*window);
    mode = SegmentPlan::within_windows;
    return true;
  }

 private:
  std::string_view text_;
  const std::vector<WindowRule>& rules_;
  SegmentPlan& plan_;
  std::size_t max_windows_;
  std::size_t not_yet_whole_;
};

// What the database needs of one prefilter expression: how far its
// matcher's findings reach from its matches.
WindowRule window_rule(const PrefilterExpression& prefilter, const VectorscanPrefilter& translated,
                       std::size_t detector) {
  WindowRule rule;
  rule.detector = detector;
  rule.margin = prefilter.margin;
  if (!prefilter.findings_around_match) return rule;
  if (prefilter.characters_outside_whitespace) {
    rule.reach = WindowRule::Reach::elastic;
    if (translated.whole) {
      rule.characters_before = *prefilter.characters_outside_whitespace;
    } else {
      rule.reported_characters = translated.kept_characters;
      rule.characters_before = translated.characters_before;
      rule.characters_after = translated.characters_after;
    }
  } else if (!translated.whole) {
    return rule;
  } else if (const std::optional<std::size_t> width = VectorscanDatabase::max_match_bytes(translated.pattern)) {
    rule.reach = WindowRule::Reach::bounded;
    rule.max_bytes = *width;
  } else if (translated.characters_outside_whitespace) {
    // Unbounded only by runs of whitespace ("matter\s+no"): RE2's \s is
    // phrase whitespace, which the walk crosses for free.
    rule.reach = WindowRule::Reach::elastic;
    rule.characters_before = *translated.characters_outside_whitespace;
  }
  return rule;
}

// The database expressions of one detector (ids from `rules.size()` on,
// their rules appended to `rules`), or nothing when it must always run.
std::optional<std::vector<VectorscanExpression>> database_expressions(
    const std::vector<PrefilterExpression>& prefilters, std::size_t detector, PrefilterTranslator& translator,
    std::vector<WindowRule>& rules) {
  if (prefilters.empty()) return std::nullopt;
  std::vector<VectorscanExpression> expressions;
  std::vector<WindowRule> own_rules;
  // A phrase list may name a phrase twice, and phrases cut down to one
  // word share it ("privileged and confidential", "confidential
  // information"): one expression, whose windows hold each one's findings.
  std::map<std::string, std::size_t, std::less<>> index_of_pattern;
  for (const PrefilterExpression& prefilter : prefilters) {
    std::optional<VectorscanPrefilter> translated = translator.translate(prefilter);
    if (!translated) return std::nullopt;
    const WindowRule rule = window_rule(prefilter, *translated, detector);
    const auto [known, added] = index_of_pattern.try_emplace(translated->pattern, expressions.size());
    if (!added) {
      WindowRule& shared = own_rules[known->second];
      shared = covering_both(shared, rule);
      expressions[known->second].first_match_only = shared.reach == WindowRule::Reach::segment;
      continue;
    }
    own_rules.push_back(rule);
    const auto id = static_cast<unsigned>(rules.size() + own_rules.size() - 1);
    const bool anywhere = rule.reach == WindowRule::Reach::segment;
    expressions.push_back({std::move(translated->pattern), id, translated->has_literal, anywhere});
  }
  rules.insert(rules.end(), own_rules.begin(), own_rules.end());
  return expressions;
}

// Runs one detector over one segment (whole, or within `windows`), keeping
// what scan() promises.
void collect(const TextMatcher& matcher, std::size_t segment, std::string_view text,
             const std::vector<TextWindow>* windows, std::size_t max_hits, std::vector<DetectorHit>& hits) {
  std::unordered_map<std::string, std::size_t> kept_per_identity;
  const MatchVisitor keep = [&](TextMatch match) {
    const auto [entry, first] = kept_per_identity.try_emplace(match.identity, 0);
    if (entry->second < DetectorSet::kRepeatsKeptPerSegment) {
      ++entry->second;
      hits.push_back({segment, std::move(match)});
    }
    return hits.size() < max_hits;
  };
  if (windows == nullptr) {
    matcher.scan(text, keep);
  } else {
    matcher.scan_within(text, *windows, keep);
  }
}

}  // namespace

DetectorSet::DetectorSet(std::vector<std::shared_ptr<const TextMatcher>> matchers,
                         std::vector<unsigned char> always_runs, std::vector<WindowRule> rules,
                         std::unique_ptr<const VectorscanDatabase> database, DetectorSetOptions options)
    : matchers_(std::move(matchers)),
      always_runs_(std::move(always_runs)),
      rules_(std::move(rules)),
      locates_candidates_(matchers_.size(), 0),
      database_(std::move(database)),
      options_(options) {
  std::vector<unsigned char> in_database(matchers_.size(), 0);
  for (const WindowRule& rule : rules_) in_database[rule.detector] = 1;
  for (std::size_t detector = 0; detector < matchers_.size(); ++detector) {
    if (always_runs_[detector] != 0) continue;
    if (in_database[detector] != 0) ++detectors_in_database_;
    if (const std::optional<std::size_t> digits = matchers_[detector]->candidate_digits()) {
      locates_candidates_[detector] = 1;
      fewest_candidate_digits_ = std::min(fewest_candidate_digits_.value_or(*digits), *digits);
    }
  }
}

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

  std::vector<std::vector<PrefilterExpression>> prefilters(matchers.size());
  std::size_t phrases = 0;
  for (std::size_t index = 0; index < matchers.size(); ++index) {
    if (matchers[index]->candidate_digits()) continue;
    prefilters[index] = matchers[index]->prefilter_expressions();
    for (const PrefilterExpression& prefilter : prefilters[index]) {
      if (prefilter.characters_outside_whitespace) ++phrases;
    }
  }

  std::vector<unsigned char> always_runs(matchers.size(), 0);
  std::vector<VectorscanExpression> expressions;
  std::vector<WindowRule> rules;
  PrefilterTranslator translator(phrases <= options.max_whole_phrases);
  for (std::size_t index = 0; index < matchers.size(); ++index) {
    if (matchers[index]->candidate_digits()) continue;
    std::optional<std::vector<VectorscanExpression>> own =
        database_expressions(prefilters[index], index, translator, rules);
    if (!own) {
      always_runs[index] = 1;
      continue;
    }
    expressions.insert(expressions.end(), std::make_move_iterator(own->begin()), std::make_move_iterator(own->end()));
  }
  if (rules.size() > std::numeric_limits<unsigned>::max()) return make_error("detector set: too many expressions");

  Result<VectorscanDatabase::Compiled> compiled = VectorscanDatabase::compile(std::move(expressions));
  if (!compiled.ok()) return compiled.error();
  for (const unsigned refused : compiled->refused_ids) always_runs[rules[refused].detector] = 1;
  return std::unique_ptr<const DetectorSet>(std::make_unique<const DetectorSet>(
      std::move(matchers), std::move(always_runs), std::move(rules), std::move(compiled->database), options));
}

void DetectorSet::plan_segment(std::string_view text, SegmentPlan& plan) const {
  plan.reset(always_runs_);
  // Nothing for the prefilters to find in an empty text; detectors that
  // always run get their say all the same.
  if (text.empty()) return;
  // Vectorscan's answer is undefined on invalid UTF-8 for HS_FLAG_UTF8
  // expressions: such text gets every detector, as do texts too long for it.
  if (text.size() > options_.max_prefiltered_length || !is_valid_utf8(text)) return plan.scan_everything_whole();
  if (database_ && detectors_in_database_ > 0) {
    WindowCollector collector(text, rules_, plan, detectors_in_database_);
    if (!database_->scan(text, collector)) return plan.scan_everything_whole();
  }
  if (!fewest_candidate_digits_) return;
  find_digit_groups(text, *fewest_candidate_digits_, plan.digit_groups);
  const std::size_t max_windows = max_windows_for(text.size());
  for (std::size_t detector = 0; detector < matchers_.size(); ++detector) {
    if (locates_candidates_[detector] == 0) continue;
    std::vector<TextWindow>& windows = plan.windows[detector].raw();
    if (!matchers_[detector]->candidate_windows(text, plan.digit_groups, max_windows, windows)) {
      plan.mode[detector] = SegmentPlan::whole;
      windows.clear();
    } else if (!windows.empty()) {
      plan.mode[detector] = SegmentPlan::within_windows;
    }
  }
}

std::vector<std::vector<DetectorHit>> DetectorSet::scan(const std::vector<std::string_view>& segments,
                                                        std::size_t max_hits_per_detector) const {
  std::vector<std::vector<DetectorHit>> hits(matchers_.size());
  if (max_hits_per_detector == 0) return hits;
  thread_local SegmentPlan plan;
  std::size_t detectors_at_cap = 0;
  for (std::size_t segment = 0; segment < segments.size() && detectors_at_cap < matchers_.size(); ++segment) {
    const std::string_view text = segments[segment];
    plan_segment(text, plan);
    for (std::size_t detector = 0; detector < matchers_.size(); ++detector) {
      if (plan.mode[detector] == SegmentPlan::skip || hits[detector].size() >= max_hits_per_detector) continue;
      const std::vector<TextWindow>* windows =
          plan.mode[detector] == SegmentPlan::within_windows ? &plan.windows[detector].merged() : nullptr;
      collect(*matchers_[detector], segment, text, windows, max_hits_per_detector, hits[detector]);
      if (hits[detector].size() >= max_hits_per_detector) ++detectors_at_cap;
    }
  }
  return hits;
}

}  // namespace privmilter
