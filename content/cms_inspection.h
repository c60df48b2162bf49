#pragma once
// What a DER blob claiming to be S/MIME really contains, decided by parsing
// it as CMS rather than by trusting the MIME labels.

#include <optional>
#include <string>
#include <string_view>

namespace privmilter::content {

enum class CmsKind {
  not_cms,    // does not parse as a CMS ContentInfo
  enveloped,  // EnvelopedData or AuthEnvelopedData: content unreadable without a key
  signed_data,
  other,  // e.g. CompressedData, Data, DigestedData
};

struct CmsInspection {
  CmsKind kind = CmsKind::not_cms;
  // The encapsulated content of signed-data when it is carried inside
  // (opaque signing); absent for detached signatures.
  std::optional<std::string> signed_content;
};

CmsInspection inspect_cms(std::string_view der);

}  // namespace privmilter::content
