// The metrics registry and its Prometheus text rendering, read back by a
// strict parser of the exposition format (0.0.4) written for this test.

#include "milter/metrics.h"

#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace privmilter::milter {
namespace {

using Labels = std::map<std::string, std::string>;

struct Sample {
  std::string name;
  Labels labels;
  double value = 0;
};

struct Exposition {
  std::vector<Sample> samples;
  std::map<std::string, std::string> types;  // family -> counter, gauge, histogram
  std::map<std::string, std::string> helps;
  std::vector<std::string> problems;

  std::optional<double> value(const std::string& name, const Labels& labels = {}) const {
    for (const Sample& sample : samples) {
      if (sample.name == name && sample.labels == labels) return sample.value;
    }
    return std::nullopt;
  }
  std::vector<Sample> family(const std::string& name) const {
    std::vector<Sample> out;
    for (const Sample& sample : samples) {
      if (sample.name == name) out.push_back(sample);
    }
    return out;
  }
};

bool valid_metric_name(const std::string& name) {
  if (name.empty() || !(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_' || name[0] == ':')) return false;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':')) return false;
  }
  return true;
}

bool valid_label_name(const std::string& name) {
  return valid_metric_name(name) && name.find(':') == std::string::npos;
}

std::optional<double> parse_value(const std::string& text) {
  if (text == "+Inf") return INFINITY;
  if (text == "-Inf") return -INFINITY;
  if (text == "NaN") return NAN;
  std::size_t used = 0;
  try {
    const double value = std::stod(text, &used);
    if (used == text.size()) return value;
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

// The family a sample belongs to: histogram samples carry a suffix.
std::string family_of(const std::string& sample, const std::map<std::string, std::string>& types) {
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    const std::string s(suffix);
    if (sample.size() > s.size() && sample.compare(sample.size() - s.size(), s.size(), s) == 0) {
      const std::string base = sample.substr(0, sample.size() - s.size());
      if (types.contains(base) && types.at(base) == "histogram") return base;
    }
  }
  return sample;
}

// Parses one sample line: name{label="value",...} value
std::optional<Sample> parse_sample(const std::string& line, std::string& problem) {
  Sample sample;
  std::size_t i = 0;
  while (i < line.size() && line[i] != '{' && line[i] != ' ') sample.name += line[i++];
  if (!valid_metric_name(sample.name)) {
    problem = "bad metric name";
    return std::nullopt;
  }
  if (i < line.size() && line[i] == '{') {
    ++i;
    while (i < line.size() && line[i] != '}') {
      std::string label;
      while (i < line.size() && line[i] != '=') label += line[i++];
      if (!valid_label_name(label) || i + 1 >= line.size() || line[i + 1] != '"') {
        problem = "bad label name or missing quote";
        return std::nullopt;
      }
      i += 2;
      std::string value;
      bool closed = false;
      while (i < line.size()) {
        const char c = line[i++];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\\') {
          if (i >= line.size()) break;
          const char escaped = line[i++];
          if (escaped == 'n') {
            value += '\n';
          } else if (escaped == '\\' || escaped == '"') {
            value += escaped;
          } else {
            problem = "bad escape";
            return std::nullopt;
          }
        } else {
          value += c;
        }
      }
      if (!closed || sample.labels.contains(label)) {
        problem = "unterminated or repeated label";
        return std::nullopt;
      }
      sample.labels[label] = value;
      if (i < line.size() && line[i] == ',') ++i;
    }
    if (i >= line.size()) {
      problem = "unterminated label set";
      return std::nullopt;
    }
    ++i;
  }
  if (i >= line.size() || line[i] != ' ') {
    problem = "no value";
    return std::nullopt;
  }
  const auto value = parse_value(line.substr(i + 1));
  if (!value) {
    problem = "bad value";
    return std::nullopt;
  }
  sample.value = *value;
  return sample;
}

Exposition parse(const std::string& text) {
  Exposition out;
  if (text.empty() || text.back() != '\n') out.problems.push_back("text does not end with a line feed");
  std::istringstream lines(text);
  std::set<std::string> families_with_samples;
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) {
      const std::string rest = line.substr(7);
      const auto space = rest.find(' ');
      const std::string name = rest.substr(0, space);
      const std::string what = space == std::string::npos ? std::string() : rest.substr(space + 1);
      if (!valid_metric_name(name)) out.problems.push_back("bad name in: " + line);
      if (families_with_samples.contains(name)) out.problems.push_back("HELP/TYPE after samples: " + line);
      if (line[2] == 'T') {
        if (out.types.contains(name)) out.problems.push_back("second TYPE: " + line);
        if (what != "counter" && what != "gauge" && what != "histogram") out.problems.push_back("bad type: " + line);
        out.types[name] = what;
      } else {
        if (out.helps.contains(name)) out.problems.push_back("second HELP: " + line);
        out.helps[name] = what;
      }
      continue;
    }
    if (line[0] == '#') continue;
    std::string problem;
    auto sample = parse_sample(line, problem);
    if (!sample) {
      out.problems.push_back(problem + ": " + line);
      continue;
    }
    const std::string family = family_of(sample->name, out.types);
    families_with_samples.insert(family);
    if (!out.types.contains(family) || !out.helps.contains(family)) {
      out.problems.push_back("sample without HELP and TYPE before it: " + line);
    }
    if (sample->name.rfind("privmilter_", 0) != 0) out.problems.push_back("not prefixed privmilter_: " + line);
    out.samples.push_back(std::move(*sample));
  }
  return out;
}

