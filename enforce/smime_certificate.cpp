#include "smime_certificate.h"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <iterator>
#include <limits>

namespace privmilter {
namespace {

std::chrono::system_clock::time_point to_time_point(const ASN1_TIME* time) {
  std::tm parts{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &parts) != 1) {
    // An unreadable validity date makes the certificate unusable rather
    // than valid forever.
    return std::chrono::system_clock::time_point::min();
  }
  // Dates past the clock's range (year 2262 in nanoseconds; "never
  // expires" is 99991231235959Z) are as late as the clock can say, rather
  // than an overflow.
  const std::time_t seconds = timegm(&parts);
  constexpr auto kLatest =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::duration::max()).count();
  if (seconds > kLatest) return std::chrono::system_clock::time_point::max();
  return std::chrono::system_clock::from_time_t(seconds);
}

std::string utc_text(std::chrono::system_clock::time_point time) {
  if (time == std::chrono::system_clock::time_point::min()) return "an unreadable date";
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

std::string subject_text(X509* x509) {
  openssl::BioHandle out(BIO_new(BIO_s_mem()));
  if (!out || X509_NAME_print_ex(out.get(), X509_get_subject_name(x509), 0, XN_FLAG_RFC2253) < 0) return "?";
  char* data = nullptr;
  const long length = BIO_get_mem_data(out.get(), &data);
  return length > 0 ? std::string(data, static_cast<std::size_t>(length)) : std::string();
}

std::vector<std::string> email_addresses(X509* x509) {
  std::vector<std::string> addresses;
  // Both the rfc822Name subjectAltNames and the subject emailAddress.
  STACK_OF(OPENSSL_STRING)* emails = X509_get1_email(x509);
  for (int index = 0; index < sk_OPENSSL_STRING_num(emails); ++index) {
    const char* email = sk_OPENSSL_STRING_value(emails, index);
    if (email != nullptr && *email != '\0') addresses.emplace_back(email);
  }
  X509_email_free(emails);
  return addresses;
}

Result<std::string> read_whole_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(path.string() + ": cannot be read");
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return make_error(path.string() + ": read failed");
  return content;
}

}  // namespace

std::string openssl_error_text() {
  std::string text;
  while (const unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    if (!text.empty()) text += "; ";
    text += buffer;
  }
  return text.empty() ? "unknown OpenSSL error" : text;
}

Certificate::Certificate(openssl::X509Handle x509, std::filesystem::path source)
    : x509_(std::move(x509)), source_(std::move(source)) {
  X509* cert = x509_.get();
  subject_ = subject_text(cert);
  addresses_ = email_addresses(cert);
  not_before_ = to_time_point(X509_get0_notBefore(cert));
  not_after_ = to_time_point(X509_get0_notAfter(cert));
  switch (EVP_PKEY_get_base_id(X509_get0_pubkey(cert))) {
    case EVP_PKEY_RSA: key_kind_ = KeyKind::rsa; break;
    case EVP_PKEY_EC: key_kind_ = KeyKind::ec; break;
    default: key_kind_ = KeyKind::other; break;
  }
  // Parses and caches the extensions; later reads need no lock.
  const std::uint32_t flags = X509_get_extension_flags(cert);
  extensions_invalid_ = (flags & EXFLAG_INVALID) != 0;
  if ((flags & EXFLAG_KUSAGE) != 0) key_usage_ = X509_get_key_usage(cert);
  if ((flags & EXFLAG_XKUSAGE) != 0) extended_key_usage_ = X509_get_extended_key_usage(cert);
}

std::string Certificate::describe() const {
  return source_.filename().string() + " (" + (subject_.empty() ? "no subject" : subject_) + ")";
}

std::optional<std::string> unusable_reason(const Certificate& certificate, std::chrono::system_clock::time_point now) {
  if (certificate.extensions_invalid_) return "its extensions are malformed";
  if (now < certificate.not_before_) return "not valid before " + utc_text(certificate.not_before_);
  if (now > certificate.not_after_) return "expired on " + utc_text(certificate.not_after_);
  switch (certificate.key_kind_) {
    case Certificate::KeyKind::rsa:
      if (certificate.key_usage_ && (*certificate.key_usage_ & KU_KEY_ENCIPHERMENT) == 0) {
        return "its keyUsage lacks keyEncipherment";
      }
      break;
    case Certificate::KeyKind::ec:
      if (certificate.key_usage_ && (*certificate.key_usage_ & KU_KEY_AGREEMENT) == 0) {
        return "its keyUsage lacks keyAgreement";
      }
      break;
    case Certificate::KeyKind::other:
      return "its key type cannot receive encrypted mail (RSA or EC needed)";
  }
  if (certificate.extended_key_usage_ && (*certificate.extended_key_usage_ & (XKU_SMIME | XKU_ANYEKU)) == 0) {
    return "its extendedKeyUsage lacks emailProtection";
  }
  return std::nullopt;
}

Result<std::vector<std::shared_ptr<const Certificate>>> read_certificates(const std::filesystem::path& path) {
  auto content = read_whole_file(path);
  if (!content) return content.error();
  if (content->size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    return make_error(path.string() + ": too large for a certificate file");
  }
  std::vector<std::shared_ptr<const Certificate>> certificates;
  const int length = static_cast<int>(content->size());
  openssl::BioHandle in(BIO_new_mem_buf(content->data(), length));
  if (!in) return make_error(path.string() + ": " + openssl_error_text());
  while (X509* read = PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr)) {
    certificates.push_back(std::make_shared<const Certificate>(openssl::X509Handle(read), path));
  }
  // The end of the PEM data also leaves an error behind.
  ERR_clear_error();
  if (certificates.empty()) {
    openssl::BioHandle der(BIO_new_mem_buf(content->data(), length));
    if (der) {
      if (X509* read = d2i_X509_bio(der.get(), nullptr)) {
        certificates.push_back(std::make_shared<const Certificate>(openssl::X509Handle(read), path));
      }
    }
    ERR_clear_error();
  }
  if (certificates.empty()) return make_error(path.string() + ": no certificate (PEM or DER) in the file");
  return certificates;
}

}  // namespace privmilter
