#include "retention_sweeper.h"

#include <spdlog/spdlog.h>

#include "privmilter/json.h"

namespace privmilter::milter {

namespace {

// Lets the daemon finish starting (and the MTA's first messages through)
// before the first pass touches the disk.
constexpr auto kFirstSweepDelay = std::chrono::seconds(30);

}  // namespace

Result<std::size_t> sweep_expired_quarantine(const Engine& engine, std::chrono::system_clock::time_point now) {
  const unsigned days = engine.snapshot()->config->quarantine.retention_days;
  if (days == 0) return std::size_t{0};
  const auto cutoff = now - std::chrono::hours(24) * days;
  auto purged = engine.quarantine().purge(cutoff);
  if (!purged) return purged.error();
  if (purged->empty()) return std::size_t{0};
  nlohmann::json event{{"type", "reviewer"},
                       {"time", format_utc(now)},
                       {"action", "purge"},
                       {"by", "privmilter (retention)"},
                       {"reason", "retention period of " + std::to_string(days) + " days"},
                       {"ids", *purged}};
  if (auto logged = engine.audit().append(std::move(event)); !logged) {
    spdlog::error("purged {} quarantine entries past retention but could not record it: {}", purged->size(),
                  logged.error().message);
  } else {
    spdlog::info("purged {} quarantine entries past the retention period of {} days", purged->size(), days);
  }
  return purged->size();
}

RetentionSweeper::RetentionSweeper(const Engine& engine, std::chrono::milliseconds interval)
    : engine_(engine), interval_(interval), thread_([this] { run(); }) {}

RetentionSweeper::~RetentionSweeper() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void RetentionSweeper::run() {
  std::unique_lock lock(mutex_);
  auto wait = std::min<std::chrono::milliseconds>(interval_, kFirstSweepDelay);
  while (!wake_.wait_for(lock, wait, [this] { return stopping_; })) {
    lock.unlock();
    try {
      if (auto swept = sweep_expired_quarantine(engine_, std::chrono::system_clock::now()); !swept) {
        spdlog::error("quarantine retention sweep failed: {}", swept.error().message);
      }
    } catch (const std::exception& e) {
      spdlog::error("quarantine retention sweep failed: {}", e.what());
    }
    lock.lock();
    wait = interval_;
  }
}

}  // namespace privmilter::milter
