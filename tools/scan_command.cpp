#include <spdlog/spdlog.h>

#include <iostream>
#include <memory>

#include "commands.h"
#include "message_file.h"
#include "privmilter/config.h"
#include "privmilter/json.h"
#include "privmilter/pipeline.h"
#include "privmilter/policy.h"

namespace privmilter::tools {

namespace {

struct ScanOptions {
  std::string message_path;
  std::string config_path = "/etc/privmilter/privmilter.yaml";
  std::string policy_path;  // overrides the configuration's policy
  std::string sender;
  std::vector<std::string> recipients;
  std::string auth_user = "privmilterctl";
  bool json = false;
};

nlohmann::json facts_json(const MessageFacts& facts) {
  nlohmann::json segments = nlohmann::json::array();
  for (const auto& segment : facts.segments) {
    segments.push_back({{"kind", to_string(segment.kind)}, {"location", segment.location}, {"chars", segment.text.size()}});
  }
  nlohmann::json parts = nlohmann::json::array();
  for (const auto& part : facts.parts) parts.push_back(to_json_value(part));
  return {{"bytes", facts.message_bytes}, {"parts", facts.part_count}, {"encryption", to_string(facts.encryption)},
          {"all_content_protected", facts.all_content_protected},
          {"segments", segments},         {"parts", parts}, {"defects", facts.defects}};
}

void print_text(const ScanOptions& options, const Decision& decision) {
  const auto& facts = decision.facts;
  const auto& verdict = decision.verdict;
  std::cout << "message: " << options.message_path << " (" << facts.message_bytes << " bytes, " << facts.part_count
            << " parts, encryption: " << to_string(facts.encryption) << ")\n";
  for (const auto& segment : facts.segments) {
    std::cout << "  text " << segment.location << " (" << segment.text.size() << " bytes)\n";
  }
  for (const auto& part : facts.parts) {
    std::cout << "  part " << part.path << " " << part.content_type << " '" << part.filename << "' (" << part.size
              << " bytes)";
    if (!part.uninspectable_reason.empty()) std::cout << " uninspectable: " << part.uninspectable_reason;
    std::cout << "\n";
  }
  for (const auto& defect : facts.defects) std::cout << "  defect: " << defect << "\n";
  std::cout << "verdict: " << to_string(verdict.action);
  if (!verdict.deciding_rule.empty()) std::cout << " (rule " << verdict.deciding_rule << ")";
  std::cout << "\n";
  if (verdict.reply) {
    std::cout << "  reply: " << verdict.reply->code << " " << verdict.reply->xcode << " " << verdict.reply->text << "\n";
  }
  for (const auto& rule : verdict.matched_rules) std::cout << "  matched rule: " << rule << "\n";
  for (const auto& header : verdict.add_headers) std::cout << "  add header: " << header.name << ": " << header.value << "\n";
  for (const auto& item : verdict.evidence) {
    std::cout << "  evidence: rule=" << item.rule_id << " detector=" << item.detector << " location=" << item.location;
    if (!item.masked_match.empty()) std::cout << " match=\"" << item.masked_match << "\"";
    std::cout << "\n";
  }
}

int run_scan(const ScanOptions& options) {
  auto config = load_config_file(options.config_path);
  if (!config) {
    std::cerr << "privmilterctl: " << config.error().message << std::endl;
    return 2;
  }
  auto policy = load_policy_file(options.policy_path.empty() ? config->policy_path : std::filesystem::path(options.policy_path));
  if (!policy) {
    std::cerr << "privmilterctl: " << policy.error().message << std::endl;
    return 2;
  }
  auto spool = read_message_file(options.message_path);
  if (!spool) {
    std::cerr << "privmilterctl: " << spool.error().message << std::endl;
    return 2;
  }
  Envelope envelope{.queue_id = "scan",
                    .sender = options.sender,
                    .recipients = options.recipients,
                    .auth_authen = options.auth_user,
                    .client_addr = "127.0.0.1",
                    .client_name = "localhost",
                    .daemon_name = "privmilterctl"};
  auto decision = decide(envelope, *spool, **policy, config->directory(), config->content_limits);
  if (!decision) {
    std::cerr << "privmilterctl: cannot inspect " << options.message_path << ": " << decision.error().message << std::endl;
    return 2;
  }
  if (options.json) {
    std::cout << nlohmann::json{{"message", options.message_path},
                                {"facts", facts_json(decision->facts)},
                                {"verdict", to_json_value(decision->verdict)}}
                     .dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
              << std::endl;
  } else {
    print_text(options, *decision);
  }
  return 0;
}

}  // namespace

Subcommand add_scan_command(CLI::App& app) {
  auto options = std::make_shared<ScanOptions>();
  auto* command = app.add_subcommand("scan", "run a message through content extraction and the policy, offline");
  command->add_option("FILE", options->message_path, "message file (RFC 5322, .eml)")->required();
  command->add_option("-c,--config", options->config_path, "daemon configuration (internal domains, policy path)")
      ->capture_default_str();
  command->add_option("--policy", options->policy_path, "policy file to use instead of the configuration's");
  command->add_option("--from", options->sender, "envelope sender")->required();
  command->add_option("--rcpt", options->recipients, "envelope recipient (repeatable)")->required();
  command->add_option("--auth", options->auth_user, "authenticated sender login")->capture_default_str();
  command->add_flag("--json", options->json, "print JSON instead of text");
  return {command, [options] {
            spdlog::set_level(spdlog::level::warn);
            return run_scan(*options);
          }};
}

}  // namespace privmilter::tools
