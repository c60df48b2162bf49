#pragma once
// What the daemon judges messages by: the configuration, the compiled
// policy and the directory, loaded together and immutable once built, so
// that a reload can build a new one off to the side and swap it in whole.
// Free of libmilter: privmilterctl validates with the same functions before
// it asks the daemon to reload.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "privmilter/config.h"
#include "privmilter/directory.h"
#include "privmilter/enforce.h"
#include "privmilter/key_file.h"
#include "privmilter/policy.h"
#include "privmilter/result.h"

namespace privmilter::milter {

struct Snapshot {
  std::shared_ptr<const Config> config;
  std::shared_ptr<const Policy> policy;
  Directory directory;
  // Recipients' certificates and the escrow certificate for encrypt verdicts.
  std::shared_ptr<const SmimeContext> smime;
  // Verifies the release tokens of reviewed messages coming back through.
  SecretKey release_key;
  std::uint64_t generation = 0;  // 1 for the snapshot loaded at start, +1 per successful reload
};

// Where the daemon's configuration comes from: the file it was started
// with, and the command-line settings that override the file's. A reload
// repeats exactly this, so an override keeps overriding. The paths are
// absolute: a detached daemon runs in "/".
struct ConfigSource {
  std::filesystem::path file;
  std::optional<std::string> socket;
  std::optional<std::filesystem::path> pid_file;
};

Result<Config> load_config(const ConfigSource& source);

// Loads everything the configuration names (policy, firm directory; see
// load_policy_bundle; certificates, release key) into a snapshot of generation 0; the engine numbers
// the snapshots it installs. Errors name the file and line.
Result<Snapshot> load_snapshot(const Config& config);

}  // namespace privmilter::milter
