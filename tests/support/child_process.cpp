#include "support/child_process.h"

#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <thread>
#include <utility>

#include "support/milter_client.h"

extern char** environ;

namespace privmilter::miltertest {

Result<ChildProcess> ChildProcess::spawn(const std::vector<std::string>& argv) {
  if (argv.empty()) return make_error("spawn: empty argument list");
  std::vector<char*> arguments;
  arguments.reserve(argv.size() + 1);
  for (const auto& argument : argv) arguments.push_back(const_cast<char*>(argument.c_str()));
  arguments.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, arguments[0], nullptr, nullptr, arguments.data(), environ);
  if (rc != 0) return make_error("spawn " + argv[0] + ": " + std::strerror(rc));
  return ChildProcess(pid);
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), wait_status_(std::exchange(other.wait_status_, std::nullopt)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    stop();
    pid_ = std::exchange(other.pid_, -1);
    wait_status_ = std::exchange(other.wait_status_, std::nullopt);
  }
  return *this;
}

ChildProcess::~ChildProcess() { stop(); }

bool ChildProcess::running() {
  if (pid_ < 0 || wait_status_) return false;
  int status = 0;
  const pid_t reaped = ::waitpid(pid_, &status, WNOHANG);
  if (reaped == pid_) {
    wait_status_ = status;
    return false;
  }
  return reaped == 0;
}

std::optional<int> ChildProcess::stop(std::chrono::milliseconds grace, int signal) {
  if (pid_ < 0) return std::nullopt;
  if (!running()) return wait_status_;
  ::kill(pid_, signal);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (running()) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    if (::waitpid(pid_, &status, 0) == pid_) wait_status_ = status;
  }
  return wait_status_;
}

Result<TempDirectory> TempDirectory::create(std::string_view prefix) {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/" +
                        std::string(prefix) + ".XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    return make_error("mkdtemp " + pattern + ": " + std::strerror(errno));
  }
  return TempDirectory(std::filesystem::path(pattern));
}

TempDirectory::TempDirectory(TempDirectory&& other) noexcept : path_(std::exchange(other.path_, {})) {}

TempDirectory& TempDirectory::operator=(TempDirectory&& other) noexcept {
  if (this != &other) {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
    path_ = std::exchange(other.path_, {});
  }
  return *this;
}

TempDirectory::~TempDirectory() {
  std::error_code ignored;
  if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
}

Status wait_until_listening(std::string_view address, std::chrono::milliseconds timeout, ChildProcess* child) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string last_error;
  for (;;) {
    // A listening daemon that is still starting answers once it serves: wait for that, up to the deadline.
    ClientOptions options;
    options.timeout = std::max(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()),
                               std::chrono::milliseconds(100));
    auto negotiated = MilterClient::open(address, options);
    if (negotiated) return Status::success();
    last_error = negotiated.error().message;
    if (child != nullptr && !child->running()) {
      return make_error("milter process exited before serving on " + std::string(address));
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return make_error("no milter answering on " + std::string(address) + " after " +
                        std::to_string(timeout.count()) + " ms: " + last_error);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace privmilter::miltertest
