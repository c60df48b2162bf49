#pragma once
// A milter protocol client that plays the MTA, written from the protocol
// description (not libmilter), for tests and benchmarks of any milter.
//
//   auto client = MilterClient::open("unix:/run/privmilter.sock");
//   auto result = (*client)->send_message(envelope, raw_message);
//   EXPECT_EQ(result->added_header("X-Privilege"), "confidential");
//
// One instance is one milter connection. Calls on one instance are
// serialized by a mutex; use one instance per thread for concurrency.
// Every call either returns the milter's answer or an Error (I/O failure,
// timeout, protocol violation); after an Error the connection is unusable.

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "privmilter/result.h"
#include "support/milter_protocol.h"
#include "support/packet_channel.h"

namespace privmilter::miltertest {

struct ClientOptions {
  std::chrono::milliseconds timeout{10'000};  // per reply and per flush
  std::uint32_t version = SMFI_PROT_VERSION;
  std::uint32_t actions = kAllMtaActions;
  std::uint32_t protocol = kAllMtaProtocolBits;  // the offer; the milter selects
};

// The SMTP session and transaction that send_message() replays, with the
// macros Postfix would send (see milter-facts.md A1).
struct SmtpEnvelope {
  // Connection: sent once per client, before its first message.
  std::string client_name = "client.example.net";  // connect host name, "_" macro
  std::string client_addr = "192.0.2.25";
  std::uint16_t client_port = 40025;
  char family = SMFIA_INET;
  std::string helo = "client.example.net";
  std::string mta_name = "mx.example.com";          // "j"
  std::string daemon_name = "privmilter-test";      // "{daemon_name}"
  std::string daemon_addr = "127.0.0.1";            // "{daemon_addr}"
  // Transaction.
  std::string sender;                   // without angle brackets; empty for <>
  std::vector<std::string> mail_args;   // ESMTP MAIL parameters, e.g. "SIZE=1000"
  std::vector<std::string> recipients;  // without angle brackets
  std::string queue_id = "4ZTESTQUEUEID";  // "i", sent from the first RCPT on, as Postfix does
  std::string auth_authen;              // "{auth_authen}"; empty: not authenticated
  std::string auth_type = "PLAIN";      // "{auth_type}", sent only with auth_authen
};

class MilterClient {
  struct Passkey {
    explicit Passkey() = default;
  };

 public:
  // Connects (see parse_milter_address for the syntax) and negotiates.
  static Result<std::unique_ptr<MilterClient>> open(std::string_view address, ClientOptions options = {});

  MilterClient(Passkey, PacketChannel channel, ClientOptions options);
  MilterClient(const MilterClient&) = delete;
  MilterClient& operator=(const MilterClient&) = delete;
  ~MilterClient();  // sends QUIT if still open

  const Negotiation& negotiation() const { return negotiation_; }
  int native_handle() const { return channel_.native_handle(); }
  // Exchanges so far (see PacketChannel::round_trips), negotiation included.
  std::uint64_t round_trips() const;
  // When the last bytes were handed to the socket: after end_of_message(),
  // the moment the end-of-message packet (after the last body byte) left.
  std::chrono::steady_clock::time_point last_sent_at() const;
  bool is_open() const;

  // 'D': no reply. Postfix sends a stage's macros even when the stage itself
  // is negotiated away, and so does this client. `stage_command` is the
  // SMFIC_* byte of the stage the macros belong to.
  Status macros(char stage_command, const MacroList& values);
  Status macros(Stage stage, const MacroList& values) { return macros(command_of(stage), values); }

  Result<Reply> connect(std::string_view host, char family, std::uint16_t port, std::string_view address);
  Result<Reply> helo(std::string_view name);
  // Addresses without angle brackets; they are sent as "<address>" like Postfix.
  Result<Reply> mail_from(std::string_view address, const std::vector<std::string>& esmtp_args = {});
  Result<Reply> rcpt_to(std::string_view address, const std::vector<std::string>& esmtp_args = {});
  Result<Reply> data();
  Result<Reply> header(std::string_view name, std::string_view value);
  Result<Reply> end_of_headers();
  // Splits `content` into packets of at most 65535 bytes. Returns the first
  // reply that is not continue (a skip stops the remaining chunks).
  Result<Reply> body(std::string_view content);
  Result<Reply> unknown(std::string_view command_line);
  Result<MessageResult> end_of_message();
  Status abort();  // 'A': no reply; the connection stays usable for a new MAIL
  Status quit();   // 'Q' and close
  // 'K': this SMTP session ends and a new one follows on the same socket
  // with the same negotiated options; the next command must be connect.
  Status quit_new_connection();

  // Replays a whole SMTP transaction: connect and helo (unless this
  // session already sent connect), mail, rcpt..., data, the header fields of `raw`,
  // end of headers, its body with CRLF line endings in chunks, end of
  // message, each with Postfix's macros. Stops at the first reply that ends
  // the transaction and returns it with `decided_at`; after a message-stage
  // stop it sends abort so the connection can carry another message.
  Result<MessageResult> send_message(const SmtpEnvelope& envelope, std::string_view raw_message);

 private:
  Status negotiate();
  template <typename FillPacket>
  Result<Reply> send_stage(Stage stage, FillPacket&& fill);
  Result<Reply> read_reply(Stage stage);
  Result<MessageResult> read_end_of_message();
  MessageResult stop_transaction(Stage stage, Reply reply);
  Result<Reply> body_chunks(std::string_view content);
  Result<MessageResult> send_transaction(const SmtpEnvelope& envelope, std::string_view raw_message);
  Error fail(std::string message);

  mutable std::recursive_mutex mutex_;
  PacketChannel channel_;
  ClientOptions options_;
  Negotiation negotiation_;
  std::optional<Stage> skipped_stage_;  // after an 's' reply, until another stage is sent
  bool session_started_ = false;        // connect already sent in this session
};

}  // namespace privmilter::miltertest
