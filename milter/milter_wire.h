#pragma once
// The milter protocol's framing and field encodings (version 6), for the
// protocol engine of our own (asio_server.h): a packet is a big-endian
// uint32 length, a command byte and that many bytes less one of data;
// strings end in NUL. Constants are libmilter's (mfdef.h, mfapi.h) so that
// both engines speak the same numbers. Pure: no I/O.

#include <libmilter/mfapi.h>
#include <libmilter/mfdef.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace privmilter::milter {

// MTAs send body chunks of at most 65535 bytes unless a larger size is
// negotiated (SMFIP_MDS_*, which we never ask for); a packet longer than
// this is an error, so that a confused peer cannot make us buffer
// without bound.
inline constexpr std::size_t kMaxPacketData = 1024 * 1024;
// A replaced body goes to the MTA in chunks of this size, as libmilter's.
inline constexpr std::size_t kReplyBodyChunk = 65535;

struct Packet {
  char command = 0;
  std::string_view data;  // valid until the reader is fed again
};

// Cuts a byte stream into packets. Bytes are appended as they arrive; each
// complete packet is taken out in order.
class PacketReader {
 public:
  // Room for at least `size` more bytes, to read into; commit() what was.
  char* prepare(std::size_t size);
  void commit(std::size_t size) { end_ += size; }

  // The next complete packet, or nothing until more bytes arrive. Sets
  // error() for a packet of length 0 or longer than kMaxPacketData.
  std::optional<Packet> next();
  bool error() const { return error_; }

 private:
  // Not zero-filled when it grows: only bytes received are read.
  std::unique_ptr<char[]> buffer_;
  std::size_t capacity_ = 0;
  std::size_t begin_ = 0;  // first byte not yet taken
  std::size_t end_ = 0;    // past the last byte received
  bool error_ = false;
};

// Reading the fields of a packet's data: NUL-terminated strings and
// big-endian integers. A read past the end fails and marks the reader bad.
class FieldReader {
 public:
  explicit FieldReader(std::string_view data) : data_(data) {}
  std::optional<std::string_view> string();
  std::optional<std::uint32_t> uint32();
  std::optional<std::uint16_t> uint16();
  std::optional<char> byte();
  std::string_view rest() const { return position_ < data_.size() ? data_.substr(position_) : std::string_view(); }
  bool at_end() const { return position_ >= data_.size(); }

 private:
  std::string_view data_;
  std::size_t position_ = 0;
};

// Appends one packet to `out`.
void append_packet(std::string& out, char command, std::string_view data = {});

// Data builders: strings with their NUL, integers big-endian.
void append_string(std::string& data, std::string_view text);
void append_uint32(std::string& data, std::uint32_t value);

// SMTP reply text as an MTA takes it: no line breaks, and '%' doubled
// because Sendmail formats the text it is given.
std::string reply_text(std::string_view text);

}  // namespace privmilter::milter
