#include "edit_application.h"

#include <spdlog/spdlog.h>

#include "metrics.h"

namespace privmilter::milter {

namespace {

FinalAnswer refused(std::string_view subject, Metrics* metrics, std::string_view what, FinalAnswer answer) {
  spdlog::error("{}: the MTA refused {}; {}", subject, what,
                answer == FinalAnswer::tempfail ? "deferring the message" : "answering per on_error");
  if (metrics != nullptr) metrics->count_error(ErrorKind::edit_refused);
  return answer;
}

}  // namespace

FinalAnswer apply_edits(const MtaEdits& edits, MessageEditor& editor, std::string_view subject, Metrics* metrics,
                        FinalAnswer on_error) {
  for (const auto& change : edits.change_headers) {
    if (!editor.change_header(change.name, change.occurrence, change.value)) {
      return refused(subject, metrics, "to change header " + change.name, FinalAnswer::tempfail);
    }
  }
  if (edits.replace_body && !editor.replace_body(*edits.replace_body)) {
    return refused(subject, metrics, "the new body", FinalAnswer::tempfail);
  }
  for (const auto& header : edits.add_headers) {
    // Never per on_error: a lost routing field would send the message
    // direct, in clear, instead of through TLS or the gateway.
    if (!editor.add_header(header.name, header.value)) {
      return refused(subject, metrics, "header " + header.name, FinalAnswer::tempfail);
    }
  }
  // Occurrence 1 changes the first Subject; without one, the MTA adds it.
  if (edits.replace_subject && !editor.change_header("Subject", 1, *edits.replace_subject)) {
    return refused(subject, metrics, "the subject change", on_error);
  }
  for (const auto& recipient : edits.remove_recipients) {
    // Delivering to a recipient the policy removed is the one outcome
    // that cannot be allowed: keep the message instead.
    if (!editor.delete_recipient("<" + recipient + ">")) {
      return refused(subject, metrics, "to remove a recipient", FinalAnswer::tempfail);
    }
  }
  switch (edits.disposition) {
    case Disposition::accept: return FinalAnswer::proceed;
    case Disposition::discard: return FinalAnswer::discard;
    case Disposition::reject:
    case Disposition::tempfail:
      if (edits.reply && !editor.set_reply(*edits.reply)) {
        spdlog::warn("{}: the MTA refused the reply text; it will use its default", subject);
      }
      return edits.disposition == Disposition::reject ? FinalAnswer::reject : FinalAnswer::tempfail;
  }
  return FinalAnswer::tempfail;
}

}  // namespace privmilter::milter
