// Text detection throughput in MB/s of message text: one DetectorSet (a
// Vectorscan pass picks the detectors that may match, only those run their
// RE2 scan) against every detector scanning the text on its own, for
// policies of 10 to 10,000 patterns; and the time to compile each set.
//
// The text is 1 MiB of deterministic pseudo-English with a few findings.
// Half of each policy's patterns are client names in phrase lists of up to
// 100, half are matter-like regexes, one detector each.

#include <benchmark/benchmark.h>

#include <cctype>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "policy/detector_set.h"
#include "policy/text_matcher.h"

namespace {

using privmilter::DetectorSet;
using privmilter::TextMatch;
using privmilter::TextMatcher;

constexpr std::size_t kTextBytes = std::size_t{1} << 20;
constexpr std::size_t kNamesPerList = 100;
constexpr std::size_t kMaxHitsPerDetector = 1000;

// Deterministic, so every run scans the same text.
class Lcg {
 public:
  std::uint32_t next(std::uint32_t bound) {
    state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<std::uint32_t>(state_ >> 33) % bound;
  }

 private:
  std::uint64_t state_ = 20240607;
};

const std::vector<std::string>& word_list() {
  static const std::vector<std::string> kWords = {
      "the", "of", "and", "to", "a", "in", "that", "is", "for", "on", "with", "as", "by", "this", "be", "at",
      "from", "or", "an", "we", "will", "not", "are", "have", "has", "been", "which", "any", "all", "their",
      "agreement", "parties", "counsel", "client", "court", "motion", "discovery", "deposition", "witness",
      "settlement", "draft", "review", "contract", "clause", "indemnity", "liability", "damages", "claim",
      "matter", "filing", "deadline", "hearing", "judge", "exhibit", "schedule", "payment", "invoice",
      "board", "meeting", "merger", "acquisition", "shares", "regulatory", "approval", "confidential",
      "memorandum", "attached", "please", "note", "revised", "version", "comments", "Friday", "Monday",
      "office", "team", "partner", "associate", "paralegal", "email", "call", "discuss", "question",
      "response", "request", "production", "documents", "privilege", "log", "redacted", "term", "sheet",
      "closing", "conditions", "tax", "opinion", "letter", "signature", "pages", "execution", "copy",
      "trust", "estate", "property", "lease", "tenant", "landlord", "employment", "policy", "notice",
      "period", "section", "paragraph", "subject", "provided", "however", "further", "accordance", "date",
      "within", "days", "thereof", "herein", "shall", "may", "must", "should", "would", "could", "there"};
  return kWords;
}

std::string syllables(std::size_t n, std::size_t count) {
  static const std::vector<std::string> kSyllables = {"zor", "qua", "vex", "bri", "tol", "nam", "kex", "dru",
                                                      "pli", "mog", "sav", "wen", "yel", "fip", "gub", "hox",
                                                      "lum", "raz", "tiv", "cor", "dal", "jen", "ost", "pex"};
  std::string out;
  for (std::size_t i = 0; i < count; ++i, n /= kSyllables.size()) out += kSyllables[n % kSyllables.size()];
  out[0] = static_cast<char>(out[0] - 'a' + 'A');
  return out;
}

std::string client_name(std::size_t n) {
  static const std::vector<std::string> kSuffixes = {"Holdings", "Partners", "Capital", "Group", "Trust",
                                                     "Industries"};
  return syllables(n, 3) + " " + kSuffixes[n % kSuffixes.size()];
}

std::string client_code(std::size_t n) {
  std::string code;
  for (int i = 0; i < 3; ++i, n /= 26) code += static_cast<char>('A' + n % 26);
  return code + std::to_string(n % 10);
}

// Matter-like patterns: client matter numbers, "Matter No. 100001", case
// captions ("Zorqua v. Jones"), account numbers.
std::string matter_pattern(std::size_t n) {
  switch (n % 4) {
    case 0: return R"(\b)" + client_code(n) + R"(-\d{4}-\d{3}\b)";
    case 1: return R"((?i)\bmatter\s+no\.?\s*)" + std::to_string(100000 + n) + R"(\b)";
    case 2: return R"((?i)\b)" + syllables(n, 3) + R"(\s+v\.?\s+\p{Lu}\p{L}+)";
    default: return R"(\b)" + client_code(n) + R"(\d{6}\b)";
  }
}

std::string pseudo_english(std::size_t bytes) {
  const std::vector<std::string>& words = word_list();
  // Findings every set has: the first clients and patterns.
  const std::vector<std::string> findings = {client_name(1), client_code(0) + "-2024-117", "Matter No. 100001",
                                             syllables(2, 3) + " v. Jones", client_name(3)};
  Lcg random;
  std::string text;
  std::size_t sentence = 0;
  while (text.size() < bytes) {
    const std::uint32_t length = 8 + random.next(14);
    for (std::uint32_t i = 0; i < length; ++i) {
      std::string word = words[random.next(static_cast<std::uint32_t>(words.size()))];
      if (i == 0) word[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(word[0])));
      text += word;
      text += (i + 1 == length) ? ". " : (random.next(10) == 0 ? ", " : " ");
    }
    if (++sentence % 5 == 0) text += "\r\n";
    if (sentence % 2000 == 0) text += "Re: " + findings[(sentence / 2000) % findings.size()] + ". ";
  }
  text.resize(bytes);
  return text;
}

