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
  auto smime = load_smime_context(config.smime);
  if (!smime) return smime.error();
  auto release_key = load_key_file(config.release.key_file);
  if (!release_key) return release_key.error();
  return Snapshot{.config = std::make_shared<const Config>(config),
                  .policy = std::move(bundle->policy),
                  .directory = std::move(bundle->directory),
                  .smime = std::make_shared<const SmimeContext>(std::move(smime).value()),
                  .release_key = std::move(release_key).value(),
                  .generation = 0};
}

}  // namespace privmilter::milter
