#pragma once
// Everything a milter connection needs from the daemon: the current
// configuration and policy (an immutable snapshot, swapped atomically on
// reload) and the enforcement side effects. Free of libmilter.

#include <atomic>
#include <memory>

#include "privmilter/config.h"
#include "privmilter/directory.h"
#include "privmilter/enforce.h"
#include "privmilter/policy.h"
#include "privmilter/result.h"

namespace privmilter::milter {

struct Snapshot {
  std::shared_ptr<const Config> config;
  std::shared_ptr<const Policy> policy;
  Directory directory;
};

class Engine {
 public:
  // Loads the policy named by `config`, opens the quarantine and audit log.
  static Result<std::unique_ptr<Engine>> create(Config config);

  // Prefer create(), which also opens the stores and reports failures.
  Engine(std::shared_ptr<const Snapshot> snapshot, std::filesystem::path quarantine_dir,
         std::filesystem::path audit_path);

  // A message keeps the snapshot it started with, so a reload never changes
  // the rules halfway through one message.
  std::shared_ptr<const Snapshot> snapshot() const { return snapshot_.load(); }
  const Enforcer& enforcer() const { return enforcer_; }

  // Open MTA connections, so shutdown can wait for them to finish.
  void connection_opened() const { active_connections_.fetch_add(1); }
  void connection_closed() const { active_connections_.fetch_sub(1); }
  int active_connections() const { return active_connections_.load(); }

 private:
  std::atomic<std::shared_ptr<const Snapshot>> snapshot_;
  QuarantineStore quarantine_;
  AuditLog audit_;
  Enforcer enforcer_;
  mutable std::atomic<int> active_connections_{0};
};

}  // namespace privmilter::milter
