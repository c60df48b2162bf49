#pragma once
// Who is inside the firm: internal domains and networks, which decide
// whether a message is outgoing and which recipients are external; and the
// firm directory of people, clients and matters the policy refers to.

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "privmilter/firm_directory.h"
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
  Directory(std::vector<std::string> internal_domains, std::vector<Network> internal_networks,
            std::shared_ptr<const FirmDirectory> firm = nullptr);

  // True for an address in an internal domain or one of its subdomains.
  bool is_internal_address(std::string_view address) const;
  // True when `ip` (textual IPv4 or IPv6) lies in an internal network.
  bool is_internal_client(std::string_view ip) const;
  bool has_external_recipient(const std::vector<std::string>& recipients) const;

  const std::vector<std::string>& internal_domains() const { return domains_; }
  // Users, clients, matters, walls, webmail (firm_directory.h); empty when
  // the configuration names no directory.
  const FirmDirectory& firm() const { return *firm_; }
  const std::shared_ptr<const FirmDirectory>& shared_firm() const { return firm_; }

 private:
  std::vector<std::string> domains_;  // lowercase
  std::vector<Network> networks_;
  std::shared_ptr<const FirmDirectory> firm_ = empty_firm_directory();

  static std::shared_ptr<const FirmDirectory> empty_firm_directory();
};

}  // namespace privmilter
