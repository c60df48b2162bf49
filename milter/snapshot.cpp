#include "snapshot.h"

#include "privmilter/policy_bundle.h"

namespace privmilter::milter {

Result<Config> load_config(const ConfigSource& source) {
  auto config = load_config_file(source.file);
  if (!config) return config.error();
  if (source.socket) config->socket = *source.socket;
  if (source.pid_file) config->pid_file = *source.pid_file;
  return config;
}

Result<Snapshot> load_snapshot(const Config& config) {
  auto bundle = load_policy_bundle(config);
  if (!bundle) return bundle.error();
  return Snapshot{.config = std::make_shared<const Config>(config),
                  .policy = std::move(bundle->policy),
                  .directory = std::move(bundle->directory),
                  .generation = 0};
}

}  // namespace privmilter::milter
