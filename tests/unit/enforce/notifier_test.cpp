#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>

#include "privmilter/notify.h"
#include "support/smtp_sink.h"
#include "unit/temp_dir.h"

namespace privmilter {
namespace {

using miltertest::SmtpSink;
using miltertest::SmtpStage;
using testing::TempDir;
using namespace std::chrono_literals;

constexpr auto kDrain = 20s;

NotifierTiming fast_timing() {
  NotifierTiming timing;
  timing.first_retry = 10ms;
  timing.max_retry = 100ms;
  timing.send_timeout = 5s;
  return timing;
}

NotifySettings notify_settings(const TempDir& tmp, unsigned max_attempts = 100) {
  NotifySettings settings;
  settings.from = "postmaster@examplelaw.com";
  settings.outbox = tmp / "outbox";
  settings.max_attempts = max_attempts;
  return settings;
}

Notification notification(const std::string& reference) {
  Verdict verdict;
  verdict.action = Action::quarantine;
  verdict.notify_sender = true;
  verdict.notify_also = {"compliance@examplelaw.com"};
  verdict.fired.push_back({"privileged-external", Action::quarantine, false, false, {"bob@client.example"},
                           {{"privileged-external", "list:privilege_markings", "1 text/plain", "pri****ged", 3, 1}}});
  // Differs from the Notifier's own: what was composed (after a reload) wins.
  NotifySettings settings;
  settings.from = "notices@examplelaw.com";
  return compose_notification(settings, "Example Law LLP", "alice@examplelaw.com", {"bob@client.example"}, verdict,
                              "quarantined", reference);
}

std::vector<std::filesystem::path> json_files(const std::filesystem::path& directory) {
  std::vector<std::filesystem::path> files;
  std::error_code error;
  for (const auto& item : std::filesystem::directory_iterator(directory, error)) {
    if (item.path().extension() == ".json") files.push_back(item.path());
  }
  return files;
}

nlohmann::json read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return nlohmann::json::parse(text.str());
}

void expect_notification(const miltertest::ReceivedMessage& message, const std::string& reference) {
  EXPECT_EQ(message.sender, "");  // the null return path: no bounce loops
  EXPECT_EQ(message.recipients, (std::vector<std::string>{"alice@examplelaw.com", "compliance@examplelaw.com"}));
  EXPECT_TRUE(message.data.starts_with("From: \"Example Law LLP mail protection\" <notices@examplelaw.com>\r\n"))
      << message.data;
  EXPECT_NE(message.data.find("X-Privmilter-Notification: " + reference + "\r\n"), std::string::npos) << message.data;
  EXPECT_NE(message.data.find("Auto-Submitted: auto-generated\r\n"), std::string::npos) << message.data;
  EXPECT_NE(message.data.find("Subject: Your message was held for review [ref " + reference + "]\r\n"), std::string::npos)
      << message.data;
  EXPECT_EQ(message.data.find("pri****ged"), std::string::npos) << message.data;
}

TEST(Notifier, SendsAnEnqueuedNotificationAndEmptiesTheOutbox) {
  TempDir tmp;
  SmtpSink sink;
  ASSERT_TRUE(sink.start().ok());
  Notifier notifier(notify_settings(tmp), sink.target(), fast_timing());
  ASSERT_TRUE(notifier.start().ok());
  struct stat info {};
  ASSERT_EQ(::stat((tmp / "outbox").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u);

  ASSERT_TRUE(notifier.enqueue(notification("REF-1")).ok());
  ASSERT_TRUE(notifier.drain(kDrain));
  const auto messages = sink.messages();
  ASSERT_EQ(messages.size(), 1u);
  expect_notification(messages[0], "REF-1");
  EXPECT_TRUE(json_files(tmp / "outbox").empty());
  EXPECT_TRUE(json_files(tmp / "outbox" / "failed").empty());
}

TEST(Notifier, RetriesTemporaryFailuresUntilAccepted) {
  TempDir tmp;
  SmtpSink sink;
  ASSERT_TRUE(sink.start().ok());
  sink.fail_next(SmtpStage::mail, "451 4.3.0 try again later", 2);
  Notifier notifier(notify_settings(tmp), sink.target(), fast_timing());
  ASSERT_TRUE(notifier.start().ok());
  ASSERT_TRUE(notifier.enqueue(notification("REF-2")).ok());
  ASSERT_TRUE(notifier.drain(kDrain));
  ASSERT_EQ(sink.messages().size(), 1u);
  expect_notification(sink.messages()[0], "REF-2");
  EXPECT_EQ(sink.connections(), 3u);
  EXPECT_TRUE(json_files(tmp / "outbox").empty());
}

TEST(Notifier, KeepsANotificationWhileTheMtaIsDownAndSendsItWhenBack) {
  TempDir tmp;
  SmtpSink sink;
  ASSERT_TRUE(sink.start().ok());
  const auto target = sink.target();
  sink.stop();

  Notifier notifier(notify_settings(tmp), target, fast_timing());
  ASSERT_TRUE(notifier.start().ok());
  ASSERT_TRUE(notifier.enqueue(notification("REF-3")).ok());
  // Durable before enqueue returned.
  const auto waiting = json_files(tmp / "outbox");
  ASSERT_EQ(waiting.size(), 1u);
  EXPECT_EQ(read_json(waiting[0])["reference"], "REF-3");
  EXPECT_FALSE(notifier.drain(300ms));

  ASSERT_TRUE(sink.restart().ok());
  ASSERT_TRUE(notifier.drain(kDrain));
  ASSERT_EQ(sink.messages().size(), 1u);
  expect_notification(sink.messages()[0], "REF-3");
  EXPECT_TRUE(json_files(tmp / "outbox").empty());
}

TEST(Notifier, ANewNotifierSendsWhatTheOutboxHolds) {
  TempDir tmp;
  SmtpSink sink;
  ASSERT_TRUE(sink.start().ok());
  const auto target = sink.target();
  sink.stop();
  {
    NotifierTiming slow = fast_timing();
    slow.first_retry = 1h;  // the destructor must not wait for it
    Notifier notifier(notify_settings(tmp), target, slow);
    ASSERT_TRUE(notifier.start().ok());
    ASSERT_TRUE(notifier.enqueue(notification("REF-4a")).ok());
    ASSERT_TRUE(notifier.enqueue(notification("REF-4b")).ok());
  }
  ASSERT_EQ(json_files(tmp / "outbox").size(), 2u);

  ASSERT_TRUE(sink.restart().ok());
  Notifier restarted(notify_settings(tmp), target, fast_timing());
  ASSERT_TRUE(restarted.start().ok());
  ASSERT_TRUE(restarted.drain(kDrain));
  const auto messages = sink.messages();
  ASSERT_EQ(messages.size(), 2u);
  expect_notification(messages[0], "REF-4a");  // oldest first
  expect_notification(messages[1], "REF-4b");
  EXPECT_TRUE(json_files(tmp / "outbox").empty());
}

TEST(Notifier, EnqueuedBeforeStartIsSentOnStart) {
  TempDir tmp;
  SmtpSink sink;
  ASSERT_TRUE(sink.start().ok());
  Notifier notifier(notify_settings(tmp), sink.target(), fast_timing());
  ASSERT_TRUE(notifier.enqueue(notification("REF-5")).ok());
  ASSERT_EQ(json_files(tmp / "outbox").size(), 1u);
  ASSERT_TRUE(notifier.start().ok());
  ASSERT_TRUE(notifier.drain(kDrain));
  ASSERT_EQ(sink.messages().size(), 1u);  // once, though both enqueue and start saw it
  expect_notification(sink.messages()[0], "REF-5");
}

TEST(Notifier, APermanentRefusalMovesTheNotificationToFailed) {
  TempDir tmp;
  SmtpSink sink;
  ASSERT_TRUE(sink.start().ok());
  sink.fail_next(SmtpStage::mail, "550 5.7.1 null sender not accepted", 1);
  Notifier notifier(notify_settings(tmp), sink.target(), fast_timing());
  ASSERT_TRUE(notifier.start().ok());
  ASSERT_TRUE(notifier.enqueue(notification("REF-6")).ok());
  ASSERT_TRUE(notifier.drain(kDrain));
  EXPECT_TRUE(sink.messages().empty());
  EXPECT_EQ(sink.connections(), 1u);
  EXPECT_TRUE(json_files(tmp / "outbox").empty());
  const auto failed = json_files(tmp / "outbox" / "failed");
  ASSERT_EQ(failed.size(), 1u);
  const auto record = read_json(failed[0]);
  EXPECT_EQ(record["reference"], "REF-6");
  EXPECT_EQ(record["attempts"], 1);
  EXPECT_TRUE(record["last_error"].get<std::string>().starts_with("permanent: MAIL FROM")) << record.dump();
}

TEST(Notifier, GivesUpAfterMaxAttemptsOfTemporaryFailure) {
  TempDir tmp;
  SmtpSink sink;
  ASSERT_TRUE(sink.start().ok());
  sink.fail_next(SmtpStage::data, "451 4.3.0 queue full", 100);
  Notifier notifier(notify_settings(tmp, 3), sink.target(), fast_timing());
  ASSERT_TRUE(notifier.start().ok());
  ASSERT_TRUE(notifier.enqueue(notification("REF-7")).ok());
  ASSERT_TRUE(notifier.drain(kDrain));
  EXPECT_TRUE(sink.messages().empty());
  EXPECT_EQ(sink.connections(), 3u);
  const auto failed = json_files(tmp / "outbox" / "failed");
  ASSERT_EQ(failed.size(), 1u);
  const auto record = read_json(failed[0]);
  EXPECT_EQ(record["attempts"], 3);
  EXPECT_TRUE(record["last_error"].get<std::string>().starts_with("temporary: DATA")) << record.dump();
}

TEST(Notifier, EnqueueDoesNotWaitForTheNetwork) {
  TempDir tmp;
  SmtpSink sink;
  ASSERT_TRUE(sink.start().ok());
  sink.stall_at(SmtpStage::greeting);  // accepts the connection, never answers
  NotifierTiming timing = fast_timing();
  timing.send_timeout = 1h;  // were enqueue to wait for the exchange, it would not return
  auto notifier = std::make_unique<Notifier>(notify_settings(tmp), sink.target(), timing);
  ASSERT_TRUE(notifier->start().ok());
  for (const char* reference : {"REF-8a", "REF-8b"}) {
    auto enqueued = std::async(std::launch::async, [&] { return notifier->enqueue(notification(reference)).ok(); });
    const bool returned = enqueued.wait_for(30s) == std::future_status::ready;
    if (!returned) sink.stop();  // ends the exchange, so that a failing test still ends
    ASSERT_TRUE(returned) << reference;
    EXPECT_TRUE(enqueued.get());
  }
  EXPECT_EQ(json_files(tmp / "outbox").size(), 2u);
  EXPECT_TRUE(sink.messages().empty());

  // The MTA going away ends the stuck exchange; both stay for a later run.
  sink.stop();
  notifier.reset();
  EXPECT_EQ(json_files(tmp / "outbox").size(), 2u);
}

TEST(Notifier, NothingToTellIsNotQueued) {
  TempDir tmp;
  SmtpSink sink;
  ASSERT_TRUE(sink.start().ok());
  Notifier notifier(notify_settings(tmp), sink.target(), fast_timing());
  ASSERT_TRUE(notifier.start().ok());
  Notification nobody;
  nobody.reference = "REF-9";
  ASSERT_TRUE(notifier.enqueue(nobody).ok());
  EXPECT_TRUE(json_files(tmp / "outbox").empty());
  EXPECT_TRUE(notifier.drain(kDrain));
  EXPECT_EQ(sink.connections(), 0u);
}

}  // namespace
}  // namespace privmilter
