#include "metrics_server.h"

#include <spdlog/spdlog.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string_view>
#include <thread>

#include "signal_mask.h"

namespace privmilter::milter {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// Below this much free space a quarantine entry or audit record may not
// fit: report it before writes start failing.
constexpr std::uintmax_t kMinimumFreeBytes = 1u << 20;

std::optional<std::string> unwritable_directory(const std::filesystem::path& directory, std::string_view what) {
  std::error_code error;
  if (!std::filesystem::is_directory(directory, error)) return std::string(what) + " " + directory.string() + " is not a directory";
  if (::access(directory.c_str(), W_OK | X_OK) != 0) {
    return std::string(what) + " " + directory.string() + " is not writable: " + std::strerror(errno);
  }
  struct statvfs space {};
  if (::statvfs(directory.c_str(), &space) == 0 &&
      static_cast<std::uintmax_t>(space.f_bavail) * space.f_frsize < kMinimumFreeBytes) {
    return std::string(what) + " " + directory.string() + " has no free space";
  }
  return std::nullopt;
}

std::optional<std::string> unwritable_audit_log(const std::filesystem::path& log) {
  // Rotation creates the next file beside the current one.
  if (auto problem = unwritable_directory(log.parent_path(), "audit log directory")) return problem;
  std::error_code error;
  if (std::filesystem::exists(log, error) && ::access(log.c_str(), W_OK) != 0) {
    return "audit log " + log.string() + " is not writable: " + std::strerror(errno);
  }
  return std::nullopt;
}

struct Response {
  int status = 200;
  std::string reason = "OK";
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  bool allow_header = false;
};

Response plain(int status, std::string reason, std::string body) {
  Response response;
  response.status = status;
  response.reason = std::move(reason);
  response.body = std::move(body) + "\n";
  return response;
}

std::string serialize(const Response& response, bool head_only) {
  std::string out = "HTTP/1.1 " + std::to_string(response.status) + " " + response.reason + "\r\n";
  out += "Content-Type: " + response.content_type + "\r\n";
  out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
  if (response.allow_header) out += "Allow: GET, HEAD\r\n";
  out += "Cache-Control: no-store\r\nConnection: close\r\n\r\n";
  if (!head_only) out += response.body;
  return out;
}

// "GET /metrics?x HTTP/1.1" -> method, path (without the query); nullopt
// when it is not an HTTP/1.x request line.
struct RequestLine {
  std::string method;
  std::string path;
};
std::optional<RequestLine> parse_request_line(std::string_view line) {
  const auto first_space = line.find(' ');
  if (first_space == std::string_view::npos || first_space == 0) return std::nullopt;
  const auto second_space = line.find(' ', first_space + 1);
  if (second_space == std::string_view::npos || second_space == first_space + 1) return std::nullopt;
  const std::string_view version = line.substr(second_space + 1);
  if (version != "HTTP/1.1" && version != "HTTP/1.0") return std::nullopt;
  std::string_view target = line.substr(first_space + 1, second_space - first_space - 1);
  if (target.front() != '/') return std::nullopt;
  target = target.substr(0, target.find('?'));
  return RequestLine{std::string(line.substr(0, first_space)), std::string(target)};
}

}  // namespace

Health check_health(const Engine& engine) {
  const auto snapshot = engine.snapshot();
  if (!snapshot || !snapshot->policy || !snapshot->config) return {false, "no policy loaded"};
  const Config& config = *snapshot->config;
  if (auto problem = unwritable_directory(engine.quarantine().directory(), "quarantine directory")) {
    return {false, *problem};
  }
  if (auto problem = unwritable_audit_log(engine.audit().path())) return {false, *problem};
  // Made at the first message too large for memory, so possibly not yet.
  std::error_code error;
  const bool spool_exists = std::filesystem::exists(config.spool_directory, error);
  if (auto problem = unwritable_directory(spool_exists ? config.spool_directory : config.spool_directory.parent_path(),
                                          spool_exists ? "spool directory" : "spool directory's parent")) {
    return {false, *problem};
  }
  return {true, {}};
}

