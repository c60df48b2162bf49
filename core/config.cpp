#include "privmilter/config.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "privmilter/strings.h"

namespace privmilter {

namespace {

// A config error names the file and line, so an admin can go straight there.
class ConfigError : public std::runtime_error {
 public:
  ConfigError(const std::string& name, const YAML::Node& node, const std::string& what)
      : std::runtime_error(name + ":" + std::to_string(node.Mark().line + 1) + ": " + what) {}
};

class ConfigReader {
 public:
  ConfigReader(std::filesystem::path base, std::string name) : base_(std::move(base)), name_(std::move(name)) {}

  void require_map(const YAML::Node& node, const std::string& where, const std::set<std::string>& allowed) const {
    if (!node.IsMap()) throw ConfigError(name_, node, where + " must be a mapping");
    for (const auto& entry : node) {
      const auto key = entry.first.as<std::string>();
      if (!allowed.contains(key)) throw ConfigError(name_, entry.first, "unknown key '" + key + "' in " + where);
    }
  }

  std::string string(const YAML::Node& node, const std::string& key) const {
    if (!node.IsScalar()) throw ConfigError(name_, node, key + " must be a string");
    return node.as<std::string>();
  }

  std::size_t size(const YAML::Node& node, const std::string& key, std::size_t min, std::size_t max) const {
    std::size_t value = 0;
    try {
      value = node.as<std::size_t>();
    } catch (const YAML::Exception&) {
      throw ConfigError(name_, node, key + " must be a non-negative integer");
    }
    if (value < min || value > max) {
      throw ConfigError(name_, node,
                        key + " must be between " + std::to_string(min) + " and " + std::to_string(max));
    }
    return value;
  }

  std::vector<std::string> strings(const YAML::Node& node, const std::string& key) const {
    if (!node.IsSequence()) throw ConfigError(name_, node, key + " must be a list");
    std::vector<std::string> out;
    for (const auto& item : node) out.push_back(string(item, key));
    return out;
  }

  std::filesystem::path path(const YAML::Node& node, const std::string& key) const {
    std::filesystem::path value = string(node, key);
    if (value.empty()) throw ConfigError(name_, node, key + " must not be empty");
    return value.is_absolute() ? value : (base_ / value).lexically_normal();
  }

  const std::string& name() const { return name_; }

