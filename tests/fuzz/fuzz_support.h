#pragma once
// What the fuzz targets share: quiet logging, a strict UTF-8 check for the
// invariants they assert, and a failure that libFuzzer records as a crash
// with the input that caused it.

#include <spdlog/spdlog.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace privmilter::fuzzing {

// Logging every rejected input would cost more than parsing it; to see
// what the product logs for one reproducer, set PRIVMILTER_FUZZ_LOG=debug.
inline void silence_logging() {
  const char* level = std::getenv("PRIVMILTER_FUZZ_LOG");
  spdlog::set_level(level != nullptr ? spdlog::level::from_str(level) : spdlog::level::off);
}

// An invariant of the code under test does not hold: abort, so libFuzzer
// keeps the input as a crash reproducer.
[[noreturn]] inline void invariant_broken(const char* what) {
  std::fprintf(stderr, "invariant broken: %s\n", what);
  std::abort();
}

inline void require(bool condition, const char* what) {
  if (!condition) invariant_broken(what);
}

// RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF.
inline bool strictly_utf8(std::string_view text) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t size = text.size();
  for (std::size_t i = 0; i < size;) {
    const unsigned char lead = bytes[i];
    std::size_t length = 0;
    unsigned char low = 0x80;
    unsigned char high = 0xBF;
    if (lead < 0x80) {
      ++i;
      continue;
    } else if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      if (lead == 0xE0) low = 0xA0;
      if (lead == 0xED) high = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      if (lead == 0xF0) low = 0x90;
      if (lead == 0xF4) high = 0x8F;
    } else {
      return false;
    }
    if (i + length > size) return false;
    if (bytes[i + 1] < low || bytes[i + 1] > high) return false;
    for (std::size_t k = 2; k < length; ++k) {
      if (bytes[i + k] < 0x80 || bytes[i + k] > 0xBF) return false;
    }
    i += length;
  }
  return true;
}

}  // namespace privmilter::fuzzing
