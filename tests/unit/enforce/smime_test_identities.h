#pragma once
// Real S/MIME identities made at test time with OpenSSL: RSA 2048 or EC
// P-256 keys and self-signed certificates with chosen addresses, key usage,
// extended key usage and validity; PEM files; CMS decryption; and the MTA's
// reading of header edits, to rebuild the message a recipient receives.

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "enforce/openssl_handles.h"
#include "privmilter/mta_edits.h"
#include "privmilter/strings.h"

namespace privmilter::testing {

enum class KeyType { rsa, ec };

// Chained setters rather than designated initializers, so that a test
// names only what it varies.
struct IdentitySpec {
  KeyType key_type = KeyType::rsa;
  std::vector<std::string> alt_emails;  // subjectAltName rfc822Name
  std::string subject_email_address;    // subject emailAddress
  std::string cn = "privmilter test";
  std::string ku;   // e.g. "critical,keyEncipherment"; empty: no extension
  std::string eku;  // e.g. "emailProtection"; empty: no extension
  long from = -3600;         // seconds from now
  long until = 30L * 86400;  // seconds from now

  IdentitySpec& ec() { key_type = KeyType::ec; return *this; }
  IdentitySpec& emails(std::vector<std::string> value) { alt_emails = std::move(value); return *this; }
  IdentitySpec& subject_email(std::string value) { subject_email_address = std::move(value); return *this; }
  IdentitySpec& common_name(std::string value) { cn = std::move(value); return *this; }
  IdentitySpec& key_usage(std::string value) { ku = std::move(value); return *this; }
  IdentitySpec& extended_key_usage(std::string value) { eku = std::move(value); return *this; }
  IdentitySpec& valid(long seconds_from, long seconds_until) {
    from = seconds_from;
    until = seconds_until;
    return *this;
  }
};

class Identity {
 public:
  explicit Identity(const IdentitySpec& spec)
      : key_(spec.key_type == KeyType::rsa ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256")), cert_(X509_new()) {
    if (!key_ || !cert_) throw std::runtime_error("key or certificate allocation failed");
    X509* cert = cert_.get();
    X509_set_version(cert, 2);
    static long serial = 1;
    ASN1_INTEGER_set(X509_get_serialNumber(cert), serial++);
    X509_gmtime_adj(X509_getm_notBefore(cert), spec.from);
    X509_gmtime_adj(X509_getm_notAfter(cert), spec.until);
    X509_set_pubkey(cert, key_.get());
    X509_NAME* name = X509_get_subject_name(cert);
    add_name_entry(name, "CN", spec.cn);
    if (!spec.subject_email_address.empty()) add_name_entry(name, "emailAddress", spec.subject_email_address);
    X509_set_issuer_name(cert, name);
    std::string alt_names;
    for (const std::string& email : spec.alt_emails) alt_names += (alt_names.empty() ? "email:" : ",email:") + email;
    if (!alt_names.empty()) add_extension(NID_subject_alt_name, alt_names);
    if (!spec.ku.empty()) add_extension(NID_key_usage, spec.ku);
    if (!spec.eku.empty()) add_extension(NID_ext_key_usage, spec.eku);
    if (X509_sign(cert, key_.get(), EVP_sha256()) <= 0) throw std::runtime_error("certificate signing failed");
  }

  X509* cert() const { return cert_.get(); }
  EVP_PKEY* key() const { return key_.get(); }

  std::string certificate_pem() const {
    openssl::BioHandle out(BIO_new(BIO_s_mem()));
    PEM_write_bio_X509(out.get(), cert_.get());
    return bio_text(out.get());
  }
  std::string key_pem() const {
    openssl::BioHandle out(BIO_new(BIO_s_mem()));
    PEM_write_bio_PrivateKey(out.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr);
    return bio_text(out.get());
  }
  std::string certificate_der() const {
    openssl::BioHandle out(BIO_new(BIO_s_mem()));
    i2d_X509_bio(out.get(), cert_.get());
    return bio_text(out.get());
  }

  static std::string bio_text(BIO* bio) {
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio, &data);
    return length > 0 ? std::string(data, static_cast<std::size_t>(length)) : std::string();
  }

 private:
  static void add_name_entry(X509_NAME* name, const char* field, const std::string& value) {
    X509_NAME_add_entry_by_txt(name, field, MBSTRING_ASC, reinterpret_cast<const unsigned char*>(value.c_str()), -1,
                               -1, 0);
  }
  void add_extension(int nid, const std::string& value) {
    X509V3_CTX context;
    X509V3_set_ctx(&context, cert_.get(), cert_.get(), nullptr, nullptr, 0);
    X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str());
    if (extension == nullptr) throw std::runtime_error("bad extension " + value);
    X509_add_ext(cert_.get(), extension, -1);
    X509_EXTENSION_free(extension);
  }

  openssl::PkeyHandle key_;
  openssl::X509Handle cert_;
};