Exposition render(const Metrics& metrics, const ScrapeState& state = {}) {
  Exposition parsed = parse(metrics.render(state));
  EXPECT_TRUE(parsed.problems.empty()) << parsed.problems.front();
  return parsed;
}

Verdict verdict_with(std::vector<FiredRule> fired) {
  Verdict verdict;
  verdict.fired = std::move(fired);
  return verdict;
}

FiredRule fired(std::string rule, std::vector<std::string> detectors, bool monitor = false) {
  FiredRule rule_fired;
  rule_fired.rule_id = std::move(rule);
  rule_fired.monitor = monitor;
  for (auto& detector : detectors) {
    Evidence evidence;
    evidence.detector = std::move(detector);
    rule_fired.evidence.push_back(std::move(evidence));
  }
  return rule_fired;
}

TEST(Metrics, AFreshRegistryRendersEveryFamilyWithHelpAndType) {
  Metrics metrics;
  const auto parsed = render(metrics, ScrapeState{.open_sessions = 2, .quarantine = QuarantineGauge{3, 4096}});
  for (const char* family :
       {"privmilter_messages_total", "privmilter_rule_hits_total", "privmilter_detector_hits_total",
        "privmilter_verdict_latency_seconds", "privmilter_message_size_bytes", "privmilter_errors_total",
        "privmilter_sessions_in_flight", "privmilter_messages_in_flight", "privmilter_quarantine_held_messages",
        "privmilter_quarantine_held_bytes", "privmilter_policy_generation", "privmilter_policy_last_reload_success",
        "privmilter_policy_reloads_total"}) {
    EXPECT_TRUE(parsed.types.contains(family)) << family;
    EXPECT_TRUE(parsed.helps.contains(family)) << family;
  }
  EXPECT_EQ(parsed.value("privmilter_sessions_in_flight"), 2);
  EXPECT_EQ(parsed.value("privmilter_quarantine_held_messages"), 3);
  EXPECT_EQ(parsed.value("privmilter_quarantine_held_bytes"), 4096);
  EXPECT_EQ(parsed.value("privmilter_errors_total", {{"kind", "quarantine_write"}}), 0);
  EXPECT_EQ(parsed.value("privmilter_verdict_latency_seconds_count"), 0);
  EXPECT_TRUE(parsed.family("privmilter_messages_total").empty());
}

TEST(Metrics, QuarantineFiguresAreLeftOutWhenUnknown) {
  Metrics metrics;
  const auto parsed = render(metrics, ScrapeState{.open_sessions = 0, .quarantine = std::nullopt});
  EXPECT_FALSE(parsed.types.contains("privmilter_quarantine_held_messages"));
  EXPECT_FALSE(parsed.value("privmilter_quarantine_held_messages").has_value());
}

