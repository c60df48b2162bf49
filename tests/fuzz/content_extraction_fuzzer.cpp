// Raw bytes as an RFC 5322 message through content extraction: the MIME
// tree, charsets, HTML, archives, TNEF, Office, PDF and RTF readers. Limits
// are small so that one input costs milliseconds, yet every limit can be
// reached. Extraction must never crash, hang or leak, and what it hands the
// policy must be what message_facts.h promises.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/fuzz_support.h"
#include "privmilter/content.h"
#include "unit/temp_dir.h"

namespace {

using privmilter::fuzzing::require;

privmilter::ContentLimits small_limits() {
  privmilter::ContentLimits limits;
  limits.max_message_bytes = 1u << 20;
  limits.max_parts = 200;
  limits.max_depth = 12;
  limits.max_part_bytes = 1u << 20;
  limits.max_total_bytes = 4u << 20;
  limits.max_archive_entries = 100;
  limits.max_expansion_ratio = 100;
  limits.max_text_bytes = 256u << 10;
  // Well below libFuzzer's -timeout: a slow input shows up as a recorded
  // limit, a hang as a timeout.
  limits.time_budget_ms = 2000;
  return limits;
}

// Messages above this size go through the spool's file, as large mail
// does in the daemon, so both ways of reading a spool are covered.
constexpr std::size_t kSpoolMemoryThreshold = 16 * 1024;

const privmilter::testing::TempDir& spool_directory() {
  static const privmilter::testing::TempDir directory;
  return directory;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  privmilter::fuzzing::silence_logging();
  spool_directory();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const privmilter::ContentLimits limits = small_limits();
  privmilter::MessageSpool spool(spool_directory().path(), kSpoolMemoryThreshold);
  require(spool.append(std::string_view(reinterpret_cast<const char*>(data), size)).ok(), "spool append");

  auto facts = privmilter::extract_facts(spool, limits);
  if (!facts) return 0;  // nothing inspectable: the daemon answers per on_error
  require(facts->message_bytes == size, "facts count every byte of the message");
  require(privmilter::fuzzing::strictly_utf8(facts->subject), "subject is UTF-8");
  std::size_t text_bytes = 0;
  for (std::size_t i = 0; i < facts->segments.size(); ++i) {
    const auto& segment = facts->segments[i];
    require(privmilter::fuzzing::strictly_utf8(segment.text), "segment text is UTF-8");
    // The message's own subject, and the raw text of what is no message
    // at all, are bounded by max_message_bytes instead.
    const bool top_subject = i == 0 && segment.kind == privmilter::SegmentKind::subject;
    if (!top_subject && segment.location != "raw") text_bytes += segment.text.size();
  }
  require(text_bytes <= limits.max_text_bytes, "extracted text stays within max_text_bytes");
  for (const auto& part : facts->parts) {
    require(privmilter::fuzzing::strictly_utf8(part.filename), "file name is UTF-8");
    require(!part.has(privmilter::PartFlag::uninspectable) || !part.uninspectable_reason.empty(),
            "an uninspectable part says why");
  }
  return 0;
}
