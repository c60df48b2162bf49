// privmilterctl check-policy: validate what the daemon would load - the
// configuration, every policy file and the firm directory - and say where
// the first problem is (file:line:column).

#include <spdlog/spdlog.h>

#include <iostream>
#include <memory>

#include "commands.h"
#include "policy_setup.h"

namespace privmilter::tools {

namespace {

constexpr int kExitValid = 0;
constexpr int kExitInvalid = 1;
constexpr int kExitUsage = 2;

struct CheckPolicyOptions {
  std::string config_path;     // empty: the default, unless a policy is named
  std::string policy_path;     // --policy
  std::string policy_file;     // the positional form kept from earlier releases
  std::string directory_path;  // --directory
};

std::string directory_summary(const PolicySetup& setup) {
  if (!setup.has_directory) return "no directory";
  const FirmDirectory& firm = setup.bundle.directory.firm();
  return "directory: " + std::to_string(firm.user_count()) + " users, " + std::to_string(firm.client_count()) +
         " clients, " + std::to_string(firm.matter_count()) + " matters, " + std::to_string(firm.wall_count()) +
         " walls";
}

int run_check_policy(const CheckPolicyOptions& options) {
  if (!options.policy_path.empty() && !options.policy_file.empty()) {
    std::cerr << "privmilterctl: give the policy either as FILE or with --policy, not both" << std::endl;
    return kExitUsage;
  }
  const std::string policy = options.policy_path.empty() ? options.policy_file : options.policy_path;
  PolicySetupOptions setup_options;
  if (!options.config_path.empty()) {
    setup_options.config = options.config_path;
  } else if (policy.empty()) {
    setup_options.config = kDefaultConfigPath;
  }
  if (!policy.empty()) setup_options.overrides.policy = policy;
  if (!options.directory_path.empty()) setup_options.overrides.directory = options.directory_path;

  auto setup = load_policy_setup(setup_options);
  if (!setup) {
    std::cerr << setup.error().message << std::endl;
    return kExitInvalid;
  }
  const std::size_t files = policy_file_count(setup->policy_path);
  std::cout << "OK: " << rule_count(*setup->bundle.policy) << " rules in " << files << (files == 1 ? " file" : " files")
            << "; " << directory_summary(*setup) << std::endl;
  return kExitValid;
}

}  // namespace

Subcommand add_check_policy_command(CLI::App& app) {
  auto options = std::make_shared<CheckPolicyOptions>();
  auto* command = app.add_subcommand(
      "check-policy",
      "validate the configuration, the policy and the firm directory; errors name file:line:column (exit 0 valid, "
      "1 invalid)");
  command->add_option("-c,--config", options->config_path,
                      std::string("daemon configuration (default ") + kDefaultConfigPath +
                          ", unless only a policy is given)");
  command->add_option("--policy", options->policy_path, "policy file or folder to check instead of the configuration's");
  command->add_option("--directory", options->directory_path,
                      "firm directory folder to check instead of the configuration's");
  command->add_option("FILE", options->policy_file, "policy file or folder (the same as --policy)");
  return {command, [options] {
            spdlog::set_level(spdlog::level::warn);
            return run_check_policy(*options);
          }};
}

}  // namespace privmilter::tools
