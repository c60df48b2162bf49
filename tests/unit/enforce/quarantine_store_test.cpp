// The quarantine's entry files: durable, private, encrypted and
// authenticated at rest.

#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include "enforce/at_rest_cipher.h"
#include "privmilter/unique_fd.h"
#include "quarantine_test_support.h"

namespace privmilter {
namespace {

using namespace quarantine_test;
using testing::read_file;
using testing::TempDir;
using testing::write_file;

constexpr const char* kId = "20261128T000000Z-0011223344556677";

class QuarantineStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(store_.open().ok()); }

  void store_message(const std::string& id, const std::string& content, std::size_t threshold = 1 << 20) {
    auto spool = spool_with(tmp_ / "spool", content, threshold);
    auto stored = store_.store(id, envelope(), verdict("privileged-unencrypted-external", {"carol@examplelaw.com"}),
                               spool, at(27));
    ASSERT_TRUE(stored.ok()) << stored.error().message;
  }
  std::filesystem::path entry_path(const std::string& id) const { return tmp_ / "quarantine" / (id + ".pmq"); }

  TempDir tmp_;
  QuarantineStore store_{tmp_ / "quarantine", key_of(1)};
};

TEST_F(QuarantineStoreTest, StoresAnEntryThatLoadsBackWithItsRecord) {
  store_message(kId, message_text());
  auto loaded = store_.load(kId);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->message, message_text());
  EXPECT_EQ(loaded->summary.id, kId);
  EXPECT_EQ(loaded->summary.time, at(27));
  EXPECT_EQ(loaded->summary.status, QuarantineStatus::held);
  EXPECT_EQ(loaded->summary.sender, "alice@examplelaw.com");
  EXPECT_EQ(loaded->summary.action, "quarantine");
  // The monitor-mode rule fired but did not hold the message.
  EXPECT_EQ(loaded->summary.rules, std::vector<std::string>{"privileged-unencrypted-external"});
  EXPECT_EQ(loaded->summary.size, message_text().size());
  EXPECT_EQ(loaded->envelope.recipients, envelope().recipients);
  EXPECT_EQ(loaded->envelope.client_addr, "10.1.2.3");
  EXPECT_EQ(loaded->removed_recipients, std::vector<std::string>{"carol@examplelaw.com"});
  EXPECT_EQ(loaded->record["verdict"]["rules"][0]["hits"][0]["match"], "pri****************ed");
}

TEST_F(QuarantineStoreTest, FilesArePrivateAndHoldNoPlaintext) {
  store_message(kId, message_text());
  EXPECT_EQ(names_in(tmp_ / "quarantine"),
            (std::vector<std::string>{std::string(kId) + ".pmq", "quarantine.db", "quarantine.db-shm",
                                      "quarantine.db-wal"}));
  struct stat info {};
  ASSERT_EQ(stat(entry_path(kId).c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  ASSERT_EQ(stat((tmp_ / "quarantine").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u);
  for (const char* name : {"quarantine.db", "quarantine.db-wal"}) {
    ASSERT_EQ(stat((tmp_ / "quarantine" / name).c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600u) << name;
  }
  const std::string on_disk = read_file(entry_path(kId));
  EXPECT_EQ(on_disk.find(kPhrase), std::string::npos);
  EXPECT_EQ(on_disk.find("Privileged"), std::string::npos);
  EXPECT_EQ(on_disk.find("alice@examplelaw.com"), std::string::npos);
  EXPECT_EQ(on_disk.find("pri****************ed"), std::string::npos);
  // The header names the entry and the key, in the clear.
  EXPECT_EQ(on_disk.substr(0, 8), "PMQENTRY");
  EXPECT_NE(on_disk.find(key_of(1).fingerprint()), std::string::npos);
}

TEST_F(QuarantineStoreTest, StreamsASpooledMessage) {
  std::string message = "Subject: big\r\n\r\n";
  for (int i = 0; i < 60000; ++i) message += "line " + std::to_string(i) + " of a large privileged brief\r\n";
  auto spool = spool_with(tmp_ / "spool", message, 4096);
  ASSERT_FALSE(spool.in_memory());
  ASSERT_TRUE(store_.store("id-large", envelope(), verdict(), spool, at(27)).ok());
  auto loaded = store_.load("id-large");
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->message, message);
  EXPECT_EQ(read_file(entry_path("id-large")).find("of a large privileged brief"), std::string::npos);
}

TEST_F(QuarantineStoreTest, AnotherKeyCannotReadTheEntryAndIsNamedAsWrong) {
  store_message(kId, message_text());
  QuarantineStore other(tmp_ / "quarantine", key_of(2));
  ASSERT_TRUE(other.open().ok());
  auto loaded = other.load(kId);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.error().message.find("encrypted with quarantine key " + key_of(1).fingerprint()), std::string::npos)
      << loaded.error().message;
}

// With the fingerprint forged to match, the wrong key still fails: the
// fingerprint is a diagnosis, the tag is the check.
TEST_F(QuarantineStoreTest, AForgedFingerprintDoesNotHelpAnotherKey) {
  store_message(kId, message_text());
  std::string bytes = read_file(entry_path(kId));
  bytes.replace(9, 8, key_of(2).fingerprint());
  write_file(entry_path(kId), bytes);
  QuarantineStore other(tmp_ / "quarantine", key_of(2));
  ASSERT_TRUE(other.open().ok());
  auto loaded = other.load(kId);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.error().message.find("failed authentication"), std::string::npos) << loaded.error().message;
}

TEST_F(QuarantineStoreTest, AnyFlippedByteIsRefused) {
  store_message(kId, message_text());
  const std::string original = read_file(entry_path(kId));
  // In the salt, in the id, in the ciphertext and in the tag.
  for (std::size_t position : {std::size_t{20}, std::size_t{40}, original.size() / 2, original.size() - 1}) {
    std::string bytes = original;
    bytes[position] = static_cast<char>(bytes[position] ^ 0x01);
    write_file(entry_path(kId), bytes);
    auto loaded = store_.load(kId);
    EXPECT_FALSE(loaded.ok()) << "flipped byte " << position;
  }
  write_file(entry_path(kId), original.substr(0, original.size() - 5));
  EXPECT_FALSE(store_.load(kId).ok());
  write_file(entry_path(kId), original);
  EXPECT_TRUE(store_.load(kId).ok());
}

TEST_F(QuarantineStoreTest, AnEntryRenamedToAnotherIdIsRefused) {
  store_message(kId, message_text());
  std::filesystem::copy_file(entry_path(kId), entry_path("20261128T000000Z-ffffffffffffffff"));
  auto loaded = store_.load("20261128T000000Z-ffffffffffffffff");
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.error().message.find("holds id"), std::string::npos) << loaded.error().message;
}

