#pragma once
// Drives one milter with N concurrent connections of the project's milter
// client playing Postfix: each connection negotiates with everything
// Postfix 3.7 offers, sends the macros Postfix sends (or those the milter
// asked for), replays the SMTP session and its messages, and quits.
// Measures, inside a window after a warm-up: messages, verdict latency
// (last byte sent to the end-of-message reply), round trips, outcomes, and
// the milter process's CPU time and peak resident set.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "bench/load_messages.h"
#include "bench/load_processes.h"

namespace privmilter::bench {

struct DriveOptions {
  std::string address;
  pid_t milter_pid = -1;
  const TestMessage* message = nullptr;
  // Every marked_every-th message is `marked` instead (0: never).
  const TestMessage* marked = nullptr;
  std::size_t marked_every = 0;
  int connections = 8;
  int messages_per_connection = 1;  // Postfix: one milter connection per SMTP session
  // Messages per second offered by all connections together, each starting
  // on a schedule (open loop); 0: each connection starts its next message as
  // soon as the last is answered, which saturates the milter.
  double rate = 0;
  std::chrono::milliseconds warmup{500};
  std::chrono::milliseconds duration{3000};
  // A slow cell's window stays open until this many messages (and three
  // per connection) are counted, up to max_duration after the warm-up, so
  // that every cell reports something.
  std::uint64_t min_messages = 10;
  std::chrono::milliseconds max_duration{180'000};
  // When non-zero: send exactly this many messages (no warm-up) and call
  // on_progress about every 100 ms with the number completed so far.
  std::uint64_t message_budget = 0;
  std::function<void(std::uint64_t completed)> on_progress;
};

struct DriveResult {
  std::uint64_t messages = 0;  // completed inside the window
  std::uint64_t errors = 0;    // I/O errors, timeouts, protocol violations
  std::string first_error;
  double seconds = 0;                 // length of the window
  std::vector<double> latencies_ms;   // one per message decided at end of message, sorted
  std::uint64_t round_trips = 0;      // of the counted messages, their sessions' set-up included
  std::map<std::string, std::uint64_t> outcomes;  // "continue+header", "discard+quarantine", ...
  ProcessUsage milter_before;
  // peak_rss_kib: the peak during the window, from the resident set at its
  // start, which includes what the allocator kept from earlier cells.
  ProcessUsage milter_after;
  double client_cpu_seconds = 0;

  double messages_per_second() const { return seconds > 0 ? static_cast<double>(messages) / seconds : 0; }
  double milter_cpu_us_per_message() const;
  double round_trips_per_message() const;
  double latency_percentile_ms(double fraction) const;  // 0.5, 0.99, 1.0 (max)
};

DriveResult drive(const DriveOptions& options);

}  // namespace privmilter::bench
