#pragma once
// privmilterctl subcommands. Each registers itself and its options on the
// CLI11 app and returns how to run it once parsed.

#include <CLI/CLI.hpp>

#include <functional>

namespace privmilter::tools {

struct Subcommand {
  CLI::App* parser;
  std::function<int()> run;  // returns the exit code
};

Subcommand add_scan_command(CLI::App& app);
Subcommand add_check_policy_command(CLI::App& app);
Subcommand add_extract_command(CLI::App& app);
Subcommand add_reload_command(CLI::App& app);
Subcommand add_test_policy_command(CLI::App& app);
Subcommand add_keygen_command(CLI::App& app);
// quarantine list|show|release|delete|purge|reindex
Subcommand add_quarantine_command(CLI::App& app);
// audit verify|query
Subcommand add_audit_command(CLI::App& app);
Subcommand add_report_command(CLI::App& app);

}  // namespace privmilter::tools
