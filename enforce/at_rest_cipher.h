#pragma once
// The quarantine entry file: a plaintext header naming the entry and the
// key it was sealed with, then the content under AES-256-GCM.
//
//   offset  size  field
//   0       8     magic "PMQENTRY"
//   8       1     format version (1)
//   9       8     key fingerprint: SecretKey::fingerprint(), ASCII hex
//   17      16    salt, random per file
//   33      2     length N of the entry id, big-endian
//   35      N     entry id
//   35+N    ...   ciphertext
//   end-16  16    GCM tag
//
// Key and nonce of a file: HKDF-SHA256(quarantine key, salt,
// "privmilter quarantine v1") -> 32-byte key + 96-bit nonce, so no two
// files share a key. The whole header is the additional authenticated
// data: a file renamed to another id, a changed version or fingerprint
// fails like a changed byte of content.

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "privmilter/key_file.h"
#include "privmilter/result.h"

namespace privmilter::at_rest {

inline constexpr std::string_view kMagic = "PMQENTRY";
inline constexpr unsigned char kVersion = 1;
inline constexpr std::size_t kTagSize = 16;

struct EntryHeader {
  unsigned version = 0;
  std::string fingerprint;
  std::string id;
  std::string bytes;  // the header as stored: the AAD
};

// Streams plaintext into an open file as one sealed entry: begin(), any
// number of write(), finish(). Nothing is decryptable before finish().
class EntryWriter {
 public:
  EntryWriter(int fd, const SecretKey& key, std::string id);
  ~EntryWriter();
  EntryWriter(const EntryWriter&) = delete;
  EntryWriter& operator=(const EntryWriter&) = delete;

  Status begin();
  Status write(std::string_view plaintext);
  Status finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Reads and checks the plaintext header of an entry file.
Result<EntryHeader> read_entry_header(int fd);

// Decrypts a whole entry, handing plaintext to `sink` in order. The tag is
// checked only at the end: a caller must discard what the sink received
// unless this returns success. Refuses an entry sealed with another key
// (by fingerprint) or under another id than `expected_id`.
Status open_entry(int fd, const SecretKey& key, std::string_view expected_id,
                  const std::function<Status(std::string_view)>& sink);

}  // namespace privmilter::at_rest
