#pragma once
// Milter packet framing over a connected socket: uint32 big-endian length
// (command byte plus data), the command byte, the data.
//
// Writes are buffered so that packets which get no reply (macros, abort,
// negotiated no-reply stages) share one send() with the next packet; the
// buffer is flushed before every read and whenever it grows large. Every
// read and flush has a deadline, so a hung peer becomes an error.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "privmilter/result.h"
#include "support/unique_fd.h"

namespace privmilter::miltertest {

struct Packet {
  char command = 0;
  std::string data;
};

// Appends one packet to a byte buffer; the length is patched in by the
// destructor, so the packet is complete when the builder goes out of scope.
class PacketBuilder {
 public:
  PacketBuilder(std::string& buffer, char command);
  PacketBuilder(const PacketBuilder&) = delete;
  PacketBuilder& operator=(const PacketBuilder&) = delete;
  ~PacketBuilder();

  PacketBuilder& byte(char value);
  PacketBuilder& uint16(std::uint16_t value);
  PacketBuilder& uint32(std::uint32_t value);
  PacketBuilder& bytes(std::string_view value);
  PacketBuilder& cstring(std::string_view value);  // value plus a terminating NUL

 private:
  std::string& buffer_;
  std::size_t start_;
};

// Reads the fields of a received packet in order; every read reports
// whether the data held what was asked for.
class PacketReader {
 public:
  explicit PacketReader(std::string_view data) : data_(data) {}
  bool uint32(std::uint32_t& out);
  bool cstring(std::string& out);
  bool at_end() const { return data_.empty(); }
  std::string_view rest() const { return data_; }

 private:
  std::string_view data_;
};

class PacketChannel {
 public:
  // Replies larger than this are treated as a broken peer, not data.
  static constexpr std::size_t kMaxPacketLength = 64 * 1024 * 1024;

  PacketChannel(UniqueFd socket, std::chrono::milliseconds timeout);

  // The write buffer to append packets to (through PacketBuilder).
  std::string& outgoing() { return outgoing_; }
  // Flushes only once the buffer is large, keeping small packets batched.
  Status flush_if_large();
  Status flush();
  // Flushes, then waits for one complete packet.
  Result<Packet> receive();

  // Times this channel sent something and then waited for the peer: one
  // per exchange, however many packets either side batched into it.
  std::uint64_t round_trips() const { return round_trips_; }
  // When the last flush that sent bytes completed.
  std::chrono::steady_clock::time_point last_sent_at() const { return last_sent_at_; }

  bool is_open() const { return socket_.valid(); }
  // For socket-level checks (options, addresses); never read or written directly.
  int native_handle() const { return socket_.get(); }
  void close() { socket_.reset(); }
  std::chrono::milliseconds timeout() const { return timeout_; }

 private:
  using Deadline = std::chrono::steady_clock::time_point;
  Status wait_for(short events, Deadline deadline, std::string_view waiting_for);
  Status fill_incoming(std::size_t wanted, Deadline deadline);

  UniqueFd socket_;
  std::chrono::milliseconds timeout_;
  std::string outgoing_;
  std::string incoming_;
  std::size_t incoming_offset_ = 0;
  std::uint64_t round_trips_ = 0;
  bool sent_since_receive_ = false;
  std::chrono::steady_clock::time_point last_sent_at_{};
};

}  // namespace privmilter::miltertest
