#pragma once
// Everything a milter connection needs from the daemon: the current
// configuration and policy (an immutable snapshot, swapped atomically on
// reload) and the enforcement side effects. Free of libmilter.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "metrics.h"
#include "privmilter/config.h"
#include "privmilter/directory.h"
#include "privmilter/enforce.h"
#include "privmilter/policy.h"
#include "privmilter/result.h"
#include "snapshot.h"

namespace privmilter::milter {

struct ReloadOutcome {
  std::uint64_t generation = 0;  // now in force
  std::size_t rule_count = 0;
  // Settings the new file changes that keep their running values until a
  // restart, by their configuration key ("milter.socket").
  std::vector<std::string> restart_required;
};

// The last load of the configuration: at start, then each reload attempt.
// For the reload status file and metrics.
struct ReloadStatus {
  std::uint64_t attempts = 0;    // reload attempts so far, successful or not
  std::uint64_t generation = 0;  // in force
  std::size_t rule_count = 0;    // of the policy in force
  bool ok = true;
  std::string error;  // why the last attempt was rejected; empty when ok
  std::vector<std::string> restart_required;
  std::chrono::steady_clock::time_point started{};  // when the last load began reading files
  std::chrono::system_clock::time_point finished{};
};

class Engine {
 public:
  // Loads the policy named by `config`, opens the quarantine and audit log.
  // A reload re-reads `source`; by default the file `config` came from.
  static Result<std::unique_ptr<Engine>> create(Config config);
  static Result<std::unique_ptr<Engine>> create(Config config, ConfigSource source);

  // Prefer create(), which also opens the stores and reports failures.
  Engine(std::shared_ptr<const Snapshot> snapshot, SecretKey quarantine_key, SecretKey audit_key);
  ~Engine();

  // A message keeps the snapshot current at its MAIL FROM, so a reload
  // never changes the rules halfway through one message.
  std::shared_ptr<const Snapshot> snapshot() const { return snapshot_.load(); }
  // Starts the notification sender. Separate from create() because the
  // daemon forks after create(), and a thread does not survive a fork.
  Status start_background_work();
  const Enforcer& enforcer() const { return enforcer_; }
  QuarantineStore& quarantine() const { return quarantine_; }
  AuditLog& audit() const { return audit_; }
  // What the enforcer needs from `snapshot` for one message.
  static EnforcementContext enforcement_context(const Snapshot& snapshot);

  // Re-reads the configuration source and everything it names into a new
  // snapshot and installs it only if all of it loads; otherwise the running
  // snapshot stays and the error (with file and line) is returned. Settings
  // bound at start (socket, quarantine, audit log, spool, pid file) keep
  // their running values; a change to them is logged and reported.
  Result<ReloadOutcome> reload();
  ReloadStatus last_reload() const;
  const ConfigSource& config_source() const { return source_; }

  // Open MTA connections, so shutdown can wait for them to finish.
  void connection_opened() const {
    active_connections_.fetch_add(1);
    metrics_.session_opened();
  }
  void connection_closed() const { active_connections_.fetch_sub(1); }
  int active_connections() const { return active_connections_.load(); }

  // Recorded from every connection's thread; lock-free.
  Metrics& metrics() const { return metrics_; }

 private:
  Result<ReloadOutcome> load_and_install();

  std::atomic<std::shared_ptr<const Snapshot>> snapshot_;
  ConfigSource source_;
  mutable std::mutex reload_mutex_;  // one reload at a time; guards last_reload_
  ReloadStatus last_reload_;
  mutable QuarantineStore quarantine_;
  mutable AuditLog audit_;
  std::unique_ptr<Notifier> notifier_;
  Enforcer enforcer_;
  mutable std::atomic<int> active_connections_{0};
  mutable Metrics metrics_;
};

}  // namespace privmilter::milter
