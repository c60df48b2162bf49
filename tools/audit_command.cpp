// privmilterctl audit verify|query: check the audit log's HMAC chain, and
// select its records.

#include <spdlog/spdlog.h>

#include <algorithm>
#include <iomanip>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "privmilter/audit.h"
#include "privmilter/config.h"
#include "privmilter/key_file.h"
#include "policy_setup.h"

namespace privmilter::tools {

namespace {

constexpr int kExitOk = 0;
constexpr int kExitTampered = 1;
constexpr int kExitCannotRun = 2;

struct VerifyOptions {
  std::string config_path = kDefaultConfigPath;
  std::string log;
  std::string key;
};

struct QueryOptions {
  std::string config_path = kDefaultConfigPath;
  std::string log;
  std::string since;
  std::string until;
  AuditFilter filter;
  std::string format = "table";
  std::size_t limit = 0;
};

// The log (and key file) the configuration names, unless given directly.
Result<AuditSettings> audit_settings(const std::string& config_path, const std::string& log, const std::string& key) {
  AuditSettings settings;
  settings.log = log;
  settings.key_file = key;
  if (!log.empty() && !key.empty()) return settings;
  auto config = load_config_file(config_path);
  if (!config) return config.error();
  if (settings.log.empty()) settings.log = config->audit.log;
  if (settings.key_file.empty()) settings.key_file = config->audit.key_file;
  return settings;
}

int run_verify(const VerifyOptions& options) {
  auto settings = audit_settings(options.config_path, options.log, options.key);
  if (!settings) {
    std::cerr << "privmilterctl audit verify: " << settings.error().message << std::endl;
    return kExitCannotRun;
  }
  auto key = load_key_file(settings->key_file);
  if (!key) {
    std::cerr << "privmilterctl audit verify: " << key.error().message << std::endl;
    return kExitCannotRun;
  }
  auto result = verify_audit_log(settings->log, *key);
  if (!result) {
    std::cerr << "privmilterctl audit verify: " << result.error().message << std::endl;
    return kExitCannotRun;
  }
  for (const auto& note : result->notes) std::cout << "note: " << note << "\n";
  if (!result->ok) {
    std::cout << "TAMPERED: " << result->file.string();
    if (result->line > 0) std::cout << ":" << result->line;
    std::cout << ": " << result->problem << "\n"
              << result->records << " records verified before it" << std::endl;
    return kExitTampered;
  }
  std::cout << "audit log " << settings->log.string() << ": OK, " << result->records << " records in "
            << result->files << (result->files == 1 ? " file" : " files") << ", chain ends at seq "
            << result->last_seq << " (key " << key->fingerprint() << ")" << std::endl;
  return kExitOk;
}

std::string text_of(const nlohmann::json& record, const char* key) {
  const auto found = record.find(key);
  if (found == record.end() || found->is_null()) return "-";
  if (found->is_string()) return found->get<std::string>();
  if (found->is_array()) {
    std::string joined;
    for (const auto& item : *found) {
      if (!joined.empty()) joined += ",";
      joined += item.is_string() ? item.get<std::string>() : item.dump();
    }
    return joined.empty() ? "-" : joined;
  }
  return found->dump();
}

void print_table(const std::vector<nlohmann::json>& records) {
  const std::vector<std::string> headings{"TIME", "REF", "TYPE", "SENDER", "ACTION", "RULES", "RECIPIENTS"};
  std::vector<std::vector<std::string>> rows;
  for (const auto& record : records) {
    std::string rules = text_of(record, "rules");
    if (record.contains("monitor_rules")) rules += " (monitor: " + text_of(record, "monitor_rules") + ")";
    std::string ref = text_of(record, "ref");
    if (ref == "-") ref = text_of(record, "quarantine_id");
    rows.push_back({text_of(record, "time"), ref, text_of(record, "type"), text_of(record, "sender"),
                    text_of(record, "action"), rules, text_of(record, "recipients")});
  }
  std::vector<std::size_t> widths;
  for (const auto& heading : headings) widths.push_back(heading.size());
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  auto print_row = [&widths](const std::vector<std::string>& row) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (i + 1 < row.size()) {
        std::cout << std::left << std::setw(static_cast<int>(widths[i])) << row[i] << "  ";
      } else {
        std::cout << row[i] << "\n";
      }
    }
  };
  print_row(headings);
  for (const auto& row : rows) print_row(row);
}

