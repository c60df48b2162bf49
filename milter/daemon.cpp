#include "daemon.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <optional>
#include <thread>

#include "engine.h"
#include "listening_sockets.h"
#include "logging.h"
#include "metrics_server.h"
#include "pid_file.h"
#include "protocol_server.h"
#include "privileges.h"
#include "reload_listener.h"
#include "retention_sweeper.h"
#include "service_manager.h"
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

// SIGTERM and SIGINT let the connections in progress finish first.
// libmilter stops its worker pool together with its listener, so once it
// sees a stop no connection is served again and a message under way could
// never finish. These signals are therefore blocked in every thread and
// taken by the main thread rather than libmilter's signal thread: Linux
// hands a signal sent to a process to its main thread first when that
// thread waits for it. SIGHUP remains libmilter's immediate stop.
sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

Status block_stop_signals() {
  const sigset_t set = stop_signals();
  if (const int error = ::pthread_sigmask(SIG_BLOCK, &set, nullptr); error != 0) {
    return make_error("cannot block the stop signals: " + errno_text(error));
  }
  return {};
}

// A stop signal taken within `wait` (none: until one comes), or 0.
int take_stop_signal(std::optional<std::chrono::milliseconds> wait) {
  const sigset_t set = stop_signals();
  for (;;) {
    int taken = 0;
    if (!wait) {
      if (::sigwait(&set, &taken) == 0) return taken;
      continue;
    }
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(*wait);
    const timespec timeout{.tv_sec = static_cast<time_t>(seconds.count()),
                           .tv_nsec = static_cast<long>(std::chrono::nanoseconds(*wait - seconds).count())};
    taken = ::sigtimedwait(&set, nullptr, &timeout);
    if (taken > 0) return taken;
    if (errno != EINTR) return 0;
  }
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
  for (auto blocked : {block_reload_signal(), block_stop_signals()}) {
    if (!blocked) {
      std::cerr << "privmilter: " << blocked.error().message << std::endl;
      return kExitSoftware;
    }
  }
  configure_logging(config.log_level, options.foreground);
  const bool foreground = options.foreground;
  auto run_as = resolve_run_as(config.process);
  if (!run_as) {
    spdlog::critical("cannot start: {}", run_as.error().message);
    std::cerr << "privmilter: " << run_as.error().message << std::endl;
    return kExitConfig;
  }
  const std::string socket_spec = config.socket;
  const std::string unix_socket = socket_path(socket_spec);
  if (!unix_socket.empty()) {
    if (auto made = ensure_private_directory(std::filesystem::path(unix_socket).parent_path()); !made) {
      std::cerr << "privmilter: " << made.error().message << std::endl;
      return kExitConfig;
    }
  }

  // Opening the socket now reports a bad or busy address before detaching.
  auto opened = open_protocol_server(config);
  if (!opened) {
    std::cerr << "privmilter: " << opened.error().message << std::endl;
    return kExitConfig;
  }
  std::unique_ptr<ProtocolServer> server = std::move(*opened);
  if (!unix_socket.empty()) {
    if (auto shared = share_socket_with_mta(unix_socket, *run_as); !shared) {
      spdlog::critical("cannot start: {}", shared.error().message);
      std::cerr << "privmilter: " << shared.error().message << std::endl;
      return kExitSoftware;
    }
  }
  // Keys and stores are opened only after the switch, so what the daemon
  // creates belongs to its user and a key it cannot read fails now, not
  // at the first reload.
  if (*run_as) {
    if (auto switched = switch_user(**run_as); !switched) {
      spdlog::critical("cannot start: {}", switched.error().message);
      std::cerr << "privmilter: " << switched.error().message << std::endl;
      return kExitSoftware;
    }
    spdlog::info("running as user {} (uid {}, gid {})", (*run_as)->user, (*run_as)->uid, (*run_as)->gid);
  }
  auto engine = Engine::create(std::move(config), source);
  if (!engine) {
    spdlog::critical("cannot start: {}", engine.error().message);
    std::cerr << "privmilter: " << engine.error().message << std::endl;
    if (!unix_socket.empty()) ::unlink(unix_socket.c_str());
    return kExitConfig;
  }
  // The settings bound at start; a reload keeps them for the life of the process.
  const std::shared_ptr<const Config> started_with = (*engine)->snapshot()->config;
  const Config& active = *started_with;
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
  ServiceManager service_manager;
  ReloadListener reload_listener(**engine, status_file, service_manager);
  std::optional<RetentionSweeper> retention_sweeper;
  {
    const AllSignalsBlocked blocked;
    if (auto started = (*engine)->start_background_work(); !started) {
      spdlog::critical("cannot start: {}", started.error().message);
      return kExitSoftware;
    }
    retention_sweeper.emplace(**engine);
  }
  std::unique_ptr<MetricsServer> metrics_server;
  if (active.metrics_listen) {
    auto serving = MetricsServer::start(**engine, *active.metrics_listen);
    if (!serving) {
      spdlog::critical("cannot start: {}", serving.error().message);
      std::cerr << "privmilter: " << serving.error().message << std::endl;
      return kExitConfig;
    }
    metrics_server = std::move(*serving);
    spdlog::info("metrics on http://{}/metrics, health on /healthz", metrics_server->address());
  }

  spdlog::info("privmilter {} started on {} (policy {}, {} rules)", kVersion, socket_spec,
               active.policy_path.string(), rule_count(*(*engine)->snapshot()->policy));
  // The socket listens (connections wait in its backlog until smfi_main
  // accepts them) and the engine is up.
  service_manager.ready(fmt::format("serving on {}; policy generation 1 ({} rules)", socket_spec,
                                    rule_count(*(*engine)->snapshot()->policy)));
  service_manager.start_watchdog([&engine] { return engine_answers(**engine); });
  // A stop signal that came while starting: do not begin serving.
  const int early_signal = take_stop_signal(std::chrono::milliseconds(0));
  std::atomic<bool> serving_ended{false};
  bool serving = false;
  if (early_signal == 0) {
    const pthread_t main_thread = ::pthread_self();
    auto started = server->start(**engine, [&serving_ended, main_thread] {
      // Stopped on its own (SIGHUP to libmilter, a failure): wake the main thread.
      serving_ended = true;
      ::pthread_kill(main_thread, SIGTERM);
    });
    if (!started) {
      spdlog::critical("cannot start: {}", started.error().message);
      return kExitSoftware;
    }
    serving = true;
  }
  const int stop_signal = early_signal != 0 ? early_signal : take_stop_signal(std::nullopt);
  const auto bound = std::chrono::seconds(active.process.shutdown_timeout_seconds);
  service_manager.stopping(bound);
  reload_listener.stop();
  metrics_server.reset();

  if (serving && !serving_ended) {
    if (auto refused = server->refuse_new_connections(); refused) {
      spdlog::info("stopping ({}): new connections are refused; {} open have up to {} s to finish",
                   ::strsignal(stop_signal), (*engine)->active_connections(), bound.count());
    } else {
      spdlog::warn("stopping ({}) at once: cannot keep serving open connections: {}", ::strsignal(stop_signal),
                   refused.error().message);
      server->stop();
    }
  }
  // A second stop signal ends the wait.
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while ((*engine)->active_connections() > 0 && std::chrono::steady_clock::now() < deadline) {
    if (take_stop_signal(std::chrono::milliseconds(50)) != 0) break;
  }
  service_manager.stop_watchdog();
  if (const int left = (*engine)->active_connections(); left > 0) {
    spdlog::warn("stopping with {} connections still open; the MTA will retry their messages", left);
    pid_file.reset();
    spdlog::shutdown();
    _exit(server->failed() ? kExitSoftware : 0);
  }
  server->stop();
  const bool failed = server->failed();
  server.reset();
  pid_file.reset();
  spdlog::info("privmilter stopped");
  spdlog::shutdown();
  return failed ? kExitSoftware : 0;
}

}  // namespace privmilter::milter
