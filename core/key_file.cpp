#include "privmilter/key_file.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>

#include "privmilter/file_io.h"
#include "privmilter/strings.h"
#include "privmilter/unique_fd.h"

namespace privmilter {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

SecretKey::~SecretKey() { OPENSSL_cleanse(bytes_.data(), bytes_.size()); }

std::string SecretKey::fingerprint() const {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(bytes_.data(), bytes_.size(), digest, &length, EVP_sha256(), nullptr);
  return hex_encode(digest, 4);
}

Result<SecretKey> load_key_file(const std::filesystem::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.valid()) {
    return make_error("cannot open key file " + path.string() + ": " + errno_text(errno) +
                      " (create one with: privmilterctl keygen " + path.string() + ")");
  }
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) return make_error("cannot stat key file " + path.string() + ": " + errno_text(errno));
  if (!S_ISREG(info.st_mode)) return make_error("key file " + path.string() + " is not a regular file");
  if ((info.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%03o", static_cast<unsigned>(info.st_mode & 0777));
    return make_error("key file " + path.string() + " is accessible by group or others (mode " + mode +
                      "); chmod 600 it");
  }
  std::string text(200, '\0');
  const ssize_t got = ::read(fd.get(), text.data(), text.size());
  if (got < 0) return make_error("cannot read key file " + path.string() + ": " + errno_text(errno));
  text.resize(static_cast<std::size_t>(got));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  std::array<unsigned char, SecretKey::kSize> bytes{};
  bool valid = text.size() == 2 * SecretKey::kSize;
  for (std::size_t i = 0; valid && i < SecretKey::kSize; ++i) {
    const int high = hex_value(text[2 * i]);
    const int low = hex_value(text[2 * i + 1]);
    if (high < 0 || low < 0) valid = false;
    else bytes[i] = static_cast<unsigned char>(high * 16 + low);
  }
  OPENSSL_cleanse(text.data(), text.size());
  if (!valid) return make_error("key file " + path.string() + " must hold exactly 64 hex digits");
  SecretKey key(bytes);
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return key;
}

Status generate_key_file(const std::filesystem::path& path) {
  if (path.has_parent_path()) {
    if (auto made = ensure_private_directory(path.parent_path()); !made) return made;
  }
  std::array<unsigned char, SecretKey::kSize> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) return make_error("no randomness for a new key");
  std::string text = hex_encode(bytes.data(), bytes.size()) + "\n";
  OPENSSL_cleanse(bytes.data(), bytes.size());
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd.valid()) {
    OPENSSL_cleanse(text.data(), text.size());
    if (errno == EEXIST) return make_error("key file " + path.string() + " already exists; not replacing it");
    return make_error("cannot create key file " + path.string() + ": " + errno_text(errno));
  }
  Status written = write_all(fd.get(), text);
  OPENSSL_cleanse(text.data(), text.size());
  if (written && ::fsync(fd.get()) != 0) written = make_error("fsync of " + path.string() + " failed: " + errno_text(errno));
  if (!written) ::unlink(path.c_str());
  return written;
}

}  // namespace privmilter
