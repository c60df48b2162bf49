#pragma once
// S/MIME encryption of outgoing messages: recipients' certificates from a
// directory the admin maintains, and the CMS EnvelopedData that replaces
// the message body.

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "privmilter/mta_edits.h"
#include "privmilter/result.h"

namespace privmilter {

// An X509 certificate (OpenSSL), shared and immutable; defined in
// enforce/smime_certificate.h, since only enforce/ looks inside.
class Certificate;

// The recipients' certificates: every *.pem / *.crt file in a directory
// (one or more certificates each). A certificate serves the e-mail
// addresses in its subjectAltName (and subject emailAddress); a file named
// after a domain ("client.example.pem") whose certificate names no address
// serves every address of that domain (a client's gateway).
class CertificateDirectory {
 public:
  static Result<CertificateDirectory> load(const std::filesystem::path& directory);
  CertificateDirectory();
  ~CertificateDirectory();
  CertificateDirectory(CertificateDirectory&&) noexcept;
  CertificateDirectory& operator=(CertificateDirectory&&) noexcept;

  // The usable certificate for `address`: by address first, then domain
  // (case-insensitive); of several, the one valid longest. Expired, not yet
  // valid, or without key-encipherment (RSA) / key-agreement (EC) /
  // e-mail-protection usage are skipped; the error says why none is usable.
  // Thread-safe.
  Result<std::shared_ptr<const Certificate>> find(std::string_view address,
                                                  std::chrono::system_clock::time_point now) const;
  std::size_t size() const;

 private:
  struct Entries;
  std::unique_ptr<Entries> entries_;
};

// The one certificate in a PEM or DER file (the escrow certificate).
Result<std::shared_ptr<const Certificate>> load_certificate_file(const std::filesystem::path& path);

// Encrypts `message` (a whole RFC 5322 message, header block and body) for
// every certificate in `recipients` (the recipients' and the escrow's; one
// RecipientInfo per distinct certificate): the MIME entity (content
// headers + body) becomes CMS EnvelopedData with AES-256-CBC, which every
// S/MIME client reads (AES-GCM AuthEnvelopedData is not yet supported by
// common clients). The encrypted entity is the original content fields and
// body with CRLF line ends; CRLF or LF input and folded fields are read.
// Returns the header changes (Content-Type, -Transfer-Encoding and
// -Disposition set, other Content-* fields deleted, last occurrence first),
// the fields to add (those three when absent, MIME-Version when missing)
// and the new body; other headers (Subject, routing) stay as they are.
struct EncryptedMessage {
  std::vector<HeaderChange> change_headers;
  std::vector<HeaderField> add_headers;
  std::string body;  // base64 application/pkcs7-mime, CRLF line ends
};
Result<EncryptedMessage> encrypt_message(std::string_view message,
                                         const std::vector<std::shared_ptr<const Certificate>>& recipients);

}  // namespace privmilter
