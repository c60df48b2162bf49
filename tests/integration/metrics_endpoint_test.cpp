// The daemon's metrics endpoint, scraped over real HTTP while real
// messages pass through the milter protocol: the counters move by exactly
// what happened (checked against the audit log), /healthz follows the
// quarantine, reloads show, and hostile requests leave it serving.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <thread>

#include "daemon_fixture.h"
#include "sample_messages.h"
#include "support/unique_fd.h"

namespace privmilter::integration {
namespace {

constexpr auto kWait = std::chrono::seconds(30);

// What the daemon holds of a message: its lines with CRLF ends.
double spooled_size(const std::string& raw) {
  return static_cast<double>(raw.size() + static_cast<std::size_t>(std::count(raw.begin(), raw.end(), '\n')));
}

struct HttpResponse {
  int status = 0;  // 0: no answer
  std::string head;
  std::string body;
  bool closed_by_server = false;  // rather than the client giving up waiting
};

miltertest::UniqueFd connect_to(unsigned short port) {
  miltertest::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  timeval timeout{.tv_sec = 30, .tv_usec = 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) return {};
  return fd;
}

struct Received {
  std::string bytes;
  bool closed_by_server = false;  // end of stream or reset, not the receive timeout
};

// Everything the server sends until it closes.
Received read_to_end(int fd) {
  Received received;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n > 0) {
      received.bytes.append(buffer, static_cast<std::size_t>(n));
      continue;
    }
    received.closed_by_server = n == 0 || errno == ECONNRESET;
    return received;
  }
}

