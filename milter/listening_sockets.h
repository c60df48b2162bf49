#pragma once
// Socket options for the connections libmilter accepts, which it does not
// let a filter reach. Linux copies them from the listening socket to every
// connection accepted on it, so setting them there is enough.

#include <string>

#include "privmilter/result.h"
#include "privmilter/unique_fd.h"

namespace privmilter::milter {

// A socket listening on a milter socket address ("unix:/path",
// "inet:PORT@HOST", "inet6:PORT@HOST"), as libmilter's smfi_opensocket
// makes it: a unix socket left by an earlier run is replaced, a TCP one may
// reuse the address, and TCP_NODELAY is set for the connections it accepts.
Result<UniqueFd> open_listening_socket(const std::string& spec, int backlog);

// TCP_NODELAY on every TCP socket this process listens on. libmilter
// writes an end-of-message modification and the final reply as separate
// packets; with Nagle's algorithm the second waits for the MTA's delayed
// acknowledgement of the first, about 40 ms per message. Returns how many
// listening sockets it set (0 for a unix socket).
int disable_nagle_on_listening_sockets();

}  // namespace privmilter::milter