TEST_F(QuarantineStoreTest, RefusesIdsThatAreNotFileNames) {
  auto spool = spool_with(tmp_ / "spool", message_text());
  EXPECT_FALSE(store_.store("../escape", envelope(), verdict(), spool, at(27)).ok());
  EXPECT_FALSE(store_.store("", envelope(), verdict(), spool, at(27)).ok());
  EXPECT_FALSE(store_.load("../quarantine.db").ok());
  store_message(kId, message_text());
  // A second write under the same id would replace evidence.
  EXPECT_FALSE(store_.store(kId, envelope(), verdict(), spool, at(28)).ok());
}

TEST(QuarantineStore, FailsWhenTheDirectoryCannotBeCreated) {
  TempDir tmp;
  write_file(tmp / "occupied", "a file where the directory should be");
  QuarantineStore store(tmp / "occupied" / "quarantine", key_of(1));
  EXPECT_FALSE(store.open().ok());
  auto spool = spool_with(tmp / "spool", message_text());
  auto stored = store.store("id", envelope(), verdict(), spool, at(27));
  ASSERT_FALSE(stored.ok());
  EXPECT_NE(stored.error().message.find("occupied"), std::string::npos);
}

// A file-size limit makes write() fail as on a full disk: the store must
// report it and leave no partial entry.
TEST_F(QuarantineStoreTest, AFullDiskLeavesNothingBehind) {
  const auto before = names_in(tmp_ / "quarantine");
  auto spool = spool_with(tmp_ / "spool", std::string(256 * 1024, 'x'));
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &saved), 0);
  auto previous_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit small = saved;
  small.rlim_cur = 64 * 1024;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  auto stored = store_.store("id-full", envelope(), verdict(), spool, at(27));
  setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, previous_handler);

  ASSERT_FALSE(stored.ok());
  EXPECT_NE(stored.error().message.find("id-full"), std::string::npos) << stored.error().message;
  EXPECT_EQ(names_in(tmp_ / "quarantine"), before);
  EXPECT_FALSE(store_.load("id-full").ok());
}

// A directory the daemon cannot write to (0500). Root ignores the mode, so
// as root the attempt runs in a child that gives up root first.
TEST(QuarantineStore, AReadOnlyDirectoryFailsTheWriteAndLeavesNothing) {
  TempDir tmp;
  const auto directory = tmp / "quarantine";
  std::filesystem::create_directory(directory);
  const bool as_root = ::geteuid() == 0;
  const uid_t nobody = 65534;
  if (as_root) {
    ASSERT_EQ(::chown(tmp.path().c_str(), nobody, nobody), 0);
    ASSERT_EQ(::chown(directory.c_str(), nobody, nobody), 0);
  }
  ASSERT_EQ(::chmod(directory.c_str(), 0500), 0);
  auto spool = spool_with(tmp / "spool", message_text());
  const auto attempt = [&] {
    QuarantineStore store(directory, key_of(1));
    const bool open_failed = !store.open().ok();
    const bool store_failed = !store.store(kId, envelope(), verdict(), spool, at(27)).ok();
    return open_failed && store_failed && std::filesystem::is_empty(directory);
  };
  if (!as_root) {
    EXPECT_TRUE(attempt());
  } else {
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      const bool dropped = ::setgid(nobody) == 0 && ::setuid(nobody) == 0;
      ::_exit(dropped && attempt() ? 0 : 1);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  EXPECT_TRUE(std::filesystem::is_empty(directory));
  ::chmod(directory.c_str(), 0700);
}

TEST(AtRestCipher, TheHeaderNamesVersionKeyAndId) {
  TempDir tmp;
  QuarantineStore store(tmp / "q", key_of(3));
  ASSERT_TRUE(store.open().ok());
  auto spool = spool_with(tmp / "spool", message_text());
  ASSERT_TRUE(store.store("entry-1", envelope(), verdict(), spool, at(1)).ok());
  UniqueFd fd(::open((tmp / "q" / "entry-1.pmq").c_str(), O_RDONLY));
  ASSERT_TRUE(fd.valid());
  auto header = at_rest::read_entry_header(fd.get());
  ASSERT_TRUE(header.ok()) << header.error().message;
  EXPECT_EQ(header->version, 1u);
  EXPECT_EQ(header->fingerprint, key_of(3).fingerprint());
  EXPECT_EQ(header->id, "entry-1");
}

}  // namespace
}  // namespace privmilter
