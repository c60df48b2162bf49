#include "support/milter_address.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <memory>

namespace privmilter::miltertest {
namespace {

Result<std::uint16_t> parse_port(std::string_view text, std::string_view whole) {
  unsigned value = 0;
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end || value == 0 || value > 65535) {
    return make_error("bad port in milter address '" + std::string(whole) + "'");
  }
  return static_cast<std::uint16_t>(value);
}

struct AddrinfoDeleter {
  void operator()(addrinfo* info) const { freeaddrinfo(info); }
};
using AddrinfoList = std::unique_ptr<addrinfo, AddrinfoDeleter>;

Result<AddrinfoList> resolve(const MilterAddress& address) {
  addrinfo hints{};
  hints.ai_family = address.kind == MilterAddress::Kind::inet6 ? AF_INET6 : AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  const std::string port = std::to_string(address.port);
  addrinfo* found = nullptr;
  const int rc = getaddrinfo(address.host.c_str(), port.c_str(), &hints, &found);
  if (rc != 0) {
    return make_error("cannot resolve milter host '" + address.host + "': " + gai_strerror(rc));
  }
  return AddrinfoList(found);
}

std::string errno_text(std::string_view what, int error) {
  return std::string(what) + ": " + std::strerror(error);
}

Status connect_with_timeout(int fd, const sockaddr* addr, socklen_t length,
                            std::chrono::milliseconds timeout) {
  if (::connect(fd, addr, length) == 0) return Status::success();
  if (errno != EINPROGRESS && errno != EAGAIN) return make_error(errno_text("connect", errno));
  pollfd waiter{fd, POLLOUT, 0};
  int ready = 0;
  do {
    ready = ::poll(&waiter, 1, static_cast<int>(timeout.count()));
  } while (ready < 0 && errno == EINTR);
  if (ready == 0) return make_error("connect: timed out after " + std::to_string(timeout.count()) + " ms");
  if (ready < 0) return make_error(errno_text("poll", errno));
  int error = 0;
  socklen_t error_length = sizeof(error);
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &error_length) != 0) {
    return make_error(errno_text("getsockopt", errno));
  }
  if (error != 0) return make_error(errno_text("connect", error));
  return Status::success();
}

}  // namespace

Result<MilterAddress> parse_milter_address(std::string_view text) {
  MilterAddress address;
  const auto colon = text.find(':');
  const std::string_view scheme = colon == std::string_view::npos ? "" : text.substr(0, colon);
  const std::string_view rest = colon == std::string_view::npos ? text : text.substr(colon + 1);

  if (scheme.empty() || scheme == "unix" || scheme == "local") {
    if (rest.empty() || rest.front() != '/') {
      return make_error("milter address '" + std::string(text) + "' needs an absolute socket path");
    }
    if (rest.size() >= sizeof(sockaddr_un{}.sun_path)) {
      return make_error("milter socket path too long: " + std::string(rest));
    }
    address.kind = MilterAddress::Kind::unix_path;
    address.path = std::string(rest);
    return address;
  }
  if (scheme != "inet" && scheme != "inet6") {
    return make_error("unknown milter address scheme in '" + std::string(text) + "'");
  }
  address.kind = scheme == "inet" ? MilterAddress::Kind::inet : MilterAddress::Kind::inet6;
  std::string_view port_text;
  if (const auto at = rest.find('@'); at != std::string_view::npos) {
    port_text = rest.substr(0, at);
    address.host = std::string(rest.substr(at + 1));
  } else if (const auto last_colon = rest.rfind(':'); last_colon != std::string_view::npos) {
    address.host = std::string(rest.substr(0, last_colon));
    port_text = rest.substr(last_colon + 1);
  } else {
    port_text = rest;
  }
  if (address.host.size() > 2 && address.host.front() == '[' && address.host.back() == ']') {
    address.host = address.host.substr(1, address.host.size() - 2);
  }
  if (address.host.empty()) {
    address.host = address.kind == MilterAddress::Kind::inet ? "127.0.0.1" : "::1";
  }
  auto port = parse_port(port_text, text);
  if (!port) return port.error();
  address.port = *port;
  return address;
}

Result<UniqueFd> connect_to_milter(const MilterAddress& address, std::chrono::milliseconds timeout) {
  if (address.kind == MilterAddress::Kind::unix_path) {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd.valid()) return make_error(errno_text("socket", errno));
    sockaddr_un target{};
    target.sun_family = AF_UNIX;
    std::memcpy(target.sun_path, address.path.c_str(), address.path.size() + 1);
    Status status = connect_with_timeout(fd.get(), reinterpret_cast<const sockaddr*>(&target),
                                         sizeof(target), timeout);
    if (!status) return make_error("milter " + address.path + ": " + status.error().message);
    return fd;
  }

  auto resolved = resolve(address);
  if (!resolved) return resolved.error();
  std::string last_error = "no addresses";
  for (const addrinfo* candidate = resolved->get(); candidate != nullptr; candidate = candidate->ai_next) {
    UniqueFd fd(::socket(candidate->ai_family, candidate->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                         candidate->ai_protocol));
    if (!fd.valid()) {
      last_error = errno_text("socket", errno);
      continue;
    }
    Status status = connect_with_timeout(fd.get(), candidate->ai_addr, candidate->ai_addrlen, timeout);
    if (status) return fd;
    last_error = status.error().message;
  }
  return make_error("milter " + address.host + " port " + std::to_string(address.port) + ": " + last_error);
}

}  // namespace privmilter::miltertest
