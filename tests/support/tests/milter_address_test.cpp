#include "support/milter_address.h"

#include <gtest/gtest.h>

#include "support/child_process.h"

namespace privmilter::miltertest {
namespace {

using namespace std::chrono_literals;

TEST(ParseMilterAddress, UnixSpellings) {
  for (const char* text : {"unix:/run/m.sock", "local:/run/m.sock", "/run/m.sock"}) {
    auto address = parse_milter_address(text);
    ASSERT_TRUE(address.ok()) << text;
    EXPECT_EQ(address->kind, MilterAddress::Kind::unix_path);
    EXPECT_EQ(address->path, "/run/m.sock");
  }
}

TEST(ParseMilterAddress, LibmilterInetSpelling) {
  auto address = parse_milter_address("inet:8891@127.0.0.1");
  ASSERT_TRUE(address.ok());
  EXPECT_EQ(address->kind, MilterAddress::Kind::inet);
  EXPECT_EQ(address->host, "127.0.0.1");
  EXPECT_EQ(address->port, 8891);
}

TEST(ParseMilterAddress, PostfixInetSpellingAndDefaultHost) {
  auto postfix = parse_milter_address("inet:localhost:10025");
  ASSERT_TRUE(postfix.ok());
  EXPECT_EQ(postfix->host, "localhost");
  EXPECT_EQ(postfix->port, 10025);
  auto bare = parse_milter_address("inet:10026");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->host, "127.0.0.1");
  auto v6 = parse_milter_address("inet6:10027@[::1]");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->kind, MilterAddress::Kind::inet6);
  EXPECT_EQ(v6->host, "::1");
}

TEST(ParseMilterAddress, RejectsMalformedAddresses) {
  for (const char* text : {"", "unix:relative.sock", "tcp:25@host", "inet:notaport@127.0.0.1",
                           "inet:0@127.0.0.1", "inet:65536@127.0.0.1", "inet:@127.0.0.1"}) {
    EXPECT_FALSE(parse_milter_address(text).ok()) << text;
  }
  const std::string long_path = "unix:/" + std::string(200, 'x');
  EXPECT_FALSE(parse_milter_address(long_path).ok());
}

TEST(ConnectToMilter, MissingUnixSocketFailsFast) {
  auto directory = TempDirectory::create("miltertest-address");
  ASSERT_TRUE(directory.ok());
  auto address = parse_milter_address("unix:" + (directory->path() / "absent.sock").string());
  ASSERT_TRUE(address.ok());
  const auto started = std::chrono::steady_clock::now();
  auto socket = connect_to_milter(*address, 5s);
  EXPECT_FALSE(socket.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
}

}  // namespace
}  // namespace privmilter::miltertest
