#include "utf8.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace privmilter {
namespace {

bool is_continuation(unsigned char byte) { return (byte & 0xC0) == 0x80; }

constexpr std::size_t kAsciiBlock = 32;

bool is_ascii_block(const char* block) {
#if defined(__SSE2__)
  const __m128i first = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block));
  const __m128i second = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block + 16));
  return _mm_movemask_epi8(_mm_or_si128(first, second)) == 0;
#else
  std::uint64_t words[kAsciiBlock / sizeof(std::uint64_t)];
  std::memcpy(words, block, kAsciiBlock);
  std::uint64_t any = 0;
  for (const std::uint64_t word : words) any |= word;
  return (any & 0x8080808080808080ULL) == 0;
#endif
}

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
  std::size_t position = 0;
  while (position < text.size()) {
    // Mail text is mostly ASCII: skip it a block at a time.
    if (text.size() - position >= kAsciiBlock && is_ascii_block(text.data() + position)) {
      position += kAsciiBlock;
      continue;
    }
    const std::size_t stop = std::min(text.size(), position + kAsciiBlock);
    while (position < stop) {
      if (static_cast<unsigned char>(text[position]) < 0x80) {
        ++position;
      } else if (!decode_utf8(text, position)) {
        return false;
      }
    }
  }
  return true;
}

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

}  // namespace privmilter
