#include "privmilter/json.h"

#include <array>
#include <ctime>

namespace privmilter {

nlohmann::json to_json_value(const Evidence& evidence) {
  nlohmann::json out{{"rule", evidence.rule_id},
                     {"detector", evidence.detector},
                     {"kind", evidence.detector_kind()},
                     {"location", evidence.location},
                     {"match", evidence.masked_match},
                     {"count", evidence.count}};
  if (evidence.offset) out["offset"] = *evidence.offset;
  return out;
}

nlohmann::json to_json_value(const FiredRule& rule) {
  nlohmann::json hits = nlohmann::json::array();
  for (const auto& item : rule.evidence) hits.push_back(to_json_value(item));
  return {{"rule", rule.rule_id},     {"action", to_string(rule.action)},
          {"monitor", rule.monitor},  {"confirmed", rule.confirmed},
          {"recipients", rule.recipients}, {"hits", hits}};
}

nlohmann::json to_json_value(const Verdict& verdict) {
  nlohmann::json fired = nlohmann::json::array();
  for (const auto& rule : verdict.fired) fired.push_back(to_json_value(rule));
  nlohmann::json recipients = nlohmann::json::array();
  for (const auto& recipient : verdict.recipients) {
    recipients.push_back(
        {{"address", recipient.address}, {"action", to_string(recipient.action)}, {"rules", recipient.rules}});
  }
  nlohmann::json headers = nlohmann::json::array();
  for (const auto& header : verdict.add_headers) headers.push_back({{"name", header.name}, {"value", header.value}});
  nlohmann::json out{{"action", to_string(verdict.action)},
                     {"deciding_rule", verdict.deciding_rule},
                     {"recipients", recipients},
                     {"removed_recipients", verdict.removed_recipients},
                     {"rules", fired},
                     {"add_headers", headers},
                     {"notify", {{"sender", verdict.notify_sender}, {"also", verdict.notify_also}}}};
  if (verdict.reply) {
    out["reply"] = {{"code", verdict.reply->code}, {"xcode", verdict.reply->xcode}, {"text", verdict.reply->text}};
  }
  if (verdict.new_subject) out["new_subject"] = *verdict.new_subject;
  if (!verdict.route.empty()) out["route"] = verdict.route;
  if (verdict.confirmation) out["confirmation"] = {{"justification", verdict.confirmation->justification}};
  if (verdict.monitor_action) out["monitor_action"] = to_string(*verdict.monitor_action);
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
