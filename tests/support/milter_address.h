#pragma once
// Connects to a milter the way an MTA does, from the address syntax that
// libmilter's smfi_setconn and Postfix's smtpd_milters use.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "privmilter/result.h"
#include "support/unique_fd.h"

namespace privmilter::miltertest {

struct MilterAddress {
  enum class Kind { unix_path, inet, inet6 };
  Kind kind = Kind::unix_path;
  std::string path;  // unix_path only
  std::string host;  // inet/inet6: IP literal or a resolvable name such as localhost
  std::uint16_t port = 0;
};

// Accepts "unix:/path", "local:/path", "/path", "inet:PORT@HOST",
// "inet6:PORT@HOST" (libmilter spelling) and "inet:HOST:PORT" (Postfix
// spelling). A missing HOST means the loopback address.
Result<MilterAddress> parse_milter_address(std::string_view text);

// Opens a non-blocking, close-on-exec stream socket connected to `address`,
// giving up after `timeout`.
Result<UniqueFd> connect_to_milter(const MilterAddress& address, std::chrono::milliseconds timeout);

}  // namespace privmilter::miltertest