HttpResponse http_exchange(unsigned short port, const std::string& request) {
  HttpResponse response;
  auto fd = connect_to(port);
  if (!fd.valid()) return response;
  for (std::size_t sent = 0; sent < request.size();) {
    const ssize_t n = ::send(fd.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  const Received read = read_to_end(fd.get());
  response.closed_by_server = read.closed_by_server;
  const std::string& received = read.bytes;
  const auto end_of_head = received.find("\r\n\r\n");
  if (received.rfind("HTTP/1.1 ", 0) != 0 || end_of_head == std::string::npos) return response;
  response.status = std::stoi(received.substr(9, 3));
  response.head = received.substr(0, end_of_head);
  response.body = received.substr(end_of_head + 4);
  return response;
}

HttpResponse get(unsigned short port, const std::string& path) {
  return http_exchange(port, "GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n");
}

unsigned short free_port() {
  miltertest::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return 0;
  }
  return ntohs(address.sin_port);
}

// Samples keyed by their series exactly as rendered: name{labels}.
using Samples = std::map<std::string, double>;

Samples parse_samples(const std::string& text) {
  Samples samples;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') continue;
    const auto space = line.rfind(' ');
    samples[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return samples;
}

double value_of(const Samples& samples, const std::string& series) {
  const auto found = samples.find(series);
  return found == samples.end() ? 0 : found->second;
}

std::string messages_series(const std::string& direction, const std::string& action, const std::string& disposition) {
  return "privmilter_messages_total{direction=\"" + direction + "\",action=\"" + action + "\",disposition=\"" +
         disposition + "\"}";
}

std::string error_series(const std::string& kind) { return "privmilter_errors_total{kind=\"" + kind + "\"}"; }

class MetricsEndpointTest : public DaemonTest {
 protected:
  void start_with_metrics() {
    port_ = free_port();
    ASSERT_NE(port_, 0);
    start_daemon("metrics: {listen: '127.0.0.1:" + std::to_string(port_) + "'}\n");
    ASSERT_TRUE(wait_for([&] { return get(port_, "/healthz").status != 0; })) << "the metrics endpoint never answered";
  }

  Samples scrape() {
    const HttpResponse response = get(port_, "/metrics");
    EXPECT_EQ(response.status, 200);
    EXPECT_NE(response.head.find("Content-Type: text/plain; version=0.0.4"), std::string::npos) << response.head;
    return parse_samples(response.body);
  }

  static bool wait_for(const std::function<bool()>& condition) {
    const auto deadline = std::chrono::steady_clock::now() + kWait;
    while (!condition()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return true;
  }

  bool wait_for_value(const std::string& series, double wanted) {
    return wait_for([&] { return value_of(scrape(), series) == wanted; });
  }

  unsigned short port_ = 0;
};

TEST_F(MetricsEndpointTest, CountersMoveByExactlyWhatHappened) {
  start_with_metrics();
  const Samples before = scrape();
  EXPECT_TRUE(send(outgoing({"bob@client.example"}), kOrdinary).verdict.delivers());
  EXPECT_EQ(send(outgoing({"bob@client.example"}), kPrivileged).verdict.kind, ReplyKind::discard);
  EXPECT_EQ(send(outgoing({"bob@client.example"}), kSsn).verdict.text.rfind("550 5.7.1", 0), 0u);
  const Samples after = scrape();
  const auto delta = [&](const std::string& series) { return value_of(after, series) - value_of(before, series); };

  // What the audit log recorded, the counters must show.
  const auto lines = audit_lines();
  ASSERT_EQ(lines.size(), 3u);
  std::map<std::string, double> expected;
  for (const auto& line : lines) {
    expected[messages_series("outgoing", line["action"], line["disposition"])] += 1;
    for (const auto& rule : line["rules"]) expected["privmilter_rule_hits_total{rule=\"" + rule.get<std::string>() + "\",mode=\"enforced\"}"] += 1;
    for (const auto& rule : line.value("monitor_rules", nlohmann::json::array())) {
      expected["privmilter_rule_hits_total{rule=\"" + rule.get<std::string>() + "\",mode=\"monitor\"}"] += 1;
    }
    std::set<std::string> kinds;
    for (const auto& evidence : line["evidence"]) {
      const std::string detector = evidence["detector"];
      kinds.insert(detector.substr(0, detector.find(':')));
    }
    for (const auto& kind : kinds) expected["privmilter_detector_hits_total{kind=\"" + kind + "\"}"] += 1;
  }
  EXPECT_EQ(expected[messages_series("outgoing", "quarantine", "discard")], 1);
  EXPECT_EQ(expected[messages_series("outgoing", "reject", "reject")], 1);
  EXPECT_GE(expected["privmilter_rule_hits_total{rule=\"ssn-unencrypted-external\",mode=\"enforced\"}"], 1);
  std::set<std::string> counted;
  for (const auto& [series, value] : after) {
    if (series.rfind("privmilter_messages_total", 0) == 0 || series.rfind("privmilter_rule_hits_total", 0) == 0 ||
        series.rfind("privmilter_detector_hits_total", 0) == 0 ||
        series.rfind("privmilter_inspection_limits_total", 0) == 0) {
      counted.insert(series);
    }
  }
  for (const auto& [series, value] : expected) counted.insert(series);
  for (const auto& series : counted) EXPECT_EQ(delta(series), expected[series]) << series;

  EXPECT_EQ(delta("privmilter_verdict_latency_seconds_count"), 3);
  EXPECT_EQ(delta("privmilter_verdict_latency_seconds_bucket{le=\"+Inf\"}"), 3);
  EXPECT_GT(delta("privmilter_verdict_latency_seconds_sum"), 0);
  EXPECT_EQ(delta("privmilter_message_size_bytes_count"), 3);
  EXPECT_EQ(delta("privmilter_message_size_bytes_sum"),
            spooled_size(kOrdinary) + spooled_size(kPrivileged) + spooled_size(kSsn));
  EXPECT_EQ(delta("privmilter_sessions_total"), 3);
  EXPECT_EQ(value_of(after, "privmilter_messages_in_flight"), 0);
  for (const char* kind : {"extraction", "quarantine_write", "audit_write", "release_record", "edit_refused", "spool",
                           "limit", "protocol", "internal"}) {
    EXPECT_EQ(after.count(error_series(kind)), 1u) << kind;
    EXPECT_EQ(delta(error_series(kind)), 0) << kind;
  }

  // The quarantine figures are refreshed every few seconds, not per scrape.
  EXPECT_TRUE(wait_for_value("privmilter_quarantine_held_messages", 1));
  EXPECT_EQ(value_of(scrape(), "privmilter_quarantine_held_bytes"), spooled_size(kPrivileged));
  EXPECT_TRUE(wait_for_value("privmilter_sessions_in_flight", 0));
}

TEST_F(MetricsEndpointTest, HealthFollowsTheQuarantineDirectory) {
  start_with_metrics();
  const HttpResponse healthy = get(port_, "/healthz");
  EXPECT_EQ(healthy.status, 200);
  EXPECT_EQ(healthy.body, "ok\n");

  std::filesystem::rename(path("quarantine"), path("quarantine.away"));
  std::ofstream(path("quarantine")) << "not a directory\n";
  HttpResponse unhealthy;
  EXPECT_TRUE(wait_for([&] {
    unhealthy = get(port_, "/healthz");
    return unhealthy.status == 503;
  }));
  EXPECT_NE(unhealthy.body.find("quarantine directory"), std::string::npos) << unhealthy.body;
  EXPECT_EQ(std::count(unhealthy.body.begin(), unhealthy.body.end(), '\n'), 1) << "one line";

  const Samples before = scrape();
  EXPECT_EQ(send(outgoing({"bob@client.example"}), kPrivileged).verdict.text.rfind("451 4.3.0", 0), 0u);
  const Samples after = scrape();
  EXPECT_EQ(value_of(after, error_series("quarantine_write")) - value_of(before, error_series("quarantine_write")), 1);
  EXPECT_EQ(value_of(after, messages_series("outgoing", "quarantine", "tempfail")), 1);

  std::filesystem::remove(path("quarantine"));
  std::filesystem::rename(path("quarantine.away"), path("quarantine"));
  EXPECT_TRUE(wait_for([&] { return get(port_, "/healthz").status == 200; }));
}

TEST_F(MetricsEndpointTest, ReloadsShowInTheGenerationAndTheLastResult) {
  start_with_metrics();
  Samples samples = scrape();
  EXPECT_EQ(value_of(samples, "privmilter_policy_generation"), 1);
  EXPECT_EQ(value_of(samples, "privmilter_policy_last_reload_success"), 1);
  EXPECT_GT(value_of(samples, "privmilter_policy_rules"), 0);

  ASSERT_EQ(::kill(daemon_->pid(), SIGUSR1), 0);
  EXPECT_TRUE(wait_for_value("privmilter_policy_reloads_total{result=\"ok\"}", 1));
  samples = scrape();
  EXPECT_EQ(value_of(samples, "privmilter_policy_generation"), 2);
  EXPECT_EQ(value_of(samples, "privmilter_policy_last_reload_success"), 1);

  std::ofstream(path("policy/99-broken.yaml")) << "version: 1\nrules:\n  - id: broken\n    action: rejct\n";
  ASSERT_EQ(::kill(daemon_->pid(), SIGUSR1), 0);
  EXPECT_TRUE(wait_for_value("privmilter_policy_reloads_total{result=\"failed\"}", 1));
  samples = scrape();
  EXPECT_EQ(value_of(samples, "privmilter_policy_generation"), 2);
  EXPECT_EQ(value_of(samples, "privmilter_policy_last_reload_success"), 0);
  // A rejected reload leaves the running policy serving: still healthy.
  EXPECT_EQ(get(port_, "/healthz").status, 200);
}

TEST_F(MetricsEndpointTest, HostileRequestsLeaveItServing) {
  start_with_metrics();
  EXPECT_EQ(http_exchange(port_, "NONSENSE\r\n\r\n").status, 400);
  EXPECT_EQ(http_exchange(port_, "GET /metrics SPDY/9\r\n\r\n").status, 400);
  EXPECT_EQ(get(port_, "/nowhere").status, 404);
  const HttpResponse post = http_exchange(port_, "POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc");
  EXPECT_EQ(post.status, 405);
  EXPECT_NE(post.head.find("Allow: GET, HEAD"), std::string::npos);
  const HttpResponse head = http_exchange(port_, "HEAD /metrics HTTP/1.1\r\n\r\n");
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
  // Past the size limit the server answers 431 or, with the rest unread,
  // resets the connection; either way it does not wait for the end.
  const HttpResponse oversized =
      http_exchange(port_, "GET /metrics HTTP/1.1\r\nX-Filler: " + std::string(64 * 1024, 'x') + "\r\n\r\n");
  EXPECT_TRUE(oversized.status == 431 || (oversized.status == 0 && oversized.closed_by_server)) << oversized.status;

  // A request that never ends is cut off.
  auto stalled = connect_to(port_);
  ASSERT_TRUE(stalled.valid());
  ASSERT_GT(::send(stalled.get(), "GET /met", 8, MSG_NOSIGNAL), 0);
  const Received cut_off = read_to_end(stalled.get());
  EXPECT_TRUE(cut_off.closed_by_server);
  EXPECT_EQ(cut_off.bytes, "");

  // Idle connections beyond the limit cost scrapers, never mail.
  std::vector<miltertest::UniqueFd> idle;
  for (int i = 0; i < 40; ++i) idle.push_back(connect_to(port_));
  EXPECT_TRUE(send(outgoing({"bob@client.example"}), kOrdinary).verdict.delivers());
  idle.clear();
  EXPECT_TRUE(wait_for([&] { return get(port_, "/healthz").status == 200; }));
  EXPECT_EQ(value_of(scrape(), messages_series("outgoing", "tag", "accept")), 1);
  EXPECT_TRUE(daemon_running());
}

TEST_F(MetricsEndpointTest, RefusesToStartWhenTheAddressIsTaken) {
  miltertest::UniqueFd taken(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ASSERT_EQ(::bind(taken.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(taken.get(), 1), 0);
  ASSERT_EQ(::getsockname(taken.get(), reinterpret_cast<sockaddr*>(&address), &length), 0);
  const std::string listen = "127.0.0.1:" + std::to_string(ntohs(address.sin_port));
  write_config("metrics: {listen: '" + listen + "'}\n");
  const auto result =
      run_command("timeout 60 " + std::string(PRIVMILTER_DAEMON_PATH) + " -f -c " + path("privmilter.yaml").string());
  EXPECT_EQ(result.exit_code, 78) << result.output;
  EXPECT_NE(result.output.find("cannot serve metrics on " + listen), std::string::npos) << result.output;
}

}  // namespace
}  // namespace privmilter::integration
