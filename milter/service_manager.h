#pragma once
// Tells systemd (Type=notify) what the daemon is doing: READY=1 once the
// milter socket listens and the engine is up, RELOADING=1 ... READY=1
// around each reload, STOPPING=1 on shutdown, and WATCHDOG=1 pings while
// the daemon is healthy. Outside systemd (no NOTIFY_SOCKET) every call
// does nothing.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "engine.h"
#include "privmilter/result.h"

namespace privmilter::milter {

class ServiceManager {
 public:
  ServiceManager() = default;
  ServiceManager(const ServiceManager&) = delete;
  ServiceManager& operator=(const ServiceManager&) = delete;
  ~ServiceManager() { stop_watchdog(); }

  void ready(std::string_view status) const;
  void reloading() const;
  // After a reload attempt, successful or not: the daemon keeps serving.
  void reloaded(std::string_view status) const;
  // `drain` is how long in-flight messages may still take; systemd's stop
  // timeout is extended by it so that it does not kill them first.
  void stopping(std::chrono::seconds drain) const;

  // When systemd asks for a watchdog (WATCHDOG_USEC, and WATCHDOG_PID is
  // this process or unset), pings it at half the interval for as long as
  // `healthy` succeeds. A check that fails or hangs withholds the ping, so
  // systemd restarts a daemon that no longer serves mail. The thread starts
  // with every signal blocked.
  void start_watchdog(std::function<Status()> healthy);
  void stop_watchdog();

 private:
  void run_watchdog(std::chrono::microseconds interval);

  std::function<Status()> healthy_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_watchdog_ = false;
  std::thread watchdog_;
};

// What "healthy" means for the watchdog: the parts every message passes
// through still answer. The snapshot is in place, the reload lock can be
// taken (a reload is not stuck) and the quarantine index answers a query
// (its lock is not held by a stuck thread, SQLite responds). Each check
// blocks where a message would block, so a deadlock there stops the pings.
Status engine_answers(const Engine& engine);

}  // namespace privmilter::milter
