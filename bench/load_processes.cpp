#include "bench/load_processes.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>
#include <regex>
#include <sstream>
#include <thread>

#include "support/child_process.h"
#include "support/unique_fd.h"

extern char** environ;

namespace privmilter::bench {
namespace {

struct SpawnActions {
  posix_spawn_file_actions_t actions;
  SpawnActions() { posix_spawn_file_actions_init(&actions); }
  ~SpawnActions() { posix_spawn_file_actions_destroy(&actions); }
  SpawnActions(const SpawnActions&) = delete;
  SpawnActions& operator=(const SpawnActions&) = delete;
};

struct SpawnAttributes {
  posix_spawnattr_t attributes;
  SpawnAttributes() { posix_spawnattr_init(&attributes); }
  ~SpawnAttributes() { posix_spawnattr_destroy(&attributes); }
  SpawnAttributes(const SpawnAttributes&) = delete;
  SpawnAttributes& operator=(const SpawnAttributes&) = delete;
};

// Children still running, for the signal thread to stop if the benchmark
// is interrupted.
std::mutex g_children_mutex;
std::vector<pid_t> g_children;

void forget_child(pid_t pid) {
  std::lock_guard lock(g_children_mutex);
  g_children.erase(std::remove(g_children.begin(), g_children.end(), pid), g_children.end());
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// An unused loopback port: the kernel picks one, and the milter binds it
// right after (a small race, harmless on a benchmark machine).
Result<unsigned> free_loopback_port() {
  miltertest::UniqueFd socket(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!socket.valid()) return make_error(std::string("socket: ") + std::strerror(errno));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (::bind(socket.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::getsockname(socket.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return make_error(std::string("bind: ") + std::strerror(errno));
  }
  return static_cast<unsigned>(ntohs(address.sin_port));
}

Result<std::string> milter_socket(SocketKind kind, const std::filesystem::path& unix_path) {
  if (kind == SocketKind::unix_socket) return "unix:" + unix_path.string();
  auto port = free_loopback_port();
  if (!port) return port.error();
  return "inet:" + std::to_string(*port) + "@127.0.0.1";
}

Status wait_until_serving(LoggedProcess& process, const std::string& address) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    if (!process.running()) return make_error("exited at start:\n" + process.log_tail());
    if (miltertest::wait_until_listening(address, std::chrono::milliseconds(250))) return Status::success();
  }
  return make_error("not listening on " + address + " after 60 s:\n" + process.log_tail());
}

Status run_to_completion(const std::vector<std::string>& argv, const std::filesystem::path& log) {
  auto process = LoggedProcess::spawn(argv, log);
  if (!process) return process.error();
  const int status = (*process)->wait();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return make_error(argv[0] + " failed:\n" + read_file(log));
  }
  return Status::success();
}

}  // namespace

std::string_view to_string(SocketKind kind) { return kind == SocketKind::unix_socket ? "unix" : "inet"; }

void stop_children_when_interrupted() {
  sigset_t signals;
  sigemptyset(&signals);
  for (int signal : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&signals, signal);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::thread([signals] {
    int received = 0;
    sigwait(&signals, &received);
    std::lock_guard lock(g_children_mutex);
    for (pid_t pid : g_children) ::kill(pid, SIGKILL);
    _exit(128 + received);
  }).detach();
}

Result<std::unique_ptr<LoggedProcess>> LoggedProcess::spawn(const std::vector<std::string>& argv,
                                                            const std::filesystem::path& log) {
  SpawnActions files;
  posix_spawn_file_actions_addopen(&files.actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&files.actions, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  posix_spawn_file_actions_adddup2(&files.actions, STDOUT_FILENO, STDERR_FILENO);
  std::vector<char*> arguments;
  for (const auto& argument : argv) arguments.push_back(const_cast<char*>(argument.c_str()));
  arguments.push_back(nullptr);
  // The benchmark blocks the signals its signal thread waits for; the child starts with none blocked.
  SpawnAttributes attributes;
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attributes.attributes, &none);
  posix_spawnattr_setflags(&attributes.attributes, POSIX_SPAWN_SETSIGMASK);
  std::lock_guard lock(g_children_mutex);
  pid_t pid = -1;
  const int error =
      posix_spawn(&pid, arguments[0], &files.actions, &attributes.attributes, arguments.data(), environ);
  if (error != 0) return make_error("cannot start " + argv[0] + ": " + std::strerror(error));
  g_children.push_back(pid);
  return std::make_unique<LoggedProcess>(pid, log);
}

LoggedProcess::~LoggedProcess() { stop(std::chrono::seconds(2)); }

bool LoggedProcess::running() {
  if (reaped_) return false;
  int status = 0;
  const pid_t waited = ::waitpid(pid_, &status, WNOHANG);
  if (waited == pid_ || (waited < 0 && errno == ECHILD)) {
    reaped_ = true;
    forget_child(pid_);
  }
  return !reaped_;
}

int LoggedProcess::wait() {
  int status = 0;
  if (reaped_) return status;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  reaped_ = true;
  forget_child(pid_);
  return status;
}

void LoggedProcess::stop(std::chrono::milliseconds grace) {
  if (!running()) return;
  ::kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (running()) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  reaped_ = true;
  forget_child(pid_);
}

std::string LoggedProcess::log_tail(std::size_t max_bytes) const {
  const std::string text = read_file(log_);
  return text.size() > max_bytes ? text.substr(text.size() - max_bytes) : text;
}

Result<ProcessUsage> process_usage(pid_t pid) {
  const std::string proc = "/proc/" + std::to_string(pid);
  const std::string stat = read_file(proc + "/stat");
  const auto name_end = stat.rfind(')');
  if (name_end == std::string::npos) return make_error("cannot read " + proc + "/stat");
  std::istringstream fields(stat.substr(name_end + 2));
  std::vector<std::string> values;
  for (std::string value; fields >> value;) values.push_back(value);
  // Counted from field 3 (state): utime is field 14, stime 15, num_threads 20.
  if (values.size() < 18) return make_error("short " + proc + "/stat");
  ProcessUsage usage;
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  usage.cpu_seconds = (std::stod(values[11]) + std::stod(values[12])) / ticks;
  usage.threads = std::stoull(values[17]);
  std::istringstream status(read_file(proc + "/status"));
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) usage.rss_kib = std::stoull(line.substr(6));
    if (line.rfind("VmHWM:", 0) == 0) usage.peak_rss_kib = std::stoull(line.substr(6));
  }
  return usage;
}

