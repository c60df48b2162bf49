#pragma once
// Every text detector of a policy behind one Vectorscan database, so that
// scanning a message costs one pass over each segment however many
// phrases and patterns the policy has. The database is a prefilter: it
// holds each detector's prefilter expressions (TextMatcher::
// prefilter_expressions, rewritten by prefilter_translation.h so that it
// cannot miss what RE2 would find) and tells which detectors may match a
// segment, and where; only those run their own exact scan, and where the
// matcher says how far its findings reach from a match (match_windows.h)
// only over the text around the matches. Identifiers find their
// candidates from the segment's groups of digits instead (digit_groups.h).
// Findings are therefore always the detectors' own, with RE2's semantics
// and linear time; Vectorscan only skips text that cannot hold them.

#include <cstddef>
#include <limits>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "match_windows.h"
#include "privmilter/result.h"
#include "text_matcher.h"

namespace privmilter {

class VectorscanDatabase;

struct DetectorHit {
  std::size_t segment = 0;  // index into the scanned segments
  TextMatch match;
};

struct DetectorSetOptions {
  // Longer segments are not prefiltered (Vectorscan takes lengths as
  // unsigned int): every detector runs its own scan on them.
  std::size_t max_prefiltered_length = std::numeric_limits<unsigned int>::max();
  // Up to this many phrases (all lists together) go into the database
  // whole, which finds them at about the cost of their rarest word; more
  // are cut down to their longest word, which compiles in about half the
  // time (prefilter_translation.h) and costs an exact search wherever the
  // word is found.
  std::size_t max_whole_phrases = 1000;
};

class DetectorSet {  // immutable after compile; shared by all threads
 public:
  // Findings with the same identity kept per detector and segment; the rest
  // of the repeats are dropped (see scan). At least the evaluator's
  // evidence cap, so that the first findings of any choice of segments are
  // all kept.
  static constexpr std::size_t kRepeatsKeptPerSegment = 5;

  // matchers: every text detector of a policy, each at most once; index =
  // position. A detector whose prefilter expressions cannot all be put in
  // the database (none given, an RE2 construct with no Vectorscan
  // counterpart such as \C, or refused by Vectorscan) always runs. Errors:
  // a null or repeated matcher, or Vectorscan out of memory.
  static Result<std::unique_ptr<const DetectorSet>> compile(
      std::vector<std::shared_ptr<const TextMatcher>> matchers, DetectorSetOptions options = {});

  ~DetectorSet();
  DetectorSet(const DetectorSet&) = delete;
  DetectorSet& operator=(const DetectorSet&) = delete;

  std::size_t size() const { return matchers_.size(); }
  const TextMatcher& matcher(std::size_t index) const { return *matchers_[index]; }
  bool always_runs(std::size_t index) const { return always_runs_[index] != 0; }  // could not be prefiltered

  // One Vectorscan pass per segment finds the candidate detectors and
  // where they may find something; each candidate then runs its exact scan
  // there (or on the whole segment). The result is indexed by detector,
  // each detector's hits in segment and text order, the same as every
  // detector scanning every segment whole would give.
  //
  // What is kept, per detector: every finding with an identity not yet
  // seen in that segment, and repeats of an identity up to
  // kRepeatsKeptPerSegment per segment; the scan of a detector stops once
  // it keeps `max_hits_per_detector` hits (across all segments). So every
  // distinct identity is kept until the cap is reached, however often
  // another one repeats, and for any subset of the segments the first
  // kRepeatsKeptPerSegment findings are the ones its own scans would give
  // first. Once the cap is reached, later findings of that detector, new
  // identities included, are not looked for.
  //
  // Segments that are not valid UTF-8 or longer than
  // max_prefiltered_length are not prefiltered: every detector scans them
  // whole.
  std::vector<std::vector<DetectorHit>> scan(const std::vector<std::string_view>& segments,
                                             std::size_t max_hits_per_detector) const;

  // For compile() only. rules: by Vectorscan expression id.
  DetectorSet(std::vector<std::shared_ptr<const TextMatcher>> matchers, std::vector<unsigned char> always_runs,
              std::vector<WindowRule> rules, std::unique_ptr<const VectorscanDatabase> database,
              DetectorSetOptions options);

  struct SegmentPlan;  // per-thread scratch of scan()

 private:
  // Decides, for each detector, whether and where it scans `text`.
  void plan_segment(std::string_view text, SegmentPlan& plan) const;

  std::vector<std::shared_ptr<const TextMatcher>> matchers_;
  std::vector<unsigned char> always_runs_;
  std::vector<WindowRule> rules_;
  std::vector<unsigned char> locates_candidates_;  // finds its own candidates from digit groups
  std::optional<std::size_t> fewest_candidate_digits_;  // of those that do
  std::size_t detectors_in_database_ = 0;  // that do not always run
  std::unique_ptr<const VectorscanDatabase> database_;  // null when no expression is in one
  DetectorSetOptions options_;
};

}  // namespace privmilter
