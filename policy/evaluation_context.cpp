#include "evaluation_context.h"

#include <algorithm>
#include <string_view>

namespace privmilter {
namespace {

bool contains(const DetectorHit& outer, const DetectorHit& inner) {
  return outer.segment == inner.segment && outer.match.offset <= inner.match.offset &&
         inner.match.offset + inner.match.length <= outer.match.offset + outer.match.length;
}

// Drops the findings that lie inside a finding of the cancelling detector,
// e.g. "privileged and confidential" inside the firm's standard footer.
std::vector<DetectorHit> outside_of(std::vector<DetectorHit> hits, const std::vector<DetectorHit>& cancelling) {
  if (cancelling.empty()) return hits;
  std::erase_if(hits, [&](const DetectorHit& hit) {
    return std::any_of(cancelling.begin(), cancelling.end(),
                       [&](const DetectorHit& outer) { return contains(outer, hit); });
  });
  return hits;
}

}  // namespace

EvaluationContext::EvaluationContext(const Policy& policy, const MessageFacts& facts, const Envelope& envelope,
                                     const Directory& directory)
    : policy_(policy), facts_(facts), envelope_(envelope), directory_(directory) {
  scan_text();
  resolve_matters();
  classify_people();
}

void EvaluationContext::scan_text() {
  std::vector<std::string_view> texts;
  texts.reserve(facts_.segments.size());
  for (const TextSegment& segment : facts_.segments) texts.emplace_back(segment.text);
  hits_ = policy_.detector_set().scan(texts, kMaxHitsPerDetector);
  const auto& detectors = policy_.detectors();
  // Cancelling detectors are plain phrase lists and never cancelled
  // themselves, so filtering in place, in any order, is safe; detectors
  // without one keep their hits untouched (no copy on the hot path).
  for (std::size_t index = 0; index < detectors.size() && index < hits_.size(); ++index) {
    if (const auto& cancel = detectors[index].ignore_within) {
      hits_[index] = outside_of(std::move(hits_[index]), hits_[*cancel]);
    }
  }
}

void EvaluationContext::resolve_matters() {
  const auto detector = policy_.matter_detector();
  if (!detector) return;
  for (const DetectorHit& hit : hits_[*detector]) {
    const Matter* matter = firm().matter(hit.match.identity);
    if (matter == nullptr) {
      unknown_matter_numbers_.push_back(hit);
      continue;
    }
    const bool seen = std::any_of(matters_.begin(), matters_.end(),
                                  [&](const ReferencedMatter& known) { return known.matter == matter; });
    if (!seen) matters_.push_back({matter, facts_.segments[hit.segment].location, hit.match.offset});
  }
}

void EvaluationContext::classify_people() {
  const FirmDirectory& people = firm();
  sender_ = envelope_.authenticated() ? people.user_by_login(envelope_.auth_authen) : nullptr;
  if (sender_ == nullptr) sender_ = people.user_by_address(envelope_.sender);
  recipients_.reserve(envelope_.recipients.size());
  for (const std::string& address : envelope_.recipients) {
    RecipientInfo info{address, domain_of(address), directory_.is_internal_address(address), nullptr};
    if (info.internal) info.user = people.user_by_address(address);
    recipients_.push_back(std::move(info));
  }
}

}  // namespace privmilter
