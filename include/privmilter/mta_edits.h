#pragma once
// What the protocol adapter must tell the MTA at end of message: the final
// disposition and the edits that go with it. Produced by enforce/.

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

struct MtaEdits {
  Disposition disposition = Disposition::accept;
  std::optional<SmtpReply> reply;       // for reject and tempfail
  std::vector<HeaderField> add_headers;  // appended at end of message
  std::optional<std::string> replace_subject;  // ready for the wire: RFC 2047-encoded when needed
  std::vector<std::string> remove_recipients;  // envelope recipients to drop, as the MTA gave them
};

}  // namespace privmilter
