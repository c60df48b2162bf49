// Bytes through the release token parser and verifier: the first line is
// an X-Privmilter-Release header value, the rest the message body it is
// checked against. The verifier must refuse everything it did not sign,
// never crash, and accept what it did. The key is fixed (bytes 0x00..0x1f)
// so that seeds can carry tokens with a valid MAC; each input is also
// verified signed again, so that mutated fields get past the signature.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "fuzz/fuzz_support.h"
#include "privmilter/release_token.h"
#include "privmilter/strings.h"

namespace {

using privmilter::fuzzing::require;

const privmilter::SecretKey& fuzzing_key() {
  static const privmilter::SecretKey key = [] {
    std::array<unsigned char, privmilter::SecretKey::kSize> bytes{};
    for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<unsigned char>(i);
    return privmilter::SecretKey(bytes);
  }();
  return key;
}

// Fixed, so that a reproducer behaves the same on every run: 2030-01-01.
const auto kNow = std::chrono::system_clock::time_point(std::chrono::seconds(1893456000));

const std::vector<std::string> kRecipients = {"bob@client.example", "Carol@Other.example"};

// The header with its MAC replaced by the right one for the fields before
// it, so that the checks after the signature (expiry, body, recipients)
// see fuzzed values too. Empty when there is no MAC field.
std::string signed_again(std::string_view header) {
  constexpr std::string_view kMacField = "; mac=";
  const auto mac_at = header.rfind(kMacField);
  if (mac_at == std::string_view::npos) return {};
  const std::string_view fields = header.substr(0, mac_at);
  std::array<unsigned char, 32> mac{};
  unsigned int length = 0;
  const auto key = fuzzing_key().bytes();
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(fields.data()),
       fields.size(), mac.data(), &length);
  return std::string(fields) + std::string(kMacField) + privmilter::hex_encode(mac.data(), length);
}

// An id of the shape the quarantine issues, from the input's bytes.
std::string quarantine_id_from(std::string_view bytes) {
  static constexpr std::string_view kAlphabet = "0123456789abcdefABCDEFTZ.-_";
  std::string id;
  for (char c : bytes.substr(0, 64)) id += kAlphabet[static_cast<unsigned char>(c) % kAlphabet.size()];
  return id.empty() ? std::string("20260101T000000Z-0011223344556677") : id;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  privmilter::fuzzing::silence_logging();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto line_end = input.find('\n');
  const std::string_view header = input.substr(0, line_end);
  const std::string_view body = line_end == std::string_view::npos ? std::string_view() : input.substr(line_end + 1);
  const auto& key = fuzzing_key();

  for (const std::string& value : {std::string(header), signed_again(header)}) {
    auto verified = privmilter::verify_release_token(value, key, body, kNow);
    auto verified_for_recipients = privmilter::verify_release_token(value, key, body, kNow, &kRecipients);
    if (verified_for_recipients) require(verified.ok(), "a token valid for its recipients is valid");
    if (!verified) continue;
    require(verified->expires > kNow, "an accepted token has not expired");
    require(verified->body_digest == privmilter::release_body_digest(body), "an accepted token binds the body");
    // Blanks around the fields aside, the verifier accepts what the issuer wrote.
    auto reissued = privmilter::verify_release_token(privmilter::format_release_token(*verified, key), key, body, kNow);
    require(reissued.ok() && reissued->nonce == verified->nonce, "an accepted token survives reissue");
  }
  const std::string_view message_body = privmilter::release_message_body(input);
  require(message_body.empty() || input.ends_with(message_body), "the body is the end of the message");

  // Issued for this body and these recipients, a token passes once formatted.
  const auto expires = kNow + std::chrono::hours(1);
  const auto token = privmilter::make_release_token(quarantine_id_from(header), body, expires, kRecipients);
  const std::string formatted = privmilter::format_release_token(token, key);
  auto round_trip = privmilter::verify_release_token(formatted, key, body, kNow, &kRecipients);
  require(round_trip.ok(), "an issued token verifies");
  require(round_trip->quarantine_id == token.quarantine_id && round_trip->nonce == token.nonce,
          "an issued token names its entry and nonce");
  require(!privmilter::verify_release_token(formatted, key, body, expires).ok(), "a token expires");
  const std::vector<std::string> someone_else = {"mallory@elsewhere.example"};
  require(!privmilter::verify_release_token(formatted, key, body, kNow, &someone_else).ok(),
          "a token is bound to its recipients");
  return 0;
}
