#include "quarantine_record.h"

#include "privmilter/json.h"

namespace privmilter::quarantine_record {

namespace {

constexpr std::size_t kLengthSize = 8;
// A record is envelope and evidence: far below this unless the file is bad.
constexpr std::size_t kMaxRecordSize = std::size_t{64} << 20;

std::vector<std::string> strings_at(const nlohmann::json& object, const char* key) {
  std::vector<std::string> out;
  if (!object.is_object() || !object.contains(key) || !object[key].is_array()) return out;
  for (const auto& item : object[key]) {
    if (item.is_string()) out.push_back(item.get<std::string>());
  }
  return out;
}

std::string string_at(const nlohmann::json& object, const char* key) {
  if (!object.is_object() || !object.contains(key) || !object[key].is_string()) return {};
  return object[key].get<std::string>();
}

}  // namespace

nlohmann::json make(const std::string& id, const Envelope& envelope, const Verdict& verdict,
                    std::chrono::system_clock::time_point when, std::size_t message_size) {
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(when.time_since_epoch()).count();
  return {{"format", kRecordFormat},
          {"id", id},
          {"time", format_utc(when)},
          {"time_ms", millis},
          {"size", message_size},
          {"envelope", to_json_value(envelope)},
          {"verdict", to_json_value(verdict)}};
}

std::string frame(const nlohmann::json& record) {
  const std::string text = record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string out(kLengthSize, '\0');
  for (std::size_t i = 0; i < kLengthSize; ++i) {
    out[kLengthSize - 1 - i] = static_cast<char>((text.size() >> (8 * i)) & 0xff);
  }
  return out + text;
}

Result<QuarantineSummary> summary(const nlohmann::json& record) {
  if (!record.is_object() || !record.contains("time_ms") || !record["time_ms"].is_number_integer() ||
      string_at(record, "id").empty()) {
    return make_error("quarantine record lacks id or time");
  }
  QuarantineSummary out;
  out.id = string_at(record, "id");
  out.time = std::chrono::system_clock::time_point(std::chrono::milliseconds(record["time_ms"].get<std::int64_t>()));
  const auto& envelope = record.value("envelope", nlohmann::json::object());
  const auto& verdict = record.value("verdict", nlohmann::json::object());
  out.sender = string_at(envelope, "sender");
  out.recipients = strings_at(envelope, "recipients");
  out.action = string_at(verdict, "action");
  if (verdict.contains("rules") && verdict["rules"].is_array()) {
    for (const auto& rule : verdict["rules"]) {
      // Monitor-mode rules fired but did not hold the message.
      if (rule.is_object() && !rule.value("monitor", false)) out.rules.push_back(string_at(rule, "rule"));
    }
  }
  out.size = record.value("size", std::size_t{0});
  out.removed_recipients = strings_at(verdict, "removed_recipients");
  return out;
}

Envelope envelope(const nlohmann::json& record) {
  const auto& json = record.value("envelope", nlohmann::json::object());
  Envelope out;
  out.queue_id = string_at(json, "queue_id");
  out.sender = string_at(json, "sender");
  out.recipients = strings_at(json, "recipients");
  out.auth_authen = string_at(json, "auth_authen");
  out.client_addr = string_at(json, "client_addr");
  out.client_name = string_at(json, "client_name");
  out.daemon_name = string_at(json, "daemon_name");
  return out;
}

std::vector<std::string> removed_recipients(const nlohmann::json& record) {
  return strings_at(record.value("verdict", nlohmann::json::object()), "removed_recipients");
}

Status Reader::take(std::string_view plaintext) {
  if (!have_length_) {
    const std::size_t need = kLengthSize - prefix_.size();
    prefix_.append(plaintext.substr(0, need));
    plaintext.remove_prefix(std::min(need, plaintext.size()));
    if (prefix_.size() < kLengthSize) return {};
    for (std::size_t i = 0; i < kLengthSize; ++i) {
      record_size_ = (record_size_ << 8) | static_cast<unsigned char>(prefix_[i]);
    }
    if (record_size_ > kMaxRecordSize) return make_error("quarantine record is implausibly large");
    prefix_.clear();
    have_length_ = true;
  }
  if (prefix_.size() < record_size_) {
    const std::size_t need = record_size_ - prefix_.size();
    prefix_.append(plaintext.substr(0, need));
    plaintext.remove_prefix(std::min(need, plaintext.size()));
  }
  if (keep_message_) message_.append(plaintext);
  return {};
}

Result<nlohmann::json> Reader::record() const {
  if (!have_length_ || prefix_.size() != record_size_) return make_error("quarantine entry is truncated");
  auto parsed = nlohmann::json::parse(prefix_, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) return make_error("quarantine record is not valid JSON");
  return parsed;
}

bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > 200 || id.front() == '.') return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace privmilter::quarantine_record
