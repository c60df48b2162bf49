#pragma once
// The content of a leaf MIME part after transfer decoding.

#include <gmime/gmime.h>

#include <cstddef>
#include <optional>
#include <string>

namespace privmilter::content {

// Decoded bytes (base64, quoted-printable and uuencode undone). Empty when
// the part has no content.
std::string decoded_bytes(GMimePart* part);

// Size of the decoded content, without keeping it in memory.
std::size_t decoded_size(GMimePart* part);

// Problems with the encoded form that the lenient decoder skips over
// silently: a fixed description, or nothing when the encoding is sound or
// not checked.
std::optional<std::string> transfer_encoding_problem(GMimePart* part);

// Lowercase "type/subtype" of any MIME object.
std::string mime_type_of(GMimeObject* object);

}  // namespace privmilter::content
