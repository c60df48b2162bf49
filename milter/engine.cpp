#include "engine.h"

#include <spdlog/spdlog.h>

namespace privmilter::milter {

namespace {

template <typename T>
void keep_running_value(const char* key, const T& running, T& loaded, std::vector<std::string>& changed) {
  if (loaded == running) return;
  changed.emplace_back(key);
  loaded = running;
}

// The socket is bound, the stores are open and the pid file is written
// once at start; a reload cannot move them, so the loaded configuration
// keeps the running values and the caller learns which ones differed.
std::vector<std::string> keep_settings_bound_at_start(const Config& running, Config& loaded) {
  std::vector<std::string> changed;
  keep_running_value("milter.socket", running.socket, loaded.socket, changed);
  keep_running_value("milter.engine", running.server.engine, loaded.server.engine, changed);
  keep_running_value("milter.inspection_threads", running.server.inspection_threads,
                     loaded.server.inspection_threads, changed);
  keep_running_value("quarantine.directory", running.quarantine.directory, loaded.quarantine.directory, changed);
  keep_running_value("quarantine.key_file", running.quarantine.key_file, loaded.quarantine.key_file, changed);
  keep_running_value("audit.log", running.audit.log, loaded.audit.log, changed);
  keep_running_value("audit.key_file", running.audit.key_file, loaded.audit.key_file, changed);
  keep_running_value("audit.rotate_bytes", running.audit.rotate_bytes, loaded.audit.rotate_bytes, changed);
  keep_running_value("notify.outbox", running.notify.outbox, loaded.notify.outbox, changed);
  keep_running_value("notify.max_attempts", running.notify.max_attempts, loaded.notify.max_attempts, changed);
  keep_running_value("mta", running.mta, loaded.mta, changed);
  keep_running_value("spool.directory", running.spool_directory, loaded.spool_directory, changed);
  keep_running_value("pid_file", running.pid_file, loaded.pid_file, changed);
  keep_running_value("metrics.listen", running.metrics_listen, loaded.metrics_listen, changed);
  keep_running_value("user", running.process.user, loaded.process.user, changed);
  keep_running_value("group", running.process.group, loaded.process.group, changed);
  keep_running_value("milter.shutdown_timeout_seconds", running.process.shutdown_timeout_seconds,
                     loaded.process.shutdown_timeout_seconds, changed);
  return changed;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

}  // namespace

Engine::Engine(std::shared_ptr<const Snapshot> snapshot, SecretKey quarantine_key, SecretKey audit_key)
    : snapshot_(snapshot),
      quarantine_(snapshot->config->quarantine.directory, std::move(quarantine_key)),
      audit_(AuditLogOptions{.path = snapshot->config->audit.log,
                             .key = std::move(audit_key),
                             .rotate_bytes = snapshot->config->audit.rotate_bytes}),
      notifier_(std::make_unique<Notifier>(snapshot->config->notify, snapshot->config->mta)),
      enforcer_(quarantine_, audit_, notifier_.get()) {}

Engine::~Engine() = default;

Status Engine::start_background_work() { return notifier_->start(); }

EnforcementContext Engine::enforcement_context(const Snapshot& snapshot) {
  return EnforcementContext{.smime = snapshot.smime.get(),
                            .notify = &snapshot.config->notify,
                            .firm_name = snapshot.config->firm_name};
}

Result<std::unique_ptr<Engine>> Engine::create(Config config) {
  ConfigSource source{.file = config.source, .socket = std::nullopt, .pid_file = std::nullopt};
  return create(std::move(config), std::move(source));
}

Result<std::unique_ptr<Engine>> Engine::create(Config config, ConfigSource source) {
  auto loaded = load_snapshot(config);
  if (!loaded) return loaded.error();
  loaded->generation = 1;
  auto snapshot = std::make_shared<const Snapshot>(std::move(loaded).value());
  auto quarantine_key = load_key_file(config.quarantine.key_file);
  if (!quarantine_key) return quarantine_key.error();
  auto audit_key = load_key_file(config.audit.key_file);
  if (!audit_key) return audit_key.error();
  auto engine = std::make_unique<Engine>(snapshot, std::move(quarantine_key).value(), std::move(audit_key).value());
  engine->source_ = std::move(source);
  engine->last_reload_.generation = snapshot->generation;
  engine->last_reload_.rule_count = rule_count(*snapshot->policy);
  engine->last_reload_.started = std::chrono::steady_clock::now();
  engine->last_reload_.finished = std::chrono::system_clock::now();
  engine->metrics_.record_policy(engine->last_reload_.generation, engine->last_reload_.rule_count,
                                 engine->last_reload_.finished);
  if (auto opened = engine->quarantine_.open(); !opened) return opened.error();
  if (auto opened = engine->audit_.open(); !opened) return opened.error();
  return engine;
}

Result<ReloadOutcome> Engine::reload() {
  std::lock_guard lock(reload_mutex_);
  const auto started = std::chrono::steady_clock::now();
  auto outcome = [this]() -> Result<ReloadOutcome> {
    try {
      return load_and_install();
    } catch (const std::exception& e) {
      return make_error(std::string("internal error: ") + e.what());
    }
  }();
  ReloadStatus& status = last_reload_;
  status.attempts += 1;
  status.started = started;
  status.finished = std::chrono::system_clock::now();
  status.ok = outcome.ok();
  if (outcome) {
    status.generation = outcome->generation;
    status.rule_count = outcome->rule_count;
    status.error.clear();
    status.restart_required = outcome->restart_required;
  } else {
    status.error = outcome.error().message;
    status.restart_required.clear();
  }
  metrics_.record_reload(status.ok, status.generation, status.rule_count, status.finished);
  return outcome;
}

ReloadStatus Engine::last_reload() const {
  std::lock_guard lock(reload_mutex_);
  return last_reload_;
}

Result<ReloadOutcome> Engine::load_and_install() {
  auto config = load_config(source_);
  if (!config) return config.error();
  const auto running = snapshot();
  ReloadOutcome outcome;
  outcome.restart_required = keep_settings_bound_at_start(*running->config, *config);
  auto loaded = load_snapshot(*config);
  if (!loaded) return loaded.error();
  loaded->generation = running->generation + 1;
  outcome.generation = loaded->generation;
  outcome.rule_count = rule_count(*loaded->policy);
  if (!outcome.restart_required.empty()) {
    spdlog::warn("{} changed in {} but take effect only after a restart; keeping the running values",
                 joined(outcome.restart_required), source_.file.string());
  }
  snapshot_.store(std::make_shared<const Snapshot>(std::move(loaded).value()));
  return outcome;
}

}  // namespace privmilter::milter
