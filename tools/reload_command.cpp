// privmilterctl reload: validate what the daemon would load, then ask the
// running daemon to reload it (SIGUSR1) and report what became of it.

#include <signal.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <thread>

#include "commands.h"
#include "pid_file.h"
#include "reload_status.h"
#include "snapshot.h"

namespace privmilter::tools {

namespace {

constexpr int kExitOk = 0;
constexpr int kExitRejected = 1;  // invalid here, or rejected by the daemon
constexpr int kExitUnavailable = 2;
constexpr auto kPollInterval = std::chrono::milliseconds(50);

struct ReloadOptions {
  std::string config_path = "/etc/privmilter/privmilter.yaml";
  std::string pid_file;  // overrides the configuration's pid_file
  double timeout_seconds = 30;
};

bool is_privmilter(pid_t pid) {
  std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  return std::getline(comm, name) && name == "privmilter";
}

bool is_alive(pid_t pid) { return ::kill(pid, 0) == 0 || errno == EPERM; }

std::int64_t monotonic_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void print_outcome(pid_t pid, const milter::ReloadStatusRecord& status) {
  if (status.ok) {
    std::cout << "privmilter (pid " << pid << ") reloaded: generation " << status.generation << ", "
              << status.rules << " rules" << std::endl;
  } else {
    std::cerr << "privmilter (pid " << pid << ") rejected the reload: " << status.error << "\n"
              << "generation " << status.generation << " stays in force" << std::endl;
  }
  for (const auto& key : status.restart_required) {
    std::cerr << "note: " << key << " changed; it takes effect only after a restart" << std::endl;
  }
}

int run_reload(const ReloadOptions& options) {
  milter::ConfigSource source{.file = std::filesystem::absolute(options.config_path), .socket = std::nullopt,
                              .pid_file = std::nullopt};
  if (!options.pid_file.empty()) source.pid_file = std::filesystem::absolute(options.pid_file);
  auto config = milter::load_config(source);
  if (!config) {
    std::cerr << "privmilterctl: " << config.error().message << "\nnot reloading" << std::endl;
    return kExitRejected;
  }
  // The same loading the daemon does, so that what fails here would fail there.
  auto snapshot = milter::load_snapshot(*config);
  if (!snapshot) {
    std::cerr << "privmilterctl: " << snapshot.error().message << "\nnot reloading" << std::endl;
    return kExitRejected;
  }
  if (!config->pid_file) {
    std::cerr << "privmilterctl: " << config->source.string()
              << " sets no pid_file; set one (and restart the daemon) or pass --pid-file" << std::endl;
    return kExitUnavailable;
  }
  const std::filesystem::path pid_path = *config->pid_file;
  auto pid = milter::read_pid_file(pid_path);
  if (!pid) {
    std::cerr << "privmilterctl: no running privmilter found: " << pid.error().message << std::endl;
    return kExitUnavailable;
  }
  if (!is_privmilter(*pid)) {
    std::cerr << "privmilterctl: process " << *pid << " named in " << pid_path.string()
              << " is not privmilter (stale pid file?)" << std::endl;
    return kExitUnavailable;
  }

  const auto status_path = milter::reload_status_path(pid_path);
  std::uint64_t attempts_before = 0;
  if (auto before = milter::read_reload_status(status_path); before && before->pid == *pid) {
    attempts_before = before->attempts;
    if (std::filesystem::path(before->config) != config->source) {
      std::cerr << "note: the daemon reads " << before->config << ", not " << config->source.string()
                << "; only " << config->source.string() << " was checked here" << std::endl;
    }
  }
  const std::int64_t requested_ns = monotonic_now_ns();
  if (::kill(*pid, SIGUSR1) != 0) {
    std::cerr << "privmilterctl: cannot signal privmilter (pid " << *pid << "): " << std::strerror(errno)
              << std::endl;
    return kExitUnavailable;
  }

  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                            std::chrono::duration<double>(options.timeout_seconds));
  for (;;) {
    // An attempt that began before the signal was sent (one already under
    // way) read the files too early to count as the answer.
    if (auto status = milter::read_reload_status(status_path);
        status && status->pid == *pid && status->attempts > attempts_before &&
        status->started_monotonic_ns >= requested_ns) {
      print_outcome(*pid, *status);
      return status->ok ? kExitOk : kExitRejected;
    }
    if (!is_alive(*pid)) {
      std::cerr << "privmilterctl: privmilter (pid " << *pid << ") exited before reporting the reload" << std::endl;
      return kExitUnavailable;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      std::cerr << "privmilterctl: privmilter (pid " << *pid << ") did not report the reload within "
                << options.timeout_seconds << " s (see its log; status file " << status_path.string() << ")"
                << std::endl;
      return kExitUnavailable;
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

}  // namespace

Subcommand add_reload_command(CLI::App& app) {
  auto options = std::make_shared<ReloadOptions>();
  auto* command = app.add_subcommand(
      "reload", "check the configuration and policy, then make the running daemon reload them (exit 0 reloaded, "
                "1 invalid or rejected, 2 no daemon or no answer)");
  command->add_option("-c,--config", options->config_path, "daemon configuration")->capture_default_str();
  command->add_option("--pid-file", options->pid_file, "the daemon's pid file, instead of the configuration's pid_file");
  command->add_option("--timeout", options->timeout_seconds, "seconds to wait for the daemon's answer")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 3600.0));
  return {command, [options] {
            spdlog::set_level(spdlog::level::warn);
            return run_reload(*options);
          }};
}

}  // namespace privmilter::tools
