// Inputs the release token fuzzing found (tests/fuzz/regressions/
// release_token_fuzzer/), fed through the verifier as the fuzz target
// feeds them: the header value on the first line, the body after it.

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "privmilter/release_token.h"
#include "unit/temp_dir.h"

namespace privmilter {
namespace {

// The fuzz target's key: bytes 0x00..0x1f.
SecretKey fuzzing_key() {
  std::array<unsigned char, SecretKey::kSize> bytes{};
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<unsigned char>(i);
  return SecretKey(bytes);
}

const auto kNow = std::chrono::system_clock::time_point(std::chrono::seconds(1893456000));

std::string regression_input(const std::string& name) {
  const char* source = std::getenv("PRIVMILTER_SOURCE_DIR");
  if (source == nullptr) {
    ADD_FAILURE() << "PRIVMILTER_SOURCE_DIR is not set";
    return {};
  }
  const auto path = std::filesystem::path(source) / "tests/fuzz/regressions/release_token_fuzzer" / name;
  EXPECT_TRUE(std::filesystem::exists(path)) << path;
  return testing::read_file(path);
}

// exp=41024544800, a digit inserted into a valid expiry: converting it to
// the clock's nanoseconds overflowed a signed 64-bit count (undefined
// behaviour, caught by UBSan) before the MAC was even checked.
TEST(ReleaseTokenRegression, AnExpiryBeyondTheClockRangeIsMalformed) {
  const std::string input = regression_input("expiry-beyond-clock-range");
  const auto line_end = input.find('\n');
  ASSERT_NE(line_end, std::string::npos);
  auto verified = verify_release_token(input.substr(0, line_end), fuzzing_key(), input.substr(line_end + 1), kNow);
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.error().message, "malformed");
}

// The last second the clock can represent is still a valid expiry; the
// next one is not.
TEST(ReleaseTokenRegression, TheLatestRepresentableExpiryStillVerifies) {
  const std::int64_t latest =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::duration::max()).count();
  const std::string body = "The draft terms.\r\n";
  const auto token =
      make_release_token("20260101T000000Z-0011223344556677", body,
                         std::chrono::system_clock::time_point(std::chrono::seconds(latest)));
  const std::string value = format_release_token(token, fuzzing_key());
  EXPECT_NE(value.find("; exp=" + std::to_string(latest) + ";"), std::string::npos) << value;
  EXPECT_TRUE(verify_release_token(value, fuzzing_key(), body, kNow).ok());

  const std::string beyond = std::to_string(latest + 1);
  std::string later = value;
  later.replace(later.find(std::to_string(latest)), std::to_string(latest).size(), beyond);
  auto refused = verify_release_token(later, fuzzing_key(), body, kNow);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message, "malformed");
}

}  // namespace
}  // namespace privmilter
