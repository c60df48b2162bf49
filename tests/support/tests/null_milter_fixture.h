#pragma once
// Starts privmilter-null-milter on a private unix socket for one test.

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/child_process.h"
#include "support/milter_client.h"

namespace privmilter::miltertest {

class NullMilterTest : public ::testing::Test {
 protected:
  // Starts the milter with `options`; a failure is fatal for the test.
  void start_milter(const std::vector<std::string>& options = {}) {
    auto directory = TempDirectory::create("miltertest");
    ASSERT_TRUE(directory.ok()) << directory.error().message;
    directory_.emplace(std::move(*directory));
    address_ = "unix:" + (directory_->path() / "null.sock").string();
    std::vector<std::string> argv{PRIVMILTER_NULL_MILTER_PATH, "-p", address_};
    argv.insert(argv.end(), options.begin(), options.end());
    auto child = ChildProcess::spawn(argv);
    ASSERT_TRUE(child.ok()) << child.error().message;
    milter_.emplace(std::move(*child));
    Status listening = wait_until_listening(address_, std::chrono::seconds(10), &*milter_);
    ASSERT_TRUE(listening.ok()) << listening.error().message;
  }

  std::unique_ptr<MilterClient> open_client(ClientOptions options = {}) {
    auto client = MilterClient::open(address_, options);
    EXPECT_TRUE(client.ok()) << client.error().message;
    return client.ok() ? std::move(*client) : nullptr;
  }

  static SmtpEnvelope envelope_to(std::vector<std::string> recipients) {
    SmtpEnvelope envelope;
    envelope.sender = "alice@lawfirm.example";
    envelope.recipients = std::move(recipients);
    return envelope;
  }

  static constexpr const char* kSimpleMessage =
      "From: Alice <alice@lawfirm.example>\n"
      "To: Bob <bob@client.example>\n"
      "Subject: quarterly figures\n"
      "\n"
      "Dear Bob,\n"
      "please find the figures below.\n";

  void TearDown() override {
    // libmilter takes ~5 s to notice SIGTERM; a killed milter is as stopped.
    if (milter_) milter_->stop(std::chrono::seconds(2), SIGKILL);
    milter_.reset();
    directory_.reset();
  }

  std::string address_;
  std::optional<TempDirectory> directory_;
  std::optional<ChildProcess> milter_;
};

}  // namespace privmilter::miltertest
