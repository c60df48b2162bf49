// CMS EnvelopedData with AES-256-CBC: the content type every S/MIME client
// (Outlook, Apple Mail, Thunderbird, mobile mail) decrypts. AES-GCM would
// need AuthEnvelopedData (RFC 5083, RFC 8551), which common clients do not
// yet read, so a recipient could not open the message.

#include <algorithm>
#include <array>
#include <limits>
#include <map>

#include "privmilter/smime.h"
#include "privmilter/strings.h"
#include "smime_certificate.h"
#include "smime_entity.h"

namespace privmilter {
namespace {

constexpr std::string_view kContentType = "application/pkcs7-mime; smime-type=enveloped-data; name=\"smime.p7m\"";
constexpr std::string_view kTransferEncoding = "base64";
constexpr std::string_view kDisposition = "attachment; filename=\"smime.p7m\"";
// RFC 2045 caps encoded lines at 76 characters: 57 bytes each.
constexpr std::size_t kBytesPerLine = 57;

struct NewContentField {
  std::string_view name;
  std::string_view value;
};
constexpr std::array<NewContentField, 3> kNewContentFields = {{{"Content-Type", kContentType},
                                                               {"Content-Transfer-Encoding", kTransferEncoding},
                                                               {"Content-Disposition", kDisposition}}};

const NewContentField* new_content_field(std::string_view name) {
  for (const NewContentField& field : kNewContentFields) {
    if (iequals(field.name, name)) return &field;
  }
  return nullptr;
}

std::string base64_lines(std::string_view der) {
  std::string out;
  out.reserve((der.size() / kBytesPerLine + 1) * 78);
  std::array<unsigned char, 80> line{};
  for (std::size_t offset = 0; offset < der.size(); offset += kBytesPerLine) {
    const std::size_t length = std::min(kBytesPerLine, der.size() - offset);
    const int written = EVP_EncodeBlock(line.data(), reinterpret_cast<const unsigned char*>(der.data() + offset),
                                        static_cast<int>(length));
    out.append(reinterpret_cast<const char*>(line.data()), static_cast<std::size_t>(written));
    out += "\r\n";
  }
  return out;
}

Result<std::string> enveloped_der(const std::string& entity,
                                  const std::vector<std::shared_ptr<const Certificate>>& recipients) {
  if (entity.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    return make_error("message too large to encrypt");
  }
  openssl::X509StackHandle stack(sk_X509_new_null());
  if (!stack) return make_error("out of memory");
  for (const auto& recipient : recipients) {
    if (sk_X509_push(stack.get(), recipient->x509()) <= 0) return make_error("out of memory");
  }
  openssl::BioHandle in(BIO_new_mem_buf(entity.data(), static_cast<int>(entity.size())));
  if (!in) return make_error(openssl_error_text());
  // CMS_BINARY: the entity is already in canonical CRLF form and must be
  // encrypted byte for byte.
  openssl::CmsHandle cms(CMS_encrypt(stack.get(), in.get(), EVP_aes_256_cbc(), CMS_BINARY));
  if (!cms) return make_error("CMS encryption failed: " + openssl_error_text());
  openssl::BioHandle out(BIO_new(BIO_s_mem()));
  if (!out || i2d_CMS_bio(out.get(), cms.get()) != 1) return make_error("CMS encoding failed: " + openssl_error_text());
  char* data = nullptr;
  const long length = BIO_get_mem_data(out.get(), &data);
  if (length <= 0 || data == nullptr) return make_error("CMS encoding produced nothing");
  return std::string(data, static_cast<std::size_t>(length));
}

}  // namespace

Result<EncryptedMessage> encrypt_message(std::string_view message,
                                         const std::vector<std::shared_ptr<const Certificate>>& recipients) {
  std::vector<std::shared_ptr<const Certificate>> unique;
  for (const auto& recipient : recipients) {
    if (!recipient) return make_error("a recipient certificate is missing");
    // A domain certificate serving several recipients needs one RecipientInfo.
    if (std::find(unique.begin(), unique.end(), recipient) == unique.end()) unique.push_back(recipient);
  }
  if (unique.empty()) return make_error("no recipient certificate to encrypt to");

  const SplitMessage split = split_message(message);
  auto der = enveloped_der(mime_entity(split), unique);
  if (!der) return der.error();

  EncryptedMessage encrypted;
  encrypted.body = base64_lines(*der);

  // Fields are named by occurrence; changing the last ones first keeps the
  // numbers of the earlier ones valid however the MTA renumbers.
  std::map<std::string, std::pair<std::string, std::size_t>> content_fields;  // lower name -> (name, count)
  bool has_mime_version = false;
  for (const RawHeaderField& field : split.fields) {
    if (iequals(field.name, "MIME-Version")) has_mime_version = true;
    if (!is_content_field(field.name)) continue;
    auto& [name, count] = content_fields[ascii_lower(field.name)];
    if (name.empty()) name = field.name;
    count = std::max(count, field.occurrence);
  }
  for (const auto& [lower, field] : content_fields) {
    const auto& [name, count] = field;
    const NewContentField* replacement = new_content_field(name);
    for (std::size_t occurrence = count; occurrence >= 1; --occurrence) {
      std::optional<std::string> value;
      if (replacement != nullptr && occurrence == 1) value = std::string(replacement->value);
      encrypted.change_headers.push_back({name, occurrence, std::move(value)});
    }
  }
  for (const NewContentField& field : kNewContentFields) {
    if (!content_fields.contains(ascii_lower(field.name))) {
      encrypted.add_headers.push_back({std::string(field.name), std::string(field.value)});
    }
  }
  if (!has_mime_version) encrypted.add_headers.push_back({"MIME-Version", "1.0"});
  return encrypted;
}

}  // namespace privmilter
