// privmilterctl quarantine against what the real daemon held: listing,
// showing, releasing to an SMTP listener (a small one run by the test),
// single-use release tokens through the milter, delete, purge, reindex, and
// the audit records of every reviewer action.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "command_output.h"
#include "daemon_fixture.h"

namespace privmilter::integration {
namespace {

constexpr const char* kPrivileged =
    "From: Alice <alice@examplelaw.com>\r\n"
    "To: Bob <bob@client.example>\r\n"
    "Subject: Draft settlement\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "PRIVILEGED & CONFIDENTIAL\r\n"
    "ATTORNEY-CLIENT COMMUNICATION\r\n"
    "\r\n"
    "Our position on the settlement figure is as follows.\r\n";

// Accepts one SMTP transaction and remembers it.
class SmtpSink {
 public:
  SmtpSink() {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(listener_, 4) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      throw std::runtime_error("cannot listen");
    }
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~SmtpSink() {
    ::shutdown(listener_, SHUT_RDWR);
    ::close(listener_);
    thread_.join();
  }
  unsigned short port() const { return port_; }
  std::string mail_from() const { std::lock_guard lock(mutex_); return mail_from_; }
  std::vector<std::string> rcpt_to() const { std::lock_guard lock(mutex_); return rcpt_to_; }
  std::string data() const { std::lock_guard lock(mutex_); return data_; }

 private:
  void serve() {
    const int connection = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (connection < 0) return;
    const auto say = [&](const std::string& line) { (void)!::write(connection, line.data(), line.size()); };
    std::string buffer;
    const auto read_line = [&](std::string& line) {
      for (;;) {
        if (const auto end = buffer.find("\r\n"); end != std::string::npos) {
          line = buffer.substr(0, end);
          buffer.erase(0, end + 2);
          return true;
        }
        char chunk[4096];
        const ssize_t got = ::read(connection, chunk, sizeof chunk);
        if (got <= 0) return false;
        buffer.append(chunk, static_cast<std::size_t>(got));
      }
    };
    say("220 sink ESMTP\r\n");
    for (std::string line; read_line(line);) {
      const std::string verb = line.substr(0, 4);
      std::lock_guard lock(mutex_);
      if (verb == "EHLO" || verb == "HELO") {
        say("250 sink\r\n");
      } else if (verb == "MAIL") {
        mail_from_ = line.substr(line.find('<') + 1, line.find('>') - line.find('<') - 1);
        say("250 2.1.0 Ok\r\n");
      } else if (verb == "RCPT") {
        rcpt_to_.push_back(line.substr(line.find('<') + 1, line.find('>') - line.find('<') - 1));
        say("250 2.1.5 Ok\r\n");
      } else if (verb == "DATA") {
        say("354 End data with <CR><LF>.<CR><LF>\r\n");
        for (std::string data_line; read_line(data_line) && data_line != ".";) data_ += data_line + "\r\n";
        say("250 2.0.0 Ok: queued as 4XYZ789\r\n");
      } else if (verb == "QUIT") {
        say("221 2.0.0 Bye\r\n");
        break;
      } else {
        say("250 Ok\r\n");
      }
    }
    ::close(connection);
  }

  int listener_ = -1;
  unsigned short port_ = 0;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::string mail_from_;
  std::vector<std::string> rcpt_to_;
  std::string data_;
};

class QuarantineCommandTest : public DaemonTest {
 protected:
  // The daemon holds the privileged memo; returns the entry id.
  std::string hold(const std::string& mta = "127.0.0.1:25") {
    start_daemon("mta: {smtp: '" + mta + "'}\n");
    auto result = send(outgoing({"bob@client.example", "carol@examplelaw.com"}), kPrivileged);
    EXPECT_EQ(result.verdict.kind, ReplyKind::discard);
    auto listed = ctl("list --format json");
    EXPECT_EQ(listed.exit_code, 0) << listed.output;
    auto entries = nlohmann::json::parse(listed.output, nullptr, false);
    if (!entries.is_array() || entries.size() != 1) {
      ADD_FAILURE() << listed.output;
      return "";
    }
    return entries[0]["id"];
  }

  CommandOutput ctl(const std::string& arguments) const {
    return run_command(std::string(PRIVMILTERCTL_PATH) + " quarantine " + arguments + " -c " +
                       path("privmilter.yaml").string());
  }

