// quarantine.db: listing and searching entries, review status, repair from
// the files, retention, and use from several processes at once.

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "quarantine_test_support.h"

namespace privmilter {
namespace {

using namespace quarantine_test;
using testing::TempDir;

std::vector<std::string> ids_of(const Result<std::vector<QuarantineSummary>>& listed) {
  std::vector<std::string> ids;
  EXPECT_TRUE(listed.ok()) << listed.error().message;
  if (listed.ok()) {
    for (const auto& entry : *listed) ids.push_back(entry.id);
  }
  return ids;
}

class QuarantineIndexTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(store_.open().ok()); }

  void add(const std::string& id, int day, const std::string& sender, std::vector<std::string> recipients,
           const std::string& rule) {
    auto spool = spool_with(tmp_ / "spool", message_text(sender));
    auto stored = store_.store(id, envelope(sender, std::move(recipients)), verdict(rule), spool, at(day));
    ASSERT_TRUE(stored.ok()) << stored.error().message;
  }
  void add_three() {
    add("a", 1, "alice@examplelaw.com", {"bob@client.example"}, "privileged");
    add("b", 2, "Dave@ExampleLaw.com", {"eve@other.example", "bob@client.example"}, "matter-wall");
    add("c", 3, "alice@examplelaw.com", {"frank@webmail.example"}, "webmail");
  }
  std::filesystem::path dir() const { return tmp_ / "quarantine"; }

  TempDir tmp_;
  QuarantineStore store_{tmp_ / "quarantine", key_of(1)};
};

TEST_F(QuarantineIndexTest, ListsNewestFirstWithWhatTheRecordSays) {
  add_three();
  auto listed = store_.list({});
  EXPECT_EQ(ids_of(listed), (std::vector<std::string>{"c", "b", "a"}));
  const auto& b = (*listed)[1];
  EXPECT_EQ(b.time, at(2));
  EXPECT_EQ(b.sender, "Dave@ExampleLaw.com");
  EXPECT_EQ(b.recipients, (std::vector<std::string>{"eve@other.example", "bob@client.example"}));
  EXPECT_EQ(b.rules, std::vector<std::string>{"matter-wall"});
  EXPECT_EQ(b.action, "quarantine");
  EXPECT_EQ(b.size, message_text("Dave@ExampleLaw.com").size());
  EXPECT_EQ(b.status, QuarantineStatus::held);
}

TEST_F(QuarantineIndexTest, Searches) {
  add_three();
  QuarantineFilter filter;
  filter.sender = "dave@examplelaw";  // case-insensitive substring
  EXPECT_EQ(ids_of(store_.list(filter)), std::vector<std::string>{"b"});
  filter = {};
  filter.recipient = "BOB@client";
  EXPECT_EQ(ids_of(store_.list(filter)), (std::vector<std::string>{"b", "a"}));
  filter = {};
  filter.rule = "webmail";
  EXPECT_EQ(ids_of(store_.list(filter)), std::vector<std::string>{"c"});
  filter.rule = "web";  // rules match exactly
  EXPECT_TRUE(ids_of(store_.list(filter)).empty());
  filter = {};
  filter.since = at(2);
  filter.until = at(3);
  EXPECT_EQ(ids_of(store_.list(filter)), std::vector<std::string>{"b"});
  filter = {};
  filter.action = "reject";
  EXPECT_TRUE(ids_of(store_.list(filter)).empty());
  filter.action = "quarantine";
  filter.sender = "%";  // a wildcard character is searched for literally
  EXPECT_TRUE(ids_of(store_.list(filter)).empty());
  filter = {};
  filter.limit = 1;
  filter.offset = 1;
  EXPECT_EQ(ids_of(store_.list(filter)), std::vector<std::string>{"b"});
}

TEST_F(QuarantineIndexTest, StatusChangesAreListedAndSearchable) {
  add_three();
  ASSERT_TRUE(store_.set_status("a", QuarantineStatus::released).ok());
  ASSERT_TRUE(store_.remove("b").ok());
  EXPECT_FALSE(std::filesystem::exists(dir() / "b.pmq"));
  QuarantineFilter filter;
  filter.status = QuarantineStatus::held;
  EXPECT_EQ(ids_of(store_.list(filter)), std::vector<std::string>{"c"});
  filter.status = QuarantineStatus::released;
  EXPECT_EQ(ids_of(store_.list(filter)), std::vector<std::string>{"a"});
  filter.status = QuarantineStatus::deleted;
  EXPECT_EQ(ids_of(store_.list(filter)), std::vector<std::string>{"b"});
  auto loaded = store_.load("a");
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->summary.status, QuarantineStatus::released);
  EXPECT_FALSE(store_.load("b").ok());
  EXPECT_FALSE(store_.set_status("nope", QuarantineStatus::released).ok());
  EXPECT_FALSE(store_.remove("nope").ok());
}

// Two reviewers releasing one entry at once: exactly one claims it.
TEST_F(QuarantineIndexTest, AStatusChangeIsClaimedOnce) {
  add_three();
  auto first = store_.change_status("a", QuarantineStatus::held, QuarantineStatus::released);
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(*first);
  auto second = store_.change_status("a", QuarantineStatus::held, QuarantineStatus::released);
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(*second);
  auto back = store_.change_status("a", QuarantineStatus::released, QuarantineStatus::held);
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(*back);
  auto missing = store_.change_status("nope", QuarantineStatus::held, QuarantineStatus::released);
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(*missing);
}

