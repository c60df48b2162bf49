#include "service_manager.h"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <cstdint>
#include <cstring>
#include <ctime>

#include "signal_mask.h"

namespace privmilter::milter {

namespace {

void notify(const std::string& state) {
  if (const int rc = ::sd_notify(0, state.c_str()); rc < 0) {
    spdlog::warn("cannot notify the service manager: {}", std::strerror(-rc));
  }
}

// systemd 253 and later match RELOADING=1 to the reload request by this time stamp.
std::uint64_t monotonic_microseconds() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<std::uint64_t>(now.tv_sec) * 1000000u + static_cast<std::uint64_t>(now.tv_nsec) / 1000u;
}

}  // namespace

void ServiceManager::ready(std::string_view status) const {
  notify("READY=1\nSTATUS=" + std::string(status));
}

void ServiceManager::reloading() const {
  notify("RELOADING=1\nSTATUS=reloading the configuration and policy\nMONOTONIC_USEC=" +
         std::to_string(monotonic_microseconds()));
}

void ServiceManager::reloaded(std::string_view status) const {
  notify("READY=1\nSTATUS=" + std::string(status));
}

void ServiceManager::stopping(std::chrono::seconds drain) const {
  const auto extension = std::chrono::duration_cast<std::chrono::microseconds>(drain).count();
  notify("STOPPING=1\nSTATUS=stopping: letting messages in progress finish\nEXTEND_TIMEOUT_USEC=" +
         std::to_string(extension));
}

void ServiceManager::start_watchdog(std::function<Status()> healthy) {
  if (watchdog_.joinable()) return;
  std::uint64_t usec = 0;
  if (::sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return;
  healthy_ = std::move(healthy);
  const auto interval = std::chrono::microseconds(usec / 2);
  {
    std::lock_guard lock(mutex_);
    stopping_watchdog_ = false;
  }
  const AllSignalsBlocked blocked;
  watchdog_ = std::thread([this, interval] { run_watchdog(interval); });
  spdlog::info("watchdog: pinging systemd every {} ms while healthy",
               std::chrono::duration_cast<std::chrono::milliseconds>(interval).count());
}

void ServiceManager::stop_watchdog() {
  if (!watchdog_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_watchdog_ = true;
  }
  wake_.notify_all();
  watchdog_.join();
}

void ServiceManager::run_watchdog(std::chrono::microseconds interval) {
  bool was_healthy = true;
  std::unique_lock lock(mutex_);
  while (!stopping_watchdog_) {
    lock.unlock();
    // Nothing may escape the thread: an exception there ends the process.
    Status health = make_error("health check threw");
    try {
      health = healthy_();
    } catch (const std::exception& e) {
      health = make_error(std::string("health check failed: ") + e.what());
    }
    if (health) {
      notify("WATCHDOG=1");
      if (!was_healthy) spdlog::info("watchdog: healthy again; pinging systemd");
    } else if (was_healthy) {
      spdlog::error("watchdog: {}; no longer pinging systemd, which restarts the daemon", health.error().message);
    }
    was_healthy = health.ok();
    lock.lock();
    wake_.wait_for(lock, interval, [this] { return stopping_watchdog_; });
  }
}

Status engine_answers(const Engine& engine) {
  const auto snapshot = engine.snapshot();
  if (!snapshot || !snapshot->policy || !snapshot->config) return make_error("no policy snapshot in force");
  (void)engine.last_reload();
  if (auto answered = engine.quarantine().status("watchdog-probe"); !answered) {
    return make_error("quarantine index does not answer: " + answered.error().message);
  }
  return Status::success();
}

}  // namespace privmilter::milter
