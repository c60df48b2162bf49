#include "daemon.h"

#include <fcntl.h>
#include <libmilter/mfapi.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <optional>
#include <thread>

#include "callbacks.h"
#include "engine.h"
#include "logging.h"
#include "pid_file.h"
#include "reload_listener.h"
#include "retention_sweeper.h"
#include "signal_mask.h"
#include "reload_status.h"
#include "snapshot.h"
#include "privmilter/config.h"
#include "privmilter/file_io.h"
#include "privmilter/policy.h"
#include "privmilter/version.h"

namespace privmilter::milter {

namespace {

constexpr int kExitConfig = 78;    // EX_CONFIG
constexpr int kExitSoftware = 70;  // EX_SOFTWARE
constexpr auto kDrainTimeout = std::chrono::seconds(30);

// Detaches from the terminal. Runs before any thread exists: forking a
// threaded process (libmilter, spdlog) leaves the child with locked mutexes.
bool detach() {
  pid_t pid = fork();
  if (pid < 0) return false;
  if (pid > 0) _exit(0);
  if (setsid() < 0) return false;
  int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null_fd >= 0) {
    dup2(null_fd, STDIN_FILENO);
    dup2(null_fd, STDOUT_FILENO);
    dup2(null_fd, STDERR_FILENO);
    if (null_fd > STDERR_FILENO) close(null_fd);
  }
  return chdir("/") == 0;
}

std::string socket_path(const std::string& spec) {
  for (const char* prefix : {"unix:", "local:"}) {
    if (spec.rfind(prefix, 0) == 0) return spec.substr(std::string(prefix).size());
  }
  return {};
}

void silence_standard_output() {
  std::cout.flush();
  const int null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (null_fd < 0) return;
  dup2(null_fd, STDOUT_FILENO);
  close(null_fd);
}

void print_postfix_hint(const Config& config) {
  std::cout << "privmilter " << kVersion << " listening on " << config.socket << "\n"
            << "  quarantine: " << config.quarantine.directory.string() << "\n"
            << "  audit log:  " << config.audit.log.string() << "\n"
            << "Point Postfix at it (main.cf):\n"
            << "  smtpd_milters = " << postfix_milter_address(config.socket) << "\n"
            << "  milter_default_action = tempfail\n"
            << "  milter_protocol = 6\n"
            << "Sendmail (sendmail.mc): INPUT_MAIL_FILTER(`privmilter', `S=" << config.socket
            << ", F=T, T=C:30s;S:1m;R:1m;E:5m')" << std::endl;
}

// Absolute paths: a detached daemon runs in "/" and a reload reads the
// same files again.
ConfigSource config_source(const Options& options) {
  ConfigSource source{.file = std::filesystem::absolute(options.config_path), .socket = options.socket,
                      .pid_file = std::nullopt};
  if (options.pid_file) source.pid_file = std::filesystem::absolute(*options.pid_file).lexically_normal();
  return source;
}

std::optional<PidFile> write_pid_file(const Config& config) {
  if (!config.pid_file) return std::nullopt;
  auto written = PidFile::write(*config.pid_file);
  if (!written) {
    // Mail keeps flowing; only privmilterctl reload cannot find the daemon
    // (kill -USR1 and systemctl reload still work).
    spdlog::error("cannot write the pid file: {}", written.error().message);
    return std::nullopt;
  }
  return std::move(written).value();
}

}  // namespace