TEST(Metrics, MessagesAreCountedByDirectionActionAndDisposition) {
  Metrics metrics;
  metrics.count_message(Direction::outgoing, MessageAction::quarantine, Disposition::discard);
  metrics.count_message(Direction::outgoing, MessageAction::quarantine, Disposition::discard);
  metrics.count_message(Direction::outgoing, MessageAction::quarantine, Disposition::tempfail);
  metrics.count_message(Direction::inbound, MessageAction::not_inspected, Disposition::accept);
  metrics.count_message(Direction::internal, message_action(Action::reject_unless_confirmed), Disposition::reject);
  metrics.count_error(ErrorKind::quarantine_write);
  const auto parsed = render(metrics);
  EXPECT_EQ(parsed.value("privmilter_messages_total",
                         {{"direction", "outgoing"}, {"action", "quarantine"}, {"disposition", "discard"}}),
            2);
  EXPECT_EQ(parsed.value("privmilter_messages_total",
                         {{"direction", "outgoing"}, {"action", "quarantine"}, {"disposition", "tempfail"}}),
            1);
  EXPECT_EQ(parsed.value("privmilter_messages_total",
                         {{"direction", "inbound"}, {"action", "not_inspected"}, {"disposition", "accept"}}),
            1);
  EXPECT_EQ(parsed.value("privmilter_messages_total", {{"direction", "internal"},
                                                       {"action", "reject_unless_confirmed"},
                                                       {"disposition", "reject"}}),
            1);
  EXPECT_EQ(parsed.family("privmilter_messages_total").size(), 4u);
  EXPECT_EQ(parsed.value("privmilter_errors_total", {{"kind", "quarantine_write"}}), 1);
  EXPECT_EQ(parsed.value("privmilter_errors_total", {{"kind", "audit_write"}}), 0);
  EXPECT_EQ(parsed.family("privmilter_errors_total").size(), kErrorKindCount);
}

TEST(Metrics, HistogramBucketsAreCumulativeAndEndWithInf) {
  Metrics metrics;
  using std::chrono::milliseconds;
  metrics.observe_verdict_latency(std::chrono::microseconds(200));  // le 0.0005
  metrics.observe_verdict_latency(milliseconds(3));                 // le 0.005
  metrics.observe_verdict_latency(milliseconds(5));                 // le 0.005: bounds are inclusive
  metrics.observe_verdict_latency(std::chrono::seconds(40));        // beyond the last bound
  metrics.observe_message_size(100);
  metrics.observe_message_size(5000);
  const auto parsed = render(metrics);

  std::map<std::string, double> buckets;
  double previous = 0;
  const auto latency = parsed.family("privmilter_verdict_latency_seconds_bucket");
  ASSERT_EQ(latency.size(), Metrics::kLatencyBuckets + 1);
  for (const Sample& sample : latency) {
    ASSERT_TRUE(sample.labels.contains("le"));
    EXPECT_GE(sample.value, previous) << sample.labels.at("le");
    previous = sample.value;
    buckets[sample.labels.at("le")] = sample.value;
  }
  EXPECT_EQ(latency.back().labels.at("le"), "+Inf");
  EXPECT_EQ(buckets["0.0005"], 1);
  EXPECT_EQ(buckets["0.001"], 1);
  EXPECT_EQ(buckets["0.0025"], 1);
  EXPECT_EQ(buckets["0.005"], 3);
  EXPECT_EQ(buckets["30"], 3);
  EXPECT_EQ(buckets["+Inf"], 4);
  EXPECT_EQ(parsed.value("privmilter_verdict_latency_seconds_count"), 4);
  EXPECT_DOUBLE_EQ(*parsed.value("privmilter_verdict_latency_seconds_sum"), 40.0082);

  EXPECT_EQ(parsed.value("privmilter_message_size_bytes_bucket", {{"le", "1024"}}), 1);
  EXPECT_EQ(parsed.value("privmilter_message_size_bytes_bucket", {{"le", "4096"}}), 1);
  EXPECT_EQ(parsed.value("privmilter_message_size_bytes_bucket", {{"le", "16384"}}), 2);
  EXPECT_EQ(parsed.value("privmilter_message_size_bytes_bucket", {{"le", "+Inf"}}), 2);
  EXPECT_EQ(parsed.value("privmilter_message_size_bytes_sum"), 5100);
  EXPECT_EQ(parsed.value("privmilter_message_size_bytes_count"), 2);
}

TEST(Metrics, RuleIdsAreEscapedInLabels) {
  Metrics metrics;
  const std::string awkward = "quote\"back\\slash\nline";
  metrics.count_verdict(verdict_with({fired(awkward, {"list:x"})}));
  const std::string text = metrics.render({});
  EXPECT_NE(text.find("rule=\"quote\\\"back\\\\slash\\nline\""), std::string::npos) << text;
  const auto parsed = render(metrics);
  EXPECT_EQ(parsed.value("privmilter_rule_hits_total", {{"rule", awkward}, {"mode", "enforced"}}), 1);
}