  std::vector<nlohmann::json> reviewer_records() const {
    std::vector<nlohmann::json> out;
    for (auto& line : audit_lines()) {
      if (line.value("type", "") == "reviewer") out.push_back(line);
    }
    return out;
  }
};

TEST_F(QuarantineCommandTest, ListsAndShowsWhatIsHeld) {
  const std::string id = hold();
  ASSERT_FALSE(id.empty());
  auto listed = ctl("list --format json --sender ALICE@examplelaw --status held");
  ASSERT_EQ(listed.exit_code, 0) << listed.output;
  auto entry = nlohmann::json::parse(listed.output)[0];
  EXPECT_EQ(entry["sender"], "alice@examplelaw.com");
  EXPECT_EQ(entry["recipients"], nlohmann::json({"bob@client.example", "carol@examplelaw.com"}));
  EXPECT_EQ(entry["rules"][0], "privileged-unencrypted-external");
  EXPECT_EQ(entry["size"], std::string(kPrivileged).size());
  EXPECT_EQ(nlohmann::json::parse(ctl("list --format json --rule no-such-rule").output).size(), 0u);
  auto table = ctl("list");
  ASSERT_EQ(table.exit_code, 0);
  EXPECT_NE(table.output.find(id + " "), std::string::npos) << table.output;

  auto shown = ctl("show " + id);
  ASSERT_EQ(shown.exit_code, 0) << shown.output;
  EXPECT_NE(shown.output.find("privileged-unencrypted-external"), std::string::npos) << shown.output;
  EXPECT_NE(shown.output.find("list:privilege_markings"), std::string::npos) << shown.output;
  EXPECT_EQ(shown.output.find("settlement figure"), std::string::npos) << shown.output;
  EXPECT_TRUE(reviewer_records().empty());

  auto with_message = ctl("show " + id + " --message --by reviewer1 --reason 'checking the memo'");
  ASSERT_EQ(with_message.exit_code, 0) << with_message.output;
  EXPECT_NE(with_message.output.find("Our position on the settlement figure"), std::string::npos);
  auto records = reviewer_records();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["action"], "show");
  EXPECT_EQ(records[0]["id"], id);
  EXPECT_EQ(records[0]["by"], "reviewer1");

  // The entry file holds none of it in the clear.
  const std::string on_disk = read_text(path("quarantine") / (id + ".pmq"));
  EXPECT_EQ(on_disk.find("settlement figure"), std::string::npos);
  EXPECT_EQ(on_disk.find("alice@examplelaw.com"), std::string::npos);

  EXPECT_EQ(ctl("show 20990101T000000Z-0000000000000000").exit_code, 1);
}

TEST_F(QuarantineCommandTest, ReleasesToTheMtaWithATokenOnce) {
  SmtpSink sink;
  const std::string id = hold("127.0.0.1:" + std::to_string(sink.port()));
  ASSERT_FALSE(id.empty());
  auto released = ctl("release " + id + " --reason 'client consented' --by reviewer1");
  ASSERT_EQ(released.exit_code, 0) << released.output;
  EXPECT_NE(released.output.find("queued as 4XYZ789"), std::string::npos) << released.output;
  EXPECT_EQ(sink.mail_from(), "alice@examplelaw.com");
  EXPECT_EQ(sink.rcpt_to(), (std::vector<std::string>{"bob@client.example", "carol@examplelaw.com"}));
  EXPECT_EQ(sink.data().rfind("X-Privmilter-Release: v1; id=" + id + "; exp=", 0), 0u) << sink.data();
  EXPECT_NE(sink.data().find("\r\n\r\nPRIVILEGED & CONFIDENTIAL\r\n"), std::string::npos);

  auto entry = nlohmann::json::parse(ctl("list --format json").output)[0];
  EXPECT_EQ(entry["status"], "released");
  auto again = ctl("release " + id + " --reason twice");
  EXPECT_EQ(again.exit_code, 1) << again.output;
  EXPECT_NE(again.output.find("not held"), std::string::npos) << again.output;

  auto records = reviewer_records();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["action"], "release");
  EXPECT_EQ(records[0]["id"], id);
  EXPECT_EQ(records[0]["by"], "reviewer1");
  EXPECT_EQ(records[0]["reason"], "client consented");
  EXPECT_EQ(records[0]["to"], nlohmann::json({"bob@client.example", "carol@examplelaw.com"}));
}

