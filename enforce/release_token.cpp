#include "privmilter/release_token.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <vector>

#include "privmilter/strings.h"

namespace privmilter {

namespace {

constexpr std::string_view kVersion = "v1";
constexpr std::size_t kNonceBytes = 16;

bool is_lower_hex(std::string_view text, std::size_t length) {
  if (text.size() != length) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > 200) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::int64_t unix_seconds(std::chrono::system_clock::time_point time) {
  return std::chrono::duration_cast<std::chrono::seconds>(time.time_since_epoch()).count();
}

// Every field but the MAC, exactly as it appears in the header.
std::string signed_part(const ReleaseToken& token) {
  return std::string(kVersion) + "; id=" + token.quarantine_id + "; exp=" + std::to_string(unix_seconds(token.expires)) +
         "; nonce=" + token.nonce + "; body=" + token.body_digest + "; rcpt=" + token.recipients_digest;
}

std::array<unsigned char, 32> mac_of(std::string_view text, const SecretKey& key) {
  std::array<unsigned char, 32> mac{};
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.bytes().data(), static_cast<int>(key.bytes().size()),
       reinterpret_cast<const unsigned char*>(text.data()), text.size(), mac.data(), &length);
  return mac;
}

// "name=value" with the expected name, or nothing.
std::optional<std::string_view> field(std::string_view item, std::string_view name) {
  item = trim(item);
  if (item.size() <= name.size() || item.substr(0, name.size()) != name || item[name.size()] != '=') return std::nullopt;
  return item.substr(name.size() + 1);
}

}  // namespace

std::string release_body_digest(std::string_view body) {
  std::string normalised;
  normalised.reserve(body.size());
  for (std::size_t i = 0; i < body.size(); ++i) {
    if (body[i] == '\r' && i + 1 < body.size() && body[i + 1] == '\n') continue;
    normalised += body[i];
  }
  // Transports add or drop the final line end and blank lines after it.
  while (!normalised.empty() && normalised.back() == '\n') normalised.pop_back();
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(normalised.data(), normalised.size(), digest, &length, EVP_sha256(), nullptr);
  return hex_encode(digest, length);
}

std::string release_recipients_digest(std::vector<std::string> recipients) {
  for (auto& recipient : recipients) recipient = ascii_lower(trim(recipient));
  std::sort(recipients.begin(), recipients.end());
  recipients.erase(std::unique(recipients.begin(), recipients.end()), recipients.end());
  std::string joined;
  for (const auto& recipient : recipients) joined += recipient + "\n";
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(joined.data(), joined.size(), digest, &length, EVP_sha256(), nullptr);
  return hex_encode(digest, length);
}

std::string_view release_message_body(std::string_view message) {
  for (std::size_t position = 0; position < message.size();) {
    const auto end = message.find('\n', position);
    if (end == std::string_view::npos) return {};
    std::string_view line = message.substr(position, end - position);
    if (line.empty() || line == "\r") return message.substr(end + 1);
    position = end + 1;
  }
  return {};
}

ReleaseToken make_release_token(std::string quarantine_id, std::string_view body,
                                std::chrono::system_clock::time_point expires,
                                const std::vector<std::string>& recipients) {
  std::array<unsigned char, kNonceBytes> nonce{};
  // Without randomness a token could repeat; nothing sensible can be issued.
  if (RAND_bytes(nonce.data(), static_cast<int>(nonce.size())) != 1) {
    throw std::runtime_error("no random bytes for a release token nonce");
  }
  ReleaseToken token;
  token.quarantine_id = std::move(quarantine_id);
  token.expires = std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::seconds>(expires.time_since_epoch()));
  token.nonce = hex_encode(nonce.data(), nonce.size());
  token.body_digest = release_body_digest(body);
  token.recipients_digest = release_recipients_digest(recipients);
  return token;
}

std::string format_release_token(const ReleaseToken& token, const SecretKey& key) {
  const std::string text = signed_part(token);
  const auto mac = mac_of(text, key);
  return text + "; mac=" + hex_encode(mac.data(), mac.size());
}

Result<ReleaseToken> verify_release_token(std::string_view header_value, const SecretKey& key, std::string_view body,
                                          std::chrono::system_clock::time_point now,
                                          const std::vector<std::string>* recipients) {
  std::vector<std::string_view> items;
  for (std::size_t start = 0;;) {
    const auto end = header_value.find(';', start);
    items.push_back(header_value.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  const Error malformed = make_error("malformed");
  if (items.size() != 7 || trim(items[0]) != kVersion) return malformed;
  const auto id = field(items[1], "id");
  const auto expires = field(items[2], "exp");
  const auto nonce = field(items[3], "nonce");
  const auto digest = field(items[4], "body");
  const auto rcpt = field(items[5], "rcpt");
  const auto mac = field(items[6], "mac");
  if (!id || !expires || !nonce || !digest || !rcpt || !mac || !valid_id(*id) ||
      !is_lower_hex(*nonce, 2 * kNonceBytes) || !is_lower_hex(*digest, 64) || !is_lower_hex(*rcpt, 64) ||
      !is_lower_hex(*mac, 64)) {
    return malformed;
  }
  std::int64_t seconds = 0;
  const auto parsed = std::from_chars(expires->data(), expires->data() + expires->size(), seconds);
  // Later than this (the year 2262) the clock's nanosecond count overflows.
  constexpr std::int64_t kLatestExpiry =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::duration::max()).count();
  if (parsed.ec != std::errc() || parsed.ptr != expires->data() + expires->size() || seconds <= 0 ||
      seconds > kLatestExpiry) {
    return malformed;
  }

  ReleaseToken token;
  token.quarantine_id = std::string(*id);
  token.expires = std::chrono::system_clock::time_point(std::chrono::seconds(seconds));
  token.nonce = std::string(*nonce);
  token.body_digest = std::string(*digest);
  token.recipients_digest = std::string(*rcpt);

  const std::string expected = [&] {
    const auto bytes = mac_of(signed_part(token), key);
    return hex_encode(bytes.data(), bytes.size());
  }();
  if (CRYPTO_memcmp(expected.data(), mac->data(), expected.size()) != 0) return make_error("bad signature");
  if (now >= token.expires) return make_error("expired");
  if (release_body_digest(body) != token.body_digest) return make_error("body altered");
  if (recipients != nullptr && release_recipients_digest(*recipients) != token.recipients_digest) {
    return make_error("recipients differ");
  }
  return token;
}

}  // namespace privmilter
