#pragma once
// Telling the sender (and compliance) what happened to a message: a short
// mail naming what was held or blocked, why in plain words, the reference
// and what to do next. Never the message's subject, content or evidence
// snippets. Sent by SMTP through the MTA from a background thread with
// retries; a notification is written to the outbox before enqueue returns,
// so a restart does not lose it. docs/NOTIFICATIONS.md has the details.

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "privmilter/config.h"
#include "privmilter/result.h"
#include "privmilter/verdict.h"

namespace privmilter {

// Marks a notification (its value is the reference), so the milter and
// mail clients can tell these automatic messages apart.
inline constexpr std::string_view kNotificationHeader = "X-Privmilter-Notification";

// The outcomes compose_notification words; any other text falls back to
// what the verdict's action implies.
inline constexpr std::string_view kOutcomeQuarantined = "quarantined";
inline constexpr std::string_view kOutcomeRejected = "rejected";
inline constexpr std::string_view kOutcomeRecipientsRemoved = "delivered with recipients removed";
inline constexpr std::string_view kOutcomeEncrypted = "delivered encrypted";
inline constexpr std::string_view kOutcomeRouted = "delivered through the encryption gateway";
inline constexpr std::string_view kOutcomeDelivered = "delivered";

struct Notification {
  std::string reference;
  std::vector<std::string> to;  // the sender and/or compliance addresses
  std::string from_name;        // display name of From: "<firm> mail protection"
  std::string from_address;     // settings.from when composed; empty: the Notifier's own
  std::string subject;          // plain words and the reference; UTF-8
  // Plain text (UTF-8, LF line ends), not a message: the Notifier adds the
  // header block and transfer encoding (render_notification).
  std::string body;
};

// What to tell about `verdict` carried out as `outcome` (one of the
// kOutcome* values). `to` is the sender (when the verdict asks for the
// sender to be told, or its action is notify, and the sender is not <>)
// followed by verdict.notify_also, without duplicates or unusable
// addresses; empty when nobody is to be told. `recipients` are the
// message's envelope recipients.
Notification compose_notification(const NotifySettings& settings, const std::string& firm_name,
                                  const std::string& sender, const std::vector<std::string>& recipients,
                                  const Verdict& verdict, const std::string& outcome,
                                  const std::string& reference);

// The mail as it is sent (CRLF line ends): From "<from_name>" <from_address>,
// To, Subject, Date, Message-ID (@ the domain of from_address), MIME-Version,
// text/plain; charset=utf-8 in 7bit or quoted-printable, Auto-Submitted:
// auto-generated (RFC 3834), and kNotificationHeader with the reference.
std::string render_notification(const Notification& notification, const std::string& from_address,
                                std::chrono::system_clock::time_point now);

// Where a notification goes; the enforcer sees only this.
class NotificationSink {
 public:
  virtual ~NotificationSink() = default;
  // Durable (outbox) before it returns; never blocks on the network.
  virtual Status enqueue(const Notification& notification) = 0;
};

struct NotifierTiming {
  // After the n-th temporary failure the next attempt waits
  // first_retry * 2^(n-1), at most max_retry.
  std::chrono::milliseconds first_retry = std::chrono::seconds(1);
  std::chrono::milliseconds max_retry = std::chrono::minutes(5);
  // One SMTP exchange; also bounds how long the destructor can wait.
  std::chrono::milliseconds send_timeout = std::chrono::seconds(30);
};

// Sends from one background thread with the null envelope sender (<>, so
// no bounce can loop back). A notification is deleted once the MTA accepts
// it; after a permanent refusal, or settings.max_attempts temporary
// failures, it is moved to <outbox>/failed/ and logged as an error.
class Notifier final : public NotificationSink {
 public:
  Notifier(NotifySettings settings, SmtpTarget target, NotifierTiming timing = {});
  ~Notifier() override;  // stops the thread; unsent notifications stay in the outbox
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  // Creates the outbox (0700) when missing and starts the sending thread,
  // which first resends what the outbox holds.
  Status start();
  // Renders the mail and writes it to the outbox (temporary file, fsync,
  // rename, directory fsync). A notification with nobody to tell is
  // accepted and dropped. Before start() it waits in the outbox.
  Status enqueue(const Notification& notification) override;
  // For tests and shutdown: waits until nothing is left to send (sent or
  // given up) or `timeout`; true when nothing is left.
  bool drain(std::chrono::milliseconds timeout);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace privmilter
