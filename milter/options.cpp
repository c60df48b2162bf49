#include "options.h"

#include <CLI/CLI.hpp>

#include "privmilter/version.h"

namespace privmilter::milter {

ParsedOptions parse_options(int argc, char** argv) {
  ParsedOptions parsed;
  Options& options = parsed.options;
  CLI::App app{"privmilter - confidentiality filter for a law firm's outgoing mail (libmilter)", "privmilter"};
  app.add_option("-c,--config", options.config_path, "configuration file")->capture_default_str();
  app.add_option("-p,--socket", options.socket, "milter socket, overriding the configuration: inet:PORT@HOST, inet6:PORT@HOST or unix:/path");
  app.add_option("-P,--pid-file", options.pid_file, "pid file, overriding the configuration's pid_file");
  app.add_flag("-n,--check", options.check_only, "validate the configuration and policy, then exit");
  app.add_flag("-f,--foreground", options.foreground, "stay in the foreground and log to standard error");
  app.add_flag("-V,--version", options.version, "print the version and exit");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    parsed.exit_code = app.exit(e);
  }
  return parsed;
}

}  // namespace privmilter::milter
