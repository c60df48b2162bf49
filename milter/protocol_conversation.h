#pragma once
// One MTA connection as privmilter's own protocol engine sees it: packets
// in, reply bytes out, driving a Connection (session.h) exactly as the
// libmilter callbacks do. It negotiates the same stages, macros and
// actions. No sockets and no threads: asio_server.cpp does the I/O and
// runs finish_message() off its I/O thread, and tests drive it directly.

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "edit_application.h"
#include "engine.h"
#include "milter_wire.h"
#include "session.h"

namespace privmilter::milter {

class ProtocolConversation {
 public:
  explicit ProtocolConversation(const Engine& engine) : engine_(engine) {}

  enum class Next {
    read_more,      // wait for the next packet
    judge_message,  // end of message: call finish_message(), then read on
    close,          // the MTA said quit, or broke the protocol
  };

  // Handles one packet, appending any reply to `out`.
  Next on_packet(const Packet& packet, std::string& out);

  // Judges the message whose end on_packet() reported and appends the
  // edits and the answer. The expensive step; never throws.
  void finish_message(std::string& out);

  // A reason on_packet() returned close, for the log ("" after a quit).
  const std::string& close_reason() const { return close_reason_; }

 private:
  using MacroList = std::vector<std::pair<std::string, std::string>>;

  Next negotiate(std::string_view data, std::string& out);
  void store_macros(std::string_view data);
  void connect(std::string_view data);
  // A stage the MTA need not wait on; `no_reply` is its SMFIP_NR_* bit.
  template <typename Stage>
  void stage(const char* name, std::uint32_t no_reply, bool in_message, Stage&& run, std::string& out);
  void reply_unless(std::uint32_t no_reply, std::string& out) const;
  std::string macro(std::string_view name) const;
  void forget_message_macros();
  std::string log_subject() const;
  FinalAnswer on_error_answer() const;
  Next fail(std::string reason);

  const Engine& engine_;
  std::unique_ptr<Connection> connection_;
  std::uint32_t actions_ = 0;   // SMFIF_* both sides agreed on
  std::uint32_t protocol_ = 0;  // SMFIP_* both sides agreed on
  bool negotiated_ = false;
  // By SMFIM_* stage (connect, helo, mail, rcpt, data, eom, eoh), and one
  // for macros sent with any other command.
  std::array<MacroList, 8> macros_;
  std::string close_reason_;
};

// The answer's packet: verdict letters, or the reply code and text for a
// reject or tempfail that carries one of its class.
void append_answer(std::string& out, FinalAnswer answer, const std::string& reply);

}  // namespace privmilter::milter
