#include "test_message.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <string_view>

namespace privmilter::tools {
namespace {

constexpr std::size_t kMaxEncodedLine = 76;      // RFC 2045 limit for base64 and quoted-printable
constexpr std::size_t kMaxPlainLine = 76;        // longer 7bit lines are sent quoted-printable
constexpr std::size_t kMaxEncodedWordBytes = 45;  // 60 base64 characters: a 75-character encoded-word
constexpr std::size_t kFoldColumn = 78;
constexpr std::size_t kMaxPlainHeader = 900;      // header lines may not exceed 998 characters
// Quoted-printable and base64 never contain "=_" ('=' is followed by hex
// digits or a line end, or ends base64), so neither can contain these
// boundaries; 7bit text holding "=_" is sent quoted-printable.
constexpr std::string_view kMixedBoundary = "=_privmilter_mixed";
constexpr std::string_view kAlternativeBoundary = "=_privmilter_alternative";
constexpr std::string_view kHex = "0123456789ABCDEF";

bool is_plain_ascii(std::string_view text) {
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x80 || (byte < 0x20 && c != '\n' && c != '\t')) return false;
  }
  return true;
}

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return lines;
}

bool fits_7bit(std::string_view text) {
  if (!is_plain_ascii(text) || text.find("=_") != std::string_view::npos) return false;
  for (const std::string_view line : lines_of(text)) {
    if (line.size() > kMaxPlainLine) return false;
  }
  return true;
}

std::string with_crlf(std::string_view text) {
  std::string out;
  for (const std::string_view line : lines_of(text)) {
    out.append(line);
    out += "\r\n";
  }
  return out;
}

void append_escaped(std::string& out, unsigned char byte) {
  out += '=';
  out += kHex[byte >> 4];
  out += kHex[byte & 0x0F];
}

std::string quoted_printable(std::string_view text) {
  std::string out;
  for (const std::string_view line : lines_of(text)) {
    std::size_t column = 0;
    for (std::size_t i = 0; i < line.size(); ++i) {
      const auto byte = static_cast<unsigned char>(line[i]);
      const bool last = i + 1 == line.size();
      // Trailing blanks would be stripped in transit, so they are escaped.
      const bool literal = (byte >= 33 && byte <= 126 && byte != '=') || ((byte == ' ' || byte == '\t') && !last);
      const std::size_t width = literal ? 1 : 3;
      if (column + width > kMaxEncodedLine - 1) {
        out += "=\r\n";
        column = 0;
      }
      if (literal) {
        out += static_cast<char>(byte);
      } else {
        append_escaped(out, byte);
      }
      column += width;
    }
    out += "\r\n";
  }
  return out;
}

std::string base64(std::string_view bytes) {
  static constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    std::array<unsigned, 3> group{};
    const std::size_t taken = std::min<std::size_t>(3, bytes.size() - i);
    for (std::size_t j = 0; j < taken; ++j) group[j] = static_cast<unsigned char>(bytes[i + j]);
    const unsigned value = (group[0] << 16) | (group[1] << 8) | group[2];
    out += kAlphabet[(value >> 18) & 0x3F];
    out += kAlphabet[(value >> 12) & 0x3F];
    out += taken > 1 ? kAlphabet[(value >> 6) & 0x3F] : '=';
    out += taken > 2 ? kAlphabet[value & 0x3F] : '=';
  }
  return out;
}

std::string base64_lines(std::string_view bytes) {
  const std::string encoded = base64(bytes);
  std::string out;
  for (std::size_t i = 0; i < encoded.size(); i += kMaxEncodedLine) {
    out += encoded.substr(i, kMaxEncodedLine);
    out += "\r\n";
  }
  return out;
}

// RFC 2047 encoded-words, never splitting a UTF-8 character between two.
std::string encoded_words(std::string_view text) {
  std::string out;
  while (!text.empty()) {
    std::size_t take = std::min(text.size(), kMaxEncodedWordBytes);
    while (take < text.size() && take > 0 && (static_cast<unsigned char>(text[take]) & 0xC0) == 0x80) --take;
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + base64(text.substr(0, take)) + "?=";
    text.remove_prefix(take);
  }
  return out;
}

