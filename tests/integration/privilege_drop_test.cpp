// A daemon started as root with `user:` switches to that user once its
// socket is open: the process, the files it creates and the socket the MTA
// connects to all show it, and mail is still judged.

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>

#include "daemon_fixture.h"
#include "sample_messages.h"

namespace privmilter::integration {
namespace {

// The unprivileged account every Debian system has.
constexpr const char* kUser = "nobody";
// Stands in for the MTA's group (postfix) on the socket's directory.
constexpr const char* kMtaGroup = "mail";

// "Uid:", "Gid:", "Groups:", "CapEff:" ... of /proc/<pid>/status.
std::map<std::string, std::string> process_status(pid_t pid) {
  std::map<std::string, std::string> fields;
  std::istringstream in(read_text("/proc/" + std::to_string(pid) + "/status"));
  for (std::string line; std::getline(in, line);) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    fields[line.substr(0, colon)] = value;
  }
  return fields;
}

struct stat stat_of(const std::filesystem::path& path) {
  struct stat info {};
  EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
  return info;
}

class PrivilegeDropTest : public DaemonTest {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "switching user needs a daemon started as root";
    DaemonTest::SetUp();
    const passwd* user = ::getpwnam(kUser);
    const group* mta = ::getgrnam(kMtaGroup);
    ASSERT_NE(user, nullptr) << "no user " << kUser;
    ASSERT_NE(mta, nullptr) << "no group " << kMtaGroup;
    uid_ = user->pw_uid;
    gid_ = user->pw_gid;
    mta_gid_ = mta->gr_gid;
  }

  // The configuration and policy stay root's (readable); keys and state
  // belong to the user, as tmpfiles.d and keygen arrange on a real system.
  // The socket's directory is root's, group the MTA's, as in Postfix's spool.
  void prepare(const std::string& user) {
    std::filesystem::permissions(dir_->path(), std::filesystem::perms(0755));
    write_keys();
    for (const auto& name : {"keys", "keys/quarantine.key", "keys/audit.key", "keys/release.key"}) {
      ASSERT_EQ(::chown(path(name).c_str(), uid_, gid_), 0) << name;
    }
    std::filesystem::create_directory(path("state"));
    ASSERT_EQ(::chown(path("state").c_str(), uid_, gid_), 0);
    std::filesystem::permissions(path("state"), std::filesystem::perms(0700));
    std::filesystem::create_directory(path("mta"));
    ASSERT_EQ(::chown(path("mta").c_str(), 0, mta_gid_), 0);
    std::filesystem::permissions(path("mta"), std::filesystem::perms(0750));
    std::ofstream out(path("privmilter.yaml"));
    out << "milter: {socket: 'unix:" << socket().string() << "'}\n"
        << "user: " << user << "\n"
        << "firm: {name: Example Law LLP, internal_domains: [examplelaw.com], internal_networks: [10.0.0.0/8]}\n"
        << "policy: policy\n"
        << "directory: directory\n"
        << "quarantine: {directory: state/quarantine, key_file: keys/quarantine.key}\n"
        << "audit: {log: state/audit/audit.log, key_file: keys/audit.key}\n"
        << "release: {key_file: keys/release.key}\n"
        << "notify: {outbox: state/outbox}\n"
        << "spool: {directory: state/spool, memory_threshold: 65536}\n";
  }

  std::filesystem::path socket() const { return path("mta") / "privmilter.sock"; }

  void start() {
    prepare(kUser);
    auto child = ChildProcess::spawn({PRIVMILTER_DAEMON_PATH, "-f", "-c", path("privmilter.yaml").string()});
    ASSERT_TRUE(child.ok()) << child.error().message;
    daemon_.emplace(std::move(*child));
    auto listening = miltertest::wait_until_listening("unix:" + socket().string(), std::chrono::seconds(60), &*daemon_);
    ASSERT_TRUE(listening.ok()) << listening.error().message;
  }

  uid_t uid_ = 0;
  gid_t gid_ = 0;
  gid_t mta_gid_ = 0;
};

