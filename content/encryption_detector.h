#pragma once
// Recognising S/MIME and PGP/MIME encryption from the content itself, not
// only from MIME labels a sender can set to anything.

#include <gmime/gmime.h>

#include <optional>
#include <string>
#include <string_view>

namespace privmilter::content {

// The part that carries the message's content: the top-level part, looking
// through multiparts that wrap a single part and through multipart/signed
// (whose second part is only the signature). Whole-message encryption is
// judged on this part alone.
GMimeObject* content_bearing_part(GMimeObject* top_level);

// application/pkcs7-mime, application/x-pkcs7-mime, or a *.p7m file sent
// as application/octet-stream.
bool is_smime_candidate(GMimeObject* object);

struct SmimeFinding {
  bool enveloped = false;
  std::optional<std::string> signed_content;  // opaque signed-data payload, a MIME entity
  std::optional<std::string> defect;
};
SmimeFinding inspect_smime_part(GMimePart* part);

// RFC 4880: binary OpenPGP data that starts with a session key packet, as
// an encrypted message does. One byte of evidence: use it together with a
// name or label that says OpenPGP.
bool starts_with_encrypted_session_key_packet(std::string_view bytes);

// multipart/encrypted with protocol="application/pgp-encrypted".
bool is_pgp_mime_encrypted_multipart(GMimeObject* object);

struct PgpFinding {
  bool encrypted = false;  // the second part really holds an OpenPGP message
  std::optional<std::string> defect;
};
PgpFinding inspect_pgp_mime(GMimeMultipart* multipart);

}  // namespace privmilter::content
