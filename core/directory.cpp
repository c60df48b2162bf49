#include "privmilter/directory.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

#include "privmilter/envelope.h"
#include "privmilter/strings.h"

namespace privmilter {

namespace {

// Parses an IPv4 or IPv6 literal into IPv6 form (IPv4 as ::ffff:a.b.c.d).
bool parse_ip(std::string_view text, std::array<std::uint8_t, 16>& out, bool& was_v4) {
  std::string literal(trim(text));
  if (literal.size() > 2 && literal.front() == '[' && literal.back() == ']') {
    literal = literal.substr(1, literal.size() - 2);
  }
  if (literal.rfind("IPv6:", 0) == 0) literal = literal.substr(5);
  in_addr v4{};
  if (inet_pton(AF_INET, literal.c_str(), &v4) == 1) {
    out.fill(0);
    out[10] = 0xff;
    out[11] = 0xff;
    std::memcpy(out.data() + 12, &v4, 4);
    was_v4 = true;
    return true;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, literal.c_str(), &v6) == 1) {
    std::memcpy(out.data(), &v6, 16);
    was_v4 = false;
    return true;
  }
  return false;
}

bool in_network(const std::array<std::uint8_t, 16>& address, const Network& network) {
  unsigned bits = network.prefix_length;
  for (std::size_t i = 0; i < 16 && bits > 0; ++i) {
    unsigned take = bits >= 8 ? 8 : bits;
    auto mask = static_cast<std::uint8_t>(0xff << (8 - take));
    if ((address[i] & mask) != (network.address[i] & mask)) return false;
    bits -= take;
  }
  return true;
}

}  // namespace

Result<Network> parse_network(std::string_view text) {
  std::string_view spec = trim(text);
  std::string_view ip = spec;
  std::string_view prefix;
  if (auto slash = spec.find('/'); slash != std::string_view::npos) {
    ip = spec.substr(0, slash);
    prefix = spec.substr(slash + 1);
  }
  Network network;
  bool was_v4 = false;
  if (!parse_ip(ip, network.address, was_v4)) {
    return make_error("not an IP address or network: '" + std::string(spec) + "'");
  }
  const unsigned max_bits = was_v4 ? 32 : 128;
  unsigned bits = max_bits;
  if (!prefix.empty()) {
    auto [end, ec] = std::from_chars(prefix.data(), prefix.data() + prefix.size(), bits);
    if (ec != std::errc() || end != prefix.data() + prefix.size() || bits > max_bits) {
      return make_error("bad prefix length in '" + std::string(spec) + "'");
    }
  }
  network.prefix_length = was_v4 ? bits + 96 : bits;
  return network;
}

Directory::Directory(std::vector<std::string> internal_domains, std::vector<Network> internal_networks,
                     std::shared_ptr<const FirmDirectory> firm)
    : networks_(std::move(internal_networks)), firm_(std::move(firm)) {
  for (auto& domain : internal_domains) domains_.push_back(ascii_lower(trim(domain)));
  // Without a directory of people and clients, the firm's own domains are
  // still protected from lookalikes.
  if (!firm_) firm_ = std::make_shared<const FirmDirectory>(FirmDirectoryTables{}, domains_);
}

std::shared_ptr<const FirmDirectory> Directory::empty_firm_directory() {
  static const auto empty = std::make_shared<const FirmDirectory>();
  return empty;
}

bool Directory::is_internal_address(std::string_view address) const {
  const std::string domain = domain_of(address);
  if (domain.empty()) return false;  // a bare local part is not ours to judge as internal
  for (const auto& internal : domains_) {
    if (domain == internal) return true;
    if (domain.size() > internal.size() && domain.ends_with(internal) &&
        domain[domain.size() - internal.size() - 1] == '.') {
      return true;
    }
  }
  return false;
}

bool Directory::is_internal_client(std::string_view ip) const {
  std::array<std::uint8_t, 16> address{};
  bool was_v4 = false;
  if (!parse_ip(ip, address, was_v4)) return false;
  for (const auto& network : networks_) {
    if (in_network(address, network)) return true;
  }
  return false;
}

bool Directory::has_external_recipient(const std::vector<std::string>& recipients) const {
  for (const auto& rcpt : recipients) {
    if (!is_internal_address(rcpt)) return true;
  }
  return false;
}

}  // namespace privmilter