int run_daemon(const Options& options) {
  if (options.version) {
    std::cout << "privmilter " << kVersion << std::endl;
    return 0;
  }
  if (options.socket && !valid_socket_spec(*options.socket)) {
    std::cerr << "privmilter: --socket must be inet:PORT@HOST, inet6:PORT@HOST or unix:/path, not '"
              << *options.socket << "'" << std::endl;
    return kExitConfig;
  }
  const ConfigSource source = config_source(options);
  auto loaded = load_config(source);
  if (!loaded) {
    std::cerr << "privmilter: " << loaded.error().message << std::endl;
    return kExitConfig;
  }
  Config config = std::move(loaded).value();
  if (options.check_only) {
    auto snapshot = load_snapshot(config);
    if (!snapshot) {
      std::cerr << "privmilter: " << snapshot.error().message << std::endl;
      return kExitConfig;
    }
    std::cout << "privmilter: configuration " << config.source.string() << " OK; policy "
              << config.policy_path.string() << " OK (" << rule_count(*snapshot->policy) << " rules); socket "
              << config.socket << std::endl;
    return 0;
  }

  // Before any thread exists, so that every thread inherits the mask.
  if (auto blocked = block_reload_signal(); !blocked) {
    std::cerr << "privmilter: " << blocked.error().message << std::endl;
    return kExitSoftware;
  }
  configure_logging(config.log_level, options.foreground);
  const bool foreground = options.foreground;
  auto engine = Engine::create(std::move(config), source);
  if (!engine) {
    spdlog::critical("cannot start: {}", engine.error().message);
    std::cerr << "privmilter: " << engine.error().message << std::endl;
    return kExitConfig;
  }
  // The settings bound at start; a reload keeps them for the life of the process.
  const std::shared_ptr<const Config> started_with = (*engine)->snapshot()->config;
  const Config& active = *started_with;
  const std::string& socket_spec = active.socket;
  if (auto path = socket_path(socket_spec); !path.empty()) {
    if (auto made = ensure_private_directory(std::filesystem::path(path).parent_path()); !made) {
      std::cerr << "privmilter: " << made.error().message << std::endl;
      return kExitConfig;
    }
  }

  smfiDesc description = make_filter_description();
  std::string connection = socket_spec;
  if (smfi_register(description) != MI_SUCCESS || smfi_setconn(connection.data()) != MI_SUCCESS ||
      smfi_setbacklog(256) != MI_SUCCESS) {
    std::cerr << "privmilter: libmilter registration failed" << std::endl;
    return kExitSoftware;
  }
  // Opening the socket now reports a bad or busy address before detaching.
  if (smfi_opensocket(true) != MI_SUCCESS) {
    std::cerr << "privmilter: cannot listen on " << socket_spec << " (bad address, in use, or no permission)"
              << std::endl;
    return kExitConfig;
  }
  print_postfix_hint(active);
  // Nothing of ours writes to standard output after this; some parsing
  // libraries (libytnef) print diagnostics there on damaged input, which
  // must not interleave with the logs.
  silence_standard_output();
  if (!foreground) {
    // A SQLite connection must not cross the fork: the child opens its own.
    (*engine)->quarantine().close_index();
    if (!detach()) {
      std::cerr << "privmilter: cannot detach from the terminal" << std::endl;
      return kExitSoftware;
    }
    configure_logging(active.log_level, false);
    if (auto reopened = (*engine)->quarantine().open(); !reopened) {
      spdlog::critical("cannot start: {}", reopened.error().message);
      return kExitSoftware;
    }
  }

  std::optional<PidFile> pid_file = write_pid_file(active);
  std::optional<std::filesystem::path> status_file;
  if (pid_file) status_file = reload_status_path(pid_file->path());
  ReloadListener reload_listener(**engine, status_file);
  std::optional<RetentionSweeper> retention_sweeper;
  {
    const AllSignalsBlocked blocked;
    if (auto started = (*engine)->start_background_work(); !started) {
      spdlog::critical("cannot start: {}", started.error().message);
      return kExitSoftware;
    }
    retention_sweeper.emplace(**engine);
  }

  set_engine(engine->get());
  spdlog::info("privmilter {} started on {} (policy {}, {} rules)", kVersion, socket_spec,
               active.policy_path.string(), rule_count(*(*engine)->snapshot()->policy));
  const int status = smfi_main();
  reload_listener.stop();

  // libmilter stops accepting on SIGTERM but does not wait for connections
  // in progress: let them finish before the engine goes away.
  const auto deadline = std::chrono::steady_clock::now() + kDrainTimeout;
  while ((*engine)->active_connections() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (const int left = (*engine)->active_connections(); left > 0) {
    spdlog::warn("stopping with {} connections still open; the MTA will retry their messages", left);
    pid_file.reset();
    spdlog::shutdown();
    _exit(status == MI_SUCCESS ? 0 : kExitSoftware);
  }
  set_engine(nullptr);
  pid_file.reset();
  spdlog::info("privmilter stopped");
  spdlog::shutdown();
  return status == MI_SUCCESS ? 0 : kExitSoftware;
}

}  // namespace privmilter::milter
