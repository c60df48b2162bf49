#include "support/packet_channel.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace privmilter::miltertest {
namespace {

constexpr std::size_t kFlushThreshold = 256 * 1024;
constexpr std::size_t kReadSize = 64 * 1024;

void append_be32(std::string& buffer, std::uint32_t value) {
  const char bytes[4] = {static_cast<char>(value >> 24), static_cast<char>(value >> 16),
                         static_cast<char>(value >> 8), static_cast<char>(value)};
  buffer.append(bytes, sizeof(bytes));
}

std::uint32_t read_be32(const char* data) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(data);
  return (std::uint32_t{bytes[0]} << 24) | (std::uint32_t{bytes[1]} << 16) |
         (std::uint32_t{bytes[2]} << 8) | std::uint32_t{bytes[3]};
}

}  // namespace

PacketBuilder::PacketBuilder(std::string& buffer, char command) : buffer_(buffer), start_(buffer.size()) {
  append_be32(buffer_, 0);
  buffer_.push_back(command);
}

PacketBuilder::~PacketBuilder() {
  const auto length = static_cast<std::uint32_t>(buffer_.size() - start_ - 4);
  std::string header;
  append_be32(header, length);
  std::copy(header.begin(), header.end(), buffer_.begin() + static_cast<std::ptrdiff_t>(start_));
}

PacketBuilder& PacketBuilder::byte(char value) {
  buffer_.push_back(value);
  return *this;
}

PacketBuilder& PacketBuilder::uint16(std::uint16_t value) {
  buffer_.push_back(static_cast<char>(value >> 8));
  buffer_.push_back(static_cast<char>(value));
  return *this;
}

PacketBuilder& PacketBuilder::uint32(std::uint32_t value) {
  append_be32(buffer_, value);
  return *this;
}

PacketBuilder& PacketBuilder::bytes(std::string_view value) {
  buffer_.append(value);
  return *this;
}

PacketBuilder& PacketBuilder::cstring(std::string_view value) {
  buffer_.append(value);
  buffer_.push_back('\0');
  return *this;
}

bool PacketReader::uint32(std::uint32_t& out) {
  if (data_.size() < 4) return false;
  out = read_be32(data_.data());
  data_.remove_prefix(4);
  return true;
}

bool PacketReader::cstring(std::string& out) {
  const auto nul = data_.find('\0');
  if (nul == std::string_view::npos) return false;
  out.assign(data_.substr(0, nul));
  data_.remove_prefix(nul + 1);
  return true;
}

PacketChannel::PacketChannel(UniqueFd socket, std::chrono::milliseconds timeout)
    : socket_(std::move(socket)), timeout_(timeout) {}

Status PacketChannel::wait_for(short events, Deadline deadline, std::string_view waiting_for) {
  for (;;) {
    const auto remaining =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (remaining.count() <= 0) {
      return make_error("timed out after " + std::to_string(timeout_.count()) + " ms waiting to " +
                        std::string(waiting_for));
    }
    pollfd waiter{socket_.get(), events, 0};
    const int ready = ::poll(&waiter, 1, static_cast<int>(remaining.count()));
    if (ready > 0) return Status::success();
    if (ready < 0 && errno != EINTR) return make_error(std::string("poll: ") + std::strerror(errno));
  }
}

Status PacketChannel::flush_if_large() {
  return outgoing_.size() >= kFlushThreshold ? flush() : Status::success();
}

Status PacketChannel::flush() {
  if (!is_open()) return make_error("milter connection is closed");
  const Deadline deadline = std::chrono::steady_clock::now() + timeout_;
  std::size_t sent = 0;
  while (sent < outgoing_.size()) {
    const ssize_t written =
        ::send(socket_.get(), outgoing_.data() + sent, outgoing_.size() - sent, MSG_NOSIGNAL);
    if (written > 0) {
      sent += static_cast<std::size_t>(written);
      continue;
    }
    if (written < 0 && errno == EINTR) continue;
    if (written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      Status ready = wait_for(POLLOUT, deadline, "write to the milter");
      if (!ready) return ready;
      continue;
    }
    return make_error(std::string("write to milter: ") + std::strerror(errno));
  }
  if (sent > 0) {
    sent_since_receive_ = true;
    last_sent_at_ = std::chrono::steady_clock::now();
  }
  outgoing_.clear();
  return Status::success();
}

Status PacketChannel::fill_incoming(std::size_t wanted, Deadline deadline) {
  if (incoming_offset_ > 0) {
    incoming_.erase(0, incoming_offset_);
    incoming_offset_ = 0;
  }
  while (incoming_.size() - incoming_offset_ < wanted) {
    const std::size_t old_size = incoming_.size();
    const std::size_t chunk = std::max(kReadSize, wanted - (old_size - incoming_offset_));
    incoming_.resize(old_size + chunk);
    const ssize_t got = ::recv(socket_.get(), incoming_.data() + old_size, chunk, 0);
    incoming_.resize(old_size + static_cast<std::size_t>(std::max<ssize_t>(got, 0)));
    if (got > 0) continue;
    if (got == 0) return make_error("milter closed the connection");
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      Status ready = wait_for(POLLIN, deadline, "read the milter's reply");
      if (!ready) return ready;
      continue;
    }
    return make_error(std::string("read from milter: ") + std::strerror(errno));
  }
  return Status::success();
}

Result<Packet> PacketChannel::receive() {
  if (Status flushed = flush(); !flushed) return flushed.error();
  if (sent_since_receive_) {
    ++round_trips_;
    sent_since_receive_ = false;
  }
  const Deadline deadline = std::chrono::steady_clock::now() + timeout_;
  if (Status got = fill_incoming(4, deadline); !got) return got.error();
  const std::uint32_t length = read_be32(incoming_.data() + incoming_offset_);
  if (length < 1 || length > kMaxPacketLength) {
    return make_error("milter sent a packet with bad length " + std::to_string(length));
  }
  if (Status got = fill_incoming(4 + std::size_t{length}, deadline); !got) return got.error();
  Packet packet;
  packet.command = incoming_[incoming_offset_ + 4];
  packet.data.assign(incoming_, incoming_offset_ + 5, length - 1);
  incoming_offset_ += 4 + std::size_t{length};
  return packet;
}

}  // namespace privmilter::miltertest
