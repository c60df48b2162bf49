#pragma once
// The protocol engine built on Sendmail's libmilter: smfi_main on a thread
// of its own, the callbacks of callbacks.cpp.

#include <memory>

#include "protocol_server.h"

namespace privmilter::milter {

Result<std::unique_ptr<ProtocolServer>> open_libmilter_server(const Config& config);

}  // namespace privmilter::milter
