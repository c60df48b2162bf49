#pragma once
// A release token lets one reviewed message through the milter once: it
// names the quarantine entry, binds the message body by digest, expires,
// carries a random nonce (single use, recorded in the quarantine index) and
// is signed with HMAC-SHA256 under the release key. privmilterctl adds it
// as a header when re-injecting; the milter verifies and strips it.
//
//   X-Privmilter-Release: v1; id=<quarantine id>; exp=<unix seconds>;
//       nonce=<32 hex>; body=<sha256 hex of the normalised body>;
//       rcpt=<sha256 hex of the recipients>; mac=<hex>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "privmilter/key_file.h"
#include "privmilter/result.h"

namespace privmilter {

inline constexpr std::string_view kReleaseHeader = "X-Privmilter-Release";

struct ReleaseToken {
  std::string quarantine_id;
  std::chrono::system_clock::time_point expires;
  std::string nonce;        // 32 hex digits
  std::string body_digest;  // 64 hex digits
  // SHA-256 of the envelope recipients it was issued for (lowercased,
  // sorted, one per line): a token lets the message through only to them,
  // never to a recipient the verdict removed or anyone else.
  std::string recipients_digest;
};
std::string release_recipients_digest(std::vector<std::string> recipients);

// SHA-256 of a message body with line ends normalised to LF and trailing
// blank lines ignored, so the MTA's transport changes do not break it.
std::string release_body_digest(std::string_view body);
// The body of a whole message: what follows the first empty line (CRLF or
// LF); empty when there is none.
std::string_view release_message_body(std::string_view message);

ReleaseToken make_release_token(std::string quarantine_id, std::string_view body,
                                std::chrono::system_clock::time_point expires,
                                const std::vector<std::string>& recipients = {});
// The header value (without the name).
std::string format_release_token(const ReleaseToken& token, const SecretKey& key);

// Why a token was refused, for the audit log: "malformed", "bad signature",
// "expired", "body altered", "recipients differ", "replayed" (the last
// from the index). `recipients`, when given, must be the very set the
// token was issued for; the filter always gives the envelope's.
Result<ReleaseToken> verify_release_token(std::string_view header_value, const SecretKey& key,
                                          std::string_view body, std::chrono::system_clock::time_point now,
                                          const std::vector<std::string>* recipients = nullptr);

}  // namespace privmilter