std::string header_text(std::string_view text) {
  const bool plain = is_plain_ascii(text) && text.find('\n') == std::string_view::npos &&
                     text.find('\t') == std::string_view::npos && text.size() <= kMaxPlainHeader;
  return plain ? std::string(text) : encoded_words(text);
}

// RFC 2231 parameter value: UTF-8 with %-escapes.
std::string extended_parameter(std::string_view value) {
  std::string out = "UTF-8''";
  for (const char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    const bool safe = (byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') || (byte >= '0' && byte <= '9') ||
                      std::string_view("!#$&+-.^_`|~").find(c) != std::string_view::npos;
    if (safe) {
      out += c;
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0x0F];
    }
  }
  return out;
}

std::string name_parameter(std::string_view key, std::string_view value) {
  const bool quotable = is_plain_ascii(value) && value.find_first_of("\"\\\n\t") == std::string_view::npos;
  if (quotable) return std::string(key) + "=\"" + std::string(value) + "\"";
  return std::string(key) + "*=" + extended_parameter(value);
}

std::string address_list(const std::vector<std::string>& addresses) {
  std::string out;
  std::size_t column = 4;  // "To: "
  for (std::size_t i = 0; i < addresses.size(); ++i) {
    if (i > 0) {
      out += ",";
      if (column + addresses[i].size() + 2 > kFoldColumn) {
        out += "\r\n";
        column = 0;
      }
      out += " ";
      ++column;
    }
    out += addresses[i];
    column += addresses[i].size() + 1;
  }
  return out;
}

std::string text_part(std::string_view subtype, std::string_view text) {
  const bool plain = fits_7bit(text);
  return "Content-Type: text/" + std::string(subtype) + "; charset=utf-8\r\nContent-Transfer-Encoding: " +
         (plain ? "7bit" : "quoted-printable") + "\r\n\r\n" + (plain ? with_crlf(text) : quoted_printable(text));
}

std::string attachment_part(const TestAttachment& attachment) {
  std::string type = attachment.type;
  if (type.starts_with("text/")) type += "; charset=utf-8";
  return "Content-Type: " + type + "; " + name_parameter("name", attachment.name) +
         "\r\nContent-Disposition: attachment; " + name_parameter("filename", attachment.name) +
         "\r\nContent-Transfer-Encoding: base64\r\n\r\n" + base64_lines(attachment.content);
}

std::string multipart(std::string_view subtype, std::string_view boundary, const std::vector<std::string>& parts) {
  std::string out = "Content-Type: multipart/" + std::string(subtype) + "; boundary=\"" + std::string(boundary) +
                    "\"\r\n\r\n";
  for (const std::string& part : parts) out += "--" + std::string(boundary) + "\r\n" + part + "\r\n";
  return out + "--" + std::string(boundary) + "--\r\n";
}

std::string body_part(const MessageDraft& draft) {
  if (draft.text && draft.html) {
    return multipart("alternative", kAlternativeBoundary, {text_part("plain", *draft.text), text_part("html", *draft.html)});
  }
  if (draft.html) return text_part("html", *draft.html);
  return text_part("plain", draft.text.value_or(""));
}

}  // namespace

std::string compose_message(const MessageDraft& draft) {
  std::string message = "From: " + draft.from + "\r\nTo: " + address_list(draft.to) + "\r\n";
  if (draft.subject) message += "Subject: " + header_text(*draft.subject) + "\r\n";
  // Fixed, so the same case always makes the same message.
  message += "Date: Thu, 01 Jan 2026 09:00:00 +0000\r\nMessage-ID: <policy-test@privmilterctl.invalid>\r\n"
             "MIME-Version: 1.0\r\n";
  if (draft.attachments.empty()) return message + body_part(draft);
  std::vector<std::string> parts{body_part(draft)};
  for (const TestAttachment& attachment : draft.attachments) parts.push_back(attachment_part(attachment));
  return message + multipart("mixed", kMixedBoundary, parts);
}

}  // namespace privmilter::tools
