#pragma once
// A message as the MTA gave it, split into its header fields and body, for
// taking out the MIME entity (content header fields + body) that S/MIME
// encrypts.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace privmilter {

struct RawHeaderField {
  std::string name;        // as written, without surrounding blanks
  std::string_view text;   // the whole field with its folded lines and line ends
  std::size_t occurrence;  // among fields of this name (case-insensitive), from 1
};

struct SplitMessage {
  std::vector<RawHeaderField> fields;
  std::string_view body;  // after the blank line; empty when there is none
};

// Accepts CRLF and bare LF line ends and folded (continued) fields. A line
// in the header block that is neither a field nor a continuation is kept as
// a field without a name, so nothing is lost or moved into the body.
SplitMessage split_message(std::string_view message);

// MIME content fields: every "Content-*" field (RFC 2045 and later).
bool is_content_field(std::string_view name);

// Canonical S/MIME line ends: each bare LF becomes CRLF; CRLF stays.
std::string to_crlf(std::string_view text);

// The entity S/MIME protects: the content fields in their order, a blank
// line, the body; CRLF throughout.
std::string mime_entity(const SplitMessage& message);

}  // namespace privmilter
