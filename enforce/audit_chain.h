#pragma once
// The audit chain's cryptography and canonical form, shared by the writer,
// the verifier and the reader. Internal to enforce/.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "privmilter/key_file.h"
#include "privmilter/result.h"

namespace privmilter::audit {

// "prev" of the very first record of a chain.
inline constexpr std::string_view kGenesis = "0000000000000000000000000000000000000000000000000000000000000000";

std::string hmac_sha256_hex(const SecretKey& key, std::string_view data);
std::string sha256_hex(std::string_view data);

// The event as it will be stored: invalid UTF-8 replaced, so that what is
// MACed is exactly what a verifier reads back.
nlohmann::json sanitize_event(const nlohmann::json& event);

struct SealedRecord {
  std::string line;  // without the newline
  std::string mac;
};
// Adds "seq" and "prev", MACs the canonical form (dump() of the object
// without "mac"; nlohmann's objects sort their keys) and adds "mac".
SealedRecord seal_record(nlohmann::json record, std::uint64_t seq, const std::string& prev, const SecretKey& key);

// The chain fields of a stored record, once it has been checked.
struct ChainLink {
  std::uint64_t seq = 0;
  std::string prev;
  std::string mac;
};
// Checks a line on its own: a JSON object with seq/prev/mac, a MAC that
// verifies under `key`, and the exact bytes the writer produced. Returns
// the problem, or the record's chain fields.
Result<ChainLink> check_record(const nlohmann::json& record, std::string_view line, const SecretKey& key);
// Parses a line; a discarded value when it is not a JSON object.
nlohmann::json parse_line(std::string_view line);

// Whether `record` is the "recovered" record the writer puts after a
// partial line it closed, naming `line` at `offset` as that damage.
bool names_damage(const nlohmann::json& record, std::size_t offset, std::string_view line);

// The head file: the seq and MAC of the chain's last record, so that
// removing whole records from the end is detected.
struct Head {
  std::uint64_t seq = 0;
  std::string mac;
  std::string key_fingerprint;  // of the key that wrote it, to name a wrong key
  bool authentic = false;       // its own MAC verifies under the key it was read with
};
inline constexpr std::size_t kHeadSize = 512;
// Exactly kHeadSize bytes (padded), so that it is rewritten in place.
std::string encode_head(std::uint64_t seq, const std::string& mac, const SecretKey& key);
// Err when the content is not a head at all.
Result<Head> decode_head(std::string_view content, const SecretKey& key);

}  // namespace privmilter::audit
