#pragma once
// Who is inside the firm: internal domains and networks. Decides whether a
// message is outgoing and which recipients are external.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "privmilter/result.h"

namespace privmilter {

struct Network {
  std::array<std::uint8_t, 16> address{};  // IPv4 stored as IPv4-mapped IPv6
  unsigned prefix_length = 0;              // in IPv6 bits
};

// Parses "10.0.0.0/8", "192.168.1.7", "::1/128", "fd00::/8".
Result<Network> parse_network(std::string_view text);

class Directory {
 public:
  Directory() = default;
  Directory(std::vector<std::string> internal_domains, std::vector<Network> internal_networks);

  // True for an address in an internal domain or one of its subdomains.
  bool is_internal_address(std::string_view address) const;
  // True when `ip` (textual IPv4 or IPv6) lies in an internal network.
  bool is_internal_client(std::string_view ip) const;
  bool has_external_recipient(const std::vector<std::string>& recipients) const;

  const std::vector<std::string>& internal_domains() const { return domains_; }

 private:
  std::vector<std::string> domains_;  // lowercase
  std::vector<Network> networks_;
};

}  // namespace privmilter
