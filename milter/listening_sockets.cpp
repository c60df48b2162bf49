#include "listening_sockets.h"

#include <dirent.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "privmilter/file_io.h"

namespace privmilter::milter {

namespace {

struct DirCloser {
  void operator()(DIR* dir) const { closedir(dir); }
};

std::vector<int> open_descriptors() {
  std::vector<int> fds;
  std::unique_ptr<DIR, DirCloser> dir(opendir("/proc/self/fd"));
  if (!dir) return fds;
  const int own = dirfd(dir.get());
  while (const dirent* entry = readdir(dir.get())) {
    char* end = nullptr;
    const long fd = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || fd == own) continue;
    fds.push_back(static_cast<int>(fd));
  }
  return fds;
}

bool is_listening_tcp_socket(int fd) {
  int listening = 0;
  socklen_t length = sizeof listening;
  if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) != 0 || listening == 0) return false;
  int protocol = 0;
  length = sizeof protocol;
  return getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &length) == 0 && protocol == IPPROTO_TCP;
}

}  // namespace

int disable_nagle_on_listening_sockets() {
  int set = 0;
  for (const int fd : open_descriptors()) {
    if (!is_listening_tcp_socket(fd)) continue;
    const int on = 1;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) != 0) {
      spdlog::warn("cannot set TCP_NODELAY on the milter socket: {}; replies with changes may wait for the MTA's "
                   "delayed acknowledgement",
                   std::strerror(errno));
      continue;
    }
    ++set;
  }
  return set;
}

namespace {

Result<UniqueFd> listen_unix(const std::string& path, int backlog) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof address.sun_path) return make_error("the socket path is too long: " + path);
  path.copy(address.sun_path, path.size());
  struct stat existing {};
  if (::lstat(path.c_str(), &existing) == 0) {
    if (!S_ISSOCK(existing.st_mode)) return make_error(path + " exists and is not a socket");
    ::unlink(path.c_str());
  }
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return make_error("socket: " + errno_text(errno));
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    return make_error("cannot bind " + path + ": " + errno_text(errno));
  }
  if (::listen(fd.get(), backlog) != 0) return make_error("cannot listen on " + path + ": " + errno_text(errno));
  return fd;
}

Result<UniqueFd> listen_tcp(const std::string& spec, bool inet6, int backlog) {
  const std::string rest = spec.substr(spec.find(':') + 1);
  const auto at = rest.find('@');
  const std::string port = rest.substr(0, at);
  std::string host = at == std::string::npos ? std::string() : rest.substr(at + 1);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  addrinfo hints{};
  hints.ai_family = inet6 ? AF_INET6 : AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (const int error = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &found); error != 0) {
    return make_error("cannot resolve " + spec + ": " + ::gai_strerror(error));
  }
  const std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> addresses(found, &::freeaddrinfo);
  UniqueFd fd(::socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return make_error("socket: " + errno_text(errno));
  const int on = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  // Linux copies it to every accepted connection: see disable_nagle_on_listening_sockets.
  ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  if (::bind(fd.get(), found->ai_addr, found->ai_addrlen) != 0) {
    return make_error("cannot bind " + spec + ": " + errno_text(errno));
  }
  if (::listen(fd.get(), backlog) != 0) return make_error("cannot listen on " + spec + ": " + errno_text(errno));
  return fd;
}

}  // namespace

Result<UniqueFd> open_listening_socket(const std::string& spec, int backlog) {
  for (const char* prefix : {"unix:", "local:"}) {
    if (spec.rfind(prefix, 0) == 0) return listen_unix(spec.substr(std::string(prefix).size()), backlog);
  }
  if (spec.rfind("inet:", 0) == 0) return listen_tcp(spec, false, backlog);
  if (spec.rfind("inet6:", 0) == 0) return listen_tcp(spec, true, backlog);
  return make_error("not a milter socket address: " + spec);
}

}  // namespace privmilter::milter
