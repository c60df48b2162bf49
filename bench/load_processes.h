#pragma once
// The milters the load benchmark measures, each a separate process whose
// output goes to a log file: privmilter with the shipped configuration and
// policy in a private directory, and privmilter-null-milter in its naive
// and lean modes. Also what /proc tells about a process: CPU time and
// resident set, with the peak reset between measurements.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "privmilter/result.h"

namespace privmilter::bench {

enum class SocketKind { unix_socket, inet };
std::string_view to_string(SocketKind kind);

// Call first in main(): on SIGINT, SIGTERM or SIGHUP every child started
// by LoggedProcess is killed before the benchmark exits.
void stop_children_when_interrupted();

// A child process with stdout and stderr in `log`; SIGTERM (then SIGKILL)
// when destroyed.
class LoggedProcess {
 public:
  static Result<std::unique_ptr<LoggedProcess>> spawn(const std::vector<std::string>& argv,
                                                      const std::filesystem::path& log);
  explicit LoggedProcess(pid_t pid, std::filesystem::path log) : pid_(pid), log_(std::move(log)) {}
  LoggedProcess(const LoggedProcess&) = delete;
  LoggedProcess& operator=(const LoggedProcess&) = delete;
  ~LoggedProcess();

  pid_t pid() const { return pid_; }
  bool running();
  int wait();  // until it exits; the wait status (0 when reaped before)
  void stop(std::chrono::milliseconds grace);
  // The last lines of the log, for error messages.
  std::string log_tail(std::size_t max_bytes = 2000) const;

 private:
  pid_t pid_;
  std::filesystem::path log_;
  bool reaped_ = false;
};

struct ProcessUsage {
  double cpu_seconds = 0;          // user + system, all threads, live and exited
  std::uint64_t rss_kib = 0;       // VmRSS
  std::uint64_t peak_rss_kib = 0;  // VmHWM since start or the last reset_peak_rss
  std::uint64_t threads = 0;
};
Result<ProcessUsage> process_usage(pid_t pid);
// Restarts VmHWM from the current resident set (needs root or the same user).
Status reset_peak_rss(pid_t pid);

struct BinaryPaths {
  std::filesystem::path privmilter;
  std::filesystem::path privmilterctl;
  std::filesystem::path null_milter;
  std::filesystem::path config_dir;  // the shipped config/ to copy
};

struct MilterUnderTest {
  std::string name;     // privmilter, null-naive, null-lean, ...
  std::string address;  // as the milter client takes it
  std::unique_ptr<LoggedProcess> process;
};

// `work` is a private directory; privmilter's copy of the configuration,
// keys, quarantine, audit log and spool live under it.
// engine: libmilter or asio (milter.engine).
Result<MilterUnderTest> start_privmilter(const BinaryPaths& paths, std::string_view engine, SocketKind socket,
                                         const std::filesystem::path& work);

// The null milter's options for a mode: "naive" answers every stage and
// takes every macro; "lean" is told only what a content filter needs
// (MAIL, RCPT, headers, body, end of message; two macros) and answers
// only at end of message.
std::vector<std::string> null_milter_options(std::string_view mode);
Result<MilterUnderTest> start_null_milter(const BinaryPaths& paths, std::string_view mode, SocketKind socket,
                                          const std::filesystem::path& work);

}  // namespace privmilter::bench
