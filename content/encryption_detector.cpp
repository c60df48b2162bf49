#include "encryption_detector.h"

#include <cstdint>
#include <string_view>

#include "cms_inspection.h"
#include "part_content.h"

namespace privmilter::content {
namespace {

std::string lowercase_parameter(GMimeObject* object, const char* name) {
  const char* value = g_mime_object_get_content_type_parameter(object, name);
  std::string lowered = value != nullptr ? value : "";
  for (char& c : lowered) c = g_ascii_tolower(c);
  return lowered;
}

bool has_p7m_filename(GMimePart* part) {
  const char* filename = g_mime_part_get_filename(part);
  if (filename == nullptr) return false;
  const std::string_view name(filename);
  return name.size() >= 4 && g_ascii_strcasecmp(filename + name.size() - 4, ".p7m") == 0;
}


}  // namespace

// RFC 4880: an encrypted message starts with a session key packet (tag 1
// or 3), in old (0x84..0x87, 0x8C..0x8F) or new (0xC1, 0xC3) packet format.
bool starts_with_encrypted_session_key_packet(std::string_view bytes) {
  if (bytes.empty()) return false;
  const auto first = static_cast<std::uint8_t>(bytes.front());
  if ((first & 0xC0) == 0xC0) return first == 0xC1 || first == 0xC3;
  if ((first & 0x80) == 0x80) {
    const unsigned tag = (first >> 2) & 0x0F;
    return tag == 1 || tag == 3;
  }
  return false;
}

GMimeObject* content_bearing_part(GMimeObject* top_level) {
  GMimeObject* part = top_level;
  while (part != nullptr && GMIME_IS_MULTIPART(part) && !GMIME_IS_MULTIPART_ENCRYPTED(part)) {
    auto* multipart = GMIME_MULTIPART(part);
    const bool wraps_one = g_mime_multipart_get_count(multipart) == 1;
    const bool is_signed =
        GMIME_IS_MULTIPART_SIGNED(part) && g_mime_multipart_get_count(multipart) >= 1;
    if (!wraps_one && !is_signed) break;
    part = g_mime_multipart_get_part(multipart, 0);
  }
  return part;
}

bool is_smime_candidate(GMimeObject* object) {
  if (!GMIME_IS_PART(object)) return false;
  const std::string type = mime_type_of(object);
  if (type == "application/pkcs7-mime" || type == "application/x-pkcs7-mime") return true;
  return type == "application/octet-stream" && has_p7m_filename(GMIME_PART(object));
}

SmimeFinding inspect_smime_part(GMimePart* part) {
  const std::string declared = lowercase_parameter(GMIME_OBJECT(part), "smime-type");
  const bool declared_enveloped = declared == "enveloped-data" || declared == "authenveloped-data";
  CmsInspection cms = inspect_cms(decoded_bytes(part));

  SmimeFinding finding;
  switch (cms.kind) {
    case CmsKind::enveloped:
      finding.enveloped = true;
      if (!declared.empty() && !declared_enveloped) {
        finding.defect = "S/MIME smime-type does not match its enveloped CMS content";
      }
      break;
    case CmsKind::signed_data:
      finding.signed_content = std::move(cms.signed_content);
      if (declared_enveloped) {
        finding.defect = "S/MIME part declared enveloped-data but holds CMS signed-data";
      }
      break;
    case CmsKind::other:
      finding.defect = "S/MIME part holds a CMS content type that is not inspected";
      break;
    case CmsKind::not_cms:
      finding.defect = declared_enveloped
                           ? "S/MIME part declared enveloped-data but its content is not CMS"
                           : "S/MIME part content is not CMS";
      break;
  }
  return finding;
}

bool is_pgp_mime_encrypted_multipart(GMimeObject* object) {
  if (!GMIME_IS_MULTIPART(object)) return false;
  return mime_type_of(object) == "multipart/encrypted" &&
         lowercase_parameter(object, "protocol") == "application/pgp-encrypted";
}

PgpFinding inspect_pgp_mime(GMimeMultipart* multipart) {
  PgpFinding finding;
  GMimeObject* payload = g_mime_multipart_get_count(multipart) >= 2
                             ? g_mime_multipart_get_part(multipart, 1)
                             : nullptr;
  if (payload != nullptr && GMIME_IS_PART(payload)) {
    const std::string bytes = decoded_bytes(GMIME_PART(payload));
    finding.encrypted = bytes.find("-----BEGIN PGP MESSAGE-----") != std::string::npos ||
                        starts_with_encrypted_session_key_packet(bytes);
  }
  if (!finding.encrypted) {
    finding.defect = "multipart/encrypted (PGP) without an OpenPGP encrypted message";
  }
  return finding;
}

}  // namespace privmilter::content
