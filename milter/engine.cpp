#include "engine.h"

namespace privmilter::milter {

Engine::Engine(std::shared_ptr<const Snapshot> snapshot, std::filesystem::path quarantine_dir,
               std::filesystem::path audit_path)
    : snapshot_(std::move(snapshot)),
      quarantine_(std::move(quarantine_dir)),
      audit_(std::move(audit_path)),
      enforcer_(quarantine_, audit_) {}

Result<std::unique_ptr<Engine>> Engine::create(Config config) {
  auto policy = load_policy_file(config.policy_path);
  if (!policy) return policy.error();
  auto shared_config = std::make_shared<const Config>(std::move(config));
  auto snapshot = std::make_shared<const Snapshot>(
      Snapshot{.config = shared_config, .policy = *policy, .directory = shared_config->directory()});
  auto engine = std::make_unique<Engine>(snapshot, shared_config->quarantine_directory, shared_config->audit_log_path);
  if (auto opened = engine->quarantine_.open(); !opened) return opened.error();
  if (auto opened = engine->audit_.open(); !opened) return opened.error();
  return engine;
}

}  // namespace privmilter::milter
