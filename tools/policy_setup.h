#pragma once
// What the policy commands (scan, check-policy, test-policy) load before
// they run: the daemon configuration, the policy and the firm directory,
// with the same cross-checks as the daemon (policy_bundle.h).

#include <cstddef>
#include <filesystem>
#include <optional>

#include "privmilter/config.h"
#include "privmilter/policy_bundle.h"
#include "privmilter/result.h"

namespace privmilter::tools {

inline constexpr const char* kDefaultConfigPath = "/etc/privmilter/privmilter.yaml";

struct PolicySetupOptions {
  // No configuration: only the policy (and the directory when given) are
  // read; no internal domains, so every recipient counts as external.
  std::optional<std::filesystem::path> config;
  PolicyBundleOverrides overrides;
};

struct PolicySetup {
  Config config;
  PolicyBundle bundle;
  std::filesystem::path policy_path;  // the file or folder the policy was read from
  bool has_directory = false;         // a firm directory was loaded
};

Result<PolicySetup> load_policy_setup(const PolicySetupOptions& options);

// How many files make up the policy at `path`: 1 for a file, else the
// policy files of the folder as the loader reads them.
std::size_t policy_file_count(const std::filesystem::path& path);

}  // namespace privmilter::tools
