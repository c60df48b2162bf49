#pragma once
// The daemon's counters, gauges and histograms, updated from every milter
// worker thread and read by the metrics endpoint. Recording is lock-free
// (relaxed atomics in fixed arrays), so observing mail never slows it down.
// Label sets are bounded: names that arrive at run time (rule ids,
// detector kinds) take a slot in a fixed table, and once it is full they
// are counted under "_other". Free of libmilter.

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "privmilter/enforce.h"
#include "privmilter/message_facts.h"
#include "privmilter/mta_edits.h"
#include "privmilter/verdict.h"

namespace privmilter::milter {

// Where a message goes, as the session tells it: from the firm to outside
// (or between walled-off colleagues), between colleagues, or into the firm.
enum class Direction { outgoing, internal, inbound };
inline constexpr std::size_t kDirectionCount = 3;
std::string_view to_string(Direction direction);

// The verdict's action, or what became of a message that got none.
enum class MessageAction {
  accept,
  tag,
  notify,
  require_tls,
  route,
  encrypt,
  remove_recipients,
  quarantine,
  reject_unless_confirmed,
  reject,
  not_inspected,  // not outgoing: let through unjudged
  released,       // carried a valid release token
  failed,         // no verdict: could not be inspected or handled
};
inline constexpr std::size_t kMessageActionCount = 13;
MessageAction message_action(Action action);
std::string_view to_string(MessageAction action);

// Why a message was deferred (or, under on_error: accept, let through).
enum class ErrorKind {
  extraction,        // the content could not be read into facts
  quarantine_write,  // a message to hold could not be stored
  audit_write,       // the decision could not be recorded
  release_record,    // a release token could not be checked or recorded
  edit_refused,      // the MTA refused a modification
  spool,             // the message could not be buffered
  limit,             // a session limit (header count or size, recipients)
  protocol,          // a stage out of order
  internal,          // an exception or other unexpected failure
};
inline constexpr std::size_t kErrorKindCount = 9;
std::string_view to_string(ErrorKind kind);

// A histogram with fixed upper bounds, observed in integer units (so that
// the sum stays exact) and rendered in `scale` units per base unit.
template <std::size_t Buckets>
struct Histogram {
  std::array<std::uint64_t, Buckets> bounds{};  // ascending; +Inf is implicit
  std::array<std::atomic<std::uint64_t>, Buckets + 1> counts{};
  std::atomic<std::uint64_t> sum{0};

  void observe(std::uint64_t value) {
    std::size_t bucket = 0;
    while (bucket < Buckets && value > bounds[bucket]) ++bucket;
    counts[bucket].fetch_add(1, std::memory_order_relaxed);
    sum.fetch_add(value, std::memory_order_relaxed);
  }
};

// Counters keyed by a name known only at run time, without a lock: a name
// claims a slot once (compare-and-swap) and keeps it; readers only look at
// slots whose name is published. Beyond Capacity names, or for a name too
// long to be a label, the last slot ("_other") counts.
template <std::size_t Capacity>
class NameCounters {
 public:
  static constexpr std::string_view kOverflow = "_other";
  static constexpr std::size_t kMaxNameBytes = 128;

  NameCounters() { slots_[Capacity].name = std::string(kOverflow); slots_[Capacity].state.store(kReady); }
  void add(std::string_view name, std::size_t column, std::uint64_t amount = 1) {
    slot_for(name).counts[column].fetch_add(amount, std::memory_order_relaxed);
  }
  template <typename Visit>  // Visit(std::string_view name, const std::array<std::atomic<uint64_t>, 2>&)
  void for_each(Visit&& visit) const {
    for (const Slot& slot : slots_) {
      if (slot.state.load(std::memory_order_acquire) == kReady) visit(std::string_view(slot.name), slot.counts);
    }
  }

 private:
  static constexpr int kEmpty = 0, kClaimed = 1, kReady = 2;
  struct Slot {
    std::atomic<int> state{kEmpty};
    std::string name;  // written once, by the thread that claimed the slot, before it is published
    std::array<std::atomic<std::uint64_t>, 2> counts{};
  };

  Slot& slot_for(std::string_view name) {
    if (name.empty() || name.size() > kMaxNameBytes) return slots_[Capacity];
    const std::size_t start = std::hash<std::string_view>{}(name) % Capacity;
    for (std::size_t probe = 0; probe < Capacity; ++probe) {
      Slot& slot = slots_[(start + probe) % Capacity];
      int state = slot.state.load(std::memory_order_acquire);
      if (state == kEmpty) {
        if (slot.state.compare_exchange_strong(state, kClaimed, std::memory_order_acq_rel)) {
          slot.name.assign(name);
          slot.state.store(kReady, std::memory_order_release);
          return slot;
        }
      }
      // Another thread is writing this slot's name; it takes a few instructions.
      while ((state = slot.state.load(std::memory_order_acquire)) == kClaimed) {
      }
      if (slot.name == name) return slot;
    }
    return slots_[Capacity];
  }