struct MetricsServer::State {
  State(const Engine& engine_in, MetricsServerLimits limits_in)
      : engine(engine_in), limits(limits_in), acceptor(io), retry_timer(io) {}

  const Engine& engine;
  const MetricsServerLimits limits;
  // Touched only on the server thread. Declared before `io`, whose
  // destruction destroys the connections still waiting, which count down.
  std::size_t open_connections = 0;
  // Cached between scrapes.
  std::optional<QuarantineGauge> quarantine;
  std::optional<std::chrono::steady_clock::time_point> quarantine_read;
  bool quarantine_failing = false;
  Health health;
  std::optional<std::chrono::steady_clock::time_point> health_read;

  asio::io_context io;
  tcp::acceptor acceptor;
  asio::steady_timer retry_timer;
  std::thread thread;
  std::string bound;

  void accept();
  Response answer(const RequestLine& request);
  const std::optional<QuarantineGauge>& quarantine_gauge();
  const Health& current_health();
};

namespace {

// One request and its answer, then the connection closes.
class HttpConnection : public std::enable_shared_from_this<HttpConnection> {
 public:
  HttpConnection(tcp::socket socket, MetricsServer::State& server)
      : socket_(std::move(socket)), server_(server), deadline_(socket_.get_executor()),
        request_(server.limits.max_request_bytes) {
    server_.open_connections += 1;
  }
  ~HttpConnection() { server_.open_connections -= 1; }

  void start() {
    deadline_.expires_after(server_.limits.request_timeout);
    deadline_.async_wait([self = shared_from_this()](const boost::system::error_code& error) {
      if (!error) self->close();
    });
    asio::async_read_until(socket_, request_, "\r\n\r\n",
                           [self = shared_from_this()](const boost::system::error_code& error, std::size_t length) {
                             self->on_request(error, length);
                           });
  }

 private:
  void on_request(const boost::system::error_code& error, std::size_t length) {
    if (error == asio::error::not_found) {
      respond(plain(431, "Request Header Fields Too Large", "request too large"), false);
      return;
    }
    if (error) {
      close();
      return;
    }
    std::string head(asio::buffers_begin(request_.data()), asio::buffers_begin(request_.data()) + length);
    const auto line = parse_request_line(std::string_view(head).substr(0, head.find("\r\n")));
    if (!line) {
      respond(plain(400, "Bad Request", "bad request"), false);
      return;
    }
    respond(server_.answer(*line), line->method == "HEAD");
  }

  void respond(const Response& response, bool head_only) {
    reply_ = serialize(response, head_only);
    asio::async_write(socket_, asio::buffer(reply_),
                      [self = shared_from_this()](const boost::system::error_code&, std::size_t) { self->close(); });
  }