int run_query(QueryOptions options) {
  auto settings = audit_settings(options.config_path, options.log, "-");
  if (!settings) {
    std::cerr << "privmilterctl audit query: " << settings.error().message << std::endl;
    return kExitCannotRun;
  }
  const auto now = std::chrono::system_clock::now();
  for (auto [text, bound] : {std::pair{&options.since, &options.filter.since}, {&options.until, &options.filter.until}}) {
    if (text->empty()) continue;
    auto point = parse_audit_time(*text, now);
    if (!point) {
      std::cerr << "privmilterctl audit query: " << point.error().message << std::endl;
      return kExitCannotRun;
    }
    *bound = *point;
  }
  auto records = read_audit_records(settings->log);
  if (!records) {
    std::cerr << "privmilterctl audit query: " << records.error().message << std::endl;
    return kExitCannotRun;
  }
  std::vector<nlohmann::json> selected;
  for (auto& record : *records) {
    if (audit_record_matches(record, options.filter)) selected.push_back(std::move(record));
  }
  // --limit keeps the most recent matches, still printed oldest first.
  if (options.limit > 0 && selected.size() > options.limit) {
    selected.erase(selected.begin(), selected.end() - static_cast<std::ptrdiff_t>(options.limit));
  }
  if (options.format == "json") {
    for (const auto& record : selected) {
      std::cout << record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    }
  } else {
    print_table(selected);
  }
  std::cout << std::flush;
  return kExitOk;
}

}  // namespace

Subcommand add_audit_command(CLI::App& app) {
  CLI::App* command = app.add_subcommand("audit", "Verify the audit log's chain or select its records");
  command->require_subcommand(1);

  auto verify = std::make_shared<VerifyOptions>();
  CLI::App* verify_command = command->add_subcommand(
      "verify", "Check every record's MAC and the chain across rotated files and the head file (exit 0 intact, "
                "1 tampered: the first bad record is named, 2 cannot run)");
  verify_command->add_option("-c,--config", verify->config_path, "daemon configuration")->capture_default_str();
  verify_command->add_option("--log", verify->log, "the audit log, instead of the configuration's audit.log");
  verify_command->add_option("--key", verify->key, "the audit key file, instead of the configuration's");

  auto query = std::make_shared<QueryOptions>();
  CLI::App* query_command = command->add_subcommand("query", "Print the audit records that match every filter given");
  query_command->add_option("-c,--config", query->config_path, "daemon configuration")->capture_default_str();
  query_command->add_option("--log", query->log, "the audit log, instead of the configuration's audit.log");
  query_command->add_option("--since", query->since, "from this time on: 7d, 12h, 30m, 2026-11-01, ISO time");
  query_command->add_option("--until", query->until, "before this time (same forms)");
  query_command->add_option("--sender", query->filter.sender, "sender address, or a domain");
  query_command->add_option("--recipient", query->filter.recipient, "a recipient address, or a domain");
  query_command->add_option("--rule", query->filter.rule, "a rule id that fired (enforced or monitored)");
  query_command->add_option("--action", query->filter.action, "the action (quarantine, reject, release, ...)");
  query_command->add_option("--type", query->filter.type, "record type (decision, reviewer, release, ...)");
  query_command->add_option("--format", query->format, "table or json (one record per line)")
      ->capture_default_str()
      ->check(CLI::IsMember({"table", "json"}));
  query_command->add_option("--limit", query->limit, "only the most recent N matches");

  return {command, [verify_command, query_command, verify, query] {
            spdlog::set_level(spdlog::level::warn);
            if (verify_command->parsed()) return run_verify(*verify);
            if (query_command->parsed()) return run_query(*query);
            return kExitCannotRun;
          }};
}

}  // namespace privmilter::tools
