#include <openssl/rand.h>

#include <array>
#include <ctime>
#include <stdexcept>

#include "privmilter/enforce.h"

namespace privmilter {

std::string make_reference_id(std::chrono::system_clock::time_point now) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  std::array<char, 32> stamp{};
  std::strftime(stamp.data(), stamp.size(), "%Y%m%dT%H%M%SZ", &utc);

  // Unguessable, so that a reference quoted to a sender cannot be used to
  // enumerate other quarantined messages.
  std::array<unsigned char, 8> random{};
  if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) {
    throw std::runtime_error("random number generator failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(stamp.data());
  id += '-';
  for (unsigned char byte : random) {
    id += kHex[byte >> 4];
    id += kHex[byte & 0xf];
  }
  return id;
}

}  // namespace privmilter
