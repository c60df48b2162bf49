#pragma once
// What the daemon needs of a milter protocol engine: a listening socket
// opened early (so a busy address fails before detaching), serving on its
// own threads, refusing new connections while open ones finish, and
// stopping. Two engines: libmilter's and privmilter's own on Boost.Asio
// (config milter.engine); both drive the same Connection (session.h).

#include <functional>
#include <memory>

#include "engine.h"
#include "privmilter/config.h"
#include "privmilter/result.h"

namespace privmilter::milter {

class ProtocolServer {
 public:
  virtual ~ProtocolServer() = default;

  // Starts serving `engine`, which must outlive the server. `on_ended`
  // is called, from any thread, when serving ends without stop().
  virtual Status start(const Engine& engine, std::function<void()> on_ended) = 0;
  // New connections are refused from now on; open ones are served on.
  virtual Status refuse_new_connections() = 0;
  // Ends serving: open connections are closed and the threads joined.
  virtual void stop() = 0;
  // Whether serving ended on its own because of an error.
  virtual bool failed() const = 0;
};

// Binds and listens on `config.socket` with the engine `config.server`
// names. A unix socket left by an earlier run is replaced.
Result<std::unique_ptr<ProtocolServer>> open_protocol_server(const Config& config);

}  // namespace privmilter::milter
