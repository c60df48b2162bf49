// privmilterctl quarantine list | show: what is held and why. Listing
// reads only the index; showing decrypts one entry, and reading the
// message itself is a reviewer action recorded in the audit log.

#include <cstdio>
#include <iostream>
#include <string>

#include "privmilter/json.h"
#include "quarantine_commands.h"
#include "quarantine_context.h"

namespace privmilter::tools {

namespace {

std::string joined(const std::vector<std::string>& items, const char* separator = ", ") {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

nlohmann::json summary_json(const QuarantineSummary& entry) {
  return {{"id", entry.id},
          {"time", format_utc(entry.time)},
          {"status", to_string(entry.status)},
          {"sender", entry.sender},
          {"recipients", entry.recipients},
          {"removed_recipients", entry.removed_recipients},
          {"action", entry.action},
          {"rules", entry.rules},
          {"size", entry.size}};
}

void print_table(const std::vector<QuarantineSummary>& entries) {
  std::printf("%-36s %-24s %-8s %-10s %9s  %-30s %-30s %s\n", "ID", "TIME", "STATUS", "ACTION", "SIZE", "SENDER",
              "RECIPIENTS", "RULES");
  for (const auto& entry : entries) {
    std::printf("%-36s %-24s %-8s %-10s %9zu  %-30s %-30s %s\n", entry.id.c_str(), format_utc(entry.time).c_str(),
                std::string(to_string(entry.status)).c_str(), entry.action.c_str(), entry.size, entry.sender.c_str(),
                joined(entry.recipients, ",").c_str(), joined(entry.rules, ",").c_str());
  }
}

void print_entry_text(const QuarantinedMessage& entry) {
  const auto& verdict = entry.record.value("verdict", nlohmann::json::object());
  std::cout << "id:          " << entry.summary.id << "\n"
            << "time:        " << format_utc(entry.summary.time) << "\n"
            << "status:      " << to_string(entry.summary.status) << "\n"
            << "sender:      " << (entry.envelope.sender.empty() ? "<>" : entry.envelope.sender) << "\n"
            << "recipients:  " << joined(entry.envelope.recipients) << "\n";
  if (!entry.removed_recipients.empty()) std::cout << "removed:     " << joined(entry.removed_recipients) << "\n";
  std::cout << "action:      " << entry.summary.action;
  if (verdict.contains("deciding_rule") && verdict["deciding_rule"].is_string()) {
    std::cout << " (rule " << verdict["deciding_rule"].get<std::string>() << ")";
  }
  std::cout << "\n"
            << "size:        " << entry.summary.size << " bytes\n";
  if (!entry.envelope.queue_id.empty()) std::cout << "queue id:    " << entry.envelope.queue_id << "\n";
  if (!entry.envelope.client_addr.empty() || !entry.envelope.auth_authen.empty()) {
    std::cout << "client:      " << entry.envelope.client_addr
              << (entry.envelope.client_name.empty() ? "" : " " + entry.envelope.client_name)
              << (entry.envelope.auth_authen.empty() ? "" : " (authenticated as " + entry.envelope.auth_authen + ")")
              << "\n";
  }
  std::cout << "rules:\n";
  for (const auto& rule : verdict.value("rules", nlohmann::json::array())) {
    std::cout << "  " << rule.value("rule", "") << ": " << rule.value("action", "")
              << (rule.value("monitor", false) ? " (monitor)" : "");
    const auto recipients = rule.value("recipients", std::vector<std::string>{});
    if (!recipients.empty()) std::cout << " [" << joined(recipients) << "]";
    std::cout << "\n";
    for (const auto& hit : rule.value("hits", nlohmann::json::array())) {
      std::cout << "    " << hit.value("detector", "") << " in " << hit.value("location", "") << ": "
                << hit.value("match", "") << " (x" << hit.value("count", 1) << ")\n";
    }
  }
}

}  // namespace

int run_quarantine_list(const std::string& config_path, const QuarantineListOptions& options) {
  QuarantineFilter filter;
  const auto now = std::chrono::system_clock::now();
  for (const auto& [text, target, name] : {std::tuple{&options.since, &filter.since, "--since"},
                                           std::tuple{&options.until, &filter.until, "--until"}}) {
    if (text->empty()) continue;
    *target = parse_time_argument(*text, now);
    if (!*target) {
      print_error(std::string(name) + ": not a date, time or age: " + *text);
      return kExitCannotRun;
    }
  }
  if (!options.status.empty()) {
    filter.status = parse_quarantine_status(options.status);
    if (!filter.status) {
      print_error("--status must be held, released or deleted");
      return kExitCannotRun;
    }
  }
  filter.sender = options.sender;
  filter.recipient = options.recipient;
  filter.rule = options.rule;
  filter.action = options.action;
  filter.limit = options.limit;
  filter.offset = options.offset;
  auto context = open_quarantine(config_path, false);
  if (!context) return kExitCannotRun;
  auto entries = context->store->list(filter);
  if (!entries) {
    print_error(entries.error().message);
    return kExitCannotRun;
  }
  if (options.format == "json") {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& entry : *entries) out.push_back(summary_json(entry));
    std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
  } else {
    print_table(*entries);
  }
  return kExitOk;
}

int run_quarantine_show(const std::string& config_path, const QuarantineShowOptions& options) {
  auto context = open_quarantine(config_path, options.message);
  if (!context) return kExitCannotRun;
  auto entry = context->store->load(options.id);
  if (!entry) {
    print_error(entry.error().message);
    return kExitRefused;
  }
  if (options.message) {
    // Recorded before anything of the content is shown.
    nlohmann::json event{{"action", "show"}, {"id", options.id}, {"by", reviewer_name(options.by)}};
    if (!options.reason.empty()) event["reason"] = options.reason;
    if (!audit_reviewer_action(*context, std::move(event))) return kExitCannotRun;
  }
  if (options.format == "json") {
    nlohmann::json out = summary_json(entry->summary);
    out["envelope"] = entry->record.value("envelope", nlohmann::json::object());
    out["verdict"] = entry->record.value("verdict", nlohmann::json::object());
    if (options.message) out["message"] = entry->message;
    std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
    return kExitOk;
  }
  print_entry_text(*entry);
  if (options.message) std::cout << "----- message -----\n" << entry->message << std::flush;
  return kExitOk;
}

}  // namespace privmilter::tools
