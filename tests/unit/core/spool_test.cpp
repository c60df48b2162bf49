#include <gtest/gtest.h>
#include <fcntl.h>
#include <unistd.h>

#include "privmilter/spool.h"
#include "unit/temp_dir.h"

namespace privmilter {
namespace {

using testing::TempDir;

TEST(MessageSpool, SmallMessagesStayInMemory) {
  TempDir tmp;
  MessageSpool spool(tmp / "spool", 1024);
  ASSERT_TRUE(spool.append("Subject: hi\r\n\r\n").ok());
  ASSERT_TRUE(spool.append("body\r\n").ok());
  EXPECT_TRUE(spool.in_memory());
  EXPECT_EQ(spool.memory(), "Subject: hi\r\n\r\nbody\r\n");
  EXPECT_EQ(spool.size(), 21u);
  EXPECT_FALSE(std::filesystem::exists(tmp / "spool"));
}

TEST(MessageSpool, LargeMessagesGoToAnUnlinkedPrivateFile) {
  TempDir tmp;
  MessageSpool spool(tmp / "spool", 1024);
  std::string expected;
  for (int i = 0; i < 100; ++i) {
    std::string chunk(100, static_cast<char>('a' + i % 26));
    expected += chunk;
    ASSERT_TRUE(spool.append(chunk).ok());
  }
  EXPECT_FALSE(spool.in_memory());
  EXPECT_EQ(spool.size(), expected.size());
  // Nothing is visible in the spool directory: the file is already unlinked.
  EXPECT_TRUE(std::filesystem::is_empty(tmp / "spool"));
  auto content = spool.read_all();
  ASSERT_TRUE(content.ok());
  EXPECT_EQ(*content, expected);

  const auto copy_path = tmp / "copy";
  int fd = ::open(copy_path.c_str(), O_WRONLY | O_CREAT, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(spool.copy_to(fd).ok());
  ::close(fd);
  EXPECT_EQ(testing::read_file(copy_path), expected);
}

TEST(MessageSpool, ClearReleasesTheFile) {
  TempDir tmp;
  MessageSpool spool(tmp / "spool", 8);
  ASSERT_TRUE(spool.append("0123456789abcdef").ok());
  ASSERT_FALSE(spool.in_memory());
  spool.clear();
  EXPECT_TRUE(spool.in_memory());
  EXPECT_EQ(spool.size(), 0u);
  ASSERT_TRUE(spool.append("new").ok());
  EXPECT_EQ(spool.memory(), "new");
}

TEST(MessageSpool, ReportsAnUnusableDirectory) {
  TempDir tmp;
  testing::write_file(tmp / "file", "x");
  MessageSpool spool(tmp / "file" / "spool", 4);
  auto appended = spool.append("more than four bytes");
  EXPECT_FALSE(appended.ok());
}

}  // namespace
}  // namespace privmilter
