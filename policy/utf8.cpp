#include "utf8.h"

#include <cstdint>
#include <cstring>

namespace privmilter {
namespace {

bool is_continuation(unsigned char byte) { return (byte & 0xC0) == 0x80; }

}  // namespace

std::optional<char32_t> decode_utf8(std::string_view text, std::size_t& position) {
  if (position >= text.size()) return std::nullopt;
  const auto lead = static_cast<unsigned char>(text[position]);
  if (lead < 0x80) {
    ++position;
    return lead;
  }
  std::size_t length = 0;
  char32_t value = 0;
  char32_t smallest = 0;  // anything below is an overlong form
  if ((lead & 0xE0) == 0xC0) {
    length = 2, value = lead & 0x1F, smallest = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, value = lead & 0x0F, smallest = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, value = lead & 0x07, smallest = 0x10000;
  } else {
    return std::nullopt;
  }
  if (text.size() - position < length) return std::nullopt;
  for (std::size_t i = 1; i < length; ++i) {
    const auto byte = static_cast<unsigned char>(text[position + i]);
    if (!is_continuation(byte)) return std::nullopt;
    value = (value << 6) | (byte & 0x3F);
  }
  if (value < smallest || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) return std::nullopt;
  position += length;
  return value;
}

bool is_valid_utf8(std::string_view text) {
  constexpr std::uint64_t kHighBits = 0x8080808080808080ULL;
  std::size_t position = 0;
  while (position < text.size()) {
    // Mail text is mostly ASCII: skip it eight bytes at a time.
    if (text.size() - position >= sizeof(std::uint64_t)) {
      std::uint64_t block = 0;
      std::memcpy(&block, text.data() + position, sizeof block);
      if ((block & kHighBits) == 0) {
        position += sizeof block;
        continue;
      }
    }
    if (!decode_utf8(text, position)) return false;
  }
  return true;
}

}  // namespace privmilter
