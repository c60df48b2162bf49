#include "at_rest_cipher.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <sys/stat.h>

#include <array>
#include <cerrno>

#include "privmilter/file_io.h"

namespace privmilter::at_rest {

namespace {

constexpr std::size_t kSaltSize = 16;
constexpr std::size_t kNonceSize = 12;
constexpr std::size_t kKeySize = 32;
constexpr std::size_t kFingerprintSize = 8;
constexpr std::size_t kFixedHeaderSize = 8 + 1 + kFingerprintSize + kSaltSize + 2;
constexpr std::size_t kChunk = std::size_t{1} << 16;
constexpr char kInfo[] = "privmilter quarantine v1";

struct CipherContextFree {
  void operator()(EVP_CIPHER_CTX* context) const { EVP_CIPHER_CTX_free(context); }
};
using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, CipherContextFree>;
struct KdfFree {
  void operator()(EVP_KDF* kdf) const { EVP_KDF_free(kdf); }
};
struct KdfContextFree {
  void operator()(EVP_KDF_CTX* context) const { EVP_KDF_CTX_free(context); }
};

// The per-file key followed by the nonce; wiped when it goes away.
struct FileSecret {
  std::array<unsigned char, kKeySize + kNonceSize> bytes{};
  ~FileSecret() { OPENSSL_cleanse(bytes.data(), bytes.size()); }
  const unsigned char* key() const { return bytes.data(); }
  const unsigned char* nonce() const { return bytes.data() + kKeySize; }
};

Status derive(const SecretKey& key, std::string_view salt, FileSecret& out) {
  std::unique_ptr<EVP_KDF, KdfFree> kdf(EVP_KDF_fetch(nullptr, "HKDF", nullptr));
  if (!kdf) return make_error("HKDF is not available in OpenSSL");
  std::unique_ptr<EVP_KDF_CTX, KdfContextFree> context(EVP_KDF_CTX_new(kdf.get()));
  if (!context) return make_error("cannot create an HKDF context");
  char digest[] = "SHA256";
  std::string info = kInfo;
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<unsigned char*>(key.bytes().data()),
                                        key.bytes().size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<char*>(salt.data()), salt.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info.data(), info.size()),
      OSSL_PARAM_construct_end()};
  if (EVP_KDF_derive(context.get(), out.bytes.data(), out.bytes.size(), params) != 1) {
    return make_error("HKDF derivation failed");
  }
  return {};
}

Result<CipherContext> start_cipher(const FileSecret& secret, std::string_view aad, bool encrypt) {
  CipherContext context(EVP_CIPHER_CTX_new());
  if (!context) return make_error("cannot create a cipher context");
  int length = 0;
  const bool ready =
      EVP_CipherInit_ex(context.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr, encrypt ? 1 : 0) == 1 &&
      EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(kNonceSize), nullptr) == 1 &&
      EVP_CipherInit_ex(context.get(), nullptr, nullptr, secret.key(), secret.nonce(), encrypt ? 1 : 0) == 1 &&
      EVP_CipherUpdate(context.get(), nullptr, &length, reinterpret_cast<const unsigned char*>(aad.data()),
                       static_cast<int>(aad.size())) == 1;
  if (!ready) return make_error("cannot initialise AES-256-GCM");
  return context;
}

void put_u16(std::string& out, std::size_t value) {
  out += static_cast<char>((value >> 8) & 0xff);
  out += static_cast<char>(value & 0xff);
}

}  // namespace

struct EntryWriter::State {
  int fd;
  SecretKey key;
  std::string id;
  CipherContext cipher;
  std::string buffer;
};

EntryWriter::EntryWriter(int fd, const SecretKey& key, std::string id)
    : state_(std::make_unique<State>(State{fd, key, std::move(id), nullptr, {}})) {}

EntryWriter::~EntryWriter() = default;

Status EntryWriter::begin() {
  if (state_->id.empty() || state_->id.size() > 0xffff) return make_error("invalid quarantine entry id");
  std::array<unsigned char, kSaltSize> salt{};
  if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1) return make_error("no random bytes for a salt");
  std::string header(kMagic);
  header += static_cast<char>(kVersion);
  header += state_->key.fingerprint();
  header.append(reinterpret_cast<const char*>(salt.data()), salt.size());
  put_u16(header, state_->id.size());
  header += state_->id;

  FileSecret secret;
  const std::string_view salt_view(reinterpret_cast<const char*>(salt.data()), salt.size());
  if (auto derived = derive(state_->key, salt_view, secret); !derived) return derived;
  auto cipher = start_cipher(secret, header, true);
  if (!cipher) return cipher.error();
  state_->cipher = std::move(*cipher);
  state_->buffer.resize(kChunk + EVP_MAX_BLOCK_LENGTH);
  return write_all(state_->fd, header);
}

Status EntryWriter::write(std::string_view plaintext) {
  if (!state_->cipher) return make_error("entry writer not started");
  while (!plaintext.empty()) {
    const std::size_t take = std::min(plaintext.size(), kChunk);
    int length = 0;
    if (EVP_EncryptUpdate(state_->cipher.get(), reinterpret_cast<unsigned char*>(state_->buffer.data()), &length,
                          reinterpret_cast<const unsigned char*>(plaintext.data()), static_cast<int>(take)) != 1) {
      return make_error("encryption failed");
    }
    if (auto written = write_all(state_->fd, std::string_view(state_->buffer.data(), static_cast<std::size_t>(length)));
        !written) {
      return written;
    }
    plaintext.remove_prefix(take);
  }
  return {};
}

