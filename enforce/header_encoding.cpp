#include "header_encoding.h"

#include <openssl/evp.h>

#include <vector>

namespace privmilter {
namespace {

// "=?UTF-8?B?" + "?=" leave 63 characters of base64 in a 75-character
// word: 15 groups of 4, i.e. 45 bytes of text.
constexpr std::size_t kMaxBytesPerWord = 45;

bool needs_encoding(std::string_view text) {
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte > 0x7E) return true;
  }
  return text.find("=?") != std::string_view::npos;  // would read as an encoded-word
}

std::string base64(std::string_view bytes) {
  std::vector<unsigned char> out(4 * ((bytes.size() + 2) / 3) + 1);
  const int length = EVP_EncodeBlock(out.data(), reinterpret_cast<const unsigned char*>(bytes.data()),
                                     static_cast<int>(bytes.size()));
  return std::string(reinterpret_cast<const char*>(out.data()), static_cast<std::size_t>(length));
}

bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

}  // namespace

std::string encode_header_text(std::string_view utf8) {
  if (!needs_encoding(utf8)) return std::string(utf8);
  std::string encoded;
  while (!utf8.empty()) {
    std::size_t take = std::min(utf8.size(), kMaxBytesPerWord);
    while (take < utf8.size() && take > 0 && is_continuation(utf8[take])) --take;
    if (take == 0) take = std::min(utf8.size(), kMaxBytesPerWord);  // not UTF-8: split anywhere
    if (!encoded.empty()) encoded += ' ';
    encoded += "=?UTF-8?B?" + base64(utf8.substr(0, take)) + "?=";
    utf8.remove_prefix(take);
  }
  return encoded;
}

}  // namespace privmilter
