#pragma once
// Test helpers for running a milter as a separate process: a child that is
// stopped when its owner goes away, a self-removing temporary directory,
// and a bounded wait until a milter accepts connections.

#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "privmilter/result.h"

namespace privmilter::miltertest {

class ChildProcess {
 public:
  // argv[0] is the program path; the child inherits stdout, stderr and the environment.
  static Result<ChildProcess> spawn(const std::vector<std::string>& argv);

  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ~ChildProcess();  // stop()

  pid_t pid() const { return pid_; }
  bool running();
  // Sends `signal`, waits up to `grace`, then SIGKILL. Returns the wait
  // status (see waitpid), or nullopt if the child was already reaped.
  std::optional<int> stop(std::chrono::milliseconds grace = std::chrono::seconds(5), int signal = SIGTERM);

 private:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}
  pid_t pid_ = -1;
  std::optional<int> wait_status_;
};

class TempDirectory {
 public:
  static Result<TempDirectory> create(std::string_view prefix);
  TempDirectory(const TempDirectory&) = delete;
  TempDirectory& operator=(const TempDirectory&) = delete;
  TempDirectory(TempDirectory&& other) noexcept;
  TempDirectory& operator=(TempDirectory&& other) noexcept;
  ~TempDirectory();

  const std::filesystem::path& path() const { return path_; }

 private:
  explicit TempDirectory(std::filesystem::path path) : path_(std::move(path)) {}
  std::filesystem::path path_;
};

// Retries the milter at `address` until it answers an option negotiation,
// `child` (when given) exits, or `timeout` passes. Answering, not merely
// accepting: a daemon may listen (connections wait in the backlog) before
// it has finished starting and serves them.
Status wait_until_listening(std::string_view address, std::chrono::milliseconds timeout,
                            ChildProcess* child = nullptr);

}  // namespace privmilter::miltertest
