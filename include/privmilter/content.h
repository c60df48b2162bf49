#pragma once
// Content extraction: MIME tree -> decoded text segments and facts.
// Pure apart from reading the spool; safe on hostile input.

#include "privmilter/config.h"
#include "privmilter/message_facts.h"
#include "privmilter/result.h"
#include "privmilter/spool.h"

namespace privmilter {

// Parses the raw message held in `spool`. Malformed MIME yields facts with
// `defects` noted, not an error; an error means nothing could be inspected
// (e.g. the message exceeds limits.max_message_bytes or cannot be read).
Result<MessageFacts> extract_facts(const MessageSpool& spool, const ContentLimits& limits);

}  // namespace privmilter
