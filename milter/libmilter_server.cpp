#include "libmilter_server.h"

#include <fcntl.h>
#include <libmilter/mfapi.h>
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>

#include "callbacks.h"
#include "listening_sockets.h"
#include "privmilter/file_io.h"
#include "privmilter/unique_fd.h"

namespace privmilter::milter {

namespace {

// The milter socket: just after smfi_opensocket, the process's only
// listening socket. libmilter does not tell its descriptor.
std::optional<int> listening_socket() {
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", error)) {
    const std::string name = entry.path().filename().string();
    int fd = -1;
    if (std::from_chars(name.data(), name.data() + name.size(), fd).ec != std::errc()) continue;
    int listening = 0;
    socklen_t length = sizeof listening;
    if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) == 0 && listening != 0) return fd;
  }
  return std::nullopt;
}

class LibmilterServer final : public ProtocolServer {
 public:
  explicit LibmilterServer(std::optional<int> listening_fd) : listening_fd_(listening_fd) {}

  ~LibmilterServer() override { stop(); }

  Status start(const Engine& engine, std::function<void()> on_ended) override {
    set_engine(&engine);
    thread_ = std::thread([this, on_ended = std::move(on_ended)] {
      const int status = smfi_main();
      if (stopping_) return;
      failed_ = status != MI_SUCCESS;
      on_ended();
    });
    return {};
  }

  // libmilter stops its worker pool together with its listener, so once
  // it sees a stop no connection is served again and a message under way
  // could never finish. Instead the listening socket is shut, so that
  // connection attempts fail at once, and the descriptor libmilter polls
  // is given a pipe that never turns readable, so that its listener idles
  // until smfi_stop(). `idle_writer_` keeps the pipe open: one without a
  // writer would read as closed, which libmilter takes for a broken socket.
  Status refuse_new_connections() override {
    if (!listening_fd_) return make_error("the listening socket was not found");
    int ends[2];
    if (::pipe2(ends, O_CLOEXEC) != 0) return make_error("pipe: " + errno_text(errno));
    const UniqueFd reader(ends[0]);
    idle_writer_.reset(ends[1]);
    const UniqueFd listener(::fcntl(*listening_fd_, F_DUPFD_CLOEXEC, 0));
    if (!listener.valid()) return make_error("dup: " + errno_text(errno));
    if (::dup3(reader.get(), *listening_fd_, O_CLOEXEC) < 0) return make_error("dup3: " + errno_text(errno));
    if (::shutdown(listener.get(), SHUT_RDWR) != 0) return make_error("shutdown: " + errno_text(errno));
    return {};
  }

  void stop() override {
    if (!thread_.joinable()) return;
    stopping_ = true;
    smfi_stop();
    thread_.join();
    set_engine(nullptr);
  }

  bool failed() const override { return failed_; }

 private:
  std::optional<int> listening_fd_;
  UniqueFd idle_writer_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> failed_{false};
};

}  // namespace

Result<std::unique_ptr<ProtocolServer>> open_libmilter_server(const Config& config) {
  static smfiDesc description = make_filter_description();
  std::string connection = config.socket;
  if (smfi_register(description) != MI_SUCCESS || smfi_setconn(connection.data()) != MI_SUCCESS ||
      smfi_setbacklog(256) != MI_SUCCESS) {
    return make_error("libmilter registration failed");
  }
  if (smfi_opensocket(true) != MI_SUCCESS) {
    return make_error("cannot listen on " + config.socket + " (bad address, in use, or no permission)");
  }
  const std::optional<int> listening_fd = listening_socket();
  disable_nagle_on_listening_sockets();
  return std::unique_ptr<ProtocolServer>(std::make_unique<LibmilterServer>(listening_fd));
}

}  // namespace privmilter::milter
