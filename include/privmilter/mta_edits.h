#pragma once
// What the protocol adapter must tell the MTA at end of message: the final
// disposition and the edits that go with it. Produced by enforce/.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "privmilter/verdict.h"

namespace privmilter {

enum class Disposition {
  accept,    // deliver (after the header edits)
  reject,    // permanent refusal with `reply`
  tempfail,  // the MTA keeps the message and retries; nothing is lost
  discard,   // accepted and dropped: only after the message is safe in our quarantine
};
std::string_view to_string(Disposition disposition);

// Changes one existing header field, or deletes it when `value` is empty.
// `occurrence` counts fields of that name from 1, as the MTA numbers them.
struct HeaderChange {
  std::string name;
  std::size_t occurrence = 1;
  std::optional<std::string> value;
  bool operator==(const HeaderChange&) const = default;
};

// Header fields through which privmilter tells the MTA how to deliver
// (the shipped MTA configuration routes on them); a sender's copies are
// deleted.
inline constexpr std::string_view kDeliveryHeaderName = "X-Privmilter-Delivery";
inline constexpr std::string_view kRouteHeaderName = "X-Privmilter-Route";

struct MtaEdits {
  Disposition disposition = Disposition::accept;
  std::optional<SmtpReply> reply;       // for reject and tempfail
  std::vector<HeaderField> add_headers;  // appended at end of message
  std::optional<std::string> replace_subject;  // ready for the wire: RFC 2047-encoded when needed
  std::vector<std::string> remove_recipients;  // envelope recipients to drop, as the MTA gave them
  std::vector<HeaderChange> change_headers;    // applied before add_headers
  // A new body (everything after the header block, CRLF line ends), e.g.
  // the S/MIME envelope of an encrypted message.
  std::optional<std::string> replace_body;
};

}  // namespace privmilter
