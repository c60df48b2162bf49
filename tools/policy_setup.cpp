#include "policy_setup.h"

#include <system_error>

namespace privmilter::tools {

namespace fs = std::filesystem;

Result<PolicySetup> load_policy_setup(const PolicySetupOptions& options) {
  PolicySetup setup;
  if (options.config) {
    auto config = load_config_file(*options.config);
    if (!config) return config.error();
    setup.config = std::move(config).value();
  } else if (!options.overrides.policy) {
    return make_error("no policy: give a configuration (-c) or a policy (--policy)");
  }
  setup.policy_path = options.overrides.policy.value_or(setup.config.policy_path);
  setup.has_directory = options.overrides.directory.has_value() || setup.config.directory_path.has_value();

  if (!options.config && !options.overrides.directory) {
    // A lone policy file, checked on its own: names of users and groups
    // cannot be checked without a directory, so they are not.
    auto policy = load_policy_file(setup.policy_path);
    if (!policy) return policy.error();
    setup.bundle.policy = std::move(policy).value();
    return setup;
  }
  auto bundle = load_policy_bundle(setup.config, options.overrides);
  if (!bundle) return bundle.error();
  setup.bundle = std::move(bundle).value();
  return setup;
}

std::size_t policy_file_count(const fs::path& path) {
  std::error_code error;
  if (!fs::is_directory(path, error)) return 1;
  std::size_t count = 0;
  for (fs::directory_iterator it(path, error), end; !error && it != end; it.increment(error)) {
    const std::string name = it->path().filename().string();
    // The loader's rule: editors' backups and hidden files are not policy.
    if (name.empty() || name.front() == '.' || name.back() == '~') continue;
    const fs::path extension = it->path().extension();
    if (extension != ".yaml" && extension != ".yml") continue;
    std::error_code type_error;
    if (it->is_regular_file(type_error)) ++count;
  }
  return count;
}

}  // namespace privmilter::tools
