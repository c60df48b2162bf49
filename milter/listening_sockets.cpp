#include "listening_sockets.h"

#include <dirent.h>
#include <netinet/in.h>
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

}  // namespace privmilter::milter