 private:
  std::filesystem::path base_;
  std::string name_;
};

void read_limits(const ConfigReader& reader, const YAML::Node& node, Config& config) {
  reader.require_map(node, "limits",
                     {"max_header_count", "max_header_bytes", "max_recipients", "max_message_bytes",
                      "max_mime_parts", "max_mime_depth", "max_part_bytes", "max_total_bytes",
                      "max_archive_entries", "max_expansion_ratio", "max_text_bytes", "time_budget_ms"});
  auto& session = config.session_limits;
  auto& content = config.content_limits;
  if (node["max_header_count"]) session.max_header_count = reader.size(node["max_header_count"], "max_header_count", 10, 1000000);
  if (node["max_header_bytes"]) session.max_header_bytes = reader.size(node["max_header_bytes"], "max_header_bytes", 1024, 1u << 30);
  if (node["max_recipients"]) session.max_recipients = reader.size(node["max_recipients"], "max_recipients", 1, 1000000);
  if (node["max_message_bytes"]) content.max_message_bytes = reader.size(node["max_message_bytes"], "max_message_bytes", 1024, std::size_t{1} << 34);
  if (node["max_mime_parts"]) content.max_parts = reader.size(node["max_mime_parts"], "max_mime_parts", 1, 1000000);
  if (node["max_mime_depth"]) content.max_depth = reader.size(node["max_mime_depth"], "max_mime_depth", 1, 1000);
  if (node["max_part_bytes"]) content.max_part_bytes = reader.size(node["max_part_bytes"], "max_part_bytes", 1024, std::size_t{1} << 34);
  if (node["max_total_bytes"]) content.max_total_bytes = reader.size(node["max_total_bytes"], "max_total_bytes", 1024, std::size_t{1} << 36);
  if (node["max_archive_entries"]) content.max_archive_entries = reader.size(node["max_archive_entries"], "max_archive_entries", 1, 1000000);
  if (node["max_expansion_ratio"]) content.max_expansion_ratio = reader.size(node["max_expansion_ratio"], "max_expansion_ratio", 2, 100000);
  if (node["max_text_bytes"]) content.max_text_bytes = reader.size(node["max_text_bytes"], "max_text_bytes", 1024, std::size_t{1} << 34);
  if (node["time_budget_ms"]) content.time_budget_ms = reader.size(node["time_budget_ms"], "time_budget_ms", 10, 3600000);
}

// "HOST:PORT", "[IPv6]:PORT".
ListenAddress host_and_port(const ConfigReader& reader, const YAML::Node& node, const std::string& key) {
  const std::string text = reader.string(node, key);
  const auto colon = text.rfind(':');
  const std::string port = colon == std::string::npos ? std::string() : text.substr(colon + 1);
  if (colon == 0 || port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoul(port) == 0 || std::stoul(port) > 65535) {
    throw ConfigError(reader.name(), node, key + " must be HOST:PORT, not '" + text + "'");
  }
  std::string host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return ListenAddress{.host = host, .port = static_cast<unsigned short>(std::stoul(port))};
}

Config parse(const YAML::Node& root, const ConfigReader& reader) {
  Config config;
  reader.require_map(root, "the configuration",
                     {"milter", "firm", "policy", "quarantine", "audit", "spool", "on_error", "log_level",
                      "limits", "pid_file", "directory", "smime", "release", "mta", "notify", "metrics", "user",
                      "group"});
  for (const char* key : {"milter", "firm", "policy", "quarantine", "audit"}) {
    if (!root[key]) throw ConfigError(reader.name(), root, std::string("missing required key '") + key + "'");
  }

  const auto milter = root["milter"];
  reader.require_map(milter, "milter", {"socket", "shutdown_timeout_seconds", "engine", "inspection_threads"});
  if (milter["socket"]) config.socket = reader.string(milter["socket"], "milter.socket");
  if (milter["shutdown_timeout_seconds"]) {
    config.process.shutdown_timeout_seconds = static_cast<unsigned>(
        reader.size(milter["shutdown_timeout_seconds"], "milter.shutdown_timeout_seconds", 1, 3600));
  }
  if (milter["engine"]) {
    const std::string engine = reader.string(milter["engine"], "milter.engine");
    if (engine == "libmilter") {
      config.server.engine = ProtocolEngine::libmilter;
    } else if (engine == "asio") {
      config.server.engine = ProtocolEngine::asio;
    } else {
      throw ConfigError(reader.name(), milter["engine"], "milter.engine must be libmilter or asio, not '" + engine + "'");
    }
  }
  if (milter["inspection_threads"]) {
    config.server.inspection_threads = static_cast<unsigned>(
        reader.size(milter["inspection_threads"], "milter.inspection_threads", 0, 256));
  }
  if (!valid_socket_spec(config.socket)) {
    throw ConfigError(reader.name(), milter["socket"],
                      "milter.socket must be inet:PORT@HOST, inet6:PORT@HOST or unix:/path, not '" + config.socket + "'");
  }

  const auto firm = root["firm"];
  reader.require_map(firm, "firm", {"name", "internal_domains", "internal_networks"});
  if (firm["name"]) config.firm_name = reader.string(firm["name"], "firm.name");
  if (!firm["internal_domains"]) throw ConfigError(reader.name(), firm, "firm.internal_domains is required");
  for (auto& domain : reader.strings(firm["internal_domains"], "firm.internal_domains")) {
    std::string clean = ascii_lower(trim(domain));
    if (clean.empty() || clean.find('@') != std::string::npos || clean.find('.') == std::string::npos) {
      throw ConfigError(reader.name(), firm["internal_domains"], "not a domain name: '" + domain + "'");
    }
    config.internal_domains.push_back(clean);
  }
  if (config.internal_domains.empty()) throw ConfigError(reader.name(), firm["internal_domains"], "firm.internal_domains must not be empty");
  if (firm["internal_networks"]) {
    for (auto& text : reader.strings(firm["internal_networks"], "firm.internal_networks")) {
      auto network = parse_network(text);
      if (!network) throw ConfigError(reader.name(), firm["internal_networks"], network.error().message);
      config.internal_networks.push_back(*network);
    }
  }

  config.policy_path = reader.path(root["policy"], "policy");

  const auto quarantine = root["quarantine"];
  reader.require_map(quarantine, "quarantine", {"directory", "key_file", "retention_days"});
  if (!quarantine["directory"]) throw ConfigError(reader.name(), quarantine, "quarantine.directory is required");
  config.quarantine.directory = reader.path(quarantine["directory"], "quarantine.directory");
  if (!quarantine["key_file"]) throw ConfigError(reader.name(), quarantine, "quarantine.key_file is required");
  config.quarantine.key_file = reader.path(quarantine["key_file"], "quarantine.key_file");
  if (quarantine["retention_days"]) {
    config.quarantine.retention_days =
        static_cast<unsigned>(reader.size(quarantine["retention_days"], "quarantine.retention_days", 0, 36500));
  }

  const auto audit = root["audit"];
  reader.require_map(audit, "audit", {"log", "key_file", "rotate_bytes"});
  if (!audit["log"]) throw ConfigError(reader.name(), audit, "audit.log is required");
  config.audit.log = reader.path(audit["log"], "audit.log");
  if (!audit["key_file"]) throw ConfigError(reader.name(), audit, "audit.key_file is required");
  config.audit.key_file = reader.path(audit["key_file"], "audit.key_file");
  if (audit["rotate_bytes"]) {
    config.audit.rotate_bytes = reader.size(audit["rotate_bytes"], "audit.rotate_bytes", 4096, std::size_t{1} << 40);
  }

  if (const auto smime = root["smime"]) {
    reader.require_map(smime, "smime", {"certificates", "escrow_certificate"});
    if (smime["certificates"]) config.smime.certificates = reader.path(smime["certificates"], "smime.certificates");
    if (smime["escrow_certificate"]) {
      config.smime.escrow_certificate = reader.path(smime["escrow_certificate"], "smime.escrow_certificate");
    }
  }

  const auto release = root["release"];
  if (!release) throw ConfigError(reader.name(), root, "missing required key 'release'");
  reader.require_map(release, "release", {"key_file", "token_lifetime_minutes"});
  if (!release["key_file"]) throw ConfigError(reader.name(), release, "release.key_file is required");
  config.release.key_file = reader.path(release["key_file"], "release.key_file");
  if (release["token_lifetime_minutes"]) {
    config.release.token_lifetime_minutes = static_cast<unsigned>(
        reader.size(release["token_lifetime_minutes"], "release.token_lifetime_minutes", 1, 7 * 24 * 60));
  }

  if (const auto mta = root["mta"]) {
    reader.require_map(mta, "mta", {"smtp", "helo"});
    if (mta["smtp"]) {
      const ListenAddress address = host_and_port(reader, mta["smtp"], "mta.smtp");
      config.mta.host = address.host;
      config.mta.port = address.port;
    }
    if (mta["helo"]) config.mta.helo = reader.string(mta["helo"], "mta.helo");
  }

  config.notify.outbox = config.quarantine.directory.parent_path() / "outbox";
  if (const auto notify = root["notify"]) {
    reader.require_map(notify, "notify", {"from", "outbox", "max_attempts"});
    if (notify["from"]) config.notify.from = reader.string(notify["from"], "notify.from");
    if (notify["outbox"]) config.notify.outbox = reader.path(notify["outbox"], "notify.outbox");
    if (notify["max_attempts"]) {
      config.notify.max_attempts = static_cast<unsigned>(reader.size(notify["max_attempts"], "notify.max_attempts", 1, 1000));
    }
  }

  config.spool_directory = config.quarantine.directory.parent_path() / "spool";
  if (const auto spool = root["spool"]) {
    reader.require_map(spool, "spool", {"directory", "memory_threshold"});
    if (spool["directory"]) config.spool_directory = reader.path(spool["directory"], "spool.directory");
    if (spool["memory_threshold"]) {
      config.session_limits.spool_memory_threshold =
          reader.size(spool["memory_threshold"], "spool.memory_threshold", 0, std::size_t{1} << 30);
    }
  }

  if (const auto metrics = root["metrics"]) {
    reader.require_map(metrics, "metrics", {"listen"});
    if (metrics["listen"]) config.metrics_listen = host_and_port(reader, metrics["listen"], "metrics.listen");
  }
  if (const auto user = root["user"]) config.process.user = reader.string(user, "user");
  if (const auto group = root["group"]) config.process.group = reader.string(group, "group");

  if (const auto pid_file = root["pid_file"]) config.pid_file = reader.path(pid_file, "pid_file");
  if (const auto directory = root["directory"]) config.directory_path = reader.path(directory, "directory");

  if (const auto on_error = root["on_error"]) {
    const auto value = reader.string(on_error, "on_error");
    if (value == "tempfail") config.on_error = OnError::tempfail;
    else if (value == "accept") config.on_error = OnError::accept;
    else throw ConfigError(reader.name(), on_error, "on_error must be tempfail or accept, not '" + value + "'");
  }
  if (const auto level = root["log_level"]) {
    config.log_level = reader.string(level, "log_level");
    static const std::set<std::string> levels{"trace", "debug", "info", "warning", "error", "critical", "off"};
    if (!levels.contains(config.log_level)) {
      throw ConfigError(reader.name(), level, "log_level must be one of trace, debug, info, warning, error, critical, off");
    }
  }
  if (const auto limits = root["limits"]) read_limits(reader, limits, config);
  if (config.notify.from.empty()) config.notify.from = "postmaster@" + config.internal_domains.front();
  return config;
}

}  // namespace

bool valid_socket_spec(const std::string& spec) {
  auto colon = spec.find(':');
  if (colon == std::string::npos) return false;
  const std::string kind = spec.substr(0, colon);
  const std::string rest = spec.substr(colon + 1);
  if (kind == "unix" || kind == "local") return !rest.empty();
  if (kind == "inet" || kind == "inet6") {
    auto at = rest.find('@');
    const std::string port = rest.substr(0, at);
    if (port.empty() || port.find_first_not_of("0123456789") != std::string::npos) return false;
    const long number = std::stol(port);
    return number > 0 && number < 65536;
  }
  return false;
}

std::string postfix_milter_address(const std::string& spec) {
  const auto colon = spec.find(':');
  const std::string kind = spec.substr(0, colon);
  const std::string rest = colon == std::string::npos ? std::string() : spec.substr(colon + 1);
  if (kind == "local") return "unix:" + rest;
  if (kind != "inet" && kind != "inet6") return spec;
  const auto at = rest.find('@');
  const std::string port = rest.substr(0, at);
  std::string host = at == std::string::npos ? std::string("localhost") : rest.substr(at + 1);
  if (kind == "inet6" && !host.starts_with('[')) host = "[" + host + "]";
  return "inet:" + host + ":" + port;
}

Result<Config> load_config_string(const std::string& yaml, const std::filesystem::path& base, const std::string& name) {
  try {
    YAML::Node root = YAML::Load(yaml);
    ConfigReader reader(base, name);
    Config config = parse(root, reader);
    config.source = name;
    return config;
  } catch (const YAML::ParserException& e) {
    return make_error(name + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  } catch (const std::exception& e) {
    return make_error(e.what());
  }
}

Result<Config> load_config_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return make_error("cannot read configuration file " + path.string());
  std::stringstream text;
  text << in.rdbuf();
  auto absolute = std::filesystem::absolute(path);
  auto config = load_config_string(text.str(), absolute.parent_path(), path.string());
  if (config) config->source = absolute;
  return config;
}

}  // namespace privmilter
