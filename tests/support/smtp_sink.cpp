#include "support/smtp_sink.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

namespace privmilter::miltertest {
namespace {

constexpr std::size_t kMaxLineBytes = 1 << 20;

std::string upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

bool starts_with_command(const std::string& line, std::string_view command) {
  return upper(line.substr(0, command.size())) == command;
}

// "<a@b> BODY=8BITMIME" -> {"a@b", "BODY=8BITMIME"}; nullopt without brackets.
std::optional<std::pair<std::string, std::string>> parse_path(std::string_view argument) {
  while (!argument.empty() && argument.front() == ' ') argument.remove_prefix(1);
  if (argument.empty() || argument.front() != '<') return std::nullopt;
  const auto close = argument.find('>');
  if (close == std::string_view::npos) return std::nullopt;
  std::string_view rest = argument.substr(close + 1);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  return std::make_pair(std::string(argument.substr(1, close - 1)), std::string(rest));
}

Error system_error(const std::string& what) { return make_error(what + ": " + std::strerror(errno)); }

}  // namespace

// One client, served on the sink's thread. Every wait also watches the stop
// signal so that stop() never waits for a client.
class SmtpSink::Connection {
 public:
  Connection(SmtpSink& sink, int fd, int stop_signal) : sink_(sink), fd_(fd), stop_signal_(stop_signal) {}
  ~Connection() { ::close(fd_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void serve() {
    if (stall(SmtpStage::greeting)) return;
    if (auto failure = sink_.failure_at(SmtpStage::greeting)) {
      if (!send(*failure)) return;
      refuse_all_but_quit();
      return;
    }
    if (!send("220 sink.test ESMTP ready")) return;
    while (auto line = read_line()) {
      sink_.record_command(*line);
      if (!handle(*line)) return;
    }
  }

 private:
  // Returns false when the connection is over.
  bool handle(const std::string& line) {
    if (starts_with_command(line, "EHLO ") || starts_with_command(line, "HELO ")) {
      const bool extended = starts_with_command(line, "EHLO");
      const SmtpStage stage = extended ? SmtpStage::ehlo : SmtpStage::helo;
      if (stall(stage)) return false;
      if (auto failure = sink_.failure_at(stage)) return send(*failure);
      helo_ = line.substr(5);
      reset();
      return send(extended ? "250-sink.test greets " + helo_ + "\r\n250-8BITMIME\r\n250 SIZE 10485760"
                           : "250 sink.test");
    }
    if (starts_with_command(line, "MAIL FROM:")) {
      if (helo_.empty()) return send("503 5.5.1 EHLO first");
      if (message_) return send("503 5.5.1 nested MAIL");
      const auto path = parse_path(std::string_view(line).substr(10));
      if (!path) return send("501 5.5.4 syntax: MAIL FROM:<address>");
      if (stall(SmtpStage::mail)) return false;
      if (auto failure = sink_.failure_at(SmtpStage::mail)) return send(*failure);
      message_ = ReceivedMessage{helo_, path->first, path->second, {}, {}};
      return send("250 2.1.0 ok");
    }
    if (starts_with_command(line, "RCPT TO:")) {
      if (!message_) return send("503 5.5.1 MAIL first");
      const auto path = parse_path(std::string_view(line).substr(8));
      if (!path || path->first.empty()) return send("501 5.5.4 syntax: RCPT TO:<address>");
      if (stall(SmtpStage::rcpt)) return false;
      if (auto failure = sink_.failure_at(SmtpStage::rcpt)) return send(*failure);
      message_->recipients.push_back(path->first);
      return send("250 2.1.5 ok");
    }
    if (upper(line) == "DATA") {
      if (!message_ || message_->recipients.empty()) return send("503 5.5.1 RCPT first");
      if (stall(SmtpStage::data)) return false;
      if (auto failure = sink_.failure_at(SmtpStage::data)) return send(*failure);
      if (!send("354 end data with <CR><LF>.<CR><LF>")) return false;
      return receive_data();
    }
    if (upper(line) == "RSET") {
      reset();
      return send("250 2.0.0 ok");
    }
    if (upper(line).starts_with("NOOP")) return send("250 2.0.0 ok");
    if (upper(line) == "QUIT") {
      send("221 2.0.0 bye");
      return false;
    }
    return send("500 5.5.2 command not recognised");
  }

  bool receive_data() {
    std::string data;
    // Only CRLF ends a line here: a bare LF from the client stays in the
    // data, so a test sees whether line ends were normalised.
    while (true) {
      auto line = read_until_crlf();
      if (!line) return false;
      if (*line == ".") break;
      std::string_view text(*line);
      if (text.starts_with('.')) text.remove_prefix(1);
      data.append(text);
      data += "\r\n";
    }
    if (stall(SmtpStage::end_of_data)) return false;
    auto message = std::move(*message_);
    reset();
    if (auto failure = sink_.failure_at(SmtpStage::end_of_data)) return send(*failure);
    message.data = std::move(data);
    sink_.record_message(std::move(message));
    return send("250 2.0.0 Ok: queued as SINK" + std::to_string(++queued_));
  }

  void refuse_all_but_quit() {
    while (auto line = read_line()) {
      sink_.record_command(*line);
      if (upper(*line) == "QUIT") {
        send("221 2.0.0 bye");
        return;
      }
      if (!send("503 5.5.1 no service")) return;
    }
  }

  void reset() { message_.reset(); }

  // Answers nothing more on this connection; returns once the client gives
  // up (closes) or the sink stops, so the next client is served.
  bool stall(SmtpStage stage) {
    if (!sink_.stalls_at(stage)) return false;
    while (true) {
      pollfd waiting[2] = {{fd_, POLLIN, 0}, {stop_signal_, POLLIN, 0}};
      if (::poll(waiting, 2, -1) < 0) {
        if (errno == EINTR) continue;
        return true;
      }
      if (waiting[1].revents != 0) return true;
      char chunk[4096];
      const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n == 0 || (n < 0 && errno != EINTR)) return true;
    }
  }

  bool send(const std::string& reply) {
    const std::string bytes = reply + "\r\n";
    std::size_t sent = 0;
    while (sent < bytes.size()) {
      const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      sent += static_cast<std::size_t>(n);
    }
    return true;
  }

  // A command line: CRLF or a bare LF ends it, as lenient servers accept.
  std::optional<std::string> read_line() {
    auto line = read_until('\n');
    if (line && !line->empty() && line->back() == '\r') line->pop_back();
    return line;
  }

  std::optional<std::string> read_until_crlf() {
    std::string line;
    while (true) {
      auto part = read_until('\n');
      if (!part) return std::nullopt;
      line += *part;
      if (!line.empty() && line.back() == '\r') {
        line.pop_back();
        return line;
      }
      line += '\n';
    }
  }

  std::optional<std::string> read_until(char end) {
    while (true) {
      if (const auto found = buffer_.find(end); found != std::string::npos) {
        std::string line = buffer_.substr(0, found);
        buffer_.erase(0, found + 1);
        return line;
      }
      if (buffer_.size() > kMaxLineBytes) return std::nullopt;
      pollfd waiting[2] = {{fd_, POLLIN, 0}, {stop_signal_, POLLIN, 0}};
      if (::poll(waiting, 2, -1) < 0) {
        if (errno == EINTR) continue;
        return std::nullopt;
      }
      if (waiting[1].revents != 0) return std::nullopt;
      char chunk[4096];
      const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return std::nullopt;
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

  SmtpSink& sink_;
  int fd_;
  int stop_signal_;
  std::string buffer_;
  std::string helo_;
  std::optional<ReceivedMessage> message_;
  unsigned queued_ = 0;
};

SmtpSink::~SmtpSink() { stop(); }

Status SmtpSink::start(unsigned short port) {
  if (running()) return make_error("SMTP sink already running");
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener < 0) return system_error("socket");
  const int on = 1;
  ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(listener, 16) != 0) {
    Error error = system_error("bind 127.0.0.1:" + std::to_string(port));
    ::close(listener);
    return error;
  }
  socklen_t length = sizeof address;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
  port_ = ntohs(address.sin_port);

  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    Error error = system_error("pipe");
    ::close(listener);
    return error;
  }
  listener_ = listener;
  stop_read_ = pipe_fds[0];
  stop_write_ = pipe_fds[1];
  thread_ = std::thread([this, listener, stop = stop_read_] { serve(listener, stop); });
  return {};
}

void SmtpSink::stop() {
  if (!thread_.joinable()) return;
  const char byte = 'x';
  while (::write(stop_write_, &byte, 1) < 0 && errno == EINTR) {
  }
  thread_.join();
  ::close(listener_);
  ::close(stop_read_);
  ::close(stop_write_);
  listener_ = stop_read_ = stop_write_ = -1;
}

SmtpTarget SmtpSink::target() const {
  SmtpTarget target;
  target.host = "127.0.0.1";
  target.port = port_;
  target.helo = "client.test";
  return target;
}

void SmtpSink::serve(int listener, int stop_signal) {
  while (true) {
    pollfd waiting[2] = {{listener, POLLIN, 0}, {stop_signal, POLLIN, 0}};
    if (::poll(waiting, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (waiting[1].revents != 0) return;
    const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    {
      std::lock_guard lock(mutex_);
      ++connections_;
    }
    Connection(*this, fd, stop_signal).serve();
  }
}

void SmtpSink::fail_next(SmtpStage stage, std::string reply, unsigned count) {
  std::lock_guard lock(mutex_);
  failures_[stage] = {std::move(reply), count};
}

void SmtpSink::stall_at(std::optional<SmtpStage> stage) {
  std::lock_guard lock(mutex_);
  stall_ = stage;
}

std::optional<std::string> SmtpSink::failure_at(SmtpStage stage) {
  std::lock_guard lock(mutex_);
  const auto found = failures_.find(stage);
  if (found == failures_.end() || found->second.second == 0) return std::nullopt;
  --found->second.second;
  return found->second.first;
}

bool SmtpSink::stalls_at(SmtpStage stage) const {
  std::lock_guard lock(mutex_);
  return stall_ == stage;
}

void SmtpSink::record_command(const std::string& line) {
  std::lock_guard lock(mutex_);
  commands_.push_back(line);
}

void SmtpSink::record_message(ReceivedMessage message) {
  {
    std::lock_guard lock(mutex_);
    messages_.push_back(std::move(message));
  }
  changed_.notify_all();
}

std::vector<ReceivedMessage> SmtpSink::messages() const {
  std::lock_guard lock(mutex_);
  return messages_;
}

std::vector<std::string> SmtpSink::commands() const {
  std::lock_guard lock(mutex_);
  return commands_;
}

std::size_t SmtpSink::connections() const {
  std::lock_guard lock(mutex_);
  return connections_;
}

bool SmtpSink::wait_for_messages(std::size_t count, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return messages_.size() >= count; });
}

}  // namespace privmilter::miltertest