// The entry file is the truth: an index that cannot take the insert does
// not fail the store, and reindex brings the entry back.
TEST_F(QuarantineIndexTest, AnIndexFailureKeepsTheEntryAndReindexRepairsIt) {
  add("a", 1, "alice@examplelaw.com", {"bob@client.example"}, "privileged");
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open((dir() / "quarantine.db").c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw, "CREATE TRIGGER refuse BEFORE INSERT ON entries BEGIN SELECT RAISE(FAIL, 'refused'); END",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  add("b", 2, "dave@examplelaw.com", {"eve@other.example"}, "matter-wall");
  EXPECT_TRUE(std::filesystem::exists(dir() / "b.pmq"));
  EXPECT_EQ(ids_of(store_.list({})), std::vector<std::string>{"a"});
  ASSERT_EQ(sqlite3_exec(raw, "DROP TRIGGER refuse", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(raw);

  ASSERT_TRUE(store_.set_status("a", QuarantineStatus::released).ok());
  auto reindexed = store_.reindex();
  ASSERT_TRUE(reindexed.ok()) << reindexed.error().message;
  EXPECT_EQ(*reindexed, 2u);
  auto listed = store_.list({});
  EXPECT_EQ(ids_of(listed), (std::vector<std::string>{"b", "a"}));
  // Review status survives a reindex.
  EXPECT_EQ((*listed)[1].status, QuarantineStatus::released);
  EXPECT_EQ((*listed)[0].sender, "dave@examplelaw.com");
}

TEST_F(QuarantineIndexTest, ALostIndexIsRebuiltAndMissingFilesAreMarked) {
  add_three();
  std::filesystem::remove(dir() / "c.pmq");
  EXPECT_EQ(ids_of(store_.list({})).size(), 3u);  // listing never touches the files
  EXPECT_FALSE(store_.load("c").ok());
  auto reindexed = store_.reindex();
  ASSERT_TRUE(reindexed.ok());
  EXPECT_EQ(*reindexed, 2u);
  QuarantineFilter deleted;
  deleted.status = QuarantineStatus::deleted;
  EXPECT_EQ(ids_of(store_.list(deleted)), std::vector<std::string>{"c"});

  for (const char* name : {"quarantine.db", "quarantine.db-wal", "quarantine.db-shm"}) {
    std::filesystem::remove(dir() / name);
  }
  QuarantineStore fresh(dir(), key_of(1));
  auto rebuilt = fresh.reindex();
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.error().message;
  EXPECT_EQ(*rebuilt, 2u);
  EXPECT_EQ(ids_of(fresh.list({})), (std::vector<std::string>{"b", "a"}));
}

TEST_F(QuarantineIndexTest, ReindexSkipsEntriesOfAnotherKey) {
  add_three();
  QuarantineStore other(dir(), key_of(2));
  auto reindexed = other.reindex();
  ASSERT_TRUE(reindexed.ok());
  EXPECT_EQ(*reindexed, 0u);
}

TEST_F(QuarantineIndexTest, PurgeRemovesOldEntriesAndTheirRows) {
  add_three();
  // An entry the index never learned of, aged by its file.
  std::filesystem::copy_file(dir() / "a.pmq", dir() / "orphan.pmq");
  std::filesystem::last_write_time(dir() / "orphan.pmq", std::chrono::file_clock::from_sys(at(0)));
  auto purged = store_.purge(at(2, 18));
  ASSERT_TRUE(purged.ok()) << purged.error().message;
  std::sort(purged->begin(), purged->end());
  EXPECT_EQ(*purged, (std::vector<std::string>{"a", "b", "orphan"}));
  EXPECT_FALSE(std::filesystem::exists(dir() / "a.pmq"));
  EXPECT_FALSE(std::filesystem::exists(dir() / "orphan.pmq"));
  EXPECT_TRUE(std::filesystem::exists(dir() / "c.pmq"));
  EXPECT_EQ(ids_of(store_.list({})), std::vector<std::string>{"c"});
}

// The daemon inserts while privmilterctl reads and changes status, each
// through its own connection in its own process. The children are forked
// before this process opens the database: a connection must not cross a fork.
TEST(QuarantineIndex, ProcessesShareTheIndex) {
  constexpr int kPerWriter = 25;
  TempDir tmp;
  const auto dir = tmp / "quarantine";
  std::vector<pid_t> children;
  for (int writer = 0; writer < 2; ++writer) {
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      QuarantineStore own(dir, key_of(1));
      bool ok = own.open().ok();
      for (int i = 0; ok && i < kPerWriter; ++i) {
        auto spool = spool_with(tmp / ("spool" + std::to_string(writer)), message_text());
        const std::string id = "w" + std::to_string(writer) + "-" + std::to_string(i);
        ok = own.store(id, envelope(), verdict(), spool, at(1, i % 24)).ok() &&
             own.set_status(id, QuarantineStatus::released).ok();
        ok = ok && own.list({}).ok();
      }
      ::_exit(ok ? 0 : 1);
    }
    children.push_back(child);
  }
  QuarantineStore store(dir, key_of(1));
  ASSERT_TRUE(store.open().ok());
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(store.list({}).ok());
  for (pid_t child : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  QuarantineFilter released;
  released.status = QuarantineStatus::released;
  released.limit = 0;  // no limit
  EXPECT_EQ(ids_of(store.list(released)).size(), 2u * kPerWriter);
}

}  // namespace
}  // namespace privmilter
