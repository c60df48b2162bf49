#pragma once
// The secrets privmilter keys its cryptography with (quarantine at-rest
// encryption, the audit log's HMAC chain, release tokens): 32 random bytes
// per purpose, each in its own file, hex-encoded, readable by the owner only.

#include <array>
#include <cstddef>
#include <filesystem>
#include <span>

#include "privmilter/result.h"

namespace privmilter {

class SecretKey {
 public:
  static constexpr std::size_t kSize = 32;

  SecretKey() = default;
  explicit SecretKey(const std::array<unsigned char, kSize>& bytes) : bytes_(bytes) {}
  ~SecretKey();
  SecretKey(const SecretKey&) = default;
  SecretKey& operator=(const SecretKey&) = default;

  std::span<const unsigned char, kSize> bytes() const { return bytes_; }
  // A short public fingerprint (first 8 hex digits of SHA-256 of the key),
  // recorded beside what the key protects so a wrong key is named as such.
  std::string fingerprint() const;

 private:
  std::array<unsigned char, kSize> bytes_{};
};

// Refuses a file that is not a regular file, is readable or writable by
// group or others, or does not hold exactly 64 hex digits (plus a newline).
Result<SecretKey> load_key_file(const std::filesystem::path& path);

// Creates a new random key file (mode 0600, parents 0700). Refuses to
// overwrite an existing file: replacing a key makes what it protects
// unreadable or unverifiable.
Status generate_key_file(const std::filesystem::path& path);

}  // namespace privmilter
