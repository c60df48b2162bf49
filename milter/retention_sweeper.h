#pragma once
// Enforces the quarantine's retention period: held and reviewed entries
// older than quarantine.retention_days are purged, hourly and shortly
// after start, each purge recorded in the audit log.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "engine.h"

namespace privmilter::milter {

// One pass: purges what the engine's current configuration says is past
// retention. Returns the number of entries removed.
Result<std::size_t> sweep_expired_quarantine(const Engine& engine, std::chrono::system_clock::time_point now);

class RetentionSweeper {
 public:
  RetentionSweeper(const Engine& engine, std::chrono::milliseconds interval = std::chrono::hours(1));
  ~RetentionSweeper();  // stops promptly
  RetentionSweeper(const RetentionSweeper&) = delete;
  RetentionSweeper& operator=(const RetentionSweeper&) = delete;

 private:
  void run();

  const Engine& engine_;
  std::chrono::milliseconds interval_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mutex_
  std::thread thread_;
};

}  // namespace privmilter::milter
