#pragma once
// The engine the milter fuzz targets drive: the shipped policy and firm
// directory, with a quarantine, an audit log and keys in a temporary
// folder, and limits small enough that a short input reaches each.

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "engine.h"
#include "fuzz/fuzz_support.h"
#include "unit/temp_dir.h"

namespace privmilter::fuzzing {

inline std::filesystem::path source_directory() {
  if (const char* from_environment = std::getenv("PRIVMILTER_SOURCE_DIR")) return from_environment;
  return PRIVMILTER_SOURCE_DIR;
}

inline std::string configuration() {
  const std::filesystem::path source = source_directory();
  return "milter: {socket: 'inet:8891@127.0.0.1'}\n"
         "firm: {name: Example Law LLP, internal_domains: [examplelaw.com], internal_networks: [10.0.0.0/8, ::1/128]}\n"
         "policy: " + (source / "config/policy").string() + "\n"
         "directory: " + (source / "config/directory").string() + "\n"
         "quarantine: {directory: quarantine, key_file: keys/quarantine.key}\n"
         "audit: {log: audit/audit.log, key_file: keys/audit.key, rotate_bytes: 8388608}\n"
         "release: {key_file: keys/release.key}\n"
         "notify: {from: privmilter@examplelaw.com, outbox: outbox}\n"
         "spool: {directory: spool, memory_threshold: 4096}\n"
         "on_error: tempfail\n"
         "limits: {max_header_count: 64, max_header_bytes: 16384, max_recipients: 16,\n"
         "         max_message_bytes: 1048576, max_mime_parts: 64, max_mime_depth: 8,\n"
         "         max_part_bytes: 1048576, max_total_bytes: 4194304, max_archive_entries: 64,\n"
         "         max_text_bytes: 262144, time_budget_ms: 2000}\n";
}

struct Daemon {
  privmilter::testing::TempDir folder;
  std::unique_ptr<privmilter::milter::Engine> engine;
  std::uint64_t entries_held = 0;

  Daemon() {
    privmilter::testing::write_test_keys(folder.path());
    auto config = privmilter::load_config_string(configuration(), folder.path(), "fuzz.yaml");
    if (!config) invariant_broken(config.error().message.c_str());
    auto created = privmilter::milter::Engine::create(std::move(config).value());
    if (!created) invariant_broken(created.error().message.c_str());
    engine = std::move(created).value();
  }
};

inline Daemon& daemon_instance() {
  static Daemon daemon;
  return daemon;
}

}  // namespace privmilter::fuzzing
