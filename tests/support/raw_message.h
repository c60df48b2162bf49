#pragma once
// Splits a raw RFC 5322 message into what Postfix hands a milter: one
// header event per (possibly folded) header field, and a CRLF body.

#include <string>
#include <string_view>
#include <vector>

namespace privmilter::miltertest {

struct MessageHeader {
  std::string name;
  std::string value;
  bool operator==(const MessageHeader&) const = default;
};

struct SplitMessage {
  std::vector<MessageHeader> headers;
  std::string body;  // every line ends in CRLF, as Postfix sends it
};

// Line endings in `raw` may be LF or CRLF. Like Postfix (milter8.c):
//  - the name stops at the colon, without blanks before the colon;
//  - one space (not a tab) after the colon is dropped unless
//    `keep_leading_space` (the milter negotiated SMFIP_HDR_LEADSPC);
//  - a folded field stays one header event, its lines joined by "\n"
//    with the continuation's leading whitespace kept;
//  - the header block ends at the first empty line or at the first line
//    that is neither a header field nor a continuation.
SplitMessage split_raw_message(std::string_view raw, bool keep_leading_space = false);

// Converts every line ending to CRLF and ends the last line with CRLF.
std::string to_crlf_lines(std::string_view text);

}  // namespace privmilter::miltertest
