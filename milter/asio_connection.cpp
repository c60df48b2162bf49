#include "asio_connection.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

namespace privmilter::milter {

namespace {

// Read at least this much at a time: a 64 KB body chunk and the packets
// around it in one go.
constexpr std::size_t kReadSize = 128 * 1024;

// Linux acknowledges at once only while TCP_QUICKACK is set, and clears
// it by itself, so it is set again after every read. Without it the MTA's
// next packet may wait for our delayed acknowledgement (Sendmail writes a
// command in two pieces).
void acknowledge_quickly(int fd) {
  const int on = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &on, sizeof on);
}

}  // namespace

AsioConnection::AsioConnection(Socket socket, const Engine& engine, boost::asio::thread_pool& inspection)
    : socket_(std::move(socket)),
      idle_timer_(socket_.get_executor()),
      inspection_(inspection),
      conversation_(engine) {
  const int family = socket_.local_endpoint().protocol().family();
  tcp_ = family == AF_INET || family == AF_INET6;
  if (tcp_) {
    const int on = 1;
    ::setsockopt(socket_.native_handle(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    acknowledge_quickly(socket_.native_handle());
  }
}

void AsioConnection::start() {
  arm_idle_timer();
  read();
}

void AsioConnection::close() {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ignored;
  idle_timer_.cancel();
  socket_.shutdown(Socket::shutdown_both, ignored);
  socket_.close(ignored);
}

void AsioConnection::arm_idle_timer() {
  idle_timer_.expires_after(kIdleTimeout);
  idle_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& error) {
    if (error) return;  // cancelled or re-armed
    spdlog::warn("the MTA sent nothing for {} s; closing its connection", kIdleTimeout.count());
    self->close();
  });
}

void AsioConnection::read() {
  if (closed_) return;
  char* space = reader_.prepare(kReadSize);
  socket_.async_read_some(boost::asio::buffer(space, kReadSize),
                          [self = shared_from_this()](const boost::system::error_code& error, std::size_t size) {
                            self->on_read(error, size);
                          });
}

void AsioConnection::on_read(const boost::system::error_code& error, std::size_t size) {
  if (error) {
    // The MTA closed the connection, or it broke: the conversation ends,
    // as libmilter ends it, without a word.
    if (error != boost::asio::error::eof && error != boost::asio::error::operation_aborted) {
      spdlog::debug("milter connection ended: {}", error.message());
    }
    close();
    return;
  }
  if (tcp_) acknowledge_quickly(socket_.native_handle());
  reader_.commit(size);
  arm_idle_timer();
  if (handle_packets()) read();
}

bool AsioConnection::handle_packets() {
  while (!closed_ && !closing_) {
    const std::optional<Packet> packet = reader_.next();
    if (!packet) break;
    switch (conversation_.on_packet(*packet, pending_)) {
      case ProtocolConversation::Next::read_more: continue;
      case ProtocolConversation::Next::judge_message:
        send();
        judge_message();
        return false;
      case ProtocolConversation::Next::close:
        if (!conversation_.close_reason().empty()) {
          spdlog::warn("closing a milter connection: {}", conversation_.close_reason());
        }
        closing_ = true;
        break;
    }
  }
  if (reader_.error()) {
    spdlog::warn("closing a milter connection: a packet longer than {} bytes", kMaxPacketData);
    closing_ = true;
  }
  send();
  return !closing_ && !closed_;
}

void AsioConnection::judge_message() {
  // Nothing else touches the conversation until the answer is back on
  // the I/O thread: reading stops while a message is judged.
  boost::asio::post(inspection_, [self = shared_from_this()] {
    auto answer = std::make_shared<std::string>();
    self->conversation_.finish_message(*answer);
    boost::asio::post(self->socket_.get_executor(), [self, answer] {
      self->pending_ += *answer;
      if (self->handle_packets()) self->read();
    });
  });
}

void AsioConnection::send() {
  if (closed_ || !sending_.empty()) return;
  if (pending_.empty()) {
    if (closing_) close();
    return;
  }
  sending_.swap(pending_);
  boost::asio::async_write(socket_, boost::asio::buffer(sending_),
                           [self = shared_from_this()](const boost::system::error_code& error, std::size_t) {
                             self->on_sent(error);
                           });
}

void AsioConnection::on_sent(const boost::system::error_code& error) {
  sending_.clear();
  if (error) {
    close();
    return;
  }
  send();
}

}  // namespace privmilter::milter