const std::string& message_text() {
  static const std::string kText = pseudo_english(kTextBytes);
  return kText;
}

std::vector<std::shared_ptr<const TextMatcher>> policy_detectors(std::size_t patterns) {
  std::vector<std::shared_ptr<const TextMatcher>> matchers;
  const std::size_t names = patterns / 2;
  for (std::size_t first = 0; first < names; first += kNamesPerList) {
    std::vector<std::string> list;
    for (std::size_t i = first; i < names && i < first + kNamesPerList; ++i) list.push_back(client_name(i));
    auto matcher = privmilter::compile_phrase_matcher("list:clients" + std::to_string(first), list);
    if (!matcher.ok()) throw std::runtime_error(matcher.error().message);
    matchers.push_back(std::move(matcher).value());
  }
  for (std::size_t i = 0; i < patterns - names; ++i) {
    auto matcher = privmilter::compile_regex_matcher("regex:matter" + std::to_string(i), matter_pattern(i));
    if (!matcher.ok()) throw std::runtime_error(matcher.error().message);
    matchers.push_back(std::move(matcher).value());
  }
  return matchers;
}

struct Policy {
  std::vector<std::shared_ptr<const TextMatcher>> detectors;
  std::unique_ptr<const DetectorSet> set;
  double compile_ms = 0;
};

const Policy& policy(std::size_t patterns) {
  static std::map<std::size_t, Policy> policies;
  Policy& cached = policies[patterns];
  if (!cached.set) {
    cached.detectors = policy_detectors(patterns);
    const auto start = std::chrono::steady_clock::now();
    auto compiled = DetectorSet::compile(cached.detectors);
    cached.compile_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (!compiled.ok()) throw std::runtime_error(compiled.error().message);
    cached.set = std::move(compiled).value();
  }
  return cached;
}

void BM_DetectorSet(benchmark::State& state) {
  const Policy& set_up = policy(static_cast<std::size_t>(state.range(0)));
  const std::string& text = message_text();
  std::size_t detectors_with_findings = 0;
  for (auto _ : state) {
    const auto hits = set_up.set->scan({text}, kMaxHitsPerDetector);
    detectors_with_findings = 0;
    for (const auto& detector_hits : hits) detectors_with_findings += detector_hits.empty() ? 0 : 1;
    benchmark::DoNotOptimize(hits.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
  state.counters["detectors"] = static_cast<double>(set_up.set->size());
  state.counters["finding_detectors"] = static_cast<double>(detectors_with_findings);
  state.counters["compile_ms"] = set_up.compile_ms;
}
BENCHMARK(BM_DetectorSet)->Arg(10)->Arg(100)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);

// The baseline: every detector scans the whole text on its own.
void BM_EachDetectorAlone(benchmark::State& state) {
  const Policy& set_up = policy(static_cast<std::size_t>(state.range(0)));
  const std::string& text = message_text();
  std::size_t detectors_with_findings = 0;
  for (auto _ : state) {
    detectors_with_findings = 0;
    for (const auto& detector : set_up.detectors) {
      std::size_t findings = 0;
      detector->scan(text, [&](TextMatch match) {
        benchmark::DoNotOptimize(match.offset);
        return ++findings < kMaxHitsPerDetector;
      });
      detectors_with_findings += findings == 0 ? 0 : 1;
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
  state.counters["detectors"] = static_cast<double>(set_up.detectors.size());
  state.counters["finding_detectors"] = static_cast<double>(detectors_with_findings);
}
BENCHMARK(BM_EachDetectorAlone)->Arg(10)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond);

// DetectorSet::compile alone (the RE2 matchers are compiled beforehand).
void BM_CompileDetectorSet(benchmark::State& state) {
  const auto detectors = policy_detectors(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    auto compiled = DetectorSet::compile(detectors);
    if (!compiled.ok()) state.SkipWithError(compiled.error().message.c_str());
    benchmark::DoNotOptimize(compiled);
  }
  state.counters["detectors"] = static_cast<double>(detectors.size());
}
BENCHMARK(BM_CompileDetectorSet)->Arg(10)->Arg(100)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CompileDetectorSet)->Arg(1000)->Arg(10000)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
