#include "privmilter/json.h"

#include <array>
#include <ctime>

namespace privmilter {

nlohmann::json to_json_value(const Evidence& evidence) {
  return {{"rule", evidence.rule_id},
          {"detector", evidence.detector},
          {"location", evidence.location},
          {"match", evidence.masked_match}};
}

nlohmann::json to_json_value(const Verdict& verdict) {
  nlohmann::json evidence = nlohmann::json::array();
  for (const auto& item : verdict.evidence) evidence.push_back(to_json_value(item));
  nlohmann::json headers = nlohmann::json::array();
  for (const auto& header : verdict.add_headers) headers.push_back({{"name", header.name}, {"value", header.value}});
  nlohmann::json out{{"action", to_string(verdict.action)},
                     {"deciding_rule", verdict.deciding_rule},
                     {"rules", verdict.matched_rules},
                     {"add_headers", headers},
                     {"evidence", evidence}};
  if (verdict.reply) {
    out["reply"] = {{"code", verdict.reply->code}, {"xcode", verdict.reply->xcode}, {"text", verdict.reply->text}};
  }
  return out;
}

nlohmann::json to_json_value(const Envelope& envelope) {
  return {{"queue_id", envelope.queue_id},       {"sender", envelope.sender},
          {"recipients", envelope.recipients},   {"auth_authen", envelope.auth_authen},
          {"client_addr", envelope.client_addr}, {"client_name", envelope.client_name},
          {"daemon_name", envelope.daemon_name}};
}

nlohmann::json to_json_value(const PartFact& part) {
  nlohmann::json flags = nlohmann::json::array();
  for (std::uint32_t bit = 1; bit != 0 && bit <= part.flags; bit <<= 1) {
    if ((part.flags & bit) != 0) flags.push_back(to_string(static_cast<PartFlag>(bit)));
  }
  nlohmann::json properties = nlohmann::json::object();
  for (const auto& [name, value] : part.properties) properties[name] = value;
  nlohmann::json out{{"path", part.path},   {"filename", part.filename}, {"content_type", part.content_type},
                     {"size", part.size},   {"flags", flags}};
  if (!part.detected_type.empty()) out["detected_type"] = part.detected_type;
  if (!part.uninspectable_reason.empty()) out["uninspectable_reason"] = part.uninspectable_reason;
  if (!part.properties.empty()) out["properties"] = properties;
  return out;
}

std::string format_utc(std::chrono::system_clock::time_point time) {
  const auto since_epoch = time.time_since_epoch();
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - seconds).count();
  const std::time_t t = seconds.count();
  std::tm utc{};
  gmtime_r(&t, &utc);
  std::array<char, 40> text{};
  const auto length = std::strftime(text.data(), text.size(), "%Y-%m-%dT%H:%M:%S", &utc);
  std::array<char, 8> fraction{};
  std::snprintf(fraction.data(), fraction.size(), ".%03dZ", static_cast<int>(millis));
  return std::string(text.data(), length) + fraction.data();
}

}  // namespace privmilter