// The MTA unreachable: nothing left, so the entry is held again and the
// release can simply be repeated.
TEST_F(QuarantineCommandTest, AReleaseTheMtaNeverTookLeavesTheEntryHeld) {
  const std::string id = hold("127.0.0.1:1");
  ASSERT_FALSE(id.empty());
  auto failed = ctl("release " + id + " --reason 'client consented' --by reviewer1");
  EXPECT_EQ(failed.exit_code, 2) << failed.output;
  EXPECT_NE(failed.output.find("cannot connect"), std::string::npos) << failed.output;
  EXPECT_EQ(nlohmann::json::parse(ctl("list --format json").output)[0]["status"], "held");
  auto records = reviewer_records();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["result"], "failed");
}

// The token-bearing message passes the milter once; the same token again
// is a replay and the message is judged (and held) like any other.
TEST_F(QuarantineCommandTest, AReleasedMessagePassesTheFilterOnlyOnce) {
  const std::string id = hold();
  ASSERT_FALSE(id.empty());
  auto written = ctl("release " + id + " --reason ok --to bob@client.example --output " + path("release.eml").string());
  ASSERT_EQ(written.exit_code, 0) << written.output;
  const std::string message = read_text(path("release.eml"));
  ASSERT_EQ(message.rfind("X-Privmilter-Release: v1; id=" + id, 0), 0u) << message;

  auto first = send(outgoing({"bob@client.example"}), message);
  EXPECT_EQ(first.verdict.kind, ReplyKind::continue_);
  auto replay = send(outgoing({"bob@client.example"}), message);
  EXPECT_EQ(replay.verdict.kind, ReplyKind::discard);
}

TEST_F(QuarantineCommandTest, DeletesPurgesAndReindexes) {
  const std::string id = hold();
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(ctl("delete " + id).exit_code, 2);  // --reason is required
  auto deleted = ctl("delete " + id + " --reason 'sent in error' --by reviewer2");
  ASSERT_EQ(deleted.exit_code, 0) << deleted.output;
  EXPECT_FALSE(std::filesystem::exists(path("quarantine") / (id + ".pmq")));
  EXPECT_EQ(ctl("delete " + id + " --reason again").exit_code, 1);
  EXPECT_EQ(ctl("show " + id).exit_code, 1);

  auto second = send(outgoing({"bob@client.example"}), kPrivileged);
  EXPECT_EQ(second.verdict.kind, ReplyKind::discard);
  std::filesystem::remove(path("quarantine") / "quarantine.db");
  std::filesystem::remove(path("quarantine") / "quarantine.db-wal");
  std::filesystem::remove(path("quarantine") / "quarantine.db-shm");
  auto reindexed = ctl("reindex");
  ASSERT_EQ(reindexed.exit_code, 0) << reindexed.output;
  EXPECT_NE(reindexed.output.find("indexed 1 entry"), std::string::npos) << reindexed.output;

  EXPECT_EQ(ctl("purge --older-than 1").output.find("purged 0 entries"), 0u);
  auto purged = ctl("purge --older-than 0 --by reviewer2");
  ASSERT_EQ(purged.exit_code, 2) << purged.output;  // 0 days is not an age
  auto records = reviewer_records();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0]["action"], "delete");
  EXPECT_EQ(records[0]["reason"], "sent in error");
  EXPECT_EQ(records[1]["action"], "purge");
  EXPECT_EQ(records[1]["reason"], "retention");
}

TEST_F(QuarantineCommandTest, AnotherKeyCannotReadTheEntries) {
  const std::string id = hold();
  ASSERT_FALSE(id.empty());
  std::filesystem::remove(path("keys") / "quarantine.key");
  write_keys();  // a new, different key
  auto shown = ctl("show " + id);
  EXPECT_EQ(shown.exit_code, 1);
  EXPECT_NE(shown.output.find("not with the configured key"), std::string::npos) << shown.output;
}

TEST_F(QuarantineCommandTest, CannotRunWithoutItsConfiguration) {
  auto result = run_command(std::string(PRIVMILTERCTL_PATH) + " quarantine list -c " + path("missing.yaml").string());
  EXPECT_EQ(result.exit_code, 2);
}

}  // namespace
}  // namespace privmilter::integration
