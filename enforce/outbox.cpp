#include "outbox.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <system_error>

#include "privmilter/file_io.h"
#include "privmilter/unique_fd.h"

namespace privmilter {
namespace {

constexpr int kFormatVersion = 1;
constexpr std::string_view kEntrySuffix = ".json";
constexpr std::string_view kTemporarySuffix = ".tmp";

// Names sort by creation time, so the oldest notification goes first, and
// the random part keeps two created in the same nanosecond apart.
Result<std::string> new_entry_name() {
  std::array<unsigned char, 8> random{};
  if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) {
    return make_error("random number generator failed");
  }
  const auto nanoseconds = std::chrono::duration_cast<std::chrono::nanoseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  std::array<char, 64> name{};
  std::snprintf(name.data(), name.size(), "%020lld-", static_cast<long long>(nanoseconds));
  std::string out(name.data());
  static constexpr char kHex[] = "0123456789abcdef";
  for (const unsigned char byte : random) {
    out += kHex[byte >> 4];
    out += kHex[byte & 0xf];
  }
  return out + std::string(kEntrySuffix);
}

nlohmann::json to_json(const OutboxEntry& entry) {
  return nlohmann::json{{"version", kFormatVersion},     {"reference", entry.reference},
                        {"recipients", entry.recipients}, {"attempts", entry.attempts},
                        {"last_error", entry.last_error}, {"message", entry.message}};
}

Result<OutboxEntry> read_entry(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("cannot open " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  const auto json = nlohmann::json::parse(text.str(), nullptr, false);
  if (json.is_discarded() || !json.is_object() || json.value("version", 0) != kFormatVersion) {
    return make_error(path.string() + " is not an outbox entry");
  }
  try {
    OutboxEntry entry;
    entry.path = path;
    entry.reference = json.at("reference").get<std::string>();
    entry.recipients = json.at("recipients").get<std::vector<std::string>>();
    entry.message = json.at("message").get<std::string>();
    entry.attempts = json.at("attempts").get<unsigned>();
    entry.last_error = json.value("last_error", std::string());
    if (entry.recipients.empty()) return make_error(path.string() + " names no recipient");
    return entry;
  } catch (const nlohmann::json::exception& e) {
    return make_error(path.string() + " is not an outbox entry: " + e.what());
  }
}

// After return the file is complete under `path` or unchanged.
Status write_durably(const std::filesystem::path& path, const std::string& content) {
  const std::filesystem::path temporary =
      path.parent_path() / ("." + path.filename().string() + std::string(kTemporarySuffix));
  UniqueFd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd.valid()) return make_error("cannot create " + temporary.string() + ": " + errno_text(errno));
  Status written = write_all(fd.get(), content);
  if (written && ::fsync(fd.get()) != 0) written = make_error("fsync of " + temporary.string() + " failed: " + errno_text(errno));
  if (written && ::close(fd.release()) != 0) written = make_error("close of " + temporary.string() + " failed: " + errno_text(errno));
  if (written && ::rename(temporary.c_str(), path.c_str()) != 0) {
    written = make_error("rename to " + path.string() + " failed: " + errno_text(errno));
  }
  if (!written) {
    ::unlink(temporary.c_str());
    return written;
  }
  return fsync_directory(path.parent_path());
}

}  // namespace

Outbox::Outbox(std::filesystem::path directory) : directory_(std::move(directory)) {}

Status Outbox::open() {
  if (directory_.empty()) return make_error("notify.outbox is not set");
  if (auto made = ensure_private_directory(directory_); !made) return made;
  if (auto made = ensure_private_directory(failed_directory()); !made) return made;
  if (::access(directory_.c_str(), W_OK | X_OK) != 0) {
    return make_error("outbox " + directory_.string() + " is not writable: " + errno_text(errno));
  }
  std::error_code error;
  for (const auto& item : std::filesystem::directory_iterator(directory_, error)) {
    const std::string name = item.path().filename().string();
    if (name.starts_with('.') && name.ends_with(kTemporarySuffix)) std::filesystem::remove(item.path(), error);
  }
  return {};
}

Result<OutboxEntry> Outbox::add(const std::string& reference, const std::vector<std::string>& recipients,
                                const std::string& message) {
  auto name = new_entry_name();
  if (!name) return name.error();
  if (auto made = ensure_private_directory(directory_); !made) return made.error();
  OutboxEntry entry;
  entry.path = directory_ / *name;
  entry.reference = reference;
  entry.recipients = recipients;
  entry.message = message;
  if (auto written = write(entry); !written) return written.error();
  return entry;
}

std::vector<OutboxEntry> Outbox::load(std::vector<std::string>& unreadable) {
  std::vector<std::filesystem::path> paths;
  std::error_code error;
  for (const auto& item : std::filesystem::directory_iterator(directory_, error)) {
    const std::string name = item.path().filename().string();
    if (!name.starts_with('.') && name.ends_with(kEntrySuffix) && item.is_regular_file(error)) {
      paths.push_back(item.path());
    }
  }
  std::sort(paths.begin(), paths.end());
  std::vector<OutboxEntry> entries;
  for (const auto& path : paths) {
    auto entry = read_entry(path);
    if (entry) {
      entries.push_back(std::move(*entry));
      continue;
    }
    unreadable.push_back(entry.error().message);
    OutboxEntry broken;
    broken.path = path;
    if (auto moved = move_to_failed(broken); !moved) unreadable.push_back(moved.error().message);
  }
  return entries;
}

Status Outbox::write(const OutboxEntry& entry) { return write_durably(entry.path, to_json(entry).dump(2) + "\n"); }

Status Outbox::update(const OutboxEntry& entry) { return write(entry); }

Status Outbox::remove(const OutboxEntry& entry) {
  if (::unlink(entry.path.c_str()) != 0 && errno != ENOENT) {
    return make_error("cannot remove " + entry.path.string() + ": " + errno_text(errno));
  }
  return fsync_directory(directory_);
}

Status Outbox::move_to_failed(const OutboxEntry& entry) {
  if (auto made = ensure_private_directory(failed_directory()); !made) return made;
  const auto target = failed_directory() / entry.path.filename();
  if (::rename(entry.path.c_str(), target.c_str()) != 0) {
    return make_error("cannot move " + entry.path.string() + " to " + target.string() + ": " + errno_text(errno));
  }
  if (auto synced = fsync_directory(failed_directory()); !synced) return synced;
  return fsync_directory(directory_);
}

}  // namespace privmilter