  void close() {
    boost::system::error_code ignored;
    deadline_.cancel();
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  tcp::socket socket_;
  MetricsServer::State& server_;
  asio::steady_timer deadline_;
  asio::streambuf request_;
  std::string reply_;
};

}  // namespace

void MetricsServer::State::accept() {
  acceptor.async_accept([this](const boost::system::error_code& error, tcp::socket socket) {
    if (error == asio::error::operation_aborted) return;
    if (error) {
      // Out of descriptors, most likely: pause rather than spin.
      retry_timer.expires_after(std::chrono::milliseconds(200));
      retry_timer.async_wait([this](const boost::system::error_code& waited) {
        if (!waited) accept();
      });
      return;
    }
    if (open_connections >= limits.max_connections) {
      boost::system::error_code ignored;
      socket.close(ignored);
    } else {
      std::make_shared<HttpConnection>(std::move(socket), *this)->start();
    }
    accept();
  });
}

Response MetricsServer::State::answer(const RequestLine& request) {
  if (request.path != "/metrics" && request.path != "/healthz") return plain(404, "Not Found", "not found");
  if (request.method != "GET" && request.method != "HEAD") {
    Response response = plain(405, "Method Not Allowed", "method not allowed");
    response.allow_header = true;
    return response;
  }
  if (request.path == "/healthz") {
    const Health& health = current_health();
    return health.ok ? plain(200, "OK", "ok") : plain(503, "Service Unavailable", health.reason);
  }
  ScrapeState state;
  state.open_sessions = engine.active_connections();
  state.quarantine = quarantine_gauge();
  Response response;
  response.content_type = "text/plain; version=0.0.4; charset=utf-8";
  response.body = engine.metrics().render(state);
  return response;
}

const std::optional<QuarantineGauge>& MetricsServer::State::quarantine_gauge() {
  const auto now = std::chrono::steady_clock::now();
  if (quarantine_read && now - *quarantine_read < limits.quarantine_refresh) return quarantine;
  quarantine_read = now;
  auto stats = engine.quarantine().stats();
  if (!stats) {
    if (!quarantine_failing) spdlog::warn("metrics: cannot read the quarantine index: {}", stats.error().message);
    quarantine_failing = true;
    quarantine.reset();
    return quarantine;
  }
  quarantine_failing = false;
  quarantine = QuarantineGauge{.held_messages = stats->held_messages, .held_bytes = stats->held_bytes};
  return quarantine;
}

const Health& MetricsServer::State::current_health() {
  const auto now = std::chrono::steady_clock::now();
  if (health_read && now - *health_read < limits.health_refresh) return health;
  health_read = now;
  const bool was_ok = health.ok;
  health = check_health(engine);
  if (was_ok && !health.ok) spdlog::warn("health check failing: {}", health.reason);
  if (!was_ok && health.ok) spdlog::info("health check passing again");
  return health;
}

Result<std::unique_ptr<MetricsServer>> MetricsServer::start(const Engine& engine, const ListenAddress& listen,
                                                            MetricsServerLimits limits) {
  auto state = std::make_unique<State>(engine, limits);
  const std::string wanted = listen.host + ":" + std::to_string(listen.port);
  boost::system::error_code error;
  tcp::endpoint endpoint;
  const auto address = asio::ip::make_address(listen.host, error);
  if (!error) {
    endpoint = tcp::endpoint(address, listen.port);
  } else {
    tcp::resolver resolver(state->io);
    const auto resolved = resolver.resolve(listen.host, std::to_string(listen.port), error);
    if (error || resolved.empty()) {
      return make_error("cannot serve metrics on " + wanted + ": cannot resolve " + listen.host + ": " + error.message());
    }
    endpoint = resolved.begin()->endpoint();
  }
  auto& acceptor = state->acceptor;
  if (acceptor.open(endpoint.protocol(), error) || acceptor.set_option(tcp::acceptor::reuse_address(true), error) ||
      acceptor.bind(endpoint, error) || acceptor.listen(asio::socket_base::max_listen_connections, error)) {
    return make_error("cannot serve metrics on " + wanted + ": " + error.message());
  }
  const tcp::endpoint local = acceptor.local_endpoint(error);
  state->bound = (local.address().is_v6() ? "[" + local.address().to_string() + "]" : local.address().to_string()) +
                 ":" + std::to_string(local.port());
  state->accept();
  {
    const AllSignalsBlocked blocked;
    State* running = state.get();
    state->thread = std::thread([running] {
      try {
        running->io.run();
      } catch (const std::exception& e) {
        spdlog::error("metrics endpoint stopped: {}", e.what());
      }
    });
  }
  return std::make_unique<MetricsServer>(Passkey{}, std::move(state));
}

MetricsServer::MetricsServer(Passkey, std::unique_ptr<State> state) : state_(std::move(state)) {}

MetricsServer::~MetricsServer() { stop(); }

void MetricsServer::stop() {
  if (!state_ || !state_->thread.joinable()) return;
  state_->io.stop();
  state_->thread.join();
  boost::system::error_code ignored;
  state_->acceptor.close(ignored);
}

std::string MetricsServer::address() const { return state_->bound; }

}  // namespace privmilter::milter