TEST(Metrics, RuleAndDetectorHitsCountOncePerMessage) {
  Metrics metrics;
  metrics.count_verdict(verdict_with({fired("privileged", {"list:markings", "list:markings", "identifier:ssn"}),
                                      fired("ssn", {"identifier:ssn"}), fired("trial", {"pattern:x"}, true)}));
  metrics.count_verdict(verdict_with({fired("privileged", {"list:markings"})}));
  const auto parsed = render(metrics);
  EXPECT_EQ(parsed.value("privmilter_rule_hits_total", {{"rule", "privileged"}, {"mode", "enforced"}}), 2);
  EXPECT_EQ(parsed.value("privmilter_rule_hits_total", {{"rule", "ssn"}, {"mode", "enforced"}}), 1);
  EXPECT_EQ(parsed.value("privmilter_rule_hits_total", {{"rule", "trial"}, {"mode", "monitor"}}), 1);
  EXPECT_FALSE(parsed.value("privmilter_rule_hits_total", {{"rule", "trial"}, {"mode", "enforced"}}).has_value());
  EXPECT_EQ(parsed.value("privmilter_detector_hits_total", {{"kind", "list"}}), 2);
  EXPECT_EQ(parsed.value("privmilter_detector_hits_total", {{"kind", "identifier"}}), 1);
  EXPECT_EQ(parsed.value("privmilter_detector_hits_total", {{"kind", "pattern"}}), 1);
}

TEST(Metrics, InspectionLimitsCountOncePerMessageAndOnlyLimits) {
  Metrics metrics;
  MessageFacts facts;
  for (const char* reason : {"limit:time_budget", "limit:time_budget", "limit:max_depth", "encrypted", ""}) {
    PartFact part;
    part.uninspectable_reason = reason;
    facts.parts.push_back(part);
  }
  metrics.count_inspection_limits(facts);
  metrics.count_inspection_limits(MessageFacts{});
  const auto parsed = render(metrics);
  EXPECT_EQ(parsed.value("privmilter_inspection_limits_total", {{"limit", "time_budget"}}), 1);
  EXPECT_EQ(parsed.value("privmilter_inspection_limits_total", {{"limit", "max_depth"}}), 1);
  EXPECT_EQ(parsed.family("privmilter_inspection_limits_total").size(), 2u);
}

TEST(Metrics, RuleLabelsAreBoundedWithTheRestUnderOther) {
  Metrics metrics;
  const std::size_t extra = 40;
  for (std::size_t i = 0; i < Metrics::kRuleCapacity + extra; ++i) {
    metrics.count_verdict(verdict_with({fired("rule-" + std::to_string(i), {})}));
  }
  metrics.count_verdict(verdict_with({fired(std::string(500, 'r'), {})}));  // too long to be a label
  const auto parsed = render(metrics);
  const auto hits = parsed.family("privmilter_rule_hits_total");
  EXPECT_EQ(hits.size(), Metrics::kRuleCapacity + 1);
  EXPECT_EQ(parsed.value("privmilter_rule_hits_total", {{"rule", "_other"}, {"mode", "enforced"}}), extra + 1);
  double total = 0;
  for (const Sample& sample : hits) total += sample.value;
  EXPECT_EQ(total, Metrics::kRuleCapacity + extra + 1);
}