Status EntryWriter::finish() {
  if (!state_->cipher) return make_error("entry writer not started");
  int length = 0;
  if (EVP_EncryptFinal_ex(state_->cipher.get(), reinterpret_cast<unsigned char*>(state_->buffer.data()), &length) != 1) {
    return make_error("encryption failed");
  }
  std::array<unsigned char, kTagSize> tag{};
  if (EVP_CIPHER_CTX_ctrl(state_->cipher.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(tag.size()), tag.data()) != 1) {
    return make_error("cannot read the GCM tag");
  }
  std::string tail(state_->buffer.data(), static_cast<std::size_t>(length));
  tail.append(reinterpret_cast<const char*>(tag.data()), tag.size());
  state_->cipher.reset();
  return write_all(state_->fd, tail);
}

Result<EntryHeader> read_entry_header(int fd) {
  std::string fixed(kFixedHeaderSize, '\0');
  if (auto read = pread_all(fd, fixed.data(), fixed.size(), 0); !read) {
    return make_error("not a quarantine entry (too short)");
  }
  if (std::string_view(fixed).substr(0, kMagic.size()) != kMagic) return make_error("not a quarantine entry");
  EntryHeader header;
  header.version = static_cast<unsigned char>(fixed[8]);
  if (header.version != kVersion) {
    return make_error("unsupported quarantine entry format version " + std::to_string(header.version));
  }
  header.fingerprint = fixed.substr(9, kFingerprintSize);
  const std::size_t id_length = (static_cast<std::size_t>(static_cast<unsigned char>(fixed[kFixedHeaderSize - 2])) << 8) |
                                static_cast<unsigned char>(fixed[kFixedHeaderSize - 1]);
  std::string id(id_length, '\0');
  if (auto read = pread_all(fd, id.data(), id.size(), static_cast<off_t>(kFixedHeaderSize)); !read) {
    return make_error("quarantine entry header is truncated");
  }
  header.id = id;
  header.bytes = fixed + id;
  return header;
}

Status open_entry(int fd, const SecretKey& key, std::string_view expected_id,
                  const std::function<Status(std::string_view)>& sink) {
  auto header = read_entry_header(fd);
  if (!header) return header.error();
  if (header->id != expected_id) {
    return make_error("entry file holds id '" + header->id + "', not '" + std::string(expected_id) + "'");
  }
  if (header->fingerprint != key.fingerprint()) {
    return make_error("entry was encrypted with quarantine key " + header->fingerprint + ", not with the configured key " +
                      key.fingerprint() + " (wrong key file?)");
  }
  struct stat info {};
  if (::fstat(fd, &info) != 0) return make_error("cannot stat entry: " + errno_text(errno));
  const std::size_t file_size = static_cast<std::size_t>(info.st_size);
  const std::size_t header_size = header->bytes.size();
  if (file_size < header_size + kTagSize) return make_error("entry is truncated");

  std::array<unsigned char, kTagSize> tag{};
  if (auto read = pread_all(fd, reinterpret_cast<char*>(tag.data()), tag.size(),
                            static_cast<off_t>(file_size - kTagSize));
      !read) {
    return read;
  }
  FileSecret secret;
  const std::string salt = header->bytes.substr(9 + kFingerprintSize, kSaltSize);
  if (auto derived = derive(key, salt, secret); !derived) return derived;
  auto cipher = start_cipher(secret, header->bytes, false);
  if (!cipher) return cipher.error();

  std::string in(kChunk, '\0');
  std::string out(kChunk + EVP_MAX_BLOCK_LENGTH, '\0');
  const std::size_t end = file_size - kTagSize;
  Status sunk;
  for (std::size_t offset = header_size; offset < end;) {
    const std::size_t take = std::min(kChunk, end - offset);
    if (auto read = pread_all(fd, in.data(), take, static_cast<off_t>(offset)); !read) return read;
    int length = 0;
    if (EVP_DecryptUpdate(cipher->get(), reinterpret_cast<unsigned char*>(out.data()), &length,
                          reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(take)) != 1) {
      return make_error("decryption failed");
    }
    // After the sink refuses, decryption goes on so that a forged entry
    // is reported as such rather than by what its garbage looked like.
    if (sunk) sunk = sink(std::string_view(out.data(), static_cast<std::size_t>(length)));
    offset += take;
  }
  if (EVP_CIPHER_CTX_ctrl(cipher->get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(tag.size()), tag.data()) != 1) {
    return make_error("cannot set the GCM tag");
  }
  int length = 0;
  if (EVP_DecryptFinal_ex(cipher->get(), reinterpret_cast<unsigned char*>(out.data()), &length) != 1) {
    return make_error("entry failed authentication: it was altered or is corrupt");
  }
  if (sunk && length > 0) sunk = sink(std::string_view(out.data(), static_cast<std::size_t>(length)));
  return sunk;
}

}  // namespace privmilter::at_rest
