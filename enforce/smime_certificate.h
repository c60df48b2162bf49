#pragma once
// One recipient or escrow certificate and the facts encryption needs from
// it, read once when the certificate directory is loaded.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "openssl_handles.h"
#include "privmilter/result.h"
#include "privmilter/smime.h"

namespace privmilter {

class Certificate {
 public:
  enum class KeyKind { rsa, ec, other };

  Certificate(openssl::X509Handle x509, std::filesystem::path source);
  Certificate(const Certificate&) = delete;
  Certificate& operator=(const Certificate&) = delete;

  // Non-const only because the OpenSSL CMS API takes X509*; the object is
  // never modified after construction.
  X509* x509() const { return x509_.get(); }
  const std::filesystem::path& source() const { return source_; }
  // rfc822Name subjectAltNames and subject emailAddress, as written.
  const std::vector<std::string>& addresses() const { return addresses_; }
  // "client.pem (CN=Bob,O=Client)", for reasons and logs.
  std::string describe() const;

  KeyKind key_kind() const { return key_kind_; }
  std::chrono::system_clock::time_point not_before() const { return not_before_; }
  std::chrono::system_clock::time_point not_after() const { return not_after_; }

 private:
  friend std::optional<std::string> unusable_reason(const Certificate& certificate,
                                                    std::chrono::system_clock::time_point now);
  openssl::X509Handle x509_;
  std::filesystem::path source_;
  std::string subject_;
  std::vector<std::string> addresses_;
  KeyKind key_kind_ = KeyKind::other;
  std::chrono::system_clock::time_point not_before_;
  std::chrono::system_clock::time_point not_after_;
  bool extensions_invalid_ = false;
  std::optional<std::uint32_t> key_usage_;           // absent: no keyUsage extension
  std::optional<std::uint32_t> extended_key_usage_;  // absent: no extendedKeyUsage extension
};

// Why mail cannot be encrypted to `certificate` at `now` ("expired on
// 2025-03-01T00:00:00Z", "keyUsage lacks keyEncipherment", ...); nullopt
// when it can.
std::optional<std::string> unusable_reason(const Certificate& certificate, std::chrono::system_clock::time_point now);

// Every certificate in a PEM file (or the one in a DER file).
Result<std::vector<std::shared_ptr<const Certificate>>> read_certificates(const std::filesystem::path& path);

// The OpenSSL error queue as one line, emptied.
std::string openssl_error_text();

}  // namespace privmilter
