#pragma once
// Value types of the MTA side of the milter protocol (version 6): SMTP
// stages, the milter's replies, end-of-message edits and the negotiated
// options. Constants come from libmilter's headers: SMFIC_*, SMFIR_*,
// SMFIP_* from mfdef.h, SMFIF_* and SMFIM_* from mfapi.h (macros only; the
// client never links libmilter).

#include <libmilter/mfapi.h>
#include <libmilter/mfdef.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace privmilter::miltertest {

// What an MTA that supports all of protocol version 6 offers, like Postfix:
// every "don't send" and "no reply" bit, SKIP, RCPT_REJ and HDR_LEADSPC.
inline constexpr std::uint32_t kAllMtaProtocolBits = SMFI_CURR_PROT;
inline constexpr std::uint32_t kAllMtaActions = SMFI_CURR_ACTS;

enum class Stage { connect, helo, mail, rcpt, data, header, eoh, body, eom, unknown };
std::string_view to_string(Stage stage);
char command_of(Stage stage);  // SMFIC_* byte, also the stage byte of a macro packet

enum class ReplyKind {
  continue_,        // 'c'
  accept,           // 'a'
  reject,           // 'r'
  tempfail,         // 't'
  discard,          // 'd'
  replycode,        // 'y': text holds the full SMTP reply
  skip,             // 's': no more events of this stage for this message
  shutdown,         // '4': 421 and disconnect
  connection_fail,  // 'f'
  no_reply,         // the milter negotiated not to answer this stage (SMFIP_NR_*)
  not_sent,         // nothing was sent: negotiated away (SMFIP_NO*) or skipped after 's'
};
std::string_view to_string(ReplyKind kind);

struct Reply {
  ReplyKind kind = ReplyKind::continue_;
  std::string text;  // replycode only, e.g. "550 5.7.1 Recipient refused"

  // The MTA would carry on with the transaction after this reply.
  bool proceeds() const;
  // At end of message: the MTA would deliver the message.
  bool delivers() const { return kind == ReplyKind::continue_ || kind == ReplyKind::accept; }
  // The SMTP reply Postfix gives its client for this verdict ("" when none):
  // replycode text as sent, reject "550 5.7.1 ...", tempfail "451 4.7.1 ...".
  std::string smtp_reply() const;
};

enum class ModificationKind {
  add_header,               // 'h' name, value
  insert_header,            // 'i' index, name, value
  change_header,            // 'm' index, name, value (empty value deletes)
  add_recipient,            // '+' name = address
  add_recipient_with_args,  // '2' name = address, value = ESMTP args
  delete_recipient,         // '-' name = address
  change_sender,            // 'e' name = address, value = ESMTP args
  replace_body,             // 'b' value = one chunk of the new body
  quarantine,               // 'q' value = reason
};
std::string_view to_string(ModificationKind kind);

struct Modification {
  ModificationKind kind = ModificationKind::add_header;
  std::uint32_t index = 0;
  std::string name;
  std::string value;
};

// What the milter said at end of message (or, from send_message, at the
// earliest stage that ended the transaction).
struct MessageResult {
  Stage decided_at = Stage::eom;
  Reply verdict;
  std::vector<Modification> modifications;  // in arrival order
  std::size_t progress_packets = 0;

  std::size_t count(ModificationKind kind) const;
  // Value of the first added or inserted header called `name` (case-insensitive).
  std::optional<std::string> added_header(std::string_view name) const;
  // All replace_body chunks joined, or nullopt when the body was not replaced.
  std::optional<std::string> replacement_body() const;
  std::optional<std::string> quarantine_reason() const;
};

// The milter's answer to option negotiation.
struct Negotiation {
  std::uint32_t version = 0;
  std::uint32_t actions = 0;   // SMFIF_* the milter may use
  std::uint32_t protocol = 0;  // SMFIP_* the milter selected
  std::map<std::uint32_t, std::string> requested_macros;  // SMFIM_* stage -> "i {auth_authen}"

  bool sends(Stage stage) const;       // false when the milter asked not to receive it
  bool replies_to(Stage stage) const;  // false when the milter said it won't reply
  bool has_action(std::uint32_t smfif) const { return (actions & smfif) == smfif; }
  bool has_protocol(std::uint32_t smfip) const { return (protocol & smfip) == smfip; }
};

using MacroList = std::vector<std::pair<std::string, std::string>>;

}  // namespace privmilter::miltertest
