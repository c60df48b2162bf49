// privmilterctl keygen: create the key files privmilter's cryptography
// uses (quarantine at rest, audit chain, release tokens). Never replaces an
// existing key: what it protects would become unreadable or unverifiable.

#include <filesystem>
#include <memory>
#include <iostream>
#include <string>
#include <vector>

#include "commands.h"
#include "privmilter/config.h"
#include "privmilter/key_file.h"

namespace privmilter::tools {

namespace {

struct KeygenOptions {
  std::vector<std::string> files;
  std::string config_path;
};

int run_keygen(const KeygenOptions& options) {
  std::vector<std::filesystem::path> wanted(options.files.begin(), options.files.end());
  bool skip_existing = false;
  if (!options.config_path.empty()) {
    auto config = load_config_file(options.config_path);
    if (!config) {
      std::cerr << "privmilterctl keygen: " << config.error().message << std::endl;
      return 2;
    }
    wanted.push_back(config->quarantine.key_file);
    wanted.push_back(config->audit.key_file);
    wanted.push_back(config->release.key_file);
    skip_existing = true;  // --config creates only what is missing
  }
  if (wanted.empty()) {
    std::cerr << "privmilterctl keygen: name key files or --config" << std::endl;
    return 2;
  }
  int status = 0;
  for (const auto& path : wanted) {
    if (skip_existing && std::filesystem::exists(path)) {
      if (auto key = load_key_file(path); !key) {
        std::cerr << "privmilterctl keygen: " << key.error().message << std::endl;
        status = 1;
      } else {
        std::cout << path.string() << ": present (" << key->fingerprint() << ")" << std::endl;
      }
      continue;
    }
    if (auto made = generate_key_file(path); !made) {
      std::cerr << "privmilterctl keygen: " << made.error().message << std::endl;
      status = 1;
      continue;
    }
    auto key = load_key_file(path);
    std::cout << path.string() << ": created (" << (key ? key->fingerprint() : std::string("?")) << ")" << std::endl;
  }
  return status;
}

}  // namespace

Subcommand add_keygen_command(CLI::App& app) {
  auto options = std::make_shared<KeygenOptions>();
  CLI::App* command = app.add_subcommand(
      "keygen", "Create key files (mode 0600); with --config, the missing ones the configuration names");
  command->add_option("files", options->files, "Key files to create");
  command->add_option("-c,--config", options->config_path, "Create the configuration's missing key files");
  return {command, [options] { return run_keygen(*options); }};
}

}  // namespace privmilter::tools
