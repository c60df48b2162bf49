#pragma once
// The metrics endpoint: a small HTTP/1.1 server on one Boost.Asio thread.
//   GET /metrics  the Prometheus text format (0.0.4) of the engine's Metrics
//   GET /healthz  200 "ok" when the daemon can take mail, else 503 and why
// A scraper must never be able to slow down mail: one thread, a few
// connections at a time, small requests, short deadlines, one response per
// connection, and the costly figures (the quarantine index) are refreshed
// at most every few seconds whatever the scrape rate.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "engine.h"
#include "privmilter/config.h"
#include "privmilter/result.h"

namespace privmilter::milter {

struct Health {
  bool ok = true;
  std::string reason;  // one line, when !ok
};

// Whether the daemon can take mail now: a policy is loaded, and the places
// a decision must be written to before the MTA gets its answer (quarantine
// directory, audit log, spool directory) exist, are writable and have room.
// A failed reload does not count: the previous policy keeps working.
Health check_health(const Engine& engine);

struct MetricsServerLimits {
  std::size_t max_connections = 16;                   // more are closed at once
  std::size_t max_request_bytes = 8192;               // request line and header fields
  std::chrono::milliseconds request_timeout{5000};    // to read the request and write the answer
  std::chrono::milliseconds quarantine_refresh{5000};  // the index is asked at most this often
  std::chrono::milliseconds health_refresh{1000};
};

class MetricsServer {
  struct Passkey {
    explicit Passkey() = default;
  };

 public:
  // Binds `listen` (an error names the address when it cannot) and serves
  // on a thread of its own, started with every signal blocked.
  static Result<std::unique_ptr<MetricsServer>> start(const Engine& engine, const ListenAddress& listen,
                                                      MetricsServerLimits limits = {});
  ~MetricsServer();  // stops
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Closes the listener and every connection and joins the thread.
  void stop();
  // The bound address, "127.0.0.1:9891".
  std::string address() const;

  struct State;  // Asio objects, kept out of this header
  MetricsServer(Passkey, std::unique_ptr<State> state);

 private:
  std::unique_ptr<State> state_;
};

}  // namespace privmilter::milter
