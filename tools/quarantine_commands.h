#pragma once
// The privmilterctl quarantine subcommands, one function each; the options
// are registered in quarantine_command.cpp.

#include <cstddef>
#include <string>
#include <vector>

namespace privmilter::tools {

struct QuarantineListOptions {
  std::string since;
  std::string until;
  std::string sender;
  std::string recipient;
  std::string rule;
  std::string action;
  std::string status;
  std::size_t limit = 50;
  std::size_t offset = 0;
  std::string format = "table";
};
int run_quarantine_list(const std::string& config_path, const QuarantineListOptions& options);

struct QuarantineShowOptions {
  std::string id;
  bool message = false;
  std::string format = "text";
  std::string by;
  std::string reason;
};
int run_quarantine_show(const std::string& config_path, const QuarantineShowOptions& options);

struct QuarantineReleaseOptions {
  std::string id;
  std::string reason;
  std::vector<std::string> to;
  std::string by;
  std::string output;
  bool force = false;
};
int run_quarantine_release(const std::string& config_path, const QuarantineReleaseOptions& options);

}  // namespace privmilter::tools
