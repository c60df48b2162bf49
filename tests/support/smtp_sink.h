#pragma once
// A small real SMTP server for tests of anything that hands mail to the
// MTA: it listens on 127.0.0.1, speaks enough ESMTP (EHLO/HELO, MAIL, RCPT,
// DATA, RSET, NOOP, QUIT), records every message it accepts, and can be
// told to refuse or fall silent at a chosen stage. It can be stopped and
// started again on the same port, to play an MTA that goes away.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "privmilter/config.h"
#include "privmilter/result.h"

namespace privmilter::miltertest {

enum class SmtpStage { greeting, ehlo, helo, mail, rcpt, data, end_of_data };

struct ReceivedMessage {
  std::string helo;             // the name given with EHLO or HELO
  std::string sender;           // MAIL FROM path without angle brackets; empty for <>
  std::string mail_parameters;  // what followed the path ("BODY=8BITMIME")
  std::vector<std::string> recipients;
  std::string data;  // as received after dot-unstuffing, without the final ".\r\n"
};

class SmtpSink {
 public:
  SmtpSink() = default;
  ~SmtpSink();  // stop()
  SmtpSink(const SmtpSink&) = delete;
  SmtpSink& operator=(const SmtpSink&) = delete;

  // Listens on 127.0.0.1:`port` (0: an ephemeral port) and serves from a
  // background thread, one connection at a time.
  Status start(unsigned short port = 0);
  // Listens again on the port of the last start().
  Status restart() { return start(port_); }
  // Closes the listener and any connection at once; what was recorded stays.
  void stop();
  bool running() const { return thread_.joinable(); }

  unsigned short port() const { return port_; }
  SmtpTarget target() const;

  // The next `count` times `stage` is reached it is answered with `reply`
  // (e.g. "451 4.3.0 try later"); a refused greeting leaves only QUIT.
  void fail_next(SmtpStage stage, std::string reply, unsigned count = 1);
  // From now on, reaching `stage` makes the server stop answering on that
  // connection until the client closes it; nullopt answers again.
  void stall_at(std::optional<SmtpStage> stage);

  std::vector<ReceivedMessage> messages() const;
  // Every command line received, in order, across connections.
  std::vector<std::string> commands() const;
  std::size_t connections() const;
  // True once at least `count` messages were accepted.
  bool wait_for_messages(std::size_t count, std::chrono::milliseconds timeout) const;

 private:
  class Connection;
  friend class Connection;

  void serve(int listener, int stop_signal);
  // What to answer at `stage` instead of the normal reply, when told to.
  std::optional<std::string> failure_at(SmtpStage stage);
  bool stalls_at(SmtpStage stage) const;
  void record_command(const std::string& line);
  void record_message(ReceivedMessage message);

  unsigned short port_ = 0;
  int listener_ = -1;
  int stop_read_ = -1;
  int stop_write_ = -1;
  std::thread thread_;

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::map<SmtpStage, std::pair<std::string, unsigned>> failures_;
  std::optional<SmtpStage> stall_;
  std::vector<ReceivedMessage> messages_;
  std::vector<std::string> commands_;
  std::size_t connections_ = 0;
};

}  // namespace privmilter::miltertest
