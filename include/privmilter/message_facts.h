#pragma once
// What content extraction saw in a message: decoded text with its location,
// attachments and the encryption state. Produced by content/, read by policy/.

#include <cstddef>
#include <cstdint>
#include <utility>
#include <string>
#include <string_view>
#include <vector>

namespace privmilter {

enum class EncryptionState {
  none,
  smime_enveloped,     // application/pkcs7-mime with an EnvelopedData (not signed-only)
  pgp_mime_encrypted,  // multipart/encrypted; protocol="application/pgp-encrypted"
  pgp_inline,          // the message text is one ASCII-armored PGP message
};
std::string_view to_string(EncryptionState state);

// Where a piece of text came from, for rule conditions such as "in the subject".
enum class SegmentKind {
  subject,
  body,        // inline message text
  attachment,  // text of an attached file, archive entry or embedded document
  metadata,    // document metadata: comments, tracked changes, properties, hidden text
};
std::string_view to_string(SegmentKind kind);

struct TextSegment {
  SegmentKind kind = SegmentKind::body;
  std::string location;  // path in the tree, e.g. "subject", "1.2 text/html", "2/attachment[memo.docx]/comments"
  std::string text;      // decoded, UTF-8
};

// Properties of one node of the extracted tree, for policy conditions.
enum class PartFlag : std::uint32_t {
  attachment = 1u << 0,          // a file (MIME attachment, archive entry, embedded object), not inline text
  encrypted = 1u << 1,           // its content is encrypted (S/MIME, PGP, encrypted PDF, ZIP entry, Office)
  password_protected = 1u << 2,  // opening it needs a password
  signed_data = 1u << 3,         // carries a signature (not protection: its content is still inspected)
  uninspectable = 1u << 4,       // some of its content could not be inspected: see uninspectable_reason
  tracked_changes = 1u << 5,
  comments = 1u << 6,
  hidden_text = 1u << 7,
};
std::string_view to_string(PartFlag flag);

struct PartFact {
  std::string path;           // e.g. "2", "2/attachment[bundle.zip]/memo.docx", "2/attachment[memo.docx]/comments"
  std::string filename;       // decoded file name; may be empty
  std::string content_type;   // declared type, lowercase "type/subtype" (MIME header, or from the entry name)
  std::string detected_type;  // type recognised from the content itself; empty when unknown
  std::size_t size = 0;       // decoded size in bytes
  std::uint32_t flags = 0;    // PartFlag bits
  std::string uninspectable_reason;  // e.g. "limit:max_depth", "encrypted", "unsupported:application/msword"
  std::vector<std::pair<std::string, std::string>> properties;  // document metadata: author, company, ...

  bool has(PartFlag flag) const { return (flags & static_cast<std::uint32_t>(flag)) != 0; }
  void set(PartFlag flag) { flags |= static_cast<std::uint32_t>(flag); }
};

struct MessageFacts {
  std::string subject;  // decoded, UTF-8
  std::vector<TextSegment> segments;  // subject first, then bodies in MIME order
  std::vector<PartFact> parts;  // attachments and what was found inside them, in tree order
  EncryptionState encryption = EncryptionState::none;
  std::vector<std::string> defects;  // parse problems noticed; never message content
  std::size_t message_bytes = 0;
  std::size_t part_count = 0;

  // True when the message as a whole is encrypted.
  bool encrypted() const { return encryption != EncryptionState::none; }
  // True when every part that carries content is protected: the whole
  // message is encrypted, or nothing but the subject was readable and every
  // attachment is encrypted (a clear cover note beside an encrypted
  // attachment is content in clear, so it does not count).
  bool all_content_protected = false;
};

}  // namespace privmilter
