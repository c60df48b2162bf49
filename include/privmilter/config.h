#pragma once
// The daemon's configuration (privmilter.yaml), validated as a whole.
// Immutable once loaded; relative paths are resolved against the directory
// of the configuration file.

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "privmilter/directory.h"
#include "privmilter/result.h"

namespace privmilter {

// What the daemon answers when it cannot reach a decision (internal error,
// exception, limit hit). tempfail keeps the mail at the MTA.
enum class OnError { tempfail, accept };

// Bounds on what one message may cost to inspect. Hitting one stops that
// branch and records an uninspectable fact naming the limit.
struct ContentLimits {
  std::size_t max_message_bytes = 64u << 20;  // larger messages are not parsed: on_error
  std::size_t max_parts = 1000;               // MIME parts, archive entries and documents together
  std::size_t max_depth = 64;                 // nesting of MIME, archives and documents together
  std::size_t max_part_bytes = 64u << 20;     // decoded or unpacked size of one part or entry
  std::size_t max_total_bytes = 256u << 20;   // decoded and unpacked bytes for the whole message
  std::size_t max_archive_entries = 10000;    // entries read from one archive
  std::size_t max_expansion_ratio = 100;      // unpacked size / packed size of an archive entry
  std::size_t max_text_bytes = 32u << 20;     // extracted text kept for the policy
  std::size_t time_budget_ms = 20000;         // inspection time per message
};

struct SessionLimits {
  std::size_t max_header_count = 1000;
  std::size_t max_header_bytes = 1u << 20;
  std::size_t max_recipients = 10000;
  std::size_t spool_memory_threshold = 1u << 20;
};

// Where privmilter hands mail back to the MTA (released messages,
// notifications): an SMTP listener that passes mail through the milter.
struct SmtpTarget {
  std::string host = "127.0.0.1";
  unsigned short port = 25;
  std::string helo = "localhost";  // the name privmilter greets with
  bool operator==(const SmtpTarget&) const = default;
};

// A TCP address privmilter listens on besides the milter socket.
struct ListenAddress {
  std::string host;
  unsigned short port = 0;
  bool operator==(const ListenAddress&) const = default;
};

// The daemon's process: who it runs as and how it stops.
struct ProcessSettings {
  // Started as root outside systemd, the daemon switches to this user (and
  // its group, or `group`) once its sockets and files are open.
  std::optional<std::string> user;
  std::optional<std::string> group;
  // On SIGTERM, messages in progress get this long to finish; the MTA
  // retries any that do not.
  unsigned shutdown_timeout_seconds = 30;
  bool operator==(const ProcessSettings&) const = default;
};

// Which implementation of the milter protocol serves the MTA. Both drive
// the same sessions and give the same answers.
enum class ProtocolEngine {
  libmilter,  // Sendmail's library: a thread per MTA connection
  asio,       // privmilter's own on Boost.Asio: one I/O thread, inspection on a pool
};

struct MilterServerSettings {
  ProtocolEngine engine = ProtocolEngine::libmilter;
  // asio: threads that inspect messages; 0: one per CPU.
  unsigned inspection_threads = 0;
  bool operator==(const MilterServerSettings&) const = default;
};

struct QuarantineSettings {
  std::filesystem::path directory;
  std::filesystem::path key_file;  // at-rest encryption key (privmilterctl keygen)
  unsigned retention_days = 30;    // held messages older than this are purged; 0 keeps them
};

struct AuditSettings {
  std::filesystem::path log;
  std::filesystem::path key_file;               // HMAC chain key
  std::size_t rotate_bytes = std::size_t{64} << 20;  // a new file once the current one reaches this
};

struct SmimeSettings {
  // Recipients' certificates (PEM files); absent: no message can be
  // encrypted, so every encrypt verdict takes its fallback.
  std::optional<std::filesystem::path> certificates;
  // The firm's own certificate every encrypted message is also addressed
  // to, so the firm can read its archive.
  std::optional<std::filesystem::path> escrow_certificate;
};

struct ReleaseSettings {
  std::filesystem::path key_file;        // signs release tokens
  unsigned token_lifetime_minutes = 60;  // a release token older than this is refused
};

struct NotifySettings {
  std::string from;  // envelope and From: of notifications; empty: postmaster@<first internal domain>
  std::filesystem::path outbox;  // notifications waiting to be sent survive a restart here
  unsigned max_attempts = 10;    // then the notification is given up and logged
};

struct Config {
  std::filesystem::path source;  // the file this was loaded from
  std::string socket = "inet:8891@127.0.0.1";
  MilterServerSettings server;
  std::string firm_name;
  std::vector<std::string> internal_domains;
  std::vector<Network> internal_networks;
  std::filesystem::path policy_path;
  QuarantineSettings quarantine;
  AuditSettings audit;
  SmimeSettings smime;
  ReleaseSettings release;
  NotifySettings notify;
  SmtpTarget mta;
  ProcessSettings process;
  // Prometheus text endpoint and /healthz; absent: not served.
  std::optional<ListenAddress> metrics_listen;
  std::filesystem::path spool_directory;
  // Where the daemon records its process id, for privmilterctl reload.
  std::optional<std::filesystem::path> pid_file;
  // The firm directory folder (people, groups, matters).
  std::optional<std::filesystem::path> directory_path;
  OnError on_error = OnError::tempfail;
  std::string log_level = "info";
  SessionLimits session_limits;
  ContentLimits content_limits;

  Directory directory() const { return Directory(internal_domains, internal_networks); }
};

// True for "inet:PORT@HOST", "inet6:PORT@HOST", "unix:/path" (or "local:").
bool valid_socket_spec(const std::string& spec);
// The same socket as Postfix's smtpd_milters spells it: "inet:HOST:PORT",
// "inet:[HOST]:PORT" for IPv6, "unix:/path".
std::string postfix_milter_address(const std::string& spec);

Result<Config> load_config_file(const std::filesystem::path& path);
// `base` resolves relative paths; `name` labels error messages.
Result<Config> load_config_string(const std::string& yaml, const std::filesystem::path& base,
                                  const std::string& name);

}  // namespace privmilter
