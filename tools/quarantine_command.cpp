// privmilterctl quarantine list|show|release|delete|purge|reindex: the
// security reviewer's view of held mail (docs/QUARANTINE.md). Every action
// on an entry's content is recorded in the audit log.

#include <iostream>
#include <memory>
#include <string>

#include "commands.h"
#include "quarantine_commands.h"
#include "quarantine_context.h"

namespace privmilter::tools {

namespace {

constexpr const char* kDefaultConfig = "/etc/privmilter/privmilter.yaml";

struct QuarantineOptions {
  std::string config_path = kDefaultConfig;
  QuarantineListOptions list;
  QuarantineShowOptions show;
  QuarantineReleaseOptions release;
  std::string delete_id;
  std::string delete_reason;
  std::string delete_by;
  unsigned older_than_days = 0;
  bool older_than_given = false;
  std::string purge_reason = "retention";
  std::string purge_by;
};

int run_delete(const QuarantineOptions& options) {
  auto context = open_quarantine(options.config_path, true);
  if (!context) return kExitCannotRun;
  auto status = context->store->status(options.delete_id);
  if (!status) {
    print_error(status.error().message);
    return kExitCannotRun;
  }
  if (status->has_value() && **status == QuarantineStatus::deleted) {
    print_error("entry " + options.delete_id + " is already deleted");
    return kExitRefused;
  }
  if (auto removed = context->store->remove(options.delete_id); !removed) {
    print_error(removed.error().message);
    return kExitRefused;
  }
  std::cout << "entry " << options.delete_id << " deleted" << std::endl;
  const bool audited = audit_reviewer_action(*context, {{"action", "delete"},
                                                        {"id", options.delete_id},
                                                        {"by", reviewer_name(options.delete_by)},
                                                        {"reason", options.delete_reason}});
  return audited ? kExitOk : kExitCannotRun;
}

int run_purge(const QuarantineOptions& options) {
  auto context = open_quarantine(options.config_path, true);
  if (!context) return kExitCannotRun;
  const unsigned days = options.older_than_given ? options.older_than_days : context->config.quarantine.retention_days;
  if (days == 0) {
    print_error("retention is off (quarantine.retention_days: 0); name an age with --older-than DAYS");
    return kExitCannotRun;
  }
  const auto cutoff = std::chrono::system_clock::now() - std::chrono::hours(24) * days;
  auto purged = context->store->purge(cutoff);
  if (!purged) {
    print_error(purged.error().message);
    return kExitCannotRun;
  }
  std::cout << "purged " << purged->size() << " entr" << (purged->size() == 1 ? "y" : "ies") << " older than " << days
            << " days" << std::endl;
  const bool audited = audit_reviewer_action(*context, {{"action", "purge"},
                                                        {"ids", *purged},
                                                        {"older_than_days", days},
                                                        {"by", reviewer_name(options.purge_by)},
                                                        {"reason", options.purge_reason}});
  return audited ? kExitOk : kExitCannotRun;
}

int run_reindex(const QuarantineOptions& options) {
  auto context = open_quarantine(options.config_path, false);
  if (!context) return kExitCannotRun;
  auto indexed = context->store->reindex();
  if (!indexed) {
    print_error(indexed.error().message);
    return kExitCannotRun;
  }
  std::cout << "indexed " << *indexed << " entr" << (*indexed == 1 ? "y" : "ies") << std::endl;
  return kExitOk;
}

void add_config_option(CLI::App* command, QuarantineOptions& options) {
  command->add_option("-c,--config", options.config_path, "Daemon configuration")->capture_default_str();
}

}  // namespace

Subcommand add_quarantine_command(CLI::App& app) {
  auto options = std::make_shared<QuarantineOptions>();
  CLI::App* command = app.add_subcommand("quarantine", "Review held messages: list, show, release, delete, purge");
  command->require_subcommand(1);
  add_config_option(command, *options);

  CLI::App* list = command->add_subcommand("list", "List entries, newest first");
  add_config_option(list, *options);
  list->add_option("--since", options->list.since, "From this time (2026-11-28, 2026-11-28T16:30Z, or an age: 7d)");
  list->add_option("--until", options->list.until, "Before this time");
  list->add_option("--sender", options->list.sender, "Sender contains (case-insensitive)");
  list->add_option("--recipient", options->list.recipient, "A recipient contains (case-insensitive)");
  list->add_option("--rule", options->list.rule, "Held by this rule id");
  list->add_option("--action", options->list.action, "Verdict action");
  list->add_option("--status", options->list.status, "held, released or deleted");
  list->add_option("--limit", options->list.limit, "At most this many (0: all)")->capture_default_str();
  list->add_option("--offset", options->list.offset, "Skip this many")->capture_default_str();
  list->add_option("--format", options->list.format, "table or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();

  CLI::App* show = command->add_subcommand("show", "Envelope, verdict and evidence of an entry");
  add_config_option(show, *options);
  show->add_option("id", options->show.id, "Entry id")->required();
  show->add_flag("--message", options->show.message, "Also print the decrypted message (recorded in the audit log)");
  show->add_option("--format", options->show.format, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  show->add_option("--by", options->show.by, "Reviewer name for the audit log");
  show->add_option("--reason", options->show.reason, "Why the message is read");

  CLI::App* release = command->add_subcommand("release", "Hand the message back to the MTA with a release token");
  add_config_option(release, *options);
  release->add_option("id", options->release.id, "Entry id")->required();
  release->add_option("--reason", options->release.reason, "Why it may go")->required();
  release->add_option("--to", options->release.to, "Release to these addresses instead of the original recipients");
  release->add_option("--by", options->release.by, "Reviewer name for the audit log");
  release->add_option("--output", options->release.output,
                      "Write the token-bearing message to this file instead of sending it");
  release->add_flag("--force", options->release.force, "Release an entry that is not held");

  CLI::App* remove = command->add_subcommand("delete", "Delete an entry's message and evidence");
  add_config_option(remove, *options);
  remove->add_option("id", options->delete_id, "Entry id")->required();
  remove->add_option("--reason", options->delete_reason, "Why")->required();
  remove->add_option("--by", options->delete_by, "Reviewer name for the audit log");

  CLI::App* purge = command->add_subcommand("purge", "Delete entries older than the retention period");
  add_config_option(purge, *options);
  purge->add_option("--older-than", options->older_than_days, "Age in days (default: quarantine.retention_days)")
      ->each([options](const std::string&) { options->older_than_given = true; });
  purge->add_option("--reason", options->purge_reason, "Why")->capture_default_str();
  purge->add_option("--by", options->purge_by, "Reviewer name for the audit log");

  CLI::App* reindex = command->add_subcommand("reindex", "Rebuild quarantine.db from the entry files");
  add_config_option(reindex, *options);

  return {command, [options, list, show, release, remove, purge, reindex]() -> int {
            if (list->parsed()) return run_quarantine_list(options->config_path, options->list);
            if (show->parsed()) return run_quarantine_show(options->config_path, options->show);
            if (release->parsed()) return run_quarantine_release(options->config_path, options->release);
            if (remove->parsed()) return run_delete(*options);
            if (purge->parsed()) return run_purge(*options);
            if (reindex->parsed()) return run_reindex(*options);
            return kExitCannotRun;
          }};
}

}  // namespace privmilter::tools
