#pragma once
// Reload on SIGUSR1. The main thread takes SIGTERM and SIGINT (a drained
// stop), libmilter's signal thread SIGHUP; SIGUSR1 is blocked in every
// thread and taken only by the listener's, which reloads the engine, logs
// the outcome and rewrites the reload status file.

#include <atomic>
#include <csignal>
#include <filesystem>
#include <optional>
#include <thread>

#include "engine.h"
#include "privmilter/result.h"
#include "service_manager.h"

namespace privmilter::milter {

inline constexpr int kReloadSignal = SIGUSR1;

// Blocks the reload signal in the calling thread. Call before any other
// thread starts (libmilter's, the listener's), so that all of them inherit
// the mask and an early signal waits instead of killing the process.
Status block_reload_signal();

class ReloadListener {
 public:
  // Writes the initial status (no attempt yet) to `status_file` when given,
  // then starts taking the reload signal. Each reload is announced to
  // `service_manager` (RELOADING=1, then READY=1 with the outcome).
  ReloadListener(Engine& engine, std::optional<std::filesystem::path> status_file,
                 const ServiceManager& service_manager);
  ReloadListener(const ReloadListener&) = delete;
  ReloadListener& operator=(const ReloadListener&) = delete;
  ~ReloadListener() { stop(); }

  // Ends the thread (after a reload in progress) and removes the status file.
  void stop();

 private:
  void run();
  void reload_once();
  void write_status() const;

  Engine& engine_;
  const ServiceManager& service_manager_;
  std::optional<std::filesystem::path> status_file_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace privmilter::milter
