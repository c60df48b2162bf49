#pragma once
// The filter's side of a release: a reviewed message re-injected by
// privmilterctl carries a release token. A valid, unused, unexpired token
// for this very body lets the message through once without inspection; any
// other token is refused, the refusal audited, and the message is judged
// like any other. Either way the token header never leaves the filter.

#include <chrono>
#include <string>
#include <string_view>

#include "privmilter/audit.h"
#include "privmilter/envelope.h"
#include "privmilter/key_file.h"
#include "privmilter/quarantine.h"
#include "privmilter/result.h"

namespace privmilter {

struct ReleaseCheck {
  bool accepted = false;
  std::string quarantine_id;  // when accepted
  std::string refusal;        // why not, when refused
};

// `header_values` are every release header field of the message (more than
// one is refused); `message` is the whole message as the MTA sent it.
// Err only when the outcome could not be recorded: the caller tempfails.
Result<ReleaseCheck> check_release(const std::vector<std::string>& header_values, std::string_view message,
                                   const Envelope& envelope, const SecretKey& release_key,
                                   QuarantineStore& quarantine, AuditLog& audit,
                                   std::chrono::system_clock::time_point now);

}  // namespace privmilter
