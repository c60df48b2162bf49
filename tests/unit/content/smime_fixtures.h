#pragma once
// Real S/MIME structures made at test time with OpenSSL: a throwaway RSA key
// and self-signed certificate, CMS enveloped (CBC and GCM) and opaque
// signed-data, each wrapped in a MIME entity.

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace privmilter::testing {

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct KeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct CertDeleter {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct CertStackDeleter {
  void operator()(STACK_OF(X509) * stack) const { sk_X509_free(stack); }
};
struct CmsDeleter {
  void operator()(CMS_ContentInfo* cms) const { CMS_ContentInfo_free(cms); }
};

class SmimeIdentity {
 public:
  SmimeIdentity() : key_(EVP_RSA_gen(2048)), cert_(X509_new()) {
    if (!key_ || !cert_) throw std::runtime_error("key or certificate allocation failed");
    X509_set_version(cert_.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert_.get()), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert_.get()), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert_.get()), 3600);
    X509_set_pubkey(cert_.get(), key_.get());
    X509_NAME* name = X509_get_subject_name(cert_.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("privmilter test"), -1, -1,
                               0);
    X509_set_issuer_name(cert_.get(), name);
    if (X509_sign(cert_.get(), key_.get(), EVP_sha256()) <= 0) {
      throw std::runtime_error("certificate signing failed");
    }
  }

  std::string enveloped_der(std::string_view content, const EVP_CIPHER* cipher) const {
    std::unique_ptr<STACK_OF(X509), CertStackDeleter> recipients(sk_X509_new_null());
    sk_X509_push(recipients.get(), cert_.get());
    auto in = memory_bio(content);
    std::unique_ptr<CMS_ContentInfo, CmsDeleter> cms(
        CMS_encrypt(recipients.get(), in.get(), cipher, CMS_BINARY));
    if (!cms) throw std::runtime_error("CMS_encrypt failed");
    return to_der(cms.get());
  }

  std::string signed_der(std::string_view content) const {
    auto in = memory_bio(content);
    std::unique_ptr<CMS_ContentInfo, CmsDeleter> cms(
        CMS_sign(cert_.get(), key_.get(), nullptr, in.get(), CMS_BINARY));
    if (!cms) throw std::runtime_error("CMS_sign failed");
    return to_der(cms.get());
  }

 private:
  static std::unique_ptr<BIO, BioDeleter> memory_bio(std::string_view content) {
    return std::unique_ptr<BIO, BioDeleter>(
        BIO_new_mem_buf(content.data(), static_cast<int>(content.size())));
  }

  static std::string to_der(CMS_ContentInfo* cms) {
    std::unique_ptr<BIO, BioDeleter> out(BIO_new(BIO_s_mem()));
    if (i2d_CMS_bio(out.get(), cms) <= 0) throw std::runtime_error("i2d_CMS_bio failed");
    char* data = nullptr;
    const long length = BIO_get_mem_data(out.get(), &data);
    return std::string(data, static_cast<std::size_t>(length));
  }

  std::unique_ptr<EVP_PKEY, KeyDeleter> key_;
  std::unique_ptr<X509, CertDeleter> cert_;
};

// Base64 in 76-character lines, as MIME wants it.
inline std::string mime_base64(std::string_view bytes) {
  std::string encoded(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                                     reinterpret_cast<const unsigned char*>(bytes.data()),
                                     static_cast<int>(bytes.size()));
  encoded.resize(static_cast<std::size_t>(length));
  std::string wrapped;
  for (std::size_t pos = 0; pos < encoded.size(); pos += 76) {
    wrapped += encoded.substr(pos, 76) + "\r\n";
  }
  return wrapped;
}

// A complete message whose body is one application/pkcs7-mime part.
inline std::string pkcs7_mime_message(std::string_view smime_type, std::string_view der) {
  return "From: alice@firm.example\r\n"
         "To: bob@client.example\r\n"
         "Subject: secure\r\n"
         "MIME-Version: 1.0\r\n"
         "Content-Type: application/pkcs7-mime; smime-type=" +
         std::string(smime_type) +
         "; name=\"smime.p7m\"\r\n"
         "Content-Disposition: attachment; filename=\"smime.p7m\"\r\n"
         "Content-Transfer-Encoding: base64\r\n"
         "\r\n" +
         mime_base64(der);
}

}  // namespace privmilter::testing
