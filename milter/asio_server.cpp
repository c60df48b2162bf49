#include "asio_server.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <future>
#include <optional>
#include <thread>

#include "asio_connection.h"
#include "listening_sockets.h"

namespace privmilter::milter {

namespace {

constexpr int kBacklog = 256;

// After a failed accept (out of descriptors), wait this long before the
// next: the MTA retries, and the connections being served free some.
constexpr std::chrono::milliseconds kAcceptRetry{100};

int socket_family(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return AF_UNSPEC;
  return address.ss_family;
}

class AsioServer final : public ProtocolServer {
 public:
  // Threads start only in start(): the daemon may fork in between.
  AsioServer(UniqueFd listening, std::string unix_path, unsigned inspection_threads)
      : listening_(std::move(listening)), unix_path_(std::move(unix_path)), inspection_threads_(inspection_threads) {}

  ~AsioServer() override { stop(); }

  Status start(const Engine& engine, std::function<void()> on_ended) override {
    engine_ = &engine;
    on_ended_ = std::move(on_ended);
    // Writing to a connection the MTA closed must be an error, not the end
    // of the process (libmilter ignores SIGPIPE the same way).
    std::signal(SIGPIPE, SIG_IGN);
    inspection_.emplace(inspection_threads_);
    const int family = socket_family(listening_.get());
    boost::system::error_code error;
    acceptor_.assign(boost::asio::generic::stream_protocol(family, SOCK_STREAM), listening_.release(), error);
    if (error) return make_error("cannot serve the milter socket: " + error.message());
    accept();
    io_thread_ = std::thread([this] { serve(); });
    return {};
  }

  Status refuse_new_connections() override {
    std::promise<void> done;
    boost::asio::post(io_, [this, &done] {
      boost::system::error_code ignored;
      acceptor_.close(ignored);
      done.set_value();
    });
    if (done.get_future().wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
      return make_error("the I/O thread does not answer");
    }
    return {};
  }

  void stop() override {
    if (!io_thread_.joinable()) return;
    stopping_ = true;
    io_.stop();
    io_thread_.join();
    // Messages being judged finish (within their time budget); their
    // answers go nowhere, and the MTA retries them.
    inspection_->join();
    if (!unix_path_.empty()) ::unlink(unix_path_.c_str());
  }

  bool failed() const override { return failed_; }

 private:
  void serve() {
    try {
      io_.run();
    } catch (const std::exception& e) {
      spdlog::critical("the milter I/O thread stopped: {}", e.what());
      failed_ = true;
    }
    if (!stopping_) {
      failed_ = true;
      on_ended_();
    }
  }

  void accept() {
    acceptor_.async_accept([this](const boost::system::error_code& error, AsioConnection::Socket socket) {
      if (error == boost::asio::error::operation_aborted || !acceptor_.is_open()) return;
      if (error) {
        spdlog::error("cannot accept an MTA connection: {}", error.message());
        retry_timer_.expires_after(kAcceptRetry);
        retry_timer_.async_wait([this](const boost::system::error_code& waited) {
          if (!waited) accept();
        });
        return;
      }
      try {
        std::make_shared<AsioConnection>(std::move(socket), *engine_, *inspection_)->start();
      } catch (const std::exception& e) {
        spdlog::error("cannot serve an MTA connection: {}", e.what());
      }
      accept();
    });
  }

  UniqueFd listening_;
  std::string unix_path_;
  const Engine* engine_ = nullptr;
  std::function<void()> on_ended_;
  boost::asio::io_context io_{1};
  unsigned inspection_threads_;
  std::optional<boost::asio::thread_pool> inspection_;
  boost::asio::basic_socket_acceptor<boost::asio::generic::stream_protocol> acceptor_{io_};
  boost::asio::steady_timer retry_timer_{io_};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> keep_running_{io_.get_executor()};
  std::thread io_thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> failed_{false};
};

std::string unix_socket_path(const std::string& spec) {
  for (const char* prefix : {"unix:", "local:"}) {
    if (spec.rfind(prefix, 0) == 0) return spec.substr(std::string(prefix).size());
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<ProtocolServer>> open_asio_server(const Config& config) {
  auto listening = open_listening_socket(config.socket, kBacklog);
  if (!listening) return make_error("cannot listen on " + config.socket + ": " + listening.error().message);
  unsigned threads = config.server.inspection_threads;
  if (threads == 0) threads = 4 * std::max(1u, std::thread::hardware_concurrency());
  return std::unique_ptr<ProtocolServer>(
      std::make_unique<AsioServer>(std::move(*listening), unix_socket_path(config.socket), threads));
}

}  // namespace privmilter::milter
