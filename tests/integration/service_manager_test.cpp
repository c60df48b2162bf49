// The daemon under a service manager's eyes: the test plays systemd, with
// a datagram socket as NOTIFY_SOCKET and a watchdog interval, and reads
// what the real daemon reports (Type=notify).

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <atomic>
#include <cstdlib>
#include <cstring>

#include "daemon_fixture.h"
#include "service_manager.h"
#include "sample_messages.h"
#include "support/unique_fd.h"

namespace privmilter::integration {
namespace {

constexpr auto kDeadline = std::chrono::seconds(60);

// One notification: "KEY=VALUE" lines.
struct Notification {
  std::string text;
  bool has(const std::string& assignment) const {
    return ("\n" + text + "\n").find("\n" + assignment + "\n") != std::string::npos;
  }
  std::string value(const std::string& key) const {
    const auto start = ("\n" + text).find("\n" + key + "=");
    if (start == std::string::npos) return {};
    const auto from = start + key.size() + 1;
    return text.substr(from, text.find('\n', from) - from);
  }
};

// The service manager's end of NOTIFY_SOCKET.
class NotifySocket {
 public:
  explicit NotifySocket(const std::filesystem::path& path) : path_(path) {
    fd_.reset(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
    bound_ = fd_.valid() && ::bind(fd_.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  }
  bool bound() const { return bound_; }
  const std::filesystem::path& path() const { return path_; }

  // The next notification, or nullopt when none came before `deadline`.
  std::optional<Notification> next(std::chrono::steady_clock::time_point deadline) {
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd ready{.fd = fd_.get(), .events = POLLIN, .revents = 0};
      if (::poll(&ready, 1, static_cast<int>(left.count())) <= 0) continue;
      char buffer[4096];
      const ssize_t got = ::recv(fd_.get(), buffer, sizeof(buffer), 0);
      if (got > 0) return Notification{std::string(buffer, static_cast<std::size_t>(got))};
    }
  }

  // Reads notifications until one has `assignment`; the ones before it are
  // appended to `skipped` when given.
  std::optional<Notification> until(const std::string& assignment, std::vector<Notification>* skipped = nullptr) {
    const auto deadline = std::chrono::steady_clock::now() + kDeadline;
    while (auto notification = next(deadline)) {
      if (notification->has(assignment)) return notification;
      if (skipped) skipped->push_back(*notification);
    }
    return std::nullopt;
  }

 private:
  std::filesystem::path path_;
  miltertest::UniqueFd fd_;
  bool bound_ = false;
};

class ServiceManagerTest : public DaemonTest {
 protected:
  // Starts the daemon as systemd would for Type=notify with WatchdogSec=,
  // without waiting for it: the notifications are what is under test.
  void start_under_service_manager(std::chrono::milliseconds watchdog) {
    notify_.emplace(path("notify.sock"));
    ASSERT_TRUE(notify_->bound()) << std::strerror(errno);
    write_config();
    ::setenv("NOTIFY_SOCKET", notify_->path().c_str(), 1);
    ::setenv("WATCHDOG_USEC", std::to_string(watchdog.count() * 1000).c_str(), 1);
    auto child = ChildProcess::spawn({PRIVMILTER_DAEMON_PATH, "-f", "-c", path("privmilter.yaml").string()});
    ::unsetenv("NOTIFY_SOCKET");
    ::unsetenv("WATCHDOG_USEC");
    ASSERT_TRUE(child.ok()) << child.error().message;
    daemon_.emplace(std::move(*child));
  }

