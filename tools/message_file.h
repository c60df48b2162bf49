#pragma once
// Reads a message file (.eml) into a spool, as the daemon would hold it.

#include <string>

#include "privmilter/result.h"
#include "privmilter/spool.h"

namespace privmilter::tools {

// Large files go to an unlinked temporary file, as in the daemon.
Result<MessageSpool> read_message_file(const std::string& path);

}  // namespace privmilter::tools
