#include "cms_inspection.h"

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/objects.h>

#include <climits>
#include <memory>

namespace privmilter::content {
namespace {

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct CmsFree {
  void operator()(CMS_ContentInfo* cms) const { CMS_ContentInfo_free(cms); }
};

}  // namespace

CmsInspection inspect_cms(std::string_view der) {
  CmsInspection inspection;
  if (der.empty() || der.size() > static_cast<std::size_t>(INT_MAX)) return inspection;
  std::unique_ptr<BIO, BioFree> input(BIO_new_mem_buf(der.data(), static_cast<int>(der.size())));
  if (!input) {
    ERR_clear_error();
    return inspection;
  }
  std::unique_ptr<CMS_ContentInfo, CmsFree> cms(d2i_CMS_bio(input.get(), nullptr));
  // The error queue is per thread; leave it clean for whoever uses OpenSSL next.
  ERR_clear_error();
  if (!cms) return inspection;

  switch (OBJ_obj2nid(CMS_get0_type(cms.get()))) {
    case NID_pkcs7_enveloped:
    case NID_id_smime_ct_authEnvelopedData:
      inspection.kind = CmsKind::enveloped;
      break;
    case NID_pkcs7_signed: {
      inspection.kind = CmsKind::signed_data;
      ASN1_OCTET_STRING** content = CMS_get0_content(cms.get());
      if (content != nullptr && *content != nullptr) {
        inspection.signed_content.emplace(
            reinterpret_cast<const char*>(ASN1_STRING_get0_data(*content)),
            static_cast<std::size_t>(ASN1_STRING_length(*content)));
      }
      break;
    }
    default:
      inspection.kind = CmsKind::other;
      break;
  }
  return inspection;
}

}  // namespace privmilter::content