TEST(Metrics, ConcurrentRecordingLosesNothing) {
  Metrics metrics;
  constexpr int kThreads = 8;
  constexpr int kMessages = 6400;  // a multiple of the 64 rule names
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&metrics, t] {
      for (int i = 0; i < kMessages; ++i) {
        // Every thread races to claim the same new names.
        metrics.count_verdict(verdict_with({fired("rule-" + std::to_string(i % 64), {"kind" + std::to_string(i % 8) + ":x"})}));
        metrics.count_message(Direction::outgoing, MessageAction::accept, Disposition::accept);
        metrics.observe_verdict_latency(std::chrono::microseconds(t * 100 + 1));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const auto parsed = render(metrics);
  EXPECT_EQ(parsed.value("privmilter_messages_total",
                         {{"direction", "outgoing"}, {"action", "accept"}, {"disposition", "accept"}}),
            kThreads * kMessages);
  EXPECT_EQ(parsed.value("privmilter_verdict_latency_seconds_count"), kThreads * kMessages);
  const auto rules = parsed.family("privmilter_rule_hits_total");
  EXPECT_EQ(rules.size(), 64u);  // each name exactly once, none under _other
  for (const Sample& sample : rules) EXPECT_EQ(sample.value, kThreads * kMessages / 64) << sample.labels.at("rule");
  EXPECT_EQ(parsed.family("privmilter_detector_hits_total").size(), 8u);
}

TEST(Metrics, AFailedReloadKeepsTheGenerationAndSaysSo) {
  Metrics metrics;
  const auto start = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));
  metrics.record_policy(1, 12, start);
  metrics.record_reload(true, 2, 14, start + std::chrono::seconds(60));
  auto parsed = render(metrics);
  EXPECT_EQ(parsed.value("privmilter_policy_generation"), 2);
  EXPECT_EQ(parsed.value("privmilter_policy_rules"), 14);
  EXPECT_EQ(parsed.value("privmilter_policy_last_reload_success"), 1);
  EXPECT_EQ(parsed.value("privmilter_policy_last_reload_timestamp_seconds"), 1'700'000'060);

  metrics.record_reload(false, 2, 14, start + std::chrono::seconds(120));
  parsed = render(metrics);
  EXPECT_EQ(parsed.value("privmilter_policy_generation"), 2);
  EXPECT_EQ(parsed.value("privmilter_policy_last_reload_success"), 0);
  EXPECT_EQ(parsed.value("privmilter_policy_last_reload_timestamp_seconds"), 1'700'000'120);
  EXPECT_EQ(parsed.value("privmilter_policy_reloads_total", {{"result", "ok"}}), 1);
  EXPECT_EQ(parsed.value("privmilter_policy_reloads_total", {{"result", "failed"}}), 1);
}

TEST(Metrics, AMessageMeterCountsItsMessageOnce) {
  Metrics metrics;
  {
    MessageMeter meter(metrics, Direction::outgoing, 2048);
    EXPECT_EQ(render(metrics).value("privmilter_messages_in_flight"), 1);
    MtaEdits edits;
    edits.disposition = Disposition::reject;
    const MtaEdits returned = meter.finish(MessageAction::reject, edits);
    EXPECT_EQ(returned.disposition, Disposition::reject);
    meter.finish(MessageAction::accept, MtaEdits{});  // already counted
  }
  {
    MessageMeter abandoned(metrics, Direction::internal, 10);  // as if an exception left mid-way
  }
  const auto parsed = render(metrics);
  EXPECT_EQ(parsed.value("privmilter_messages_in_flight"), 0);
  EXPECT_EQ(parsed.value("privmilter_messages_total",
                         {{"direction", "outgoing"}, {"action", "reject"}, {"disposition", "reject"}}),
            1);
  EXPECT_FALSE(parsed.value("privmilter_messages_total",
                            {{"direction", "outgoing"}, {"action", "accept"}, {"disposition", "accept"}})
                   .has_value());
  EXPECT_EQ(parsed.value("privmilter_messages_total",
                         {{"direction", "internal"}, {"action", "failed"}, {"disposition", "tempfail"}}),
            1);
  EXPECT_EQ(parsed.value("privmilter_errors_total", {{"kind", "internal"}}), 1);
  EXPECT_EQ(parsed.value("privmilter_verdict_latency_seconds_count"), 1);
  EXPECT_EQ(parsed.value("privmilter_message_size_bytes_count"), 2);
}

TEST(Metrics, TheTestParserRejectsMalformedText) {
  EXPECT_FALSE(parse("privmilter_x 1\n").problems.empty());  // no HELP/TYPE
  EXPECT_FALSE(parse("# HELP privmilter_x h\n# TYPE privmilter_x counter\nprivmilter_x{a=\"b} 1\n").problems.empty());
  EXPECT_FALSE(parse("# HELP privmilter_x h\n# TYPE privmilter_x counter\nprivmilter_x one\n").problems.empty());
  EXPECT_FALSE(parse("# HELP privmilter_x h\n# TYPE privmilter_x counter\nprivmilter_x{a=\"\\t\"} 1\n").problems.empty());
  EXPECT_TRUE(parse("# HELP privmilter_x h\n# TYPE privmilter_x counter\nprivmilter_x{a=\"\\\"\"} 1\n").problems.empty());
}

}  // namespace
}  // namespace privmilter::milter
