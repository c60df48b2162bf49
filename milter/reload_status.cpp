#include "reload_status.h"

#include <nlohmann/json.hpp>

#include "state_file.h"

namespace privmilter::milter {

std::filesystem::path reload_status_path(const std::filesystem::path& pid_file) {
  return std::filesystem::path(pid_file.string() + ".reload");
}

Status write_reload_status(const std::filesystem::path& path, const ReloadStatusRecord& record) {
  const nlohmann::json json{{"pid", record.pid},
                            {"config", record.config},
                            {"attempts", record.attempts},
                            {"generation", record.generation},
                            {"rules", record.rules},
                            {"ok", record.ok},
                            {"error", record.error},
                            {"restart_required", record.restart_required},
                            {"started_monotonic_ns", record.started_monotonic_ns},
                            {"time", record.time}};
  return replace_file(path, json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n", 0644);
}

Result<ReloadStatusRecord> read_reload_status(const std::filesystem::path& path) {
  auto content = read_small_file(path);
  if (!content) return content.error();
  try {
    const auto json = nlohmann::json::parse(*content);
    ReloadStatusRecord record;
    record.pid = json.at("pid").get<pid_t>();
    record.config = json.at("config").get<std::string>();
    record.attempts = json.at("attempts").get<std::uint64_t>();
    record.generation = json.at("generation").get<std::uint64_t>();
    record.rules = json.at("rules").get<std::size_t>();
    record.ok = json.at("ok").get<bool>();
    record.error = json.at("error").get<std::string>();
    record.restart_required = json.at("restart_required").get<std::vector<std::string>>();
    record.started_monotonic_ns = json.at("started_monotonic_ns").get<std::int64_t>();
    record.time = json.at("time").get<std::string>();
    return record;
  } catch (const nlohmann::json::exception& e) {
    return make_error(path.string() + " is not a reload status: " + e.what());
  }
}

}  // namespace privmilter::milter
