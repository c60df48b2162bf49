#pragma once
// What a quarantine entry holds once decrypted: an 8-byte big-endian
// length, the JSON record (id, time, size, envelope, verdict), then the
// message exactly as the MTA sent it.

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "privmilter/envelope.h"
#include "privmilter/quarantine.h"
#include "privmilter/result.h"
#include "privmilter/verdict.h"

namespace privmilter::quarantine_record {

inline constexpr int kRecordFormat = 1;

nlohmann::json make(const std::string& id, const Envelope& envelope, const Verdict& verdict,
                    std::chrono::system_clock::time_point when, std::size_t message_size);
// The length prefix followed by the record, ready to be sealed.
std::string frame(const nlohmann::json& record);

// The index's view of a record; the status is the caller's.
Result<QuarantineSummary> summary(const nlohmann::json& record);
Envelope envelope(const nlohmann::json& record);
std::vector<std::string> removed_recipients(const nlohmann::json& record);

// Splits decrypted plaintext back into record and message as it streams
// by; keeps the message only when asked to.
class Reader {
 public:
  explicit Reader(bool keep_message) : keep_message_(keep_message) {}
  Status take(std::string_view plaintext);
  // After the last take(): the parsed record.
  Result<nlohmann::json> record() const;
  std::string& message() { return message_; }

 private:
  bool keep_message_;
  std::string prefix_;  // the length, then the record, until complete
  std::size_t record_size_ = 0;
  bool have_length_ = false;
  std::string message_;
};

// Entry ids become file names: letters, digits, '.', '_', '-', not leading '.'.
bool valid_id(std::string_view id);

}  // namespace privmilter::quarantine_record
