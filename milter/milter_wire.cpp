#include "milter_wire.h"

#include <algorithm>
#include <cstring>

namespace privmilter::milter {

char* PacketReader::prepare(std::size_t size) {
  if (begin_ == end_) begin_ = end_ = 0;
  if (capacity_ - end_ < size) {
    // Move what is left of a partial packet to the front before growing.
    if (begin_ > 0) {
      std::memmove(buffer_.get(), buffer_.get() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    if (capacity_ - end_ < size) {
      const std::size_t capacity = std::max(end_ + size, capacity_ * 2);
      auto grown = std::make_unique_for_overwrite<char[]>(capacity);
      if (end_ > 0) std::memcpy(grown.get(), buffer_.get(), end_);
      buffer_ = std::move(grown);
      capacity_ = capacity;
    }
  }
  return buffer_.get() + end_;
}

std::optional<Packet> PacketReader::next() {
  if (error_ || end_ - begin_ < 4) return std::nullopt;
  const auto* bytes = reinterpret_cast<const unsigned char*>(buffer_.get() + begin_);
  const std::uint32_t length = (std::uint32_t{bytes[0]} << 24) | (std::uint32_t{bytes[1]} << 16) |
                               (std::uint32_t{bytes[2]} << 8) | std::uint32_t{bytes[3]};
  if (length == 0 || length - 1 > kMaxPacketData) {
    error_ = true;
    return std::nullopt;
  }
  if (end_ - begin_ < 4 + std::size_t{length}) return std::nullopt;
  Packet packet{buffer_[begin_ + 4], std::string_view(buffer_.get() + begin_ + 5, length - 1)};
  begin_ += 4 + std::size_t{length};
  return packet;
}

std::optional<std::string_view> FieldReader::string() {
  if (position_ > data_.size()) return std::nullopt;
  const std::size_t end = data_.find('\0', position_);
  if (end == std::string_view::npos) {
    position_ = data_.size() + 1;
    return std::nullopt;
  }
  const std::string_view text = data_.substr(position_, end - position_);
  position_ = end + 1;
  return text;
}

std::optional<std::uint32_t> FieldReader::uint32() {
  if (position_ + 4 > data_.size()) {
    position_ = data_.size() + 1;
    return std::nullopt;
  }
  std::uint32_t value = 0;
  for (int i = 0; i < 4; ++i) value = (value << 8) | static_cast<unsigned char>(data_[position_++]);
  return value;
}

std::optional<std::uint16_t> FieldReader::uint16() {
  if (position_ + 2 > data_.size()) {
    position_ = data_.size() + 1;
    return std::nullopt;
  }
  const auto high = static_cast<unsigned char>(data_[position_]);
  const auto low = static_cast<unsigned char>(data_[position_ + 1]);
  position_ += 2;
  return static_cast<std::uint16_t>((high << 8) | low);
}

std::optional<char> FieldReader::byte() {
  if (position_ >= data_.size()) {
    position_ = data_.size() + 1;
    return std::nullopt;
  }
  return data_[position_++];
}

void append_uint32(std::string& data, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) data += static_cast<char>((value >> shift) & 0xFF);
}

void append_string(std::string& data, std::string_view text) {
  data.append(text);
  data += '\0';
}

void append_packet(std::string& out, char command, std::string_view data) {
  append_uint32(out, static_cast<std::uint32_t>(data.size() + 1));
  out += command;
  out.append(data);
}

std::string reply_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\r' || c == '\n') {
      out += ' ';
    } else if (c == '%') {
      out += "%%";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace privmilter::milter