  std::array<Slot, Capacity + 1> slots_;
};

// Read at scrape time from outside the registry.
struct QuarantineGauge {
  std::uint64_t held_messages = 0;
  std::uint64_t held_bytes = 0;
};
struct ScrapeState {
  int open_sessions = 0;
  std::optional<QuarantineGauge> quarantine;  // absent when the index could not be read
};

class Metrics {
 public:
  static constexpr std::size_t kRuleCapacity = 512;
  static constexpr std::size_t kDetectorKindCapacity = 32;
  static constexpr std::size_t kLimitCapacity = 16;
  static constexpr std::size_t kLatencyBuckets = 15;
  static constexpr std::size_t kSizeBuckets = 10;

  Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  void session_opened() { sessions_.fetch_add(1, std::memory_order_relaxed); }

  // A message the daemon finished with, whatever the stage.
  void count_message(Direction direction, MessageAction action, Disposition disposition);
  // Rule and detector hits of a verdict, each counted once per message.
  void count_verdict(const Verdict& verdict);
  // The content limits that stopped inspection somewhere in a message
  // ("limit:time_budget" -> time_budget), each counted once per message.
  // Not errors: the policy judges such a message by its facts.
  void count_inspection_limits(const MessageFacts& facts);
  // From the end of the message arriving to its answer being ready.
  void observe_verdict_latency(std::chrono::nanoseconds latency);
  void observe_message_size(std::size_t bytes);
  void count_error(ErrorKind kind) { errors_[index(kind)].fetch_add(1, std::memory_order_relaxed); }

  void message_judging_started() { judging_.fetch_add(1, std::memory_order_relaxed); }
  void message_judging_finished() { judging_.fetch_sub(1, std::memory_order_relaxed); }

  // The policy loaded at start, then each reload attempt; a rejected
  // reload leaves the generation and rule count in force as they were.
  void record_policy(std::uint64_t generation, std::size_t rule_count, std::chrono::system_clock::time_point when);
  void record_reload(bool ok, std::uint64_t generation, std::size_t rule_count,
                     std::chrono::system_clock::time_point when);

  // The Prometheus text exposition format, version 0.0.4.
  std::string render(const ScrapeState& state) const;

 private:
  template <typename Enum>
  static constexpr std::size_t index(Enum value) {
    return static_cast<std::size_t>(value);
  }

  const std::chrono::system_clock::time_point started_;
  std::atomic<std::uint64_t> sessions_{0};
  std::array<std::array<std::array<std::atomic<std::uint64_t>, 4>, kMessageActionCount>, kDirectionCount> messages_{};
  NameCounters<kRuleCapacity> rule_hits_;             // columns: enforced, monitor
  NameCounters<kDetectorKindCapacity> detector_hits_;  // column 0
  NameCounters<kLimitCapacity> inspection_limits_;     // column 0
  Histogram<kLatencyBuckets> latency_;                 // nanoseconds
  Histogram<kSizeBuckets> sizes_;                      // bytes
  std::array<std::atomic<std::uint64_t>, kErrorKindCount> errors_{};
  std::atomic<std::int64_t> judging_{0};
  std::atomic<std::uint64_t> generation_{0};
  std::atomic<std::uint64_t> rule_count_{0};
  std::atomic<bool> last_load_ok_{true};
  std::atomic<std::int64_t> last_load_unix_ms_{0};
  std::array<std::atomic<std::uint64_t>, 2> reloads_{};  // ok, failed
};

// Times one message from the end of its data to its answer and counts it
// once, with the action it ended with. A message left unfinished (an
// exception on the way) counts as failed, with an internal error.
class MessageMeter {
 public:
  MessageMeter(Metrics& metrics, Direction direction, std::size_t size);
  ~MessageMeter();
  MessageMeter(const MessageMeter&) = delete;
  MessageMeter& operator=(const MessageMeter&) = delete;

  MtaEdits finish(MessageAction action, MtaEdits edits);
  MtaEdits fail(ErrorKind kind, MtaEdits edits) {
    metrics_.count_error(kind);
    return finish(MessageAction::failed, std::move(edits));
  }

 private:
  Metrics& metrics_;
  const Direction direction_;
  const std::chrono::steady_clock::time_point received_;
  bool finished_ = false;
};

// The error a failed enforcement counts as (EnforcementResult::failure);
// nothing when it did not fail, including a deferral the policy chose.
std::optional<ErrorKind> error_kind_of(EnforcementFailure failure);

}  // namespace privmilter::milter
