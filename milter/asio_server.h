#pragma once
// privmilter's own milter protocol engine on Boost.Asio (config
// milter.engine: asio): one I/O thread for all connections, messages
// judged on a pool of inspection threads, TCP_NODELAY and TCP_QUICKACK on
// TCP connections, one round trip per message with an MTA that supports
// no-reply stages. libmilter instead runs a thread per connection and
// leaves TCP options to the operating system's defaults.

#include <memory>

#include "protocol_server.h"

namespace privmilter::milter {

Result<std::unique_ptr<ProtocolServer>> open_asio_server(const Config& config);

}  // namespace privmilter::milter
