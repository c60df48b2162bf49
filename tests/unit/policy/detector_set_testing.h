#pragma once
// Building detector sets from real matchers, and checking that a set finds
// exactly what every matcher's own scan of every whole segment finds (the
// promise of DetectorSet::scan), for the detector set tests.

#include <gtest/gtest.h>

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "policy/detector_set.h"
#include "policy/identifier_matcher.h"
#include "policy/text_matcher.h"

namespace privmilter {

using Matchers = std::vector<std::shared_ptr<const TextMatcher>>;
using Finding = std::tuple<std::size_t, std::string, std::string, std::size_t, std::size_t>;  // segment, shown,
                                                                                              // identity, offset, length
inline constexpr std::size_t kNoCap = 1000000;

inline std::shared_ptr<const TextMatcher> phrases(std::string name, const std::vector<std::string>& list) {
  auto compiled = compile_phrase_matcher("list:" + name, list);
  EXPECT_TRUE(compiled.ok()) << compiled.error().message;
  return std::move(compiled).value();
}

inline std::shared_ptr<const TextMatcher> regex(const std::string& pattern) {
  auto compiled = compile_regex_matcher("regex:" + pattern, pattern);
  EXPECT_TRUE(compiled.ok()) << pattern << ": " << compiled.error().message;
  return std::move(compiled).value();
}

inline std::shared_ptr<const TextMatcher> identifier(IdentifierOptions options) {
  auto compiled = compile_identifier_matcher(options);
  EXPECT_TRUE(compiled.ok()) << compiled.error().message;
  return std::move(compiled).value();
}

inline std::shared_ptr<const TextMatcher> identifier(IdentifierKind kind, std::vector<std::string> near = {}) {
  IdentifierOptions options;
  options.kind = kind;
  options.near = std::move(near);
  return identifier(std::move(options));
}

inline std::unique_ptr<const DetectorSet> compile_set(Matchers matchers, DetectorSetOptions options = {}) {
  auto compiled = DetectorSet::compile(std::move(matchers), options);
  EXPECT_TRUE(compiled.ok()) << compiled.error().message;
  return compiled.ok() ? std::move(compiled).value() : nullptr;
}

inline Finding finding(std::size_t segment, const TextMatch& match) {
  return {segment, match.shown, match.identity, match.offset, match.length};
}

inline std::vector<Finding> findings(const std::vector<DetectorHit>& hits) {
  std::vector<Finding> out;
  for (const DetectorHit& hit : hits) out.push_back(finding(hit.segment, hit.match));
  return out;
}

// What DetectorSet::scan promises, computed from every matcher's own scan
// of every segment, without any prefilter.
inline std::vector<std::vector<Finding>> own_scans(const DetectorSet& set,
                                                   const std::vector<std::string_view>& segments, std::size_t cap) {
  std::vector<std::vector<Finding>> expected(set.size());
  for (std::size_t detector = 0; detector < set.size(); ++detector) {
    std::vector<Finding>& kept = expected[detector];
    for (std::size_t segment = 0; segment < segments.size() && kept.size() < cap; ++segment) {
      std::map<std::string, std::size_t> repeats;
      set.matcher(detector).scan(segments[segment], [&](TextMatch match) {
        if (repeats[match.identity]++ < DetectorSet::kRepeatsKeptPerSegment) kept.push_back(finding(segment, match));
        return kept.size() < cap;
      });
    }
  }
  return expected;
}

struct OwnScanTotals {
  std::size_t findings = 0;
  std::size_t detectors_with_findings = 0;
};

// Asserts that the set finds what the matchers' own scans find; the totals
// show that the texts do exercise the detectors.
inline OwnScanTotals expect_same_as_own_scans(const DetectorSet& set, const std::vector<std::string>& texts,
                                              std::size_t cap = kNoCap) {
  const std::vector<std::string_view> segments(texts.begin(), texts.end());
  const auto hits = set.scan(segments, cap);
  const auto expected = own_scans(set, segments, cap);
  EXPECT_EQ(hits.size(), set.size());
  OwnScanTotals totals;
  for (std::size_t detector = 0; detector < set.size() && detector < hits.size(); ++detector) {
    EXPECT_EQ(findings(hits[detector]), expected[detector]) << set.matcher(detector).detector();
    totals.findings += expected[detector].size();
    if (!expected[detector].empty()) ++totals.detectors_with_findings;
  }
  return totals;
}

}  // namespace privmilter
