#pragma once
// The state of one MTA connection and of the message in progress on it,
// driven stage by stage. Free of libmilter: callbacks.cpp adapts it, and
// tests drive it directly.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine.h"
#include "privmilter/envelope.h"
#include "privmilter/mta_edits.h"
#include "privmilter/spool.h"

namespace privmilter::milter {

// The answer to an MTA stage before end of message.
enum class StageReply {
  proceed,   // keep sending this message
  accept,    // not ours to inspect (not outgoing): skip the rest of the message
  tempfail,  // cannot decide; the MTA keeps the message
};

// Per-message state, from MAIL FROM to end of message or abort.
struct MessageState {
  MessageState(std::shared_ptr<const Snapshot> snapshot_in, Envelope envelope_in);

  std::shared_ptr<const Snapshot> snapshot;
  Envelope envelope;
  MessageSpool spool;
  std::size_t header_count = 0;
  std::size_t header_bytes = 0;
  bool headers_ended = false;
  // False for mail that is not outgoing: it is read only as far as the
  // headers, for a release token, and never judged.
  bool inspect = true;
  std::vector<std::string> release_tokens;  // values of X-Privmilter-Release fields
  // Fields that steer the MTA's delivery, counted so that copies a sender
  // wrote can be deleted: only privmilter may set them.
  std::size_t delivery_fields = 0;
  std::size_t route_fields = 0;
};

class Connection {
 public:
  explicit Connection(const Engine& engine) : engine_(engine) { engine_.connection_opened(); }
  ~Connection() { engine_.connection_closed(); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void on_connect(std::string_view client_name, std::string_view client_addr, std::string_view daemon_name);
  // Starts a new message; any previous one is dropped. The message is
  // judged by the engine's snapshot as of now, whatever reloads follow.
  StageReply on_mail(std::string_view sender, std::string_view auth_authen, std::string_view queue_id);
  StageReply on_rcpt(std::string_view recipient);
  // All recipients are known here: the earliest point to let non-outgoing mail go.
  StageReply on_data();
  StageReply on_header(std::string_view name, std::string_view value);
  StageReply on_end_of_headers();
  StageReply on_body(std::string_view chunk);
  MtaEdits on_end_of_message(std::string_view queue_id);
  void on_abort() {
    message_.reset();
    deferred_.reset();
  }

  // The MTA is told not to wait for an answer before end of message
  // (SMFIP_NR_*), which saves a round trip per stage: an earlier decision
  // to let the message go, or to defer it, is kept here until then, and
  // the stages in between are not looked at.
  void defer(StageReply reply) {
    if (!deferred_) deferred_ = reply;
  }
  const std::optional<StageReply>& deferred() const { return deferred_; }

  bool has_message() const { return message_.has_value(); }
  const std::optional<MessageState>& message() const { return message_; }
  // The reply for "cannot decide", per the configured on_error.
  StageReply failure_reply() const;
  MtaEdits failure_edits(const std::string& reason) const;

 private:
  std::shared_ptr<const Config> config_in_force() const;
  StageReply fail(std::string_view stage, const std::string& reason);
  bool is_outgoing() const;
  std::optional<MtaEdits> finish_release(MessageState& message, std::vector<HeaderChange>& strip);
  std::optional<MtaEdits> encrypt_released(MessageState& message, const std::string& quarantine_id);

  const Engine& engine_;
  std::string client_name_;
  std::string client_addr_;
  std::string daemon_name_;
  std::optional<MessageState> message_;
  std::optional<StageReply> deferred_;
};

}  // namespace privmilter::milter