inline void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

inline std::string base64_decode(const std::string& text) {
  std::string compact;
  for (const char c : text) {
    if (c != '\r' && c != '\n') compact += c;
  }
  std::string out(compact.size() / 4 * 3 + 3, '\0');
  const int length = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                     reinterpret_cast<const unsigned char*>(compact.data()),
                                     static_cast<int>(compact.size()));
  if (length < 0) throw std::runtime_error("invalid base64");
  // EVP_DecodeBlock counts the padding as zero bytes.
  std::size_t padding = 0;
  while (padding < 2 && compact.size() > padding && compact[compact.size() - 1 - padding] == '=') ++padding;
  out.resize(static_cast<std::size_t>(length) - padding);
  return out;
}

// The decrypted content of a base64 CMS EnvelopedData body, or nullopt
// when `identity` cannot decrypt it.
inline std::optional<std::string> decrypt_body(const std::string& body, const Identity& identity) {
  const std::string der = base64_decode(body);
  openssl::BioHandle in(BIO_new_mem_buf(der.data(), static_cast<int>(der.size())));
  openssl::CmsHandle cms(d2i_CMS_bio(in.get(), nullptr));
  if (!cms) throw std::runtime_error("body is not CMS");
  openssl::BioHandle out(BIO_new(BIO_s_mem()));
  const bool decrypted = CMS_decrypt(cms.get(), identity.key(), identity.cert(), nullptr, out.get(), 0) == 1;
  ERR_clear_error();
  if (!decrypted) return std::nullopt;
  return Identity::bio_text(out.get());
}

// The CMS content type of a base64 body ("pkcs7-envelopedData").
inline std::string cms_content_type(const std::string& body) {
  const std::string der = base64_decode(body);
  openssl::BioHandle in(BIO_new_mem_buf(der.data(), static_cast<int>(der.size())));
  openssl::CmsHandle cms(d2i_CMS_bio(in.get(), nullptr));
  if (!cms) throw std::runtime_error("body is not CMS");
  return OBJ_nid2sn(OBJ_obj2nid(CMS_get0_type(cms.get())));
}

// Whether the DER names the algorithm with this dotted OID.
inline bool der_contains_oid(const std::string& der, const char* dotted) {
  ASN1_OBJECT* object = OBJ_txt2obj(dotted, 1);
  const unsigned char* data = OBJ_get0_data(object);
  const std::string encoded = std::string("\x06") + static_cast<char>(OBJ_length(object)) +
                              std::string(reinterpret_cast<const char*>(data), OBJ_length(object));
  ASN1_OBJECT_free(object);
  return der.find(encoded) != std::string::npos;
}

// The message as the MTA sends it on after the edits: fields changed or
// deleted by name and occurrence, fields added at the end, body replaced.
inline std::string apply_edits(const std::string& message, const MtaEdits& edits) {
  const std::size_t end = message.find("\r\n\r\n");
  if (end == std::string::npos) throw std::runtime_error("test message needs CRLF CRLF");
  struct Field {
    std::string name;
    std::string text;  // "Name: value" with folded lines, no final CRLF
  };
  std::vector<Field> fields;
  std::size_t position = 0;
  const std::string header = message.substr(0, end + 2);
  while (position < header.size()) {
    const std::size_t line_end = header.find("\r\n", position);
    const std::string line = header.substr(position, line_end - position);
    if ((line[0] == ' ' || line[0] == '\t') && !fields.empty()) {
      fields.back().text += "\r\n" + line;
    } else {
      fields.push_back({line.substr(0, line.find(':')), line});
    }
    position = line_end + 2;
  }
  std::vector<std::optional<Field>> kept(fields.begin(), fields.end());
  for (const HeaderChange& change : edits.change_headers) {
    std::size_t seen = 0;
    for (auto& field : kept) {
      if (!field || !iequals(field->name, change.name) || ++seen != change.occurrence) continue;
      if (change.value) {
        field->text = field->name + ": " + *change.value;
      } else {
        field.reset();
      }
      break;
    }
  }
  std::string out;
  for (const auto& field : kept) {
    if (field) out += field->text + "\r\n";
  }
  for (const HeaderField& added : edits.add_headers) out += added.name + ": " + added.value + "\r\n";
  out += "\r\n";
  out += edits.replace_body ? *edits.replace_body : message.substr(end + 4);
  return out;
}

}  // namespace privmilter::testing
