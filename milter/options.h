#pragma once
// The daemon's command line, in the style of OpenDKIM.

#include <optional>
#include <string>
#include <vector>

namespace privmilter::milter {

struct Options {
  std::string config_path = "/etc/privmilter/privmilter.yaml";
  std::optional<std::string> socket;  // overrides milter.socket
  std::optional<std::string> pid_file;  // overrides pid_file
  bool check_only = false;
  bool foreground = false;
  bool version = false;
};

// Returns the options, or an exit code when parsing already answered
// (help, version, usage error).
struct ParsedOptions {
  Options options;
  std::optional<int> exit_code;
};

ParsedOptions parse_options(int argc, char** argv);

}  // namespace privmilter::milter