  std::optional<NotifySocket> notify_;
};

TEST_F(ServiceManagerTest, ReadyOnlyOnceTheMilterSocketAcceptsAndTheEngineServes) {
  start_under_service_manager(std::chrono::seconds(60));
  std::vector<Notification> before;
  auto ready = notify_->until("READY=1", &before);
  ASSERT_TRUE(ready) << "no READY=1";
  // Nothing claimed readiness earlier, and by now the socket takes a
  // connection and the engine judges a message.
  for (const auto& notification : before) EXPECT_FALSE(notification.has("READY=1")) << notification.text;
  auto connection = MilterClient::open(address());
  ASSERT_TRUE(connection.ok()) << "READY=1 before the socket accepts: " << connection.error().message;
  EXPECT_NE(ready->value("STATUS").find("serving on " + address()), std::string::npos) << ready->text;
  auto result = (*connection)->send_message(outgoing({"bob@client.example"}), kOrdinary);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->added_header("X-Privmilter"), "scanned");
}

TEST_F(ServiceManagerTest, WatchdogPingsKeepComingWhileTheDaemonIsHealthy) {
  start_under_service_manager(std::chrono::milliseconds(400));
  ASSERT_TRUE(notify_->until("READY=1"));
  for (int ping = 0; ping < 5; ++ping) {
    ASSERT_TRUE(notify_->until("WATCHDOG=1")) << "watchdog ping " << ping << " did not come";
  }
  // Pings do not stand in for service: mail still flows between them.
  auto result = send(outgoing({"bob@client.example"}), kOrdinary);
  EXPECT_EQ(result.added_header("X-Privmilter"), "scanned");
  EXPECT_TRUE(notify_->until("WATCHDOG=1"));
}

// systemd restarts a daemon whose pings stop: they stop while its health
// check fails (engine_answers, e.g. a quarantine index that no longer
// answers) and come back when it passes. The daemon's own ServiceManager,
// in this process, with the check's answer in the test's hands.
TEST_F(ServiceManagerTest, WatchdogPingsStopWhileTheHealthCheckFailsAndResume) {
  notify_.emplace(path("notify.sock"));
  ASSERT_TRUE(notify_->bound()) << std::strerror(errno);
  // sd_notify reads the socket from the environment at every ping.
  ::setenv("NOTIFY_SOCKET", notify_->path().c_str(), 1);
  ::setenv("WATCHDOG_USEC", "400000", 1);
  ::unsetenv("WATCHDOG_PID");
  struct EnvironmentReset {
    ~EnvironmentReset() {
      ::unsetenv("NOTIFY_SOCKET");
      ::unsetenv("WATCHDOG_USEC");
    }
  } reset_environment;
  std::atomic<bool> healthy{true};
  milter::ServiceManager manager;
  manager.start_watchdog([&healthy]() -> Status {
    if (healthy) return Status::success();
    return make_error("quarantine index does not answer");
  });
  ASSERT_TRUE(notify_->until("WATCHDOG=1")) << "no ping while healthy";
  healthy = false;
  // Healthy, it pings every 200 ms; a ping already on its way may still
  // come, then none for many intervals.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  bool silent = false;
  while (!silent && std::chrono::steady_clock::now() < deadline) {
    silent = true;
    const auto window_end = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (auto notification = notify_->next(window_end)) {
      if (notification->has("WATCHDOG=1")) {
        silent = false;
        break;
      }
    }
  }
  EXPECT_TRUE(silent) << "pings went on while the health check failed";
  healthy = true;
  EXPECT_TRUE(notify_->until("WATCHDOG=1")) << "pings did not resume";
  manager.stop_watchdog();
}

TEST_F(ServiceManagerTest, NoWatchdogPingsWhenTheServiceManagerAsksForNone) {
  notify_.emplace(path("notify.sock"));
  ASSERT_TRUE(notify_->bound());
  write_config();
  ::setenv("NOTIFY_SOCKET", notify_->path().c_str(), 1);
  auto child = ChildProcess::spawn({PRIVMILTER_DAEMON_PATH, "-f", "-c", path("privmilter.yaml").string()});
  ::unsetenv("NOTIFY_SOCKET");
  ASSERT_TRUE(child.ok());
  daemon_.emplace(std::move(*child));
  ASSERT_TRUE(notify_->until("READY=1"));
  // A reload's notifications come next, with no ping between.
  ASSERT_EQ(::kill(daemon_->pid(), SIGUSR1), 0);
  std::vector<Notification> between;
  ASSERT_TRUE(notify_->until("RELOADING=1", &between));
  for (const auto& notification : between) EXPECT_FALSE(notification.has("WATCHDOG=1")) << notification.text;
}

TEST_F(ServiceManagerTest, ReloadIsAnnouncedAndFollowedByReady) {
  start_under_service_manager(std::chrono::seconds(60));
  ASSERT_TRUE(notify_->until("READY=1"));
  ASSERT_EQ(::kill(daemon_->pid(), SIGUSR1), 0);
  auto reloading = notify_->until("RELOADING=1");
  ASSERT_TRUE(reloading);
  EXPECT_FALSE(reloading->value("MONOTONIC_USEC").empty()) << reloading->text;
  auto ready = notify_->until("READY=1");
  ASSERT_TRUE(ready);
  EXPECT_NE(ready->value("STATUS").find("generation 2"), std::string::npos) << ready->text;
}

// A rejected reload keeps the running policy, so the daemon is ready again.
TEST_F(ServiceManagerTest, RejectedReloadStillEndsReady) {
  start_under_service_manager(std::chrono::seconds(60));
  ASSERT_TRUE(notify_->until("READY=1"));
  std::ofstream(path("policy") / "99-broken.yaml") << "version: 1\nrules:\n  - id: broken\n    action: rejct\n";
  ASSERT_EQ(::kill(daemon_->pid(), SIGUSR1), 0);
  ASSERT_TRUE(notify_->until("RELOADING=1"));
  auto ready = notify_->until("READY=1");
  ASSERT_TRUE(ready);
  EXPECT_NE(ready->value("STATUS").find("rejected"), std::string::npos) << ready->text;
  EXPECT_NE(ready->value("STATUS").find("generation 1"), std::string::npos) << ready->text;
  auto result = send(outgoing({"bob@client.example"}), kOrdinary);
  EXPECT_EQ(result.added_header("X-Privmilter"), "scanned");
}

TEST_F(ServiceManagerTest, StoppingOnSigterm) {
  start_under_service_manager(std::chrono::seconds(60));
  ASSERT_TRUE(notify_->until("READY=1"));
  ASSERT_EQ(::kill(daemon_->pid(), SIGTERM), 0);
  auto stopping = notify_->until("STOPPING=1");
  ASSERT_TRUE(stopping);
  // systemd's stop timeout is extended by the drain bound (30 s by default).
  EXPECT_EQ(stopping->value("EXTEND_TIMEOUT_USEC"), "30000000") << stopping->text;
  const auto status = daemon_->stop(std::chrono::seconds(60));
  ASSERT_TRUE(status);
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << *status;
}

}  // namespace
}  // namespace privmilter::integration
