// Selecting audit records by time, party, rule, action and type, for
// privmilterctl audit query and report.

#include <cctype>
#include <cstdio>
#include <optional>

#include "privmilter/audit.h"

namespace privmilter {

namespace {

using Clock = std::chrono::system_clock;

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// An address matches its own text or, given a bare or @-prefixed domain,
// any address at that domain.
bool address_matches(const std::string& address, const std::string& wanted) {
  const std::string have = lower(address);
  std::string want = lower(wanted);
  if (want.find('@') != std::string::npos && want.front() != '@') return have == want;
  if (!want.empty() && want.front() == '@') want.erase(0, 1);
  const auto at = have.rfind('@');
  return at != std::string::npos && have.compare(at + 1, std::string::npos, want) == 0;
}

bool any_string_matches(const nlohmann::json& values, const std::string& wanted, bool as_address) {
  if (!values.is_array()) return false;
  for (const auto& value : values) {
    if (!value.is_string()) continue;
    const auto& text = value.get_ref<const std::string&>();
    if (as_address ? address_matches(text, wanted) : text == wanted) return true;
  }
  return false;
}

// "2026-11-01", "2026-11-01T12:00", "2026-11-01T12:00:00.123Z", "...+01:00".
std::optional<Clock::time_point> parse_absolute(const std::string& text) {
  int year = 0;
  unsigned month = 0;
  unsigned day = 0;
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2u-%2u%n", &year, &month, &day, &consumed) != 3 || consumed != 10) {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year(year), std::chrono::month(month), std::chrono::day(day)};
  if (!date.ok()) return std::nullopt;
  Clock::time_point point{std::chrono::sys_days(date)};
  std::string_view rest = std::string_view(text).substr(10);
  if (rest.empty()) return point;
  if (rest.front() != 'T' && rest.front() != ' ') return std::nullopt;
  unsigned hour = 0;
  unsigned minute = 0;
  unsigned second = 0;
  const std::string clock(rest.substr(1));
  if (std::sscanf(clock.c_str(), "%2u:%2u%n", &hour, &minute, &consumed) != 2 || consumed != 5) return std::nullopt;
  rest = rest.substr(1 + 5);
  if (!rest.empty() && rest.front() == ':') {
    const std::string seconds(rest.substr(1));
    if (std::sscanf(seconds.c_str(), "%2u%n", &second, &consumed) != 1 || consumed != 2) return std::nullopt;
    rest = rest.substr(3);
  }
  if (hour > 23 || minute > 59 || second > 60) return std::nullopt;
  point += std::chrono::hours(hour) + std::chrono::minutes(minute) + std::chrono::seconds(second);
  if (!rest.empty() && rest.front() == '.') {
    std::size_t digits = 1;
    std::int64_t fraction = 0;
    std::int64_t scale = 1'000'000'000;
    while (digits < rest.size() && std::isdigit(static_cast<unsigned char>(rest[digits]))) {
      if (scale > 1) {
        scale /= 10;
        fraction += (rest[digits] - '0') * scale;
      }
      ++digits;
    }
    if (digits == 1) return std::nullopt;
    point += std::chrono::duration_cast<Clock::duration>(std::chrono::nanoseconds(fraction));
    rest = rest.substr(digits);
  }
  if (rest.empty() || rest == "Z") return point;
  unsigned offset_hours = 0;
  unsigned offset_minutes = 0;
  const std::string offset(rest.substr(1));
  if ((rest.front() != '+' && rest.front() != '-') ||
      std::sscanf(offset.c_str(), "%2u:%2u%n", &offset_hours, &offset_minutes, &consumed) != 2 || consumed != 5 ||
      rest.size() != 6) {
    return std::nullopt;
  }
  const auto shift = std::chrono::hours(offset_hours) + std::chrono::minutes(offset_minutes);
  return rest.front() == '+' ? point - shift : point + shift;
}

}  // namespace

Result<Clock::time_point> parse_audit_time(const std::string& text, Clock::time_point now) {
  if (text.size() >= 2 && std::isdigit(static_cast<unsigned char>(text.front()))) {
    std::size_t digits = 0;
    while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
    const std::string unit = text.substr(digits);
    if (digits <= 6 && (unit == "d" || unit == "h" || unit == "m")) {
      const long amount = std::stol(text.substr(0, digits));
      if (unit == "d") return now - std::chrono::hours(24 * amount);
      if (unit == "h") return now - std::chrono::hours(amount);
      return now - std::chrono::minutes(amount);
    }
  }
  if (auto point = parse_absolute(text)) return *point;
  return make_error("not a time: '" + text + "' (use 7d, 12h, 30m, 2026-11-01 or 2026-11-01T12:00:00Z)");
}

bool audit_record_matches(const nlohmann::json& record, const AuditFilter& filter) {
  if (!record.is_object()) return false;
  if (filter.since || filter.until) {
    const auto time = record.find("time");
    if (time == record.end() || !time->is_string()) return false;
    const auto when = parse_absolute(time->get<std::string>());
    if (!when) return false;
    if (filter.since && *when < *filter.since) return false;
    if (filter.until && *when >= *filter.until) return false;
  }
  if (!filter.type.empty() && record.value("type", "") != filter.type) return false;
  if (!filter.action.empty() && record.value("action", "") != filter.action) return false;
  if (!filter.sender.empty()) {
    const auto sender = record.find("sender");
    if (sender == record.end() || !sender->is_string() || !address_matches(sender->get<std::string>(), filter.sender)) {
      return false;
    }
  }
  if (!filter.recipient.empty() && !any_string_matches(record.value("recipients", nlohmann::json()), filter.recipient, true)) {
    return false;
  }
  if (!filter.rule.empty() && !any_string_matches(record.value("rules", nlohmann::json()), filter.rule, false) &&
      !any_string_matches(record.value("monitor_rules", nlohmann::json()), filter.rule, false)) {
    return false;
  }
  return true;
}

}  // namespace privmilter
