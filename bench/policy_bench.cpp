// Text detection throughput in MB/s of message text.
//
// The shipped policy (config/privmilter.yaml's policy and directory, loaded
// as the daemon loads them) over realistic extracted text of 10 KB, 100 KB
// and 1 MiB: the full evaluate() of a message, its DetectorSet scan alone,
// and, as the ceiling, the Vectorscan prefilter pass alone over the same
// text.
//
// Synthetic policies of 10 to 10,000 patterns: one DetectorSet (a
// Vectorscan pass picks the detectors that may match, only those confirm)
// against every detector scanning the text on its own; and the time to
// compile each set. That text is 1 MiB of deterministic pseudo-English
// with a few findings. Half of each policy's patterns are client names in
// phrase lists of up to 100, half are matter-like regexes, one detector
// each.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bench_text.h"
#include "policy/compiled_policy.h"
#include "policy/detector_set.h"
#include "policy/prefilter_translation.h"
#include "policy/text_matcher.h"
#include "policy/vectorscan_database.h"
#include "privmilter/config.h"
#include "privmilter/policy_bundle.h"

namespace {

using privmilter::DetectorSet;
using privmilter::bench::Lcg;
using privmilter::bench::realistic_text;
using privmilter::bench::word_list;
using privmilter::TextMatch;
using privmilter::TextMatcher;

constexpr std::size_t kTextBytes = std::size_t{1} << 20;
constexpr std::size_t kNamesPerList = 100;
constexpr std::size_t kMaxHitsPerDetector = 1000;

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

// ---- The shipped policy over realistic extracted text ----

struct ShippedPolicy {
  privmilter::PolicyBundle bundle;
  // Every pattern of the policy (identifiers' candidate patterns included)
  // in Vectorscan, nothing confirmed: a scanner made of Vectorscan alone.
  std::unique_ptr<const privmilter::VectorscanDatabase> every_pattern;
  // What DetectorSet's own pass holds (identifiers find their candidates
  // from digit groups instead): the part of a scan nothing can spare.
  std::unique_ptr<const privmilter::VectorscanDatabase> scan_database;
};

std::unique_ptr<const privmilter::VectorscanDatabase> database_of(const privmilter::PolicyBundle& bundle,
                                                                  bool with_identifiers) {
  std::vector<privmilter::VectorscanExpression> expressions;
  privmilter::PrefilterTranslator translator;
  for (const auto& detector : bundle.policy->detectors()) {
    if (!with_identifiers && detector.matcher->candidate_digits()) continue;
    for (const auto& expression : detector.matcher->prefilter_expressions()) {
      auto translated = translator.translate(expression);
      if (!translated) throw std::runtime_error("untranslatable: " + expression.pattern);
      const auto id = static_cast<unsigned>(expressions.size());
      expressions.push_back({translated->pattern, id, translated->has_literal, false});
    }
  }
  auto compiled = privmilter::VectorscanDatabase::compile(std::move(expressions));
  if (!compiled.ok()) throw std::runtime_error(compiled.error().message);
  if (!compiled->refused_ids.empty()) throw std::runtime_error("Vectorscan refused a pattern");
  return std::move(compiled->database);
}

const ShippedPolicy& shipped_policy() {
  static const ShippedPolicy kShipped = [] {
    auto config = privmilter::load_config_file(std::string(PRIVMILTER_SOURCE_DIR) + "/config/privmilter.yaml");
    if (!config.ok()) throw std::runtime_error(config.error().message);
    auto bundle = privmilter::load_policy_bundle(*config);
    if (!bundle.ok()) throw std::runtime_error(bundle.error().message);
    auto every_pattern = database_of(*bundle, true);
    auto scan_database = database_of(*bundle, false);
    return ShippedPolicy{std::move(bundle).value(), std::move(every_pattern), std::move(scan_database)};
  }();
  return kShipped;
}

class CountingSink final : public privmilter::VectorscanMatchSink {
 public:
  bool on_match(unsigned /*id*/, std::size_t /*end*/) override {
    ++matches;
    return true;
  }
  std::size_t matches = 0;
};

privmilter::MessageFacts message_of(std::size_t bytes, std::uint64_t seed) {
  privmilter::MessageFacts facts;
  facts.subject = "Re: Acme v. Globex - revised settlement draft";
  facts.segments.push_back({privmilter::SegmentKind::subject, "subject", facts.subject});
  facts.segments.push_back({privmilter::SegmentKind::body, "1 text/plain", realistic_text(bytes, seed)});
  facts.message_bytes = facts.segments.back().text.size();
  return facts;
}

// Different messages of the same size, taken in turn: 4 MiB of text or
// at least four messages, more than the caches hold, so that the scan
// reads fresh text as it does in the daemon, not text (and branches) it
// has learnt from the previous iteration.
std::vector<privmilter::MessageFacts> messages_of(std::size_t bytes) {
  const std::size_t count = std::clamp<std::size_t>((std::size_t{4} << 20) / bytes, 4, 64);
  std::vector<privmilter::MessageFacts> messages;
  for (std::size_t seed = 1; seed <= count; ++seed) messages.push_back(message_of(bytes, 20240607 + seed));
  return messages;
}

std::size_t text_bytes(const std::vector<privmilter::MessageFacts>& messages) {
  std::size_t total = 0;
  for (const auto& facts : messages) {
    for (const auto& segment : facts.segments) total += segment.text.size();
  }
  return total / messages.size();
}

// The CPU column is the per-message cost; this adds MB/s of text.
void report_text_rate(benchmark::State& state, std::size_t bytes) {
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
}

// On a shared machine other processes' work inflates every figure; with
// --benchmark_repetitions the least of them is the one least disturbed.
double least(const std::vector<double>& values) { return *std::min_element(values.begin(), values.end()); }

// 10 KB, 100 KB and 1 MiB of text.
void text_sizes(benchmark::internal::Benchmark* benchmark) {
  benchmark->Arg(10 << 10)->Arg(100 << 10)->Arg(1 << 20)->Unit(benchmark::kMicrosecond)->ComputeStatistics("min", least);
}

// The whole per-message policy cost: scan, matters, recipients, rules.
void BM_ShippedPolicyEvaluate(benchmark::State& state) {
  const ShippedPolicy& shipped = shipped_policy();
  const std::vector<privmilter::MessageFacts> messages = messages_of(static_cast<std::size_t>(state.range(0)));
  privmilter::Envelope envelope;
  envelope.sender = "jdoe@examplelaw.com";
  envelope.auth_authen = "jdoe";
  envelope.recipients = {"counsel@globex-litigators.example", "ceo@acme-widgets.example"};
  std::size_t fired = 0;
  std::size_t next = 0;
  for (auto _ : state) {
    const privmilter::Verdict verdict = privmilter::evaluate(*shipped.bundle.policy, messages[next], envelope,
                                                             shipped.bundle.directory);
    next = (next + 1) % messages.size();
    fired = verdict.fired.size();
    benchmark::DoNotOptimize(verdict.action);
  }
  report_text_rate(state, text_bytes(messages));
  state.counters["rules_fired"] = static_cast<double>(fired);
}
BENCHMARK(BM_ShippedPolicyEvaluate)->Apply(text_sizes);

// The text detection alone: every detector's findings.
void BM_ShippedPolicyScan(benchmark::State& state) {
  const ShippedPolicy& shipped = shipped_policy();
  const std::vector<privmilter::MessageFacts> messages = messages_of(static_cast<std::size_t>(state.range(0)));
  std::vector<std::vector<std::string_view>> texts;
  for (const auto& facts : messages) {
    texts.emplace_back();
    for (const auto& segment : facts.segments) texts.back().emplace_back(segment.text);
  }
  std::size_t findings = 0;
  std::size_t next = 0;
  for (auto _ : state) {
    const auto hits = shipped.bundle.policy->detector_set().scan(texts[next], kMaxHitsPerDetector);
    next = (next + 1) % texts.size();
    findings = 0;
    for (const auto& detector_hits : hits) findings += detector_hits.size();
    benchmark::DoNotOptimize(hits.data());
  }
  report_text_rate(state, text_bytes(messages));
  state.counters["findings"] = static_cast<double>(findings);
}
BENCHMARK(BM_ShippedPolicyScan)->Apply(text_sizes);

// Vectorscan alone over the same text, each match only counted: every
// pattern of the policy (range 1), or what the scan's own pass holds
// (range 0, the ceiling).
void BM_ShippedPolicyVectorscanOnly(benchmark::State& state) {
  const ShippedPolicy& shipped = shipped_policy();
  const auto& database = state.range(1) != 0 ? *shipped.every_pattern : *shipped.scan_database;
  const std::vector<privmilter::MessageFacts> messages = messages_of(static_cast<std::size_t>(state.range(0)));
  std::size_t matches = 0;
  std::size_t next = 0;
  for (auto _ : state) {
    CountingSink sink;
    for (const auto& segment : messages[next].segments) database.scan(segment.text, sink);
    next = (next + 1) % messages.size();
    matches = sink.matches;
  }
  report_text_rate(state, text_bytes(messages));
  state.counters["matches"] = static_cast<double>(matches);
}
BENCHMARK(BM_ShippedPolicyVectorscanOnly)
    ->ArgsProduct({{10 << 10, 100 << 10, 1 << 20}, {0, 1}})
    ->ArgNames({"bytes", "every_pattern"})
    ->Unit(benchmark::kMicrosecond)
    ->ComputeStatistics("min", least);

}  // namespace

BENCHMARK_MAIN();
