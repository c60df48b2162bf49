#pragma once
// Reads a JSON-lines file (the audit log) into one value per line.

#include <nlohmann/json.hpp>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "unit/temp_dir.h"

namespace privmilter::testing {

inline std::vector<nlohmann::json> parse_json_lines(const std::string& content) {
  std::vector<nlohmann::json> lines;
  std::istringstream in(content);
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

inline std::vector<nlohmann::json> read_json_lines(const std::filesystem::path& path) {
  return parse_json_lines(read_file(path));
}

}  // namespace privmilter::testing
