#include "privmilter/smtp_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>

#include <cctype>
#include <optional>
#include <system_error>
#include <utility>

namespace privmilter {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// A reply line longer than this, or a reply of more lines, is not SMTP.
constexpr std::size_t kMaxReplyBytes = 64 * 1024;
constexpr std::size_t kMaxReplyLines = 100;

struct Reply {
  int code = 0;
  std::vector<std::string> lines;  // the text of each line, without code and separator

  bool positive() const { return code >= 200 && code < 400; }
  std::string text() const {
    std::string joined = std::to_string(code);
    for (const auto& line : lines) {
      joined += ' ';
      joined += line;
    }
    return joined;
  }
};

// Server text goes into log lines and error messages: nothing but
// printable ASCII may pass.
std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    out += (byte >= 0x20 && byte < 0x7F) ? c : '?';
  }
  return out;
}

constexpr std::string_view kMayHaveQueued = " (the message may have been queued)";

// The message went out whole but no verdict came back: the server may
// have queued it, so a retry could deliver a second copy.
Error outcome_unknown(Error error) {
  error.message += kMayHaveQueued;
  return error;
}

Error refused(const std::string& stage, const Reply& reply) {
  const char* kind = reply.code >= 500 ? "permanent: " : "temporary: ";
  return make_error(kind + stage + " answered " + printable(reply.text()));
}

// Line ends become CRLF and lines starting with '.' get a second one, so the
// server sees exactly the message; the terminating ".\r\n" is appended.
std::string data_payload(std::string_view message) {
  std::string out;
  out.reserve(message.size() + message.size() / 32 + 5);
  bool line_start = true;
  for (std::size_t i = 0; i < message.size(); ++i) {
    const char c = message[i];
    if (line_start && c == '.') out += '.';
    if (c == '\n') {
      if (out.empty() || out.back() != '\r' || line_start) out += '\r';
      out += '\n';
      line_start = true;
      continue;
    }
    out += c;
    line_start = false;
  }
  if (!line_start) out += "\r\n";
  out += ".\r\n";
  return out;
}

bool has_eight_bit(std::string_view text) {
  for (const char c : text) {
    if (static_cast<unsigned char>(c) > 0x7F) return true;
  }
  return false;
}

// One blocking exchange against a single deadline: every operation is
// started asynchronously and the io_context is run until it completes or
// the deadline passes, in which case the socket is closed.
class Session {
 public:
  Session(const SmtpTarget& target, std::chrono::milliseconds timeout)
      : target_(target), timeout_(timeout), deadline_(Clock::now() + timeout), socket_(io_) {}

  std::optional<Error> connect() {
    tcp::resolver resolver(io_);
    boost::system::error_code ec = asio::error::would_block;
    tcp::resolver::results_type endpoints;
    resolver.async_resolve(target_.host, std::to_string(target_.port),
                           [&](const boost::system::error_code& error, tcp::resolver::results_type results) {
                             ec = error;
                             endpoints = std::move(results);
                           });
    if (!run([&] { resolver.cancel(); })) return timed_out("resolving " + where());
    if (ec) return make_error("temporary: cannot resolve " + where() + ": " + ec.message());

    ec = asio::error::would_block;
    asio::async_connect(socket_, endpoints,
                        [&](const boost::system::error_code& error, const tcp::endpoint&) { ec = error; });
    if (!run([&] { close(); })) return timed_out("connecting to " + where());
    if (ec) return make_error("temporary: cannot connect to " + where() + ": " + ec.message());
    return std::nullopt;
  }

