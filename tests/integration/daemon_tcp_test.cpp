// The daemon over TCP, as an MTA on another host reaches it. libmilter
// gives a filter no handle on the connections it accepts, so what the MTA
// gets is checked on the daemon's own socket, taken from the running
// process with pidfd_getfd (we run as root, or as the daemon's owner).

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>

#include "daemon_fixture.h"
#include "privmilter/unique_fd.h"

namespace privmilter::integration {
namespace {

unsigned short free_tcp_port() {
  UniqueFd probe(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(probe.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) return 0;
  socklen_t length = sizeof address;
  getsockname(probe.get(), reinterpret_cast<sockaddr*>(&address), &length);
  return ntohs(address.sin_port);
}

unsigned short port_of(int fd, bool peer) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  const int got = peer ? getpeername(fd, reinterpret_cast<sockaddr*>(&address), &length)
                       : getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  if (got != 0 || address.ss_family != AF_INET) return 0;
  return ntohs(reinterpret_cast<const sockaddr_in*>(&address)->sin_port);
}

// Through syscall(): Debian 12's <sys/pidfd.h> declares these without C linkage.
int open_process(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }
int copy_descriptor(int process, int target) { return static_cast<int>(syscall(SYS_pidfd_getfd, process, target, 0)); }

// The daemon's end of the connection whose client port is `client_port`.
std::optional<UniqueFd> daemon_end(pid_t pid, unsigned short client_port) {
  UniqueFd process(open_process(pid));
  if (!process.valid()) return std::nullopt;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) {
    const int target = std::stoi(entry.path().filename().string());
    UniqueFd copy(copy_descriptor(process.get(), target));
    if (!copy.valid()) continue;
    if (port_of(copy.get(), true) == client_port) return copy;
  }
  return std::nullopt;
}

class DaemonTcpTest : public DaemonTest {};

TEST_F(DaemonTcpTest, AcceptedConnectionsSendSmallPacketsAtOnce) {
  const unsigned short port = free_tcp_port();
  ASSERT_NE(port, 0);
  const std::string address = "inet:" + std::to_string(port) + "@127.0.0.1";
  write_config();
  auto child = ChildProcess::spawn({PRIVMILTER_DAEMON_PATH, "-f", "-p", address, "-c", path("privmilter.yaml").string()});
  ASSERT_TRUE(child.ok()) << child.error().message;
  ChildProcess daemon = std::move(*child);
  ASSERT_TRUE(miltertest::wait_until_listening(address, std::chrono::seconds(10), &daemon).ok());

  auto connection = MilterClient::open(address);
  ASSERT_TRUE(connection.ok()) << connection.error().message;
  // The first message makes sure libmilter has accepted and is serving it.
  auto result = (*connection)->send_message(outgoing({"bob@client.example"}),
                                            "From: alice@examplelaw.com\nSubject: hello\n\nHello.\n");
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->added_header("X-Privmilter"), "scanned");

  const unsigned short client_port = port_of((*connection)->native_handle(), false);
  ASSERT_NE(client_port, 0);
  auto served = daemon_end(daemon.pid(), client_port);
  ASSERT_TRUE(served) << "the daemon's socket for this connection was not found: " << std::strerror(errno);
  int nodelay = 0;
  socklen_t length = sizeof nodelay;
  ASSERT_EQ(getsockopt(served->get(), IPPROTO_TCP, TCP_NODELAY, &nodelay, &length), 0);
  EXPECT_NE(nodelay, 0) << "Nagle's algorithm would hold the reply after a modification for the MTA's delayed ACK";
}

}  // namespace
}  // namespace privmilter::integration
