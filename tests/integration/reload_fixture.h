#pragma once
// The daemon with a pid file and a policy that stamps every outgoing
// message with its version, so a test can tell which policy decided.

#include <signal.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include "daemon_fixture.h"

namespace privmilter::integration {

inline constexpr const char* kSchedule =
    "From: Alice <alice@examplelaw.com>\n"
    "To: Bob <bob@client.example>\n"
    "Subject: Schedule\n"
    "\n"
    "The schedule for next week is attached.\n";

class ReloadTest : public DaemonTest {
 protected:
  static constexpr auto kWait = std::chrono::seconds(20);

  // Adds X-Policy-Version: <version> to outgoing mail; `extra_rules` more
  // rules change the rule count.
  void write_policy(const std::string& version, int extra_rules = 0) const {
    std::string yaml = "version: 1\nrules:\n";
    for (int i = 0; i < extra_rules; ++i) {
      yaml += "  - id: internal-" + std::to_string(i) + "\n    when: { recipient: internal }\n    action: accept\n";
    }
    yaml += "  - id: stamp-" + version + "\n    when: { recipient: external }\n    action: add_header\n" +
            "    header: { name: X-Policy-Version, value: " + version + " }\n";
    std::ofstream(path("policy.yaml")) << yaml;
  }

  // Invalid at line 4: "policy.yaml:4: unknown action 'rejct' ...".
  void write_broken_policy() const {
    std::ofstream(path("policy.yaml")) << "version: 1\nrules:\n  - id: r1\n    action: rejct\n";
  }

  static constexpr const char* kPidFileConfig = "pid_file: run/privmilter.pid\n";

  void start_reloadable(const std::string& version) {
    write_policy(version);
    start_daemon(kPidFileConfig);
    // The daemon listens before it writes the pid file and the first status.
    ASSERT_TRUE(wait_for_file(status_file())) << status_file();
  }

  std::filesystem::path pid_file() const { return path("run/privmilter.pid"); }
  std::filesystem::path status_file() const { return path("run/privmilter.pid.reload"); }

  std::optional<nlohmann::json> reload_status() const {
    if (!std::filesystem::exists(status_file())) return std::nullopt;
    auto parsed = nlohmann::json::parse(read_text(status_file()), nullptr, false);
    if (parsed.is_discarded()) return std::nullopt;
    return parsed;
  }

  // The status once the daemon has made `attempts` reload attempts.
  std::optional<nlohmann::json> wait_for_attempt(int attempts) const {
    const auto deadline = std::chrono::steady_clock::now() + kWait;
    for (;;) {
      if (auto status = reload_status(); status && (*status)["attempts"].get<int>() >= attempts) return status;
      if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  static bool wait_for_file(const std::filesystem::path& file) {
    const auto deadline = std::chrono::steady_clock::now() + kWait;
    while (!std::filesystem::exists(file)) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
  }

  // The X-Policy-Version the daemon adds to the next ordinary outgoing message.
  std::string stamp_of_next_message() {
    auto result = send(outgoing({"bob@client.example"}), kSchedule);
    return result.added_header("X-Policy-Version").value_or("(none)");
  }
};

}  // namespace privmilter::integration
