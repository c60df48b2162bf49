// kill -9 while a quarantine entry is being written. The MTA never hears
// "discard" (its connection drops, which it treats as a temporary failure,
// so it still has the message); the quarantine holds the complete entry or
// nothing, never part of one; the temporary file the write left is removed
// at the next start; and the index lists exactly the entries on disk.

#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/wait.h>

#include <array>
#include <random>
#include <set>
#include <thread>

#include "daemon_fixture.h"

namespace privmilter::integration {
namespace {

constexpr std::string_view kTemporarySuffix = ".pmq.tmp";

// Held by the bundled policy for its text; its attachment (tens of MB of
// bytes of no known type, cheap to inspect) makes the write take a while.
std::string large_privileged_message() {
  std::string message =
      "From: Alice <alice@examplelaw.com>\n"
      "To: Bob <bob@client.example>\n"
      "Subject: Draft settlement\n"
      "MIME-Version: 1.0\n"
      "Content-Type: multipart/mixed; boundary=\"part\"\n"
      "\n"
      "--part\n"
      "Content-Type: text/plain\n"
      "\n"
      "PRIVILEGED & CONFIDENTIAL\n"
      "ATTORNEY-CLIENT COMMUNICATION\n"
      "--part\n"
      "Content-Type: application/octet-stream; name=\"exhibits.bin\"\n"
      "Content-Transfer-Encoding: base64\n"
      "\n";
  static constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::mt19937 random(7);
  std::string line(76, 'A');
  for (int i = 0; i < 400000; ++i) {  // 400,000 lines of 76: about 30 MB of bytes
    for (char& c : line) c = kBase64[random() % 64];
    message += line;
    message += '\n';
  }
  return message + "--part--\n";
}

// The first file created in the watched directory whose name ends in
// `suffix`, or nullopt when none is before `timeout`.
std::optional<std::string> wait_for_created(int inotify, std::string_view suffix, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  alignas(inotify_event) std::array<char, 4096> buffer{};
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd ready{inotify, POLLIN, 0};
    if (::poll(&ready, 1, 100) <= 0) continue;
    const ssize_t length = ::read(inotify, buffer.data(), buffer.size());
    for (ssize_t offset = 0; offset < length;) {
      const auto* event = reinterpret_cast<const inotify_event*>(buffer.data() + offset);
      const std::string name = event->len > 0 ? std::string(event->name) : std::string();
      if (name.ends_with(suffix)) return name;
      offset += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
    }
  }
  return std::nullopt;
}

class KillDuringQuarantineWrite : public DaemonTest {
 protected:
  std::set<std::string> entry_files() const {
    std::set<std::string> ids;
    for (const auto& file : quarantined(".pmq")) ids.insert(file.stem().string());
    return ids;
  }
  std::size_t temporary_files() const {
    std::size_t count = 0;
    for (const auto& entry : std::filesystem::directory_iterator(path("quarantine"))) {
      if (entry.path().filename().string().ends_with(kTemporarySuffix)) ++count;
    }
    return count;
  }
};

TEST_F(KillDuringQuarantineWrite, LeavesTheWholeEntryOrNothingAndTheMtaKeepsTheMail) {
  start_daemon();
  const std::string message = large_privileged_message();
  const int inotify = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  ASSERT_GE(inotify, 0);
  ASSERT_GE(::inotify_add_watch(inotify, path("quarantine").c_str(), IN_CREATE), 0);

  miltertest::ClientOptions patient;
  patient.timeout = std::chrono::minutes(5);
  auto opened = MilterClient::open(address(), patient);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  std::optional<Result<MessageResult>> answer;
  std::thread mta([&] { answer.emplace((*opened)->send_message(outgoing({"bob@client.example"}), message)); });

  const auto temporary = wait_for_created(inotify, kTemporarySuffix, std::chrono::minutes(3));
  if (temporary) ::kill(daemon_->pid(), SIGKILL);
  mta.join();
  ::close(inotify);
  ASSERT_TRUE(temporary.has_value()) << "the quarantine write never began";
  const auto status = daemon_->stop(std::chrono::seconds(10), SIGKILL);
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFSIGNALED(*status) && WTERMSIG(*status) == SIGKILL) << *status;

  // The MTA has no answer: its connection dropped mid-message.
  ASSERT_TRUE(answer.has_value());
  EXPECT_FALSE(answer->ok()) << "the MTA was told " << to_string((*answer)->verdict.kind);
  // Cut mid-write: the entry was never renamed into place.
  const auto after_crash = entry_files();
  EXPECT_TRUE(after_crash.empty()) << "the write finished before the kill";

  // Restarted: the abandoned temporary file goes, the index agrees with
  // the files, and whatever entry is there is whole.
  start_daemon();
  EXPECT_EQ(temporary_files(), 0u);
  const auto listed = quarantine_listed();
  EXPECT_EQ(std::set<std::string>(listed.begin(), listed.end()), entry_files());
  for (const auto& id : entry_files()) {
    const auto entry = quarantine_entry(id);
    EXPECT_NE(entry.value("message", std::string()).find("PRIVILEGED & CONFIDENTIAL"), std::string::npos) << id;
  }

  // The MTA offers the message again: it is held, once.
  auto again = MilterClient::open(address(), patient);
  ASSERT_TRUE(again.ok()) << again.error().message;
  auto retried = (*again)->send_message(outgoing({"bob@client.example"}), message);
  ASSERT_TRUE(retried.ok()) << retried.error().message;
  EXPECT_EQ(retried->verdict.kind, ReplyKind::discard) << to_string(retried->verdict.kind);
  const auto held = entry_files();
  EXPECT_EQ(held.size(), after_crash.size() + 1);
  const auto relisted = quarantine_listed();
  EXPECT_EQ(std::set<std::string>(relisted.begin(), relisted.end()), held);
  EXPECT_EQ(temporary_files(), 0u);
}

}  // namespace
}  // namespace privmilter::integration