TEST_F(PrivilegeDropTest, ProcessRunsAsTheUserWithoutRootOrCapabilities) {
  start();
  const auto status = process_status(daemon_->pid());
  const std::string uid = std::to_string(uid_);
  const std::string gid = std::to_string(gid_);
  // Real, effective, saved and filesystem ids.
  EXPECT_EQ(status.at("Uid"), uid + "\t" + uid + "\t" + uid + "\t" + uid);
  EXPECT_EQ(status.at("Gid"), gid + "\t" + gid + "\t" + gid + "\t" + gid);
  // Root's supplementary groups are gone: only the user's own remain.
  std::istringstream groups(status.at("Groups"));
  for (std::string group; groups >> group;) EXPECT_NE(group, "0") << status.at("Groups");
  EXPECT_EQ(status.at("CapEff"), "0000000000000000");
  EXPECT_EQ(status.at("CapPrm"), "0000000000000000");
}

TEST_F(PrivilegeDropTest, SocketIsSharedWithTheMtaGroup) {
  start();
  const struct stat info = stat_of(socket());
  EXPECT_TRUE(S_ISSOCK(info.st_mode));
  EXPECT_EQ(info.st_mode & 07777, 0660u);
  EXPECT_EQ(info.st_uid, uid_);
  EXPECT_EQ(info.st_gid, mta_gid_);
}

TEST_F(PrivilegeDropTest, MailIsJudgedAndWhatTheDaemonWritesBelongsToTheUser) {
  start();
  auto connection = MilterClient::open("unix:" + socket().string());
  ASSERT_TRUE(connection.ok()) << connection.error().message;
  auto result = (*connection)->send_message(outgoing({"bob@client.example"}), kPrivileged);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->verdict.kind, ReplyKind::discard);

  std::vector<std::filesystem::path> written = {path("state/quarantine"), path("state/audit"),
                                                path("state/audit/audit.log")};
  std::size_t held = 0;
  for (const auto& entry : std::filesystem::directory_iterator(path("state/quarantine"))) {
    written.push_back(entry.path());
    if (entry.path().extension() == ".pmq") ++held;
  }
  EXPECT_EQ(held, 1u);
  for (const auto& file : written) {
    const struct stat info = stat_of(file);
    EXPECT_EQ(info.st_uid, uid_) << file;
    EXPECT_EQ(info.st_gid, gid_) << file;
  }
  EXPECT_NE(read_text(path("state/audit/audit.log")).find("\"discard\""), std::string::npos);
}

TEST_F(PrivilegeDropTest, KeysOnlyRootCanReadStopTheStart) {
  prepare(kUser);
  ASSERT_EQ(::chown(path("keys/audit.key").c_str(), 0, 0), 0);
  const auto output = run_command("timeout 120 " + std::string(PRIVMILTER_DAEMON_PATH) + " -f -c " +
                                  path("privmilter.yaml").string());
  EXPECT_EQ(output.exit_code, 78) << output.output;
  EXPECT_NE(output.output.find("audit.key"), std::string::npos) << output.output;
}

// Not root-only: the user is looked up before anything else happens.
TEST(PrivilegeConfiguration, UnknownUserIsAStartupError) {
  auto directory = TempDirectory::create("privmilter-user");
  ASSERT_TRUE(directory.ok());
  const auto root = std::filesystem::path(PRIVMILTER_SOURCE_ROOT) / "config";
  const auto config = directory->path() / "privmilter.yaml";
  const auto socket = directory->path() / "privmilter.sock";
  std::ofstream(config) << "milter: {socket: 'unix:" << socket.string() << "'}\n"
                        << "user: privmilter-test-no-such-user\n"
                        << "firm: {name: Example Law LLP, internal_domains: [examplelaw.com]}\n"
                        << "policy: " << (root / "policy").string() << "\n"
                        << "directory: " << (root / "directory").string() << "\n"
                        << "quarantine: {directory: q, key_file: k/q.key}\n"
                        << "audit: {log: a/audit.log, key_file: k/a.key}\n"
                        << "release: {key_file: k/r.key}\n";
  const auto output =
      run_command("timeout 120 " + std::string(PRIVMILTER_DAEMON_PATH) + " -f -c " + config.string());
  EXPECT_EQ(output.exit_code, 78) << output.output;
  EXPECT_NE(output.output.find("user 'privmilter-test-no-such-user'"), std::string::npos) << output.output;
  EXPECT_NE(output.output.find("does not exist"), std::string::npos) << output.output;
  EXPECT_FALSE(std::filesystem::exists(socket));
}

}  // namespace
}  // namespace privmilter::integration
