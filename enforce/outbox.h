#pragma once
// The notifications waiting to be sent: one JSON file each in the outbox
// directory, written durably, so that neither a restart nor a crash loses
// one. Given-up notifications move to failed/ for an administrator.

#include <filesystem>
#include <string>
#include <vector>

#include "privmilter/result.h"

namespace privmilter {

struct OutboxEntry {
  std::filesystem::path path;
  std::string reference;
  std::vector<std::string> recipients;
  std::string message;    // the rendered mail
  unsigned attempts = 0;  // temporary failures so far
  std::string last_error;
};

class Outbox {
 public:
  explicit Outbox(std::filesystem::path directory);

  // Creates the outbox and failed/ (0700) and removes temporaries a crash
  // left behind.
  Status open();
  // Durable when it returns: temporary file, fsync, rename, directory fsync.
  Result<OutboxEntry> add(const std::string& reference, const std::vector<std::string>& recipients,
                          const std::string& message);
  // Every waiting entry, oldest first. An unreadable file is moved to
  // failed/ (and named in `unreadable`) rather than retried forever.
  std::vector<OutboxEntry> load(std::vector<std::string>& unreadable);
  // Records a failed attempt (attempts and last_error) in the entry's file.
  Status update(const OutboxEntry& entry);
  Status remove(const OutboxEntry& entry);
  Status move_to_failed(const OutboxEntry& entry);

  const std::filesystem::path& directory() const { return directory_; }
  std::filesystem::path failed_directory() const { return directory_ / "failed"; }

 private:
  Status write(const OutboxEntry& entry);

  std::filesystem::path directory_;
};

}  // namespace privmilter
