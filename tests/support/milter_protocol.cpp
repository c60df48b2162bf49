#include "support/milter_protocol.h"

#include <strings.h>

namespace privmilter::miltertest {
namespace {

struct StageFlags {
  char command;
  std::uint32_t no_send;
  std::uint32_t no_reply;
};

StageFlags flags_of(Stage stage) {
  switch (stage) {
    case Stage::connect: return {SMFIC_CONNECT, SMFIP_NOCONNECT, SMFIP_NR_CONN};
    case Stage::helo: return {SMFIC_HELO, SMFIP_NOHELO, SMFIP_NR_HELO};
    case Stage::mail: return {SMFIC_MAIL, SMFIP_NOMAIL, SMFIP_NR_MAIL};
    case Stage::rcpt: return {SMFIC_RCPT, SMFIP_NORCPT, SMFIP_NR_RCPT};
    case Stage::data: return {SMFIC_DATA, SMFIP_NODATA, SMFIP_NR_DATA};
    case Stage::header: return {SMFIC_HEADER, SMFIP_NOHDRS, SMFIP_NR_HDR};
    case Stage::eoh: return {SMFIC_EOH, SMFIP_NOEOH, SMFIP_NR_EOH};
    case Stage::body: return {SMFIC_BODY, SMFIP_NOBODY, SMFIP_NR_BODY};
    case Stage::eom: return {SMFIC_BODYEOB, 0, 0};
    case Stage::unknown: return {SMFIC_UNKNOWN, SMFIP_NOUNKNOWN, SMFIP_NR_UNKN};
  }
  return {0, 0, 0};
}

}  // namespace

std::string_view to_string(Stage stage) {
  switch (stage) {
    case Stage::connect: return "connect";
    case Stage::helo: return "helo";
    case Stage::mail: return "mail";
    case Stage::rcpt: return "rcpt";
    case Stage::data: return "data";
    case Stage::header: return "header";
    case Stage::eoh: return "eoh";
    case Stage::body: return "body";
    case Stage::eom: return "eom";
    case Stage::unknown: return "unknown";
  }
  return "?";
}

char command_of(Stage stage) { return flags_of(stage).command; }

std::string_view to_string(ReplyKind kind) {
  switch (kind) {
    case ReplyKind::continue_: return "continue";
    case ReplyKind::accept: return "accept";
    case ReplyKind::reject: return "reject";
    case ReplyKind::tempfail: return "tempfail";
    case ReplyKind::discard: return "discard";
    case ReplyKind::replycode: return "replycode";
    case ReplyKind::skip: return "skip";
    case ReplyKind::shutdown: return "shutdown";
    case ReplyKind::connection_fail: return "connection_fail";
    case ReplyKind::no_reply: return "no_reply";
    case ReplyKind::not_sent: return "not_sent";
  }
  return "?";
}

bool Reply::proceeds() const {
  return kind == ReplyKind::continue_ || kind == ReplyKind::no_reply || kind == ReplyKind::not_sent ||
         kind == ReplyKind::skip;
}

std::string Reply::smtp_reply() const {
  switch (kind) {
    case ReplyKind::replycode: return text;
    case ReplyKind::reject: return "550 5.7.1 Command rejected";
    case ReplyKind::tempfail: return "451 4.7.1 Service unavailable - try again later";
    case ReplyKind::shutdown: return "421 4.7.0 Server closing connection";
    default: return "";
  }
}

std::string_view to_string(ModificationKind kind) {
  switch (kind) {
    case ModificationKind::add_header: return "add_header";
    case ModificationKind::insert_header: return "insert_header";
    case ModificationKind::change_header: return "change_header";
    case ModificationKind::add_recipient: return "add_recipient";
    case ModificationKind::add_recipient_with_args: return "add_recipient_with_args";
    case ModificationKind::delete_recipient: return "delete_recipient";
    case ModificationKind::change_sender: return "change_sender";
    case ModificationKind::replace_body: return "replace_body";
    case ModificationKind::quarantine: return "quarantine";
  }
  return "?";
}

std::size_t MessageResult::count(ModificationKind kind) const {
  std::size_t found = 0;
  for (const auto& modification : modifications) found += modification.kind == kind ? 1 : 0;
  return found;
}

std::optional<std::string> MessageResult::added_header(std::string_view name) const {
  for (const auto& modification : modifications) {
    const bool adds = modification.kind == ModificationKind::add_header ||
                      modification.kind == ModificationKind::insert_header;
    if (adds && modification.name.size() == name.size() &&
        strncasecmp(modification.name.data(), name.data(), name.size()) == 0) {
      return modification.value;
    }
  }
  return std::nullopt;
}

std::optional<std::string> MessageResult::replacement_body() const {
  std::optional<std::string> body;
  for (const auto& modification : modifications) {
    if (modification.kind != ModificationKind::replace_body) continue;
    if (!body) body.emplace();
    body->append(modification.value);
  }
  return body;
}

std::optional<std::string> MessageResult::quarantine_reason() const {
  for (const auto& modification : modifications) {
    if (modification.kind == ModificationKind::quarantine) return modification.value;
  }
  return std::nullopt;
}

bool Negotiation::sends(Stage stage) const { return (protocol & flags_of(stage).no_send) == 0; }

bool Negotiation::replies_to(Stage stage) const {
  const std::uint32_t flag = flags_of(stage).no_reply;
  return flag == 0 || (protocol & flag) == 0;
}

}  // namespace privmilter::miltertest
