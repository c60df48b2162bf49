#pragma once
// Carrying out an end-of-message decision (MtaEdits) through whichever
// protocol engine talks to the MTA: the order of the edits and what a
// refused edit means are the same for both.

#include <optional>
#include <string>
#include <string_view>

#include "privmilter/mta_edits.h"

namespace privmilter::milter {

class Metrics;

// The answer that ends a message, in protocol terms.
enum class FinalAnswer { proceed, accept, discard, reject, tempfail };

// What an engine can change in the message at end of message. Each call
// returns false when the MTA would not take the change (an action not
// negotiated, a broken connection).
class MessageEditor {
 public:
  virtual ~MessageEditor() = default;
  // occurrence: 1 for the first field of that name; no value deletes it.
  virtual bool change_header(std::string_view name, std::size_t occurrence, const std::optional<std::string>& value) = 0;
  virtual bool replace_body(std::string_view body) = 0;
  virtual bool add_header(std::string_view name, std::string_view value) = 0;
  virtual bool delete_recipient(std::string_view path) = 0;  // "<address>"
  virtual bool set_reply(const SmtpReply& reply) = 0;
};

// Applies `edits` in order and returns the answer. A delivery that cannot
// be edited as decided (encryption, a removed recipient, a routing field)
// must not happen half-edited: the message is kept (tempfail). Only a
// refused subject change answers `on_error`. `subject` names the message
// in logs; `metrics` counts refused edits.
FinalAnswer apply_edits(const MtaEdits& edits, MessageEditor& editor, std::string_view subject, Metrics* metrics,
                        FinalAnswer on_error);

}  // namespace privmilter::milter
