// Names of the shared enums as they appear in policy files, logs and JSON.

#include "privmilter/message_facts.h"
#include "privmilter/mta_edits.h"
#include "privmilter/verdict.h"

namespace privmilter {

std::string_view to_string(Action action) {
  switch (action) {
    case Action::accept: return "accept";
    case Action::tag: return "tag";
    case Action::notify: return "notify";
    case Action::require_tls: return "require_tls";
    case Action::route: return "route";
    case Action::encrypt: return "encrypt";
    case Action::remove_recipients: return "remove_recipients";
    case Action::quarantine: return "quarantine";
    case Action::reject_unless_confirmed: return "reject_unless_confirmed";
    case Action::reject: return "reject";
  }
  return "unknown";
}

bool parse_action(std::string_view text, Action& out) {
  if (text == "add_header") {
    out = Action::tag;
    return true;
  }
  for (int value = static_cast<int>(Action::accept); value <= static_cast<int>(Action::reject); ++value) {
    const auto action = static_cast<Action>(value);
    if (text == to_string(action)) {
      out = action;
      return true;
    }
  }
  return false;
}

std::string_view to_string(EncryptFallback fallback) {
  switch (fallback) {
    case EncryptFallback::quarantine: return "quarantine";
    case EncryptFallback::route: return "route";
    case EncryptFallback::reject: return "reject";
  }
  return "quarantine";
}

std::string_view to_string(Disposition disposition) {
  switch (disposition) {
    case Disposition::accept: return "accept";
    case Disposition::reject: return "reject";
    case Disposition::tempfail: return "tempfail";
    case Disposition::discard: return "discard";
  }
  return "unknown";
}

std::string_view to_string(EncryptionState state) {
  switch (state) {
    case EncryptionState::none: return "none";
    case EncryptionState::smime_enveloped: return "smime-enveloped";
    case EncryptionState::pgp_mime_encrypted: return "pgp-mime-encrypted";
    case EncryptionState::pgp_inline: return "pgp-inline";
  }
  return "unknown";
}

std::string_view to_string(SegmentKind kind) {
  switch (kind) {
    case SegmentKind::subject: return "subject";
    case SegmentKind::body: return "body";
    case SegmentKind::attachment: return "attachment";
    case SegmentKind::metadata: return "metadata";
  }
  return "unknown";
}

std::string_view to_string(PartFlag flag) {
  switch (flag) {
    case PartFlag::attachment: return "attachment";
    case PartFlag::encrypted: return "encrypted";
    case PartFlag::password_protected: return "password_protected";
    case PartFlag::signed_data: return "signed";
    case PartFlag::uninspectable: return "uninspectable";
    case PartFlag::tracked_changes: return "tracked_changes";
    case PartFlag::comments: return "comments";
    case PartFlag::hidden_text: return "hidden_text";
  }
  return "unknown";
}

}  // namespace privmilter
