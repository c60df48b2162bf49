#include "privmilter/policy_bundle.h"

namespace privmilter {

Result<PolicyBundle> load_policy_bundle(const Config& config, const PolicyBundleOverrides& overrides) {
  auto policy = load_policy_file(overrides.policy.value_or(config.policy_path));
  if (!policy) return policy.error();
  std::shared_ptr<const FirmDirectory> firm;
  if (const auto directory_path = overrides.directory ? overrides.directory : config.directory_path) {
    auto loaded = load_firm_directory(*directory_path, config.internal_domains);
    if (!loaded) return loaded.error();
    firm = std::move(loaded).value();
  }
  Directory directory(config.internal_domains, config.internal_networks, std::move(firm));
  if (auto checked = check_directory_references(**policy, directory); !checked) return checked.error();
  return PolicyBundle{std::move(policy).value(), std::move(directory)};
}

}  // namespace privmilter
