#pragma once
// The policy and the firm directory it refers to, loaded and cross-checked
// together: the daemon at start and on reload, privmilterctl for scan,
// check-policy and test-policy all go through this one function.

#include <filesystem>
#include <memory>
#include <optional>

#include "privmilter/config.h"
#include "privmilter/directory.h"
#include "privmilter/policy.h"
#include "privmilter/result.h"

namespace privmilter {

struct PolicyBundle {
  std::shared_ptr<const Policy> policy;
  Directory directory;  // internal domains and networks + the firm directory
};

struct PolicyBundleOverrides {
  std::optional<std::filesystem::path> policy;     // a file or directory instead of config.policy_path
  std::optional<std::filesystem::path> directory;  // instead of config.directory_path
};

// Errors name file:line:column of the policy or directory file at fault.
Result<PolicyBundle> load_policy_bundle(const Config& config, const PolicyBundleOverrides& overrides = {});

}  // namespace privmilter