Status reset_peak_rss(pid_t pid) {
  std::ofstream clear("/proc/" + std::to_string(pid) + "/clear_refs");
  clear << "5\n";
  clear.close();
  if (!clear) return make_error("cannot reset the peak resident set of process " + std::to_string(pid));
  return Status::success();
}

Result<MilterUnderTest> start_privmilter(const BinaryPaths& paths, std::string_view engine, SocketKind socket,
                                         const std::filesystem::path& work) {
  // The shipped configuration keeps its state in ../var: beside config/ here.
  const auto config_dir = work / "config";
  std::error_code error;
  std::filesystem::copy(paths.config_dir, config_dir, std::filesystem::copy_options::recursive, error);
  if (error) return make_error("copy " + paths.config_dir.string() + ": " + error.message());
  std::filesystem::create_directories(work / "var", error);
  const auto config_file = config_dir / "privmilter.yaml";
  std::string config = read_file(config_file);
  // Its metrics port may be taken on a shared machine; any free one will do.
  const std::regex metrics_listen(R"((metrics:\s*\n\s+listen:\s*)(\S+))");
  if (std::smatch found; std::regex_search(config, found, metrics_listen)) {
    auto port = free_loopback_port();
    if (!port) return port.error();
    config.replace(static_cast<std::size_t>(found.position(2)), static_cast<std::size_t>(found.length(2)),
                   "127.0.0.1:" + std::to_string(*port));
  }
  // Whatever engine the shipped configuration names, this one runs.
  config = std::regex_replace(config, std::regex(R"(\n  engine: \S+\n)"), "\n");
  const std::string milter_block = "\nmilter:\n";
  if (const auto at = config.find(milter_block); at != std::string::npos) {
    config.insert(at + milter_block.size(), "  engine: " + std::string(engine) + "\n");
  }
  std::ofstream(config_file, std::ios::trunc) << config;
  if (Status keys = run_to_completion({paths.privmilterctl.string(), "keygen", "-c", config_file.string()},
                                      work / "keygen.log");
      !keys) {
    return keys.error();
  }
  auto address = milter_socket(socket, work / "privmilter.sock");
  if (!address) return address.error();
  auto process = LoggedProcess::spawn(
      {paths.privmilter.string(), "-f", "-c", config_file.string(), "-p", *address}, work / "privmilter.log");
  if (!process) return process.error();
  if (Status serving = wait_until_serving(**process, *address); !serving) {
    return make_error("privmilter " + serving.error().message);
  }
  return MilterUnderTest{engine == "libmilter" ? "privmilter" : "privmilter-" + std::string(engine), *address,
                         std::move(*process)};
}

std::vector<std::string> null_milter_options(std::string_view mode) {
  if (mode == "naive") return {};
  return {"--no-send", "connect", "--no-send", "helo", "--no-send", "data", "--no-send", "eoh",
          "--no-reply-at", "mail", "--no-reply-at", "rcpt", "--no-reply-at", "header", "--no-reply-at", "body",
          "--request-macros", "connect:j", "--request-macros", "mail:{auth_authen}",
          "--request-macros", "rcpt:i"};
}

Result<MilterUnderTest> start_null_milter(const BinaryPaths& paths, std::string_view mode, SocketKind socket,
                                          const std::filesystem::path& work) {
  const std::string name = "null-" + std::string(mode);
  auto address = milter_socket(socket, work / (name + ".sock"));
  if (!address) return address.error();
  std::vector<std::string> argv{paths.null_milter.string(), "-p", *address, "--backlog", "1024"};
  for (auto& option : null_milter_options(mode)) argv.push_back(std::move(option));
  auto process = LoggedProcess::spawn(argv, work / (name + ".log"));
  if (!process) return process.error();
  if (Status serving = wait_until_serving(**process, *address); !serving) {
    return make_error(name + " " + serving.error().message);
  }
  return MilterUnderTest{name, *address, std::move(*process)};
}

}  // namespace privmilter::bench
