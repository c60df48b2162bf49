#pragma once
// Starts the privmilter daemon on a private unix socket with the bundled
// policy (config/policy/) and the sample firm's directory, and a
// configuration written for the test. A test that writes its own
// policy.yaml before the configuration gets that policy instead.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "command_output.h"
#include "support/child_process.h"
#include "support/milter_client.h"

namespace privmilter::integration {

using miltertest::ChildProcess;
using miltertest::MilterClient;
using miltertest::MessageResult;
using miltertest::ReplyKind;
using miltertest::SmtpEnvelope;
using miltertest::TempDirectory;

// The protocol engine the daemon under test runs: ctest runs the daemon
// tests once per engine (PRIVMILTER_TEST_ENGINE=libmilter or asio).
inline std::string engine_setting() {
  const char* engine = std::getenv("PRIVMILTER_TEST_ENGINE");
  return engine != nullptr && *engine != '\0' ? std::string(", engine: ") + engine : std::string();
}

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

class DaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto directory = TempDirectory::create("privmilter-it");
    ASSERT_TRUE(directory.ok()) << directory.error().message;
    dir_.emplace(std::move(*directory));
    const std::filesystem::path config = std::filesystem::path(PRIVMILTER_SOURCE_ROOT) / "config";
    std::filesystem::copy(config / "policy", dir_->path() / "policy", std::filesystem::copy_options::recursive);
    std::filesystem::copy(config / "directory", dir_->path() / "directory", std::filesystem::copy_options::recursive);
  }

  void TearDown() override {
    if (daemon_) daemon_->stop(std::chrono::seconds(2), SIGKILL);
  }

  std::filesystem::path path(const std::string& name) const { return dir_->path() / name; }

  // A fresh random key per purpose, mode 0600, as privmilterctl keygen makes.
  void write_keys() const {
    std::filesystem::create_directories(path("keys"));
    std::random_device random;
    for (const char* name : {"quarantine.key", "audit.key", "release.key"}) {
      const auto file = path("keys") / name;
      if (std::filesystem::exists(file)) continue;
      std::string hex;
      for (int i = 0; i < 64; ++i) hex += "0123456789abcdef"[random() % 16];
      std::ofstream(file) << hex << "\n";
      std::filesystem::permissions(file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    }
  }

  void write_config(const std::string& extra = "") const {
    write_keys();
    std::ofstream out(path("privmilter.yaml"));
    out << "milter: {socket: 'unix:" << path("privmilter.sock").string() << "'" << engine_setting() << milter_settings_
        << "}\n"
        << "firm: {name: Example Law LLP, internal_domains: [examplelaw.com], internal_networks: [10.0.0.0/8]}\n"
        << "policy: " << (std::filesystem::exists(path("policy.yaml")) ? "policy.yaml" : "policy") << "\n"
        << "quarantine: {directory: quarantine, key_file: keys/quarantine.key}\n"
        << "audit: {log: audit/audit.log, key_file: keys/audit.key}\n"
        << "release: {key_file: keys/release.key}\n"
        << "spool: {directory: spool, memory_threshold: 65536}\n"
        << extra
        // Last, so that the lines above keep the numbers tests expect in errors.
        << "directory: directory\n";
  }

  void start_daemon(const std::string& extra_config = "") {
    write_config(extra_config);
    auto child = ChildProcess::spawn({PRIVMILTER_DAEMON_PATH, "-f", "-c", path("privmilter.yaml").string()});
    ASSERT_TRUE(child.ok()) << child.error().message;
    daemon_.emplace(std::move(*child));
    auto listening = miltertest::wait_until_listening(address(), std::chrono::seconds(10), &*daemon_);
    ASSERT_TRUE(listening.ok()) << listening.error().message;
  }

  std::string address() const { return "unix:" + path("privmilter.sock").string(); }

  std::unique_ptr<MilterClient> client() {
    auto opened = MilterClient::open(address());
    EXPECT_TRUE(opened.ok()) << opened.error().message;
    return opened.ok() ? std::move(*opened) : nullptr;
  }

  // An authenticated firm user sending to `recipients`.
  static SmtpEnvelope outgoing(std::vector<std::string> recipients) {
    SmtpEnvelope envelope;
    envelope.sender = "alice@examplelaw.com";
    envelope.auth_authen = "alice";
    envelope.recipients = std::move(recipients);
    return envelope;
  }

  MessageResult send(const SmtpEnvelope& envelope, const std::string& message) {
    auto connection = client();
    if (!connection) return {};
    auto result = connection->send_message(envelope, message);
    EXPECT_TRUE(result.ok()) << result.error().message;
    return result.ok() ? *result : MessageResult{};
  }

  std::vector<nlohmann::json> audit_lines() const {
    std::vector<nlohmann::json> lines;
    std::istringstream in(read_text(path("audit/audit.log")));
    for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
    return lines;
  }

  // A quarantine entry as privmilterctl shows it, with the decrypted message.
  nlohmann::json quarantine_entry(const std::string& id) const {
    const auto output = run_command(std::string(PRIVMILTERCTL_PATH) + " quarantine show " + id +
                                    " --message --format json --by integration-test -c " +
                                    path("privmilter.yaml").string());
    EXPECT_EQ(output.exit_code, 0) << output.output;
    return output.exit_code == 0 ? nlohmann::json::parse(output.output) : nlohmann::json::object();
  }

  // The ids privmilterctl lists from the quarantine index, any status.
  std::vector<std::string> quarantine_listed() const {
    const auto output = run_command(std::string(PRIVMILTERCTL_PATH) + " quarantine list --limit 0 --format json -c " +
                                    path("privmilter.yaml").string());
    EXPECT_EQ(output.exit_code, 0) << output.output;
    std::vector<std::string> ids;
    const auto listed = nlohmann::json::parse(output.output, nullptr, false);
    if (!listed.is_array()) return ids;
    for (const auto& entry : listed) ids.push_back(entry["id"]);
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  std::vector<std::filesystem::path> quarantined(const std::string& extension) const {
    std::vector<std::filesystem::path> files;
    if (!std::filesystem::exists(path("quarantine"))) return files;
    for (const auto& entry : std::filesystem::directory_iterator(path("quarantine"))) {
      if (entry.path().extension() == extension) files.push_back(entry.path());
    }
    return files;
  }

  bool daemon_running() { return daemon_ && daemon_->running(); }

  // Polls `condition` until it holds or `timeout` passes; true if it held.
  template <typename Condition>
  static bool wait_until(Condition&& condition, std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!condition()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
  }

  std::optional<TempDirectory> dir_;
  std::optional<ChildProcess> daemon_;
  // More settings of the milter map, each with a leading ", ".
  std::string milter_settings_;
};

}  // namespace privmilter::integration