  Result<Reply> read_reply(const std::string& stage) {
    Reply reply;
    for (std::size_t count = 0; count < kMaxReplyLines; ++count) {
      auto line = read_line(stage);
      if (!line) return line.error();
      const std::string& text = *line;
      if (text.size() < 3 || !std::isdigit(static_cast<unsigned char>(text[0])) ||
          !std::isdigit(static_cast<unsigned char>(text[1])) || !std::isdigit(static_cast<unsigned char>(text[2])) ||
          (text.size() > 3 && text[3] != ' ' && text[3] != '-')) {
        return make_error("temporary: " + stage + ": malformed reply from " + where() + ": " + printable(text));
      }
      const int code = std::stoi(text.substr(0, 3));
      if (reply.code != 0 && code != reply.code) {
        return make_error("temporary: " + stage + ": inconsistent multi-line reply from " + where());
      }
      reply.code = code;
      reply.lines.push_back(text.size() > 4 ? text.substr(4) : std::string());
      if (text.size() == 3 || text[3] == ' ') return reply;
    }
    return make_error("temporary: " + stage + ": reply from " + where() + " has too many lines");
  }

  std::optional<Error> write(std::string_view bytes, const std::string& stage) {
    boost::system::error_code ec = asio::error::would_block;
    asio::async_write(socket_, asio::buffer(bytes.data(), bytes.size()),
                      [&](const boost::system::error_code& error, std::size_t) { ec = error; });
    if (!run([&] { close(); })) return timed_out(stage);
    if (ec) return make_error("temporary: " + stage + ": connection to " + where() + " failed: " + ec.message());
    return std::nullopt;
  }

  Result<Reply> command(const std::string& line, const std::string& stage) {
    if (auto failed = write(line + "\r\n", stage)) return *failed;
    return read_reply(stage);
  }

  void close() {
    boost::system::error_code ignored;
    socket_.close(ignored);
  }

  std::string where() const { return target_.host + ":" + std::to_string(target_.port); }

 private:
  Result<std::string> read_line(const std::string& stage) {
    boost::system::error_code ec = asio::error::would_block;
    std::size_t length = 0;
    asio::async_read_until(socket_, asio::dynamic_buffer(buffer_, kMaxReplyBytes), "\n",
                           [&](const boost::system::error_code& error, std::size_t n) {
                             ec = error;
                             length = n;
                           });
    if (!run([&] { close(); })) return timed_out(stage);
    if (ec == asio::error::not_found) return make_error("temporary: " + stage + ": reply line too long from " + where());
    if (ec) return make_error("temporary: " + stage + ": connection to " + where() + " failed: " + ec.message());
    std::string line = buffer_.substr(0, length);
    buffer_.erase(0, length);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    return line;
  }

  // Runs the pending operation until it completes or the deadline passes;
  // on the deadline `abort` cancels it and the handler is let run, so no
  // operation outlives the locals it refers to.
  template <typename Abort>
  bool run(Abort abort) {
    io_.restart();
    io_.run_until(deadline_);
    if (io_.stopped()) return true;
    abort();
    io_.restart();
    io_.run();
    return false;
  }

  Error timed_out(const std::string& stage) const {
    return make_error("temporary: " + stage + ": no answer from " + where() + " within " +
                      std::to_string(timeout_.count()) + " ms");
  }

  const SmtpTarget& target_;
  std::chrono::milliseconds timeout_;
  Clock::time_point deadline_;
  asio::io_context io_;
  tcp::socket socket_;
  std::string buffer_;
};

bool announces(const Reply& ehlo, std::string_view keyword) {
  for (std::size_t i = 1; i < ehlo.lines.size(); ++i) {
    const std::string& line = ehlo.lines[i];
    if (line.size() < keyword.size()) continue;
    bool same = true;
    for (std::size_t j = 0; j < keyword.size() && same; ++j) {
      same = std::toupper(static_cast<unsigned char>(line[j])) == keyword[j];
    }
    if (same && (line.size() == keyword.size() || line[keyword.size()] == ' ')) return true;
  }
  return false;
}

// After a refusal the transaction is abandoned politely; what the server
// says to that no longer matters.
void abandon(Session& session) {
  (void)session.command("RSET", "RSET");
  (void)session.command("QUIT", "QUIT");
}

