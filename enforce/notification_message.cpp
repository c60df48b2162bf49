// A notification as an RFC 5322 message, marked as automatic (RFC 3834).

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <ctime>
#include <vector>
#include <string_view>

#include "header_encoding.h"
#include "privmilter/notify.h"

namespace privmilter {
namespace {

constexpr std::size_t kHeaderFoldColumn = 76;
constexpr std::size_t kMaxQpLine = 76;
constexpr std::size_t kMax7bitLine = 998;

// A header value we compose ourselves may still carry an address or firm
// name from configuration: no line break may end up in the header block.
std::string one_line(std::string_view text) {
  std::string out;
  for (const char c : text) out += (c == '\r' || c == '\n' || c == '\t') ? ' ' : c;
  return out;
}

bool printable_ascii(std::string_view text) {
  for (const char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7E) return false;
  }
  return true;
}

// RFC 5322 date in UTC; names spelled out so the locale does not matter.
std::string rfc5322_date(std::chrono::system_clock::time_point now) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  std::array<char, 64> text{};
  std::snprintf(text.data(), text.size(), "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[utc.tm_wday], utc.tm_mday,
                kMonths[utc.tm_mon], utc.tm_year + 1900, utc.tm_hour, utc.tm_min, utc.tm_sec);
  return text.data();
}

std::string random_hex(std::size_t bytes) {
  std::array<unsigned char, 16> random{};
  bytes = std::min(bytes, random.size());
  if (RAND_bytes(random.data(), static_cast<int>(bytes)) != 1) {
    // Uniqueness, not secrecy, is what a Message-ID needs.
    const auto ticks = static_cast<unsigned long long>(std::chrono::steady_clock::now().time_since_epoch().count());
    for (std::size_t i = 0; i < bytes; ++i) random[i] = static_cast<unsigned char>(ticks >> (8 * (i % 8)));
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < bytes; ++i) {
    out += kHex[random[i] >> 4];
    out += kHex[random[i] & 0xf];
  }
  return out;
}

// "Example Law mail protection" as a quoted string, or RFC 2047 words when
// it is not plain ASCII.
std::string display_name(std::string_view name) {
  const std::string flat = one_line(name);
  if (!printable_ascii(flat)) return encode_header_text(flat);
  std::string quoted = "\"";
  for (const char c : flat) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "\"";
}

// "To: a, b, c" folded before an address that would pass the column.
std::string address_list_field(std::string_view name, const std::vector<std::string>& addresses) {
  std::string field = std::string(name) + ":";
  std::size_t column = field.size();
  for (std::size_t i = 0; i < addresses.size(); ++i) {
    const std::string item = one_line(addresses[i]) + (i + 1 < addresses.size() ? "," : "");
    if (i > 0 && column + 1 + item.size() > kHeaderFoldColumn) {
      field += "\r\n";
      column = 0;
    }
    field += ' ';
    field += item;
    column += 1 + item.size();
  }
  return field + "\r\n";
}

bool needs_quoted_printable(std::string_view body) {
  std::size_t line = 0;
  for (const char c : body) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte > 0x7E || (byte < 0x20 && c != '\n' && c != '\t')) return true;
    line = (c == '\n') ? 0 : line + 1;
    if (line > kMax7bitLine) return true;
  }
  return false;
}

// RFC 2045 quoted-printable with CRLF hard breaks and soft breaks before 76.
std::string quoted_printable(std::string_view body) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  std::size_t column = 0;
  for (std::size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (c == '\n') {
      out += "\r\n";
      column = 0;
      continue;
    }
    const auto byte = static_cast<unsigned char>(c);
    const bool line_end_follows = i + 1 == body.size() || body[i + 1] == '\n';
    std::string piece;
    if ((byte >= 0x21 && byte <= 0x7E && c != '=') || ((c == ' ' || c == '\t') && !line_end_follows)) {
      piece = std::string(1, c);
    } else {
      piece = {'=', kHex[byte >> 4], kHex[byte & 0xf]};
    }
    if (column + piece.size() > kMaxQpLine - 1) {
      out += "=\r\n";
      column = 0;
    }
    out += piece;
    column += piece.size();
  }
  return out;
}

std::string crlf(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

std::string domain_part(const std::string& address) {
  const auto at = address.rfind('@');
  return at == std::string::npos || at + 1 == address.size() ? std::string("localhost") : address.substr(at + 1);
}

}  // namespace

std::string render_notification(const Notification& notification, const std::string& from_address,
                                std::chrono::system_clock::time_point now) {
  const std::string from = from_address.empty() ? std::string("postmaster@localhost") : one_line(from_address);
  const std::string reference = one_line(notification.reference);
  std::string message;
  message += "From: " + display_name(notification.from_name) + " <" + from + ">\r\n";
  message += address_list_field("To", notification.to);
  message += "Subject: " + encode_header_text(one_line(notification.subject)) + "\r\n";
  message += "Date: " + rfc5322_date(now) + "\r\n";
  message += "Message-ID: <" + (reference.empty() ? std::string("notice") : reference) + "." + random_hex(8) + "@" +
             domain_part(from) + ">\r\n";
  message += "MIME-Version: 1.0\r\n";
  message += "Content-Type: text/plain; charset=utf-8\r\n";
  const bool encode = needs_quoted_printable(notification.body);
  message += std::string("Content-Transfer-Encoding: ") + (encode ? "quoted-printable" : "7bit") + "\r\n";
  message += "Auto-Submitted: auto-generated\r\n";
  message += std::string(kNotificationHeader) + ": " + reference + "\r\n";
  message += "\r\n";
  message += encode ? quoted_printable(notification.body) : crlf(notification.body);
  if (!message.ends_with("\r\n")) message += "\r\n";
  return message;
}

}  // namespace privmilter
