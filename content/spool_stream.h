#pragma once
// A GMime stream over the raw message held in a MessageSpool.

#include <gmime/gmime.h>

#include "gmime_handles.h"
#include "privmilter/result.h"
#include "privmilter/spool.h"

namespace privmilter::content {

// In-memory spools are copied into a memory stream. File-backed spools are
// mapped read-only through a duplicate descriptor: the mapping never touches
// the spool's file offset and the spool keeps its own descriptor open.
// The stream must not outlive the spool's content.
Result<GObjectPtr<GMimeStream>> open_spool_stream(const MessageSpool& spool);

}  // namespace privmilter::content
