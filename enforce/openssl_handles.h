#pragma once
// Owning handles for the OpenSSL objects enforce/ creates, so that every
// early return releases them.

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

namespace privmilter::openssl {

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Free {
  void operator()(X509* certificate) const { X509_free(certificate); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct CmsFree {
  void operator()(CMS_ContentInfo* cms) const { CMS_ContentInfo_free(cms); }
};
// The stack borrows its certificates: they stay owned by their Certificate.
struct X509StackFree {
  void operator()(STACK_OF(X509) * stack) const { sk_X509_free(stack); }
};

using BioHandle = std::unique_ptr<BIO, BioFree>;
using X509Handle = std::unique_ptr<X509, X509Free>;
using PkeyHandle = std::unique_ptr<EVP_PKEY, PkeyFree>;
using CmsHandle = std::unique_ptr<CMS_ContentInfo, CmsFree>;
using X509StackHandle = std::unique_ptr<STACK_OF(X509), X509StackFree>;

}  // namespace privmilter::openssl
