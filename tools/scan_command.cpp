// privmilterctl scan: what the policy would do with a message, offline,
// through the same content extraction and policy evaluation as the daemon.

#include <spdlog/spdlog.h>

#include <iostream>
#include <memory>
#include <optional>

#include "commands.h"
#include "message_file.h"
#include "policy_setup.h"
#include "privmilter/json.h"
#include "privmilter/pipeline.h"
#include "verdict_printer.h"

namespace privmilter::tools {

namespace {

constexpr int kExitScanned = 0;
constexpr int kExitError = 2;

struct ScanOptions {
  std::string message_path;
  std::string config_path = kDefaultConfigPath;
  std::string policy_path;     // overrides the configuration's policy
  std::string directory_path;  // overrides the configuration's firm directory
  std::string sender;
  std::vector<std::string> recipients;
  std::string auth_user;  // empty: the sender did not authenticate
  std::string format = "text";
  bool json = false;
};

PolicySetupOptions setup_options(const ScanOptions& options) {
  PolicySetupOptions setup{.config = options.config_path, .overrides = {}};
  if (!options.policy_path.empty()) setup.overrides.policy = options.policy_path;
  if (!options.directory_path.empty()) setup.overrides.directory = options.directory_path;
  return setup;
}

void print_json(const ScanOptions& options, const Decision& decision) {
  nlohmann::json out = to_json_value(decision.verdict);
  out["message"] = options.message_path;
  out["facts"] = facts_summary_json(decision.facts);
  std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
}

int run_scan(const ScanOptions& options) {
  auto setup = load_policy_setup(setup_options(options));
  if (!setup) {
    std::cerr << "privmilterctl: " << setup.error().message << std::endl;
    return kExitError;
  }
  auto spool = read_message_file(options.message_path);
  if (!spool) {
    std::cerr << "privmilterctl: " << spool.error().message << std::endl;
    return kExitError;
  }
  const Envelope envelope{.queue_id = "scan",
                          .sender = options.sender,
                          .recipients = options.recipients,
                          .auth_authen = options.auth_user,
                          .client_addr = "127.0.0.1",
                          .client_name = "localhost",
                          .daemon_name = "privmilterctl"};
  auto decision = decide(envelope, *spool, *setup->bundle.policy, setup->bundle.directory,
                         setup->config.content_limits);
  if (!decision) {
    std::cerr << "privmilterctl: cannot inspect " << options.message_path << ": " << decision.error().message
              << std::endl;
    return kExitError;
  }
  if (options.json || options.format == "json") {
    print_json(options, *decision);
  } else {
    print_facts_text(std::cout, options.message_path, decision->facts);
    print_verdict_text(std::cout, decision->verdict);
  }
  return kExitScanned;
}

}  // namespace

Subcommand add_scan_command(CLI::App& app) {
  auto options = std::make_shared<ScanOptions>();
  auto* command = app.add_subcommand("scan", "run a message through content extraction and the policy, offline");
  command->add_option("FILE", options->message_path, "message file (RFC 5322, .eml)")->required();
  command->add_option("-c,--config", options->config_path, "daemon configuration (internal domains, policy, directory)")
      ->capture_default_str();
  command->add_option("--policy", options->policy_path, "policy file or folder to use instead of the configuration's");
  command->add_option("--directory", options->directory_path,
                      "firm directory folder to use instead of the configuration's");
  command->add_option("--from", options->sender, "envelope sender")->required();
  command->add_option("--rcpt", options->recipients, "envelope recipient (repeatable)")->required();
  command->add_option("--auth", options->auth_user, "SMTP AUTH login of the sender (default: not authenticated)");
  command->add_option("--format", options->format, "output format")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  command->add_flag("--json", options->json, "the same as --format json");
  return {command, [options] {
            spdlog::set_level(spdlog::level::warn);
            return run_scan(*options);
          }};
}

}  // namespace privmilter::tools
