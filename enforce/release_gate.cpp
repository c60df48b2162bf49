#include "privmilter/release_gate.h"

#include <spdlog/spdlog.h>

#include "privmilter/json.h"
#include "privmilter/release_token.h"

namespace privmilter {

Result<ReleaseCheck> check_release(const std::vector<std::string>& header_values, std::string_view message,
                                   const Envelope& envelope, const SecretKey& release_key,
                                   QuarantineStore& quarantine, AuditLog& audit,
                                   std::chrono::system_clock::time_point now) {
  ReleaseCheck check;
  std::string nonce;
  if (header_values.size() != 1) {
    check.refusal = "more than one release token";
  } else if (auto token = verify_release_token(header_values.front(), release_key, release_message_body(message), now,
                                               &envelope.recipients);
             !token) {
    check.refusal = token.error().message;
  } else if (auto held = quarantine.status(token->quarantine_id);
             held && (!held->has_value() || **held == QuarantineStatus::deleted)) {
    // A reviewer deleted the entry after releasing it: the release is void.
    check.refusal = "the entry is no longer in the quarantine";
  } else {
    nonce = token->nonce;
    auto consumed = quarantine.consume_release_token(token->nonce, now);
    if (!consumed) return make_error("release token ledger unavailable: " + consumed.error().message);
    if (!*consumed) {
      check.refusal = "replayed or unknown release token";
    } else {
      check.accepted = true;
      check.quarantine_id = token->quarantine_id;
    }
  }

  nlohmann::json event{{"type", "release"},
                       {"time", format_utc(now)},
                       {"result", check.accepted ? "delivered" : "refused"},
                       {"queue_id", envelope.queue_id},
                       {"sender", envelope.sender},
                       {"recipients", envelope.recipients}};
  if (check.accepted) event["quarantine_id"] = check.quarantine_id;
  if (!check.accepted) event["reason"] = check.refusal;
  if (!nonce.empty()) event["token"] = nonce;
  if (auto logged = audit.append(std::move(event)); !logged) {
    return make_error("audit log write failed: " + logged.error().message);
  }
  if (check.accepted) {
    spdlog::info("queue {}: released message from quarantine {} passes once", envelope.queue_id, check.quarantine_id);
  } else {
    spdlog::warn("queue {}: release token refused: {}", envelope.queue_id, check.refusal);
  }
  return check;
}

}  // namespace privmilter
