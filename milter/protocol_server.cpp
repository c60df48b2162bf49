#include "protocol_server.h"

#include "asio_server.h"
#include "libmilter_server.h"

namespace privmilter::milter {

Result<std::unique_ptr<ProtocolServer>> open_protocol_server(const Config& config) {
  if (config.server.engine == ProtocolEngine::asio) return open_asio_server(config);
  return open_libmilter_server(config);
}

}  // namespace privmilter::milter
