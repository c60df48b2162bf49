// privmilterctl report: what the filter decided over a period, from the
// audit log: decisions by action, rule, sender and recipient domain, and
// what reviewers did.

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "commands.h"
#include "privmilter/audit.h"
#include "privmilter/config.h"
#include "privmilter/json.h"
#include "policy_setup.h"

namespace privmilter::tools {

namespace {

constexpr int kExitOk = 0;
constexpr int kExitCannotRun = 2;

struct ReportOptions {
  std::string config_path = kDefaultConfigPath;
  std::string log;
  std::string since;
  std::string until;
  std::string format = "text";
  std::size_t top = 10;
};

using Counts = std::map<std::string, std::size_t>;

struct Summary {
  std::size_t records = 0;
  std::size_t decisions = 0;
  Counts by_action;
  Counts by_rule;
  Counts by_monitor_rule;
  Counts by_sender;
  Counts by_recipient_domain;  // decisions with at least one recipient there
  Counts reviewer_actions;
  Counts by_type;
};

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string string_field(const nlohmann::json& record, const char* key) {
  const auto found = record.find(key);
  return found != record.end() && found->is_string() ? found->get<std::string>() : std::string("(none)");
}

void count_strings(const nlohmann::json& record, const char* key, Counts& counts) {
  const auto found = record.find(key);
  if (found == record.end() || !found->is_array()) return;
  for (const auto& item : *found) {
    if (item.is_string()) ++counts[item.get<std::string>()];
  }
}

Summary summarize(const std::vector<nlohmann::json>& records) {
  Summary summary;
  for (const auto& record : records) {
    ++summary.records;
    const std::string type = string_field(record, "type");
    ++summary.by_type[type];
    if (type == "reviewer") ++summary.reviewer_actions[string_field(record, "action")];
    if (type != "decision") continue;
    ++summary.decisions;
    ++summary.by_action[string_field(record, "action")];
    ++summary.by_sender[lower(string_field(record, "sender"))];
    count_strings(record, "rules", summary.by_rule);
    count_strings(record, "monitor_rules", summary.by_monitor_rule);
    std::set<std::string> domains;
    if (const auto recipients = record.find("recipients"); recipients != record.end() && recipients->is_array()) {
      for (const auto& recipient : *recipients) {
        if (!recipient.is_string()) continue;
        const std::string address = lower(recipient.get<std::string>());
        const auto at = address.rfind('@');
        domains.insert(at == std::string::npos ? address : address.substr(at + 1));
      }
    }
    for (const auto& domain : domains) ++summary.by_recipient_domain[domain];
  }
  return summary;
}

// Most frequent first; ties by name.
std::vector<std::pair<std::string, std::size_t>> ranked(const Counts& counts) {
  std::vector<std::pair<std::string, std::size_t>> items(counts.begin(), counts.end());
  std::stable_sort(items.begin(), items.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  return items;
}

void print_section(const std::string& title, const Counts& counts, std::size_t top) {
  std::cout << title << ":\n";
  if (counts.empty()) std::cout << "  (none)\n";
  const auto items = ranked(counts);
  const std::size_t shown = top == 0 ? items.size() : std::min(top, items.size());
  for (std::size_t i = 0; i < shown; ++i) {
    std::cout << "  " << std::setw(8) << items[i].second << "  " << items[i].first << "\n";
  }
  if (shown < items.size()) std::cout << "  ... and " << items.size() - shown << " more\n";
}

int run_report(const ReportOptions& options) {
  std::filesystem::path log = options.log;
  if (log.empty()) {
    auto config = load_config_file(options.config_path);
    if (!config) {
      std::cerr << "privmilterctl report: " << config.error().message << std::endl;
      return kExitCannotRun;
    }
    log = config->audit.log;
  }
  AuditFilter filter;
  const auto now = std::chrono::system_clock::now();
  for (auto [text, bound] : {std::pair{&options.since, &filter.since}, {&options.until, &filter.until}}) {
    if (text->empty()) continue;
    auto point = parse_audit_time(*text, now);
    if (!point) {
      std::cerr << "privmilterctl report: " << point.error().message << std::endl;
      return kExitCannotRun;
    }
    *bound = *point;
  }
  auto records = read_audit_records(log);
  if (!records) {
    std::cerr << "privmilterctl report: " << records.error().message << std::endl;
    return kExitCannotRun;
  }
  std::vector<nlohmann::json> selected;
  for (auto& record : *records) {
    if (audit_record_matches(record, filter)) selected.push_back(std::move(record));
  }
  const Summary summary = summarize(selected);
  const std::string since = filter.since ? format_utc(*filter.since) : "the start of the log";
  const std::string until = filter.until ? format_utc(*filter.until) : "now";

  if (options.format == "json") {
    nlohmann::json out{{"since", filter.since ? nlohmann::json(since) : nlohmann::json()},
                       {"until", filter.until ? nlohmann::json(until) : nlohmann::json()},
                       {"records", summary.records},
                       {"by_type", summary.by_type},
                       {"decisions",
                        {{"total", summary.decisions},
                         {"by_action", summary.by_action},
                         {"by_rule", summary.by_rule},
                         {"by_monitor_rule", summary.by_monitor_rule},
                         {"by_sender", summary.by_sender},
                         {"by_recipient_domain", summary.by_recipient_domain}}},
                       {"reviewer_actions", summary.reviewer_actions}};
    std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
    return kExitOk;
  }
  std::cout << "audit report for " << log.string() << ", " << since << " to " << until << "\n"
            << summary.decisions << " decisions, " << summary.records << " records\n";
  print_section("decisions by action", summary.by_action, 0);
  print_section("decisions by rule", summary.by_rule, options.top);
  if (!summary.by_monitor_rule.empty()) print_section("monitored rules", summary.by_monitor_rule, options.top);
  print_section("decisions by sender", summary.by_sender, options.top);
  print_section("decisions by recipient domain", summary.by_recipient_domain, options.top);
  print_section("reviewer actions", summary.reviewer_actions, 0);
  std::cout << std::flush;
  return kExitOk;
}

}  // namespace

Subcommand add_report_command(CLI::App& app) {
  auto options = std::make_shared<ReportOptions>();
  CLI::App* command = app.add_subcommand(
      "report", "Summarise the audit log: decisions by action, rule, sender and recipient domain; reviewer actions");
  command->add_option("-c,--config", options->config_path, "daemon configuration")->capture_default_str();
  command->add_option("--log", options->log, "the audit log, instead of the configuration's audit.log");
  command->add_option("--since", options->since, "from this time on: 7d, 12h, 30m, 2026-11-01, ISO time");
  command->add_option("--until", options->until, "before this time (same forms)");
  command->add_option("--format", options->format, "text or json")
      ->capture_default_str()
      ->check(CLI::IsMember({"text", "json"}));
  command->add_option("--top", options->top, "in text, the N most frequent rules, senders and domains (0: all)")
      ->capture_default_str();
  return {command, [options] {
            spdlog::set_level(spdlog::level::warn);
            return run_report(*options);
          }};
}

}  // namespace privmilter::tools
