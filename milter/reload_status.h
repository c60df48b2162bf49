#pragma once
// The reload status file, "<pid_file>.reload": what became of the daemon's
// last reload attempt, rewritten after each one, so that privmilterctl can
// tell whether the reload it asked for was taken or rejected.
//
//   {"pid": 4711, "config": "/etc/privmilter/privmilter.yaml", "attempts": 3,
//    "generation": 2, "rules": 5, "ok": false,
//    "error": "/etc/privmilter/policy.yaml:12: unknown action 'rejct'",
//    "restart_required": [], "started_monotonic_ns": 81723000000,
//    "time": "2026-11-28T16:33:01.123Z"}

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "privmilter/result.h"

namespace privmilter::milter {

struct ReloadStatusRecord {
  pid_t pid = 0;
  std::string config;          // the configuration file the daemon reloads
  std::uint64_t attempts = 0;  // 0 until the first reload
  std::uint64_t generation = 0;  // the snapshot in force
  std::size_t rules = 0;         // of the policy in force
  bool ok = true;
  std::string error;
  std::vector<std::string> restart_required;
  // When the attempt began reading files, on CLOCK_MONOTONIC (one clock for
  // every process on the host): a request sent earlier is covered by it.
  std::int64_t started_monotonic_ns = 0;
  std::string time;  // when the attempt finished, RFC 3339 UTC
};

std::filesystem::path reload_status_path(const std::filesystem::path& pid_file);
Status write_reload_status(const std::filesystem::path& path, const ReloadStatusRecord& record);
Result<ReloadStatusRecord> read_reload_status(const std::filesystem::path& path);

}  // namespace privmilter::milter
