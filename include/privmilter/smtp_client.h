#pragma once
// Handing a message to the MTA by SMTP (Boost.Asio, blocking with
// deadlines): released messages and notifications.

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "privmilter/config.h"
#include "privmilter/result.h"

namespace privmilter {

struct SmtpDelivery {
  std::string sender;  // MAIL FROM; empty for <>
  std::vector<std::string> recipients;
  std::string_view message;  // header block and body; any line ends
};

// EHLO, MAIL, RCPT..., DATA with dot-stuffing and CRLF, QUIT. Returns the
// server's final reply text (with its queue id). An error names the stage
// and the server's reply and starts with "temporary: " (4xx, connection or
// timeout: worth retrying) or "permanent: " (5xx).
// True for a send_smtp error after the whole message went out with no
// reply to it: the server may have queued it. Every other error means it
// certainly did not.
bool smtp_outcome_unknown(const Error& error);

Result<std::string> send_smtp(const SmtpTarget& target, const SmtpDelivery& delivery,
                              std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace privmilter
