#include "metrics.h"

#include <algorithm>
#include <charconv>
#include <vector>

#include "privmilter/version.h"

namespace privmilter::milter {

namespace {

constexpr std::uint64_t kNanosecondsPerSecond = 1'000'000'000;

// Seconds, finer than Prometheus's defaults at the low end: a verdict is
// expected within a few milliseconds.
constexpr std::array<std::uint64_t, Metrics::kLatencyBuckets> kLatencyBoundsNs{
    500'000,       1'000'000,     2'500'000,     5'000'000,      10'000'000,
    25'000'000,    50'000'000,    100'000'000,   250'000'000,    500'000'000,
    1'000'000'000, 2'500'000'000, 5'000'000'000, 10'000'000'000, 30'000'000'000};

constexpr std::array<std::uint64_t, Metrics::kSizeBuckets> kSizeBoundsBytes{
    1u << 10, 4u << 10, 16u << 10, 64u << 10, 256u << 10, 1u << 20, 4u << 20, 16u << 20, 64u << 20, 256u << 20};

constexpr std::array<Disposition, 4> kDispositions{Disposition::accept, Disposition::reject, Disposition::tempfail,
                                                   Disposition::discard};

std::size_t disposition_index(Disposition disposition) {
  return static_cast<std::size_t>(std::find(kDispositions.begin(), kDispositions.end(), disposition) -
                                  kDispositions.begin()) %
         kDispositions.size();
}

// Shortest text that reads back as the same double, without exponent
// ("0.0005", as bucket bounds are conventionally written); integers stay
// integers.
std::string number(double value) {
  std::array<char, 400> text{};
  const auto written = std::to_chars(text.data(), text.data() + text.size(), value, std::chars_format::fixed);
  return std::string(text.data(), written.ptr);
}

std::string number(std::uint64_t value) { return std::to_string(value); }
std::string number(std::int64_t value) { return std::to_string(value); }

// Label values may hold any UTF-8; the format reserves backslash, double
// quote and line feed.
std::string escaped_label(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

class Exposition {
 public:
  void family(std::string_view name, std::string_view type, std::string_view help) {
    out_.append("# HELP ").append(name).append(" ").append(help).append("\n");
    out_.append("# TYPE ").append(name).append(" ").append(type).append("\n");
  }

  using Labels = std::initializer_list<std::pair<std::string_view, std::string_view>>;
  void sample(std::string_view name, Labels labels, const std::string& value) {
    out_.append(name);
    if (labels.size() > 0) {
      out_ += '{';
      bool first = true;
      for (const auto& [label, label_value] : labels) {
        if (!first) out_ += ',';
        first = false;
        out_.append(label).append("=\"").append(escaped_label(label_value)).append("\"");
      }
      out_ += '}';
    }
    out_.append(" ").append(value).append("\n");
  }

  template <std::size_t Buckets>
  void histogram(std::string_view name, const Histogram<Buckets>& histogram, double units_per_base) {
    std::uint64_t cumulative = 0;
    const std::string bucket = std::string(name) + "_bucket";
    for (std::size_t i = 0; i < Buckets; ++i) {
      cumulative += histogram.counts[i].load(std::memory_order_relaxed);
      sample(bucket, {{"le", number(static_cast<double>(histogram.bounds[i]) / units_per_base)}}, number(cumulative));
    }
    cumulative += histogram.counts[Buckets].load(std::memory_order_relaxed);
    sample(bucket, {{"le", "+Inf"}}, number(cumulative));
    const double sum = static_cast<double>(histogram.sum.load(std::memory_order_relaxed)) / units_per_base;
    sample(std::string(name) + "_sum", {}, number(sum));
    sample(std::string(name) + "_count", {}, number(cumulative));
  }

  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

double unix_seconds(std::chrono::system_clock::time_point time) {
  return static_cast<double>(std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count()) /
         1000.0;
}

}  // namespace

std::string_view to_string(Direction direction) {
  switch (direction) {
    case Direction::outgoing: return "outgoing";
    case Direction::internal: return "internal";
    case Direction::inbound: return "inbound";
  }
  return "unknown";
}

MessageAction message_action(Action action) {
  switch (action) {
    case Action::accept: return MessageAction::accept;
    case Action::tag: return MessageAction::tag;
    case Action::notify: return MessageAction::notify;
    case Action::require_tls: return MessageAction::require_tls;
    case Action::route: return MessageAction::route;
    case Action::encrypt: return MessageAction::encrypt;
    case Action::remove_recipients: return MessageAction::remove_recipients;
    case Action::quarantine: return MessageAction::quarantine;
    case Action::reject_unless_confirmed: return MessageAction::reject_unless_confirmed;
    case Action::reject: return MessageAction::reject;
  }
  return MessageAction::failed;
}

std::string_view to_string(MessageAction action) {
  switch (action) {
    case MessageAction::not_inspected: return "not_inspected";
    case MessageAction::released: return "released";
    case MessageAction::failed: return "failed";
    case MessageAction::accept: return to_string(Action::accept);
    case MessageAction::tag: return to_string(Action::tag);
    case MessageAction::notify: return to_string(Action::notify);
    case MessageAction::require_tls: return to_string(Action::require_tls);
    case MessageAction::route: return to_string(Action::route);
    case MessageAction::encrypt: return to_string(Action::encrypt);
    case MessageAction::remove_recipients: return to_string(Action::remove_recipients);
    case MessageAction::quarantine: return to_string(Action::quarantine);
    case MessageAction::reject_unless_confirmed: return to_string(Action::reject_unless_confirmed);
    case MessageAction::reject: return to_string(Action::reject);
  }
  return "unknown";
}

std::string_view to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::extraction: return "extraction";
    case ErrorKind::quarantine_write: return "quarantine_write";
    case ErrorKind::audit_write: return "audit_write";
    case ErrorKind::release_record: return "release_record";
    case ErrorKind::edit_refused: return "edit_refused";
    case ErrorKind::spool: return "spool";
    case ErrorKind::limit: return "limit";
    case ErrorKind::protocol: return "protocol";
    case ErrorKind::internal: return "internal";
  }
  return "unknown";
}

Metrics::Metrics() : started_(std::chrono::system_clock::now()) {
  latency_.bounds = kLatencyBoundsNs;
  sizes_.bounds = kSizeBoundsBytes;
}

void Metrics::count_message(Direction direction, MessageAction action, Disposition disposition) {
  messages_[index(direction)][index(action)][disposition_index(disposition)].fetch_add(1, std::memory_order_relaxed);
}

void Metrics::count_verdict(const Verdict& verdict) {
  std::vector<std::string_view> kinds;
  for (const FiredRule& rule : verdict.fired) {
    rule_hits_.add(rule.rule_id, rule.monitor ? 1 : 0);
    for (const Evidence& evidence : rule.evidence) {
      const std::string_view kind = evidence.detector_kind();
      if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) kinds.push_back(kind);
    }
  }
  for (const std::string_view kind : kinds) detector_hits_.add(kind, 0);
}

void Metrics::count_inspection_limits(const MessageFacts& facts) {
  constexpr std::string_view kLimitPrefix = "limit:";
  std::vector<std::string_view> limits;
  for (const PartFact& part : facts.parts) {
    const std::string_view reason = part.uninspectable_reason;
    if (reason.substr(0, kLimitPrefix.size()) != kLimitPrefix) continue;
    const std::string_view limit = reason.substr(kLimitPrefix.size());
    if (std::find(limits.begin(), limits.end(), limit) == limits.end()) limits.push_back(limit);
  }
  for (const std::string_view limit : limits) inspection_limits_.add(limit, 0);
}

void Metrics::observe_verdict_latency(std::chrono::nanoseconds latency) {
  latency_.observe(static_cast<std::uint64_t>(std::max<std::int64_t>(0, latency.count())));
}

void Metrics::observe_message_size(std::size_t bytes) { sizes_.observe(bytes); }

void Metrics::record_policy(std::uint64_t generation, std::size_t rule_count,
                            std::chrono::system_clock::time_point when) {
  generation_.store(generation, std::memory_order_relaxed);
  rule_count_.store(rule_count, std::memory_order_relaxed);
  last_load_ok_.store(true, std::memory_order_relaxed);
  last_load_unix_ms_.store(
      std::chrono::duration_cast<std::chrono::milliseconds>(when.time_since_epoch()).count(),
      std::memory_order_relaxed);
}

void Metrics::record_reload(bool ok, std::uint64_t generation, std::size_t rule_count,
                            std::chrono::system_clock::time_point when) {
  if (ok) {
    record_policy(generation, rule_count, when);
  } else {
    last_load_ok_.store(false, std::memory_order_relaxed);
    last_load_unix_ms_.store(
        std::chrono::duration_cast<std::chrono::milliseconds>(when.time_since_epoch()).count(),
        std::memory_order_relaxed);
  }
  reloads_[ok ? 0 : 1].fetch_add(1, std::memory_order_relaxed);
}

MessageMeter::MessageMeter(Metrics& metrics, Direction direction, std::size_t size)
    : metrics_(metrics), direction_(direction), received_(std::chrono::steady_clock::now()) {
  metrics_.message_judging_started();
  metrics_.observe_message_size(size);
}

MessageMeter::~MessageMeter() {
  if (!finished_) {
    metrics_.count_error(ErrorKind::internal);
    metrics_.count_message(direction_, MessageAction::failed, Disposition::tempfail);
  }
  metrics_.message_judging_finished();
}

MtaEdits MessageMeter::finish(MessageAction action, MtaEdits edits) {
  if (!finished_) {
    finished_ = true;
    metrics_.observe_verdict_latency(std::chrono::steady_clock::now() - received_);
    metrics_.count_message(direction_, action, edits.disposition);
  }
  return edits;
}

std::optional<ErrorKind> error_kind_of(EnforcementFailure failure) {
  switch (failure) {
    case EnforcementFailure::none: return std::nullopt;
    case EnforcementFailure::quarantine_write: return ErrorKind::quarantine_write;
    case EnforcementFailure::audit_write: return ErrorKind::audit_write;
    case EnforcementFailure::enforcement: return ErrorKind::internal;
  }
  return ErrorKind::internal;
}

std::string Metrics::render(const ScrapeState& state) const {
  constexpr auto relaxed = std::memory_order_relaxed;
  Exposition out;
  out.family("privmilter_build_info", "gauge", "The running version; always 1.");
  out.sample("privmilter_build_info", {{"version", kVersion}}, "1");
  out.family("privmilter_start_time_seconds", "gauge", "When the daemon started, in seconds since the Unix epoch.");
  out.sample("privmilter_start_time_seconds", {}, number(unix_seconds(started_)));

  out.family("privmilter_sessions_total", "counter", "MTA connections (milter sessions) opened.");
  out.sample("privmilter_sessions_total", {}, number(sessions_.load(relaxed)));
  out.family("privmilter_sessions_in_flight", "gauge", "MTA connections open now.");
  out.sample("privmilter_sessions_in_flight", {}, number(static_cast<std::int64_t>(state.open_sessions)));
  out.family("privmilter_messages_in_flight", "gauge",
             "Messages between the end of their data and their answer: being inspected and enforced now.");
  out.sample("privmilter_messages_in_flight", {}, number(judging_.load(relaxed)));

  out.family("privmilter_messages_total", "counter",
             "Messages finished, by direction, the verdict's action (or not_inspected, released, failed) and what "
             "the MTA was told.");
  for (std::size_t d = 0; d < kDirectionCount; ++d) {
    for (std::size_t a = 0; a < kMessageActionCount; ++a) {
      for (std::size_t s = 0; s < kDispositions.size(); ++s) {
        const std::uint64_t value = messages_[d][a][s].load(relaxed);
        if (value == 0) continue;
        out.sample("privmilter_messages_total",
                   {{"direction", to_string(static_cast<Direction>(d))},
                    {"action", to_string(static_cast<MessageAction>(a))},
                    {"disposition", to_string(kDispositions[s])}},
                   number(value));
      }
    }
  }

  out.family("privmilter_rule_hits_total", "counter",
             "Messages on which a rule fired, enforced or in monitor mode; rules past the first 512 are _other.");
  rule_hits_.for_each([&](std::string_view rule, const auto& counts) {
    for (std::size_t mode = 0; mode < counts.size(); ++mode) {
      const std::uint64_t value = counts[mode].load(relaxed);
      if (value > 0) out.sample("privmilter_rule_hits_total", {{"rule", rule}, {"mode", mode == 0 ? "enforced" : "monitor"}}, number(value));
    }
  });
  out.family("privmilter_detector_hits_total", "counter",
             "Messages on which a fired rule had evidence from a detector of this kind (list, pattern, identifier, "
             "matter, recipient, attachment, ...).");
  detector_hits_.for_each([&](std::string_view kind, const auto& counts) {
    const std::uint64_t value = counts[0].load(relaxed);
    if (value > 0) out.sample("privmilter_detector_hits_total", {{"kind", kind}}, number(value));
  });

  out.family("privmilter_inspection_limits_total", "counter",
             "Messages whose inspection a content limit stopped somewhere (time_budget, max_depth, ...); the policy "
             "judges them by that fact.");
  inspection_limits_.for_each([&](std::string_view limit, const auto& counts) {
    const std::uint64_t value = counts[0].load(relaxed);
    if (value > 0) out.sample("privmilter_inspection_limits_total", {{"limit", limit}}, number(value));
  });

  out.family("privmilter_verdict_latency_seconds", "histogram",
             "Time from the end of a message's data to its answer (inspection, policy and enforcement).");
  out.histogram("privmilter_verdict_latency_seconds", latency_, static_cast<double>(kNanosecondsPerSecond));
  out.family("privmilter_message_size_bytes", "histogram", "Size of the messages judged at their end, in bytes.");
  out.histogram("privmilter_message_size_bytes", sizes_, 1.0);

  out.family("privmilter_errors_total", "counter",
             "Messages deferred (or passed, under on_error: accept) because something failed, by kind.");
  for (std::size_t k = 0; k < kErrorKindCount; ++k) {
    out.sample("privmilter_errors_total", {{"kind", to_string(static_cast<ErrorKind>(k))}},
               number(errors_[k].load(relaxed)));
  }

  if (state.quarantine) {
    out.family("privmilter_quarantine_held_messages", "gauge", "Quarantine entries awaiting review.");
    out.sample("privmilter_quarantine_held_messages", {}, number(state.quarantine->held_messages));
    out.family("privmilter_quarantine_held_bytes", "gauge", "Size of the messages awaiting review, in bytes.");
    out.sample("privmilter_quarantine_held_bytes", {}, number(state.quarantine->held_bytes));
  }

  out.family("privmilter_policy_generation", "gauge", "Generation of the policy in force: 1 at start, +1 per reload.");
  out.sample("privmilter_policy_generation", {}, number(generation_.load(relaxed)));
  out.family("privmilter_policy_rules", "gauge", "Rules in the policy in force.");
  out.sample("privmilter_policy_rules", {}, number(rule_count_.load(relaxed)));
  out.family("privmilter_policy_last_reload_success", "gauge",
             "1 when the last load of the configuration and policy succeeded, 0 when it was rejected.");
  out.sample("privmilter_policy_last_reload_success", {}, last_load_ok_.load(relaxed) ? "1" : "0");
  out.family("privmilter_policy_last_reload_timestamp_seconds", "gauge",
             "When the last load (at start or on reload) finished, in seconds since the Unix epoch.");
  out.sample("privmilter_policy_last_reload_timestamp_seconds", {},
             number(static_cast<double>(last_load_unix_ms_.load(relaxed)) / 1000.0));
  out.family("privmilter_policy_reloads_total", "counter", "Reload attempts, by result.");
  out.sample("privmilter_policy_reloads_total", {{"result", "ok"}}, number(reloads_[0].load(relaxed)));
  out.sample("privmilter_policy_reloads_total", {{"result", "failed"}}, number(reloads_[1].load(relaxed)));
  return out.take();
}

}  // namespace privmilter::milter
