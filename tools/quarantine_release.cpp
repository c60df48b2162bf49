// privmilterctl quarantine release: hands a reviewed message back to the
// MTA with a single-use release token, so that the milter lets exactly
// this message through once.

#include <fcntl.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <iostream>

#include "privmilter/file_io.h"
#include "privmilter/release_token.h"
#include "privmilter/strings.h"
#include "privmilter/smtp_client.h"
#include "privmilter/key_file.h"
#include "privmilter/unique_fd.h"
#include "quarantine_commands.h"
#include "quarantine_context.h"

namespace privmilter::tools {

namespace {

bool same_address(const std::string& a, const std::string& b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) { return std::tolower(x) == std::tolower(y); });
}

// The original recipients minus those the verdict removed.
std::vector<std::string> release_recipients(const QuarantinedMessage& entry) {
  std::vector<std::string> out;
  for (const auto& recipient : entry.envelope.recipients) {
    const bool removed = std::any_of(entry.removed_recipients.begin(), entry.removed_recipients.end(),
                                     [&](const std::string& r) { return same_address(r, recipient); });
    if (!removed) out.push_back(recipient);
  }
  return out;
}

// The header block without any release token field the held copy carried
// (a refused token, or one the sender wrote): with two tokens the filter
// would refuse the release.
std::string without_release_fields(const std::string& message) {
  std::string out;
  out.reserve(message.size());
  bool dropping = false;
  bool in_headers = true;
  std::size_t start = 0;
  while (start < message.size()) {
    const auto end = message.find('\n', start);
    const std::size_t next = end == std::string::npos ? message.size() : end + 1;
    const std::string_view line(message.data() + start, next - start);
    if (in_headers) {
      if (line == "\n" || line == "\r\n") {
        in_headers = false;
        dropping = false;
      } else if (line.front() == ' ' || line.front() == '\t') {
        if (dropping) {
          start = next;
          continue;
        }
      } else {
        const auto colon = line.find(':');
        dropping = colon != std::string_view::npos && iequals(trim(line.substr(0, colon)), kReleaseHeader);
        if (dropping) {
          start = next;
          continue;
        }
      }
    }
    out.append(line);
    start = next;
  }
  return out;
}

// The header goes first, in the message's own line-end convention.
std::string with_release_header(const std::string& message, const std::string& token_value) {
  const auto first_end = message.find('\n');
  const bool crlf = first_end != std::string::npos && first_end > 0 && message[first_end - 1] == '\r';
  return std::string(kReleaseHeader) + ": " + token_value + (crlf ? "\r\n" : "\n") + without_release_fields(message);
}

Status write_private_file(const std::string& path, const std::string& content) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd.valid()) return make_error("cannot create " + path + ": " + errno_text(errno));
  if (auto written = write_all(fd.get(), content); !written) return written;
  if (::fsync(fd.get()) != 0) return make_error("fsync of " + path + " failed: " + errno_text(errno));
  return {};
}

}  // namespace

int run_quarantine_release(const std::string& config_path, const QuarantineReleaseOptions& options) {
  if (options.reason.empty()) {
    print_error("release needs --reason");
    return kExitCannotRun;
  }
  auto context = open_quarantine(config_path, true);
  if (!context) return kExitCannotRun;
  auto release_key = load_key_file(context->config.release.key_file);
  if (!release_key) {
    print_error(release_key.error().message);
    return kExitCannotRun;
  }
  auto entry = context->store->load(options.id);
  if (!entry) {
    print_error(entry.error().message);
    return kExitRefused;
  }
  if (entry->summary.status != QuarantineStatus::held && !options.force) {
    print_error("entry " + options.id + " is " + std::string(to_string(entry->summary.status)) +
                ", not held (--force releases it again)");
    return kExitRefused;
  }
  const std::vector<std::string> recipients = options.to.empty() ? release_recipients(*entry) : options.to;
  if (recipients.empty()) {
    print_error("entry " + options.id + " has no recipient left to release to (name them with --to)");
    return kExitRefused;
  }

  // Claimed before anything is sent, in one step, so that two reviewers
  // (or a second run after an unclear failure) cannot both send it.
  if (!options.force) {
    auto claimed = context->store->change_status(options.id, QuarantineStatus::held, QuarantineStatus::released);
    if (!claimed) {
      print_error(claimed.error().message);
      return kExitCannotRun;
    }
    if (!*claimed) {
      print_error("entry " + options.id + " is no longer held (released or deleted meanwhile; --force releases it again)");
      return kExitRefused;
    }
  }
  // Undoes the claim when the message certainly did not leave.
  auto unclaim = [&] {
    if (!options.force) {
      (void)context->store->change_status(options.id, QuarantineStatus::released, QuarantineStatus::held);
    }
  };

  const auto now = std::chrono::system_clock::now();
  const auto token = make_release_token(options.id, release_message_body(entry->message),
                                        now + std::chrono::minutes(context->config.release.token_lifetime_minutes),
                                        recipients);
  const std::string message = with_release_header(entry->message, format_release_token(token, *release_key));
  // Recorded first: the milter must know the token when the message arrives.
  if (auto recorded = context->store->record_release_token(token.nonce, options.id, token.expires); !recorded) {
    unclaim();
    print_error(recorded.error().message);
    return kExitCannotRun;
  }

  nlohmann::json event{{"action", "release"},       {"id", options.id},
                       {"by", reviewer_name(options.by)}, {"reason", options.reason},
                       {"to", recipients},           {"nonce", token.nonce}};
  if (options.force) event["force"] = true;
  int exit_code = kExitOk;
  if (!options.output.empty()) {
    if (auto written = write_private_file(options.output, message); !written) {
      unclaim();
      print_error(written.error().message);
      return kExitCannotRun;
    }
    event["output"] = options.output;
    std::cout << "entry " << options.id << " written with its release token to " << options.output << std::endl;
  } else {
    SmtpDelivery delivery;
    delivery.sender = entry->envelope.sender;
    delivery.recipients = recipients;
    delivery.message = message;
    auto sent = send_smtp(context->config.mta, delivery);
    if (!sent) {
      // The entry is held again unless the MTA may have queued the message
      // after all (no answer to the data): then it stays released rather
      // than risk a second copy.
      const bool unknown = smtp_outcome_unknown(sent.error());
      if (!unknown) unclaim();
      event["result"] = unknown ? "unknown" : "failed";
      event["error"] = sent.error().message;
      (void)audit_reviewer_action(*context, std::move(event));
      print_error("the MTA did not take entry " + options.id + ": " + sent.error().message);
      if (unknown) {
        print_error("the entry stays marked released; check the MTA's log, and release it again with --force "
                    "only if it was not queued");
      }
      return sent.error().message.starts_with("permanent") ? kExitRefused : kExitCannotRun;
    }
    event["mta_reply"] = *sent;
    std::cout << "entry " << options.id << " released to " << recipients.size() << " recipient(s): " << *sent
              << std::endl;
  }
  // A forced release was not claimed above (the --output file is as good as sent).
  if (options.force) {
    if (auto marked = context->store->set_status(options.id, QuarantineStatus::released); !marked) {
      print_error("released, but the index was not updated: " + marked.error().message);
      exit_code = kExitCannotRun;
    }
  }
  event["result"] = options.output.empty() ? "sent" : "written";
  if (!audit_reviewer_action(*context, std::move(event))) exit_code = kExitCannotRun;
  return exit_code;
}

}  // namespace privmilter::tools
