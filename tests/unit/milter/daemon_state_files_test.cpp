// The pid file and the reload status file, on a real file system.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "pid_file.h"
#include "reload_status.h"
#include "unit/temp_dir.h"

namespace privmilter::milter {
namespace {

using privmilter::testing::read_file;
using privmilter::testing::TempDir;
using privmilter::testing::write_file;

mode_t mode_of(const std::filesystem::path& path) {
  struct stat info {};
  EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
  return info.st_mode & 07777;
}

// Restores the umask a test tightened.
class ScopedUmask {
 public:
  explicit ScopedUmask(mode_t mask) : previous_(::umask(mask)) {}
  ~ScopedUmask() { ::umask(previous_); }

 private:
  mode_t previous_;
};

TEST(PidFile, RecordsThisProcessReadablyAndRemovesItself) {
  TempDir tmp;
  const auto path = tmp / "run/privmilter/privmilter.pid";
  {
    ScopedUmask strict(0077);  // systemd's UMask=0077
    auto pid_file = PidFile::write(path);
    ASSERT_TRUE(pid_file.ok()) << pid_file.error().message;
    EXPECT_EQ(read_file(path), std::to_string(::getpid()) + "\n");
    EXPECT_EQ(mode_of(path), 0644u);
    auto recorded = read_pid_file(path);
    ASSERT_TRUE(recorded.ok()) << recorded.error().message;
    EXPECT_EQ(*recorded, ::getpid());
    // Nothing but the pid file is left in the directory.
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(path.parent_path()),
                            std::filesystem::directory_iterator()),
              1);
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(PidFile, LeavesAFileAnotherProcessHasClaimed) {
  TempDir tmp;
  const auto path = tmp / "privmilter.pid";
  {
    auto pid_file = PidFile::write(path);
    ASSERT_TRUE(pid_file.ok()) << pid_file.error().message;
    write_file(path, "1\n");
  }
  EXPECT_EQ(read_file(path), "1\n");
}

TEST(PidFile, RejectsContentThatIsNotAProcessId) {
  TempDir tmp;
  for (const char* content : {"", "abc\n", "-5\n", "12 13\n", "0\n"}) {
    write_file(tmp / "privmilter.pid", content);
    EXPECT_FALSE(read_pid_file(tmp / "privmilter.pid").ok()) << '"' << content << '"';
  }
  EXPECT_FALSE(read_pid_file(tmp / "missing.pid").ok());
}

TEST(ReloadStatusFile, RoundTripsEveryField) {
  TempDir tmp;
  const auto path = reload_status_path(tmp / "privmilter.pid");
  EXPECT_EQ(path, tmp / "privmilter.pid.reload");
  const ReloadStatusRecord written{.pid = 4711,
                                   .config = "/etc/privmilter/privmilter.yaml",
                                   .attempts = 3,
                                   .generation = 2,
                                   .rules = 5,
                                   .ok = false,
                                   .error = "/etc/privmilter/policy.yaml:12: unknown action 'rejct'",
                                   .restart_required = {"milter.socket"},
                                   .started_monotonic_ns = 81723000000,
                                   .time = "2026-11-28T16:33:01.123Z"};
  ASSERT_TRUE(write_reload_status(path, written).ok());
  EXPECT_EQ(mode_of(path), 0644u);
  auto read = read_reload_status(path);
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(read->pid, written.pid);
  EXPECT_EQ(read->config, written.config);
  EXPECT_EQ(read->attempts, written.attempts);
  EXPECT_EQ(read->generation, written.generation);
  EXPECT_EQ(read->rules, written.rules);
  EXPECT_EQ(read->ok, written.ok);
  EXPECT_EQ(read->error, written.error);
  EXPECT_EQ(read->restart_required, written.restart_required);
  EXPECT_EQ(read->started_monotonic_ns, written.started_monotonic_ns);
  EXPECT_EQ(read->time, written.time);
}

TEST(ReloadStatusFile, ReportsAFileThatIsNotAStatus) {
  TempDir tmp;
  write_file(tmp / "status", "{\"pid\": 1}");
  auto read = read_reload_status(tmp / "status");
  ASSERT_FALSE(read.ok());
  EXPECT_NE(read.error().message.find("is not a reload status"), std::string::npos) << read.error().message;
}

}  // namespace
}  // namespace privmilter::milter
