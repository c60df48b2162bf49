#pragma once
// The messages the load benchmark sends: business prose of a law firm, as
// plain text, HTML, or a short cover note with a DOCX or PDF attachment,
// generated to a nominal size. The text carries what the shipped policy
// looks at without firing it (a matter number with an authorized
// recipient, matter-shaped ZIP codes, card-like numbers that fail the
// check digit, the firm's footer); a "marked" message also carries a
// privilege marking, which the shipped policy holds in quarantine.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "support/raw_message.h"

namespace privmilter::bench {

enum class MessageKind { plain, html, docx, pdf };

std::string_view to_string(MessageKind kind);
std::optional<MessageKind> parse_message_kind(std::string_view text);
// "1k", "10KB", "5m", "5MB", "2048": bytes (K = 1024).
std::optional<std::size_t> parse_size(std::string_view text);
std::string size_label(std::size_t bytes);  // 1 KB, 10 KB, 5 MB

struct TestMessage {
  MessageKind kind = MessageKind::plain;
  std::size_t nominal_bytes = 0;
  std::string raw;                  // CRLF lines, as an SMTP client sends it
  miltertest::SplitMessage split;   // what the MTA hands the milter
  std::size_t message_id_index = 0; // header that gets a fresh value per message
};

// Deterministic: the same arguments give the same bytes.
TestMessage make_test_message(MessageKind kind, std::size_t nominal_bytes, bool marked);

}  // namespace privmilter::bench
