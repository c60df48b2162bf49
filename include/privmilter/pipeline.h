#pragma once
// Content extraction followed by policy evaluation: the pure middle of the
// pipeline, shared by the daemon and `privmilterctl scan`.

#include "privmilter/config.h"
#include "privmilter/directory.h"
#include "privmilter/envelope.h"
#include "privmilter/message_facts.h"
#include "privmilter/policy.h"
#include "privmilter/result.h"
#include "privmilter/spool.h"
#include "privmilter/verdict.h"

namespace privmilter {

struct Decision {
  MessageFacts facts;
  Verdict verdict;
};

Result<Decision> decide(const Envelope& envelope, const MessageSpool& spool, const Policy& policy,
                        const Directory& directory, const ContentLimits& limits);

}  // namespace privmilter
