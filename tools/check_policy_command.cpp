#include <iostream>
#include <memory>

#include "commands.h"
#include "privmilter/policy.h"

namespace privmilter::tools {

Subcommand add_check_policy_command(CLI::App& app) {
  auto* command = app.add_subcommand("check-policy", "validate a policy file; errors name the file and line");
  auto path = std::make_shared<std::string>();
  command->add_option("FILE", *path, "policy file")->required();
  return {command, [path] {
    auto policy = load_policy_file(*path);
    if (!policy) {
      std::cerr << policy.error().message << std::endl;
      return 1;
    }
    std::cout << *path << ": OK (" << rule_count(**policy) << " rules)" << std::endl;
    return 0;
  }};
}

}  // namespace privmilter::tools
