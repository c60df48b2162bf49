#pragma once
// Base64 in 76-character CRLF lines, as a mail client encodes an
// attachment: for the messages the benchmarks generate.

#include <cstddef>
#include <string>
#include <string_view>

namespace privmilter::bench {

inline std::string base64_lines(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve(bytes.size() * 4 / 3 + bytes.size() / 38 + 8);
  std::size_t line = 0;
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::size_t left = bytes.size() - i;
    const unsigned value = (static_cast<unsigned char>(bytes[i]) << 16) |
                           (left > 1 ? static_cast<unsigned char>(bytes[i + 1]) << 8 : 0) |
                           (left > 2 ? static_cast<unsigned char>(bytes[i + 2]) : 0);
    out += kAlphabet[(value >> 18) & 63];
    out += kAlphabet[(value >> 12) & 63];
    out += left > 1 ? kAlphabet[(value >> 6) & 63] : '=';
    out += left > 2 ? kAlphabet[value & 63] : '=';
    if ((line += 4) == 76) {
      out += "\r\n";
      line = 0;
    }
  }
  if (line != 0) out += "\r\n";
  return out;
}

}  // namespace privmilter::bench
