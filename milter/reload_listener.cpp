#include "reload_listener.h"

#include <pthread.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstring>

#include "logging.h"
#include "privmilter/json.h"
#include "reload_status.h"
#include "signal_mask.h"

namespace privmilter::milter {

namespace {

sigset_t reload_signal_set() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, kReloadSignal);
  return set;
}

ReloadStatusRecord status_record(const ReloadStatus& status, const ConfigSource& source) {
  using std::chrono::duration_cast;
  using std::chrono::nanoseconds;
  return ReloadStatusRecord{
      .pid = ::getpid(),
      .config = source.file.string(),
      .attempts = status.attempts,
      .generation = status.generation,
      .rules = status.rule_count,
      .ok = status.ok,
      .error = status.error,
      .restart_required = status.restart_required,
      .started_monotonic_ns = duration_cast<nanoseconds>(status.started.time_since_epoch()).count(),
      .time = format_utc(status.finished),
  };
}

}  // namespace

Status block_reload_signal() {
  const sigset_t set = reload_signal_set();
  if (const int rc = ::pthread_sigmask(SIG_BLOCK, &set, nullptr); rc != 0) {
    return make_error(std::string("cannot block SIGUSR1: ") + std::strerror(rc));
  }
  return Status::success();
}

ReloadListener::ReloadListener(Engine& engine, std::optional<std::filesystem::path> status_file,
                               const ServiceManager& service_manager)
    : engine_(engine), service_manager_(service_manager), status_file_(std::move(status_file)) {
  write_status();
  const AllSignalsBlocked blocked;
  thread_ = std::thread([this] { run(); });
}

void ReloadListener::stop() {
  if (!thread_.joinable()) return;
  stopping_.store(true);
  // Directed at the listener's thread, so it cannot be mistaken for (or
  // merged with) a reload request sent to the process.
  ::pthread_kill(thread_.native_handle(), kReloadSignal);
  thread_.join();
  if (status_file_) {
    if (auto recorded = read_reload_status(*status_file_); recorded && recorded->pid == ::getpid()) {
      std::error_code ignored;
      std::filesystem::remove(*status_file_, ignored);
    }
  }
}

void ReloadListener::run() {
  const sigset_t set = reload_signal_set();
  for (;;) {
    int signal = 0;
    if (::sigwait(&set, &signal) != 0) continue;
    if (stopping_.load()) return;
    reload_once();
  }
}

void ReloadListener::reload_once() {
  service_manager_.reloading();
  std::string outcome_text;
  // Nothing may escape the thread: an exception there ends the process.
  try {
    auto outcome = engine_.reload();
    if (outcome) {
      spdlog::info("policy reloaded: {} rules, generation {}", outcome->rule_count, outcome->generation);
      set_log_level(engine_.snapshot()->config->log_level);
      outcome_text = fmt::format("serving; policy generation {} ({} rules) reloaded", outcome->generation,
                                 outcome->rule_count);
    } else {
      const auto kept = engine_.last_reload().generation;
      spdlog::error("policy reload rejected: {}; keeping generation {}", outcome.error().message, kept);
      outcome_text = fmt::format("serving; reload rejected, policy generation {} kept", kept);
    }
    write_status();
  } catch (const std::exception& e) {
    spdlog::error("policy reload failed: {}", e.what());
    outcome_text = "serving; reload failed";
  }
  // The running snapshot serves mail whatever the outcome.
  service_manager_.reloaded(outcome_text);
}

void ReloadListener::write_status() const {
  if (!status_file_) return;
  const auto written = write_reload_status(*status_file_, status_record(engine_.last_reload(), engine_.config_source()));
  if (!written) spdlog::warn("cannot write the reload status: {}", written.error().message);
}

}  // namespace privmilter::milter
