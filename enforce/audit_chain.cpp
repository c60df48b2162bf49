#include "audit_chain.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>

#include "privmilter/strings.h"

namespace privmilter::audit {

namespace {

constexpr auto kReplace = nlohmann::json::error_handler_t::replace;
// Separates head MACs from record MACs under the same key.
constexpr std::string_view kHeadDomain = "privmilter audit head\n";

std::string canonical(const nlohmann::json& record) { return record.dump(-1, ' ', false, kReplace); }

// Constant time, so that a forger learns nothing from how long a check took.
bool same_mac(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char difference = 0;
  for (std::size_t i = 0; i < a.size(); ++i) difference |= static_cast<unsigned char>(a[i] ^ b[i]);
  return difference == 0;
}

}  // namespace

std::string hmac_sha256_hex(const SecretKey& key, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  const auto bytes = key.bytes();
  HMAC(EVP_sha256(), bytes.data(), static_cast<int>(bytes.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), digest.data(), &length);
  return hex_encode(digest.data(), length);
}

std::string sha256_hex(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr);
  return hex_encode(digest.data(), length);
}

nlohmann::json sanitize_event(const nlohmann::json& event) { return nlohmann::json::parse(canonical(event)); }

SealedRecord seal_record(nlohmann::json record, std::uint64_t seq, const std::string& prev, const SecretKey& key) {
  record.erase("mac");
  record["seq"] = seq;
  record["prev"] = prev;
  SealedRecord sealed;
  sealed.mac = hmac_sha256_hex(key, canonical(record));
  record["mac"] = sealed.mac;
  sealed.line = canonical(record);
  return sealed;
}

nlohmann::json parse_line(std::string_view line) {
  auto parsed = nlohmann::json::parse(line, nullptr, false);
  if (!parsed.is_object()) return nlohmann::json(nlohmann::json::value_t::discarded);
  return parsed;
}

Result<ChainLink> check_record(const nlohmann::json& record, std::string_view line, const SecretKey& key) {
  const auto seq = record.find("seq");
  const auto prev = record.find("prev");
  const auto mac = record.find("mac");
  if (seq == record.end() || !seq->is_number_unsigned() || prev == record.end() || !prev->is_string() ||
      mac == record.end() || !mac->is_string()) {
    return make_error("not a chained record (seq, prev or mac missing)");
  }
  ChainLink link{seq->get<std::uint64_t>(), prev->get<std::string>(), mac->get<std::string>()};
  nlohmann::json unsigned_record = record;
  unsigned_record.erase("mac");
  if (!same_mac(hmac_sha256_hex(key, canonical(unsigned_record)), link.mac)) {
    return make_error("MAC mismatch: the record was changed or forged, or the log was written with another key");
  }
  // Whitespace, duplicate keys or escapes added after the fact leave the
  // parsed record (and so its MAC) intact; the bytes show them.
  if (canonical(record) != line) return make_error("record altered: its bytes differ from what was written");
  return link;
}

bool names_damage(const nlohmann::json& record, std::size_t offset, std::string_view line) {
  if (!record.is_object() || record.value("type", "") != "recovered") return false;
  const auto damaged = record.find("damaged");
  return damaged != record.end() && damaged->is_object() && damaged->value("offset", std::uint64_t{0}) == offset &&
         damaged->value("bytes", std::uint64_t{0}) == line.size() && damaged->value("sha256", "") == sha256_hex(line);
}

std::string encode_head(std::uint64_t seq, const std::string& mac, const SecretKey& key) {
  nlohmann::json head{{"seq", seq}, {"mac", mac}, {"key", key.fingerprint()}};
  head["head_mac"] = hmac_sha256_hex(key, std::string(kHeadDomain) + canonical(head));
  std::string text = canonical(head);
  text += '\n';
  if (text.size() < kHeadSize) text.append(kHeadSize - text.size(), ' ');
  return text;
}

Result<Head> decode_head(std::string_view content, const SecretKey& key) {
  const auto newline = content.find('\n');
  auto parsed = parse_line(content.substr(0, newline));
  if (parsed.is_discarded() || !parsed.contains("seq") || !parsed["seq"].is_number_unsigned() ||
      !parsed.contains("mac") || !parsed["mac"].is_string() || !parsed.contains("head_mac") ||
      !parsed["head_mac"].is_string()) {
    return make_error("not an audit head file");
  }
  Head head;
  head.seq = parsed["seq"].get<std::uint64_t>();
  head.mac = parsed["mac"].get<std::string>();
  if (parsed.contains("key") && parsed["key"].is_string()) head.key_fingerprint = parsed["key"].get<std::string>();
  const std::string claimed = parsed["head_mac"].get<std::string>();
  parsed.erase("head_mac");
  head.authentic = same_mac(hmac_sha256_hex(key, std::string(kHeadDomain) + canonical(parsed)), claimed);
  return head;
}

}  // namespace privmilter::audit
