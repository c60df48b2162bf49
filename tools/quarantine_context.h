#pragma once
// What every privmilterctl quarantine subcommand starts from: the
// configuration, the opened store (quarantine key), and for reviewer
// actions the audit log they are recorded in.

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "privmilter/audit.h"
#include "privmilter/config.h"
#include "privmilter/quarantine.h"

namespace privmilter::tools {

// Exit codes of the quarantine commands.
inline constexpr int kExitOk = 0;
inline constexpr int kExitRefused = 1;    // refused, or no such entry
inline constexpr int kExitCannotRun = 2;  // configuration, keys, index, audit log

struct QuarantineContext {
  Config config;
  std::unique_ptr<QuarantineStore> store;
  std::unique_ptr<AuditLog> audit;  // only when asked for
};

// Prints why and returns nullopt when the configuration, a key or the
// index (or, with `with_audit`, the audit log) cannot be opened.
std::optional<QuarantineContext> open_quarantine(const std::string& config_path, bool with_audit);

// Appends a reviewer record; prints why and returns false when it cannot.
bool audit_reviewer_action(QuarantineContext& context, nlohmann::json event);

// --by, else $SUDO_USER, else the login name of the real uid.
std::string reviewer_name(const std::string& by);

// "2026-11-28", "2026-11-28T16:33[:01][Z]" (UTC), or an age: "7d", "12h", "30m".
std::optional<std::chrono::system_clock::time_point> parse_time_argument(const std::string& text,
                                                                         std::chrono::system_clock::time_point now);

std::optional<QuarantineStatus> parse_quarantine_status(const std::string& text);

void print_error(const std::string& message);

}  // namespace privmilter::tools
