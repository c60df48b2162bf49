// privmilterctl: the administrators' command line over the core library.

#include <CLI/CLI.hpp>

#include <vector>

#include "commands.h"
#include "privmilter/version.h"

int main(int argc, char** argv) {
  using namespace privmilter::tools;
  CLI::App app{"privmilterctl - administer privmilter: test policies against messages, review decisions",
               "privmilterctl"};
  app.set_version_flag("-V,--version", std::string("privmilterctl ") + privmilter::kVersion);
  app.require_subcommand(1);
  const std::vector<Subcommand> subcommands{add_scan_command(app), add_check_policy_command(app),
                                          add_test_policy_command(app), add_extract_command(app),
                                          add_reload_command(app), add_keygen_command(app),
                                          add_quarantine_command(app), add_audit_command(app),
                                          add_report_command(app)};
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; a usage error exits 2, like the commands' own "cannot run".
    return app.exit(e) == 0 ? 0 : 2;
  }
  for (const auto& subcommand : subcommands) {
    if (subcommand.parser->parsed()) return subcommand.run();
  }
  return 2;
}