Result<std::string> exchange(Session& session, const SmtpTarget& target, const SmtpDelivery& delivery) {
  auto greeting = session.read_reply("greeting");
  if (!greeting) return greeting.error();
  if (greeting->code != 220) {
    (void)session.command("QUIT", "QUIT");
    return refused("greeting", *greeting);
  }

  auto hello = session.command("EHLO " + target.helo, "EHLO");
  if (!hello) return hello.error();
  bool extended = true;
  if (hello->code >= 500) {
    // A server without ESMTP: plain SMTP is enough for what is sent here.
    extended = false;
    hello = session.command("HELO " + target.helo, "HELO");
    if (!hello) return hello.error();
  }
  if (hello->code != 250) {
    (void)session.command("QUIT", "QUIT");
    return refused(extended ? "EHLO" : "HELO", *hello);
  }

  std::string mail = "MAIL FROM:<" + delivery.sender + ">";
  if (extended && announces(*hello, "8BITMIME") && has_eight_bit(delivery.message)) mail += " BODY=8BITMIME";
  auto mail_reply = session.command(mail, "MAIL FROM");
  if (!mail_reply) return mail_reply.error();
  if (mail_reply->code != 250) {
    abandon(session);
    return refused("MAIL FROM", *mail_reply);
  }

  // Any refused recipient abandons the whole delivery: a partial one could
  // not be retried without sending twice to those who accepted.
  std::string refusals;
  bool any_permanent = false;
  for (const auto& recipient : delivery.recipients) {
    auto rcpt = session.command("RCPT TO:<" + recipient + ">", "RCPT TO");
    if (!rcpt) return rcpt.error();
    if (rcpt->code != 250 && rcpt->code != 251) {
      any_permanent = any_permanent || rcpt->code >= 500;
      if (!refusals.empty()) refusals += "; ";
      refusals += "<" + printable(recipient) + "> " + printable(rcpt->text());
    }
  }
  if (delivery.recipients.empty()) {
    abandon(session);
    return make_error("permanent: RCPT TO: no recipients to deliver to");
  }
  if (!refusals.empty()) {
    abandon(session);
    return make_error(std::string(any_permanent ? "permanent: " : "temporary: ") + "RCPT TO refused " + refusals);
  }

  auto data = session.command("DATA", "DATA");
  if (!data) return data.error();
  if (data->code != 354) {
    abandon(session);
    return refused("DATA", *data);
  }
  if (auto failed = session.write(data_payload(delivery.message), "message data")) return *failed;
  auto accepted = session.read_reply("end of data");
  if (!accepted) return outcome_unknown(accepted.error());
  if (accepted->code != 250) {
    (void)session.command("QUIT", "QUIT");
    return refused("end of data", *accepted);
  }
  (void)session.command("QUIT", "QUIT");
  return printable(accepted->text());
}

}  // namespace

bool smtp_outcome_unknown(const Error& error) { return error.message.find(kMayHaveQueued) != std::string::npos; }

Result<std::string> send_smtp(const SmtpTarget& target, const SmtpDelivery& delivery,
                              std::chrono::milliseconds timeout) {
  // Addresses go into command lines: one with a line end or bracket would
  // let a caller inject commands.
  if (delivery.sender.find_first_of("\r\n<> ") != std::string::npos) {
    return make_error("permanent: MAIL FROM: invalid sender address <" + printable(delivery.sender) + ">");
  }
  for (const auto& recipient : delivery.recipients) {
    if (recipient.empty() || recipient.find_first_of("\r\n<> ") != std::string::npos) {
      return make_error("permanent: RCPT TO: invalid recipient address <" + printable(recipient) + ">");
    }
  }
  try {
    Session session(target, timeout);
    if (auto failed = session.connect()) return *failed;
    auto result = exchange(session, target, delivery);
    session.close();
    return result;
  } catch (const std::exception& e) {
    return outcome_unknown(make_error(std::string("temporary: SMTP exchange with ") + target.host + ":" +
                                      std::to_string(target.port) + " failed: " + e.what()));
  }
}

}  // namespace privmilter
