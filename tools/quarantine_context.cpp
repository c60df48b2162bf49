#include "quarantine_context.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <iostream>

#include "privmilter/key_file.h"

namespace privmilter::tools {

void print_error(const std::string& message) { std::cerr << "privmilterctl quarantine: " << message << std::endl; }

std::optional<QuarantineContext> open_quarantine(const std::string& config_path, bool with_audit) {
  auto config = load_config_file(config_path);
  if (!config) {
    print_error(config.error().message);
    return std::nullopt;
  }
  auto key = load_key_file(config->quarantine.key_file);
  if (!key) {
    print_error(key.error().message);
    return std::nullopt;
  }
  QuarantineContext context;
  context.config = std::move(*config);
  context.store = std::make_unique<QuarantineStore>(context.config.quarantine.directory, std::move(*key));
  if (auto opened = context.store->open(); !opened) {
    print_error(opened.error().message);
    return std::nullopt;
  }
  if (with_audit) {
    auto audit_key = load_key_file(context.config.audit.key_file);
    if (!audit_key) {
      print_error(audit_key.error().message);
      return std::nullopt;
    }
    AuditLogOptions options;
    options.path = context.config.audit.log;
    options.key = *audit_key;
    options.rotate_bytes = context.config.audit.rotate_bytes;
    context.audit = std::make_unique<AuditLog>(std::move(options));
    // Reviewer actions are refused rather than left unrecorded.
    if (auto opened = context.audit->open(); !opened) {
      print_error("audit log: " + opened.error().message);
      return std::nullopt;
    }
  }
  return context;
}

bool audit_reviewer_action(QuarantineContext& context, nlohmann::json event) {
  event["type"] = "reviewer";
  if (!context.audit) {
    print_error("audit log not open");
    return false;
  }
  if (auto appended = context.audit->append(std::move(event)); !appended) {
    print_error("cannot write the audit record: " + appended.error().message);
    return false;
  }
  return true;
}

std::string reviewer_name(const std::string& by) {
  if (!by.empty()) return by;
  if (const char* sudo_user = std::getenv("SUDO_USER"); sudo_user != nullptr && *sudo_user != '\0') return sudo_user;
  std::string buffer(4096, '\0');
  passwd entry{};
  passwd* found = nullptr;
  if (::getpwuid_r(::getuid(), &entry, buffer.data(), buffer.size(), &found) == 0 && found != nullptr) {
    return found->pw_name;
  }
  return "uid " + std::to_string(::getuid());
}

std::optional<std::chrono::system_clock::time_point> parse_time_argument(const std::string& text,
                                                                         std::chrono::system_clock::time_point now) {
  if (text.size() >= 2) {
    const char unit = text.back();
    const std::string number = text.substr(0, text.size() - 1);
    if ((unit == 'd' || unit == 'h' || unit == 'm') &&
        number.find_first_not_of("0123456789") == std::string::npos && number.size() <= 6) {
      const long count = std::stol(number);
      const auto age = unit == 'd' ? std::chrono::minutes(count * 24 * 60)
                       : unit == 'h' ? std::chrono::minutes(count * 60)
                                     : std::chrono::minutes(count);
      return now - age;
    }
  }
  std::tm parts{};
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, used = 0;
  const char* input = text.c_str();
  if (std::sscanf(input, "%4d-%2d-%2d%n", &year, &month, &day, &used) != 3 || used != 10) return std::nullopt;
  std::string rest = text.substr(10);
  if (!rest.empty() && (rest[0] == 'T' || rest[0] == ' ')) {
    int consumed = 0;
    if (std::sscanf(rest.c_str() + 1, "%2d:%2d%n", &hour, &minute, &consumed) != 2) return std::nullopt;
    rest = rest.substr(1 + static_cast<std::size_t>(consumed));
    if (!rest.empty() && rest[0] == ':') {
      if (std::sscanf(rest.c_str() + 1, "%2d%n", &second, &consumed) != 1) return std::nullopt;
      rest = rest.substr(1 + static_cast<std::size_t>(consumed));
    }
  }
  if (rest == "Z") rest.clear();
  if (!rest.empty() || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  parts.tm_year = year - 1900;
  parts.tm_mon = month - 1;
  parts.tm_mday = day;
  parts.tm_hour = hour;
  parts.tm_min = minute;
  parts.tm_sec = second;
  return std::chrono::system_clock::from_time_t(::timegm(&parts));
}

std::optional<QuarantineStatus> parse_quarantine_status(const std::string& text) {
  for (auto status : {QuarantineStatus::held, QuarantineStatus::released, QuarantineStatus::deleted}) {
    if (to_string(status) == text) return status;
  }
  return std::nullopt;
}

}  // namespace privmilter::tools
