#pragma once
// What content extraction saw in a message: decoded text with its location,
// attachments and the encryption state. Produced by content/, read by policy/.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace privmilter {

enum class EncryptionState {
  none,
  smime_enveloped,     // application/pkcs7-mime with an EnvelopedData (not signed-only)
  pgp_mime_encrypted,  // multipart/encrypted; protocol="application/pgp-encrypted"
};
std::string_view to_string(EncryptionState state);

// Where a piece of text came from, for rule conditions such as "in the subject".
enum class SegmentKind { subject, body, attachment };
std::string_view to_string(SegmentKind kind);

struct TextSegment {
  SegmentKind kind = SegmentKind::body;
  std::string location;  // MIME path such as "1.2 text/html" or "subject"
  std::string text;      // decoded, UTF-8
};

struct AttachmentFact {
  std::string path;          // MIME part path, e.g. "2"
  std::string filename;      // decoded file name; may be empty
  std::string content_type;  // declared type, lowercase "type/subtype"
  std::size_t size = 0;      // decoded size in bytes
};

struct MessageFacts {
  std::string subject;  // decoded, UTF-8
  std::vector<TextSegment> segments;  // subject first, then bodies in MIME order
  std::vector<AttachmentFact> attachments;
  EncryptionState encryption = EncryptionState::none;
  std::vector<std::string> defects;  // parse problems noticed; never message content
  std::size_t message_bytes = 0;
  std::size_t part_count = 0;

  bool encrypted() const { return encryption != EncryptionState::none; }
};

}  // namespace privmilter
