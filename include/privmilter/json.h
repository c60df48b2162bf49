#pragma once
// JSON forms of the shared types: audit log, quarantine records, tool output.

#include <nlohmann/json.hpp>

#include <chrono>
#include <string>

#include "privmilter/envelope.h"
#include "privmilter/message_facts.h"
#include "privmilter/verdict.h"

namespace privmilter {

nlohmann::json to_json_value(const Evidence& evidence);
nlohmann::json to_json_value(const FiredRule& rule);
// The whole verdict, subject edits included: for quarantine records and
// privmilterctl, not for the audit log (which never holds message text).
nlohmann::json to_json_value(const Verdict& verdict);
nlohmann::json to_json_value(const Envelope& envelope);
nlohmann::json to_json_value(const PartFact& part);
// RFC 3339 UTC with milliseconds: "2026-11-28T16:33:01.123Z".
std::string format_utc(std::chrono::system_clock::time_point time);

}  // namespace privmilter
