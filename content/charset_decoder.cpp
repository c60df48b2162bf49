#include "charset_decoder.h"

#include <gmime/gmime.h>
#include <iconv.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <optional>

namespace privmilter::content {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";


// Length of the valid UTF-8 sequence starting at `pos`, or 0 when invalid
// (overlong forms, surrogates and code points above U+10FFFF included).
std::size_t valid_sequence_length(std::string_view text, std::size_t pos) {
  const auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(text[i]); };
  const std::uint8_t lead = byte(pos);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  std::uint8_t low = 0x80;
  std::uint8_t high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
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
    return 0;
  }
  if (pos + length > text.size()) return 0;
  const std::uint8_t second = byte(pos + 1);
  if (second < low || second > high) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if ((byte(pos + i) & 0xC0) != 0x80) return 0;
  }
  return length;
}

constexpr std::array<char16_t, 32> kWindows1252High = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

std::string normalized_charset_name(std::string_view declared) {
  std::string name;
  for (char c : declared) {
    if (c == '"' || c == '\'' || std::isspace(static_cast<unsigned char>(c))) continue;
    name.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return name;
}

enum class CharsetFamily { unlabelled_or_utf8, windows1252, other };

CharsetFamily family_of(const std::string& name) {
  static constexpr std::array<std::string_view, 9> utf8_like = {
      "",          "utf-8", "utf8", "unicode-1-1-utf-8", "us-ascii", "ascii", "ansi_x3.4-1968",
      "iso646-us", "us"};
  static constexpr std::array<std::string_view, 12> windows1252_like = {
      "iso-8859-1", "iso8859-1", "iso_8859-1", "iso-8859-1:1987", "latin1", "latin-1",
      "l1",         "cp819",     "ibm819",     "windows-1252",    "cp1252", "x-cp1252"};
  if (std::find(utf8_like.begin(), utf8_like.end(), name) != utf8_like.end()) {
    return CharsetFamily::unlabelled_or_utf8;
  }
  if (std::find(windows1252_like.begin(), windows1252_like.end(), name) != windows1252_like.end()) {
    return CharsetFamily::windows1252;
  }
  return CharsetFamily::other;
}

class IconvHandle {
 public:
  explicit IconvHandle(iconv_t handle) : handle_(handle) {}
  ~IconvHandle() {
    if (valid()) iconv_close(handle_);
  }
  IconvHandle(const IconvHandle&) = delete;
  IconvHandle& operator=(const IconvHandle&) = delete;
  bool valid() const { return handle_ != reinterpret_cast<iconv_t>(-1); }
  iconv_t get() const { return handle_; }

 private:
  iconv_t handle_;
};

// Converts with iconv; each undecodable input byte becomes U+FFFD.
std::optional<std::string> convert_with_iconv(std::string_view bytes, const std::string& charset) {
  // No real charset name is this long; GMime copies the name onto the stack.
  constexpr std::size_t kMaxCharsetNameLength = 64;
  if (charset.size() > kMaxCharsetNameLength) return std::nullopt;
  const char* iconv_name = g_mime_charset_iconv_name(charset.c_str());
  IconvHandle converter(iconv_open("UTF-8", iconv_name != nullptr ? iconv_name : charset.c_str()));
  if (!converter.valid()) return std::nullopt;

  std::string out;
  std::array<char, 4096> chunk{};
  char* in = const_cast<char*>(bytes.data());  // iconv's signature is not const-correct
  std::size_t in_left = bytes.size();
  while (in_left > 0) {
    char* out_ptr = chunk.data();
    std::size_t out_left = chunk.size();
    const std::size_t result = iconv(converter.get(), &in, &in_left, &out_ptr, &out_left);
    out.append(chunk.data(), chunk.size() - out_left);
    if (result != static_cast<std::size_t>(-1)) continue;
    if (errno == E2BIG) continue;
    if (errno == EILSEQ) {
      out.append(kReplacement);
      ++in;
      --in_left;
      iconv(converter.get(), nullptr, nullptr, nullptr, nullptr);
      continue;
    }
    // EINVAL: an incomplete sequence ends the input.
    out.append(kReplacement);
    break;
  }
  char* out_ptr = chunk.data();
  std::size_t out_left = chunk.size();
  iconv(converter.get(), nullptr, nullptr, &out_ptr, &out_left);
  out.append(chunk.data(), chunk.size() - out_left);
  return out;
}

std::string utf8_or_windows1252(std::string_view bytes) {
  if (is_valid_utf8(bytes)) return std::string(bytes);
  return windows1252_to_utf8(bytes);
}

}  // namespace

void append_utf8(std::string& out, char32_t code_point) {
  if (code_point < 0x80) {
    out.push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (code_point >> 6)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else if (code_point < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (code_point >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (code_point >> 18)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  }
}

bool is_valid_utf8(std::string_view text) {
  for (std::size_t pos = 0; pos < text.size();) {
    // Mail text is mostly ASCII: eight bytes without a high bit at a time.
    while (pos + 8 <= text.size()) {
      std::uint64_t word;
      std::memcpy(&word, text.data() + pos, sizeof word);
      if ((word & 0x8080808080808080ULL) != 0) break;
      pos += 8;
    }
    if (pos >= text.size()) break;
    const std::size_t length = valid_sequence_length(text, pos);
    if (length == 0) return false;
    pos += length;
  }
  return true;
}

std::string make_valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t pos = 0; pos < text.size();) {
    const std::size_t length = valid_sequence_length(text, pos);
    if (length == 0) {
      out.append(kReplacement);
      ++pos;
    } else {
      out.append(text.substr(pos, length));
      pos += length;
    }
  }
  return out;
}

std::string windows1252_to_utf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() + bytes.size() / 4);
  for (char c : bytes) {
    const auto byte = static_cast<std::uint8_t>(c);
    if (byte >= 0x80 && byte <= 0x9F) {
      append_utf8(out, kWindows1252High[byte - 0x80]);
    } else {
      append_utf8(out, byte);
    }
  }
  return out;
}

Utf8Conversion convert_to_utf8(std::string_view bytes, std::string_view declared_charset) {
  const std::string name = normalized_charset_name(declared_charset);
  switch (family_of(name)) {
    case CharsetFamily::unlabelled_or_utf8:
      return {utf8_or_windows1252(bytes), false};
    case CharsetFamily::windows1252:
      return {windows1252_to_utf8(bytes), false};
    case CharsetFamily::other:
      break;
  }
  if (auto converted = convert_with_iconv(bytes, name)) {
    return {make_valid_utf8(*converted), false};
  }
  return {utf8_or_windows1252(bytes), true};
}

}  // namespace privmilter::content
