#pragma once

#include "options.h"

namespace privmilter::milter {

// Runs the daemon until SIGTERM or SIGINT (in-flight messages get
// milter.shutdown_timeout_seconds to finish) or SIGHUP (libmilter's
// immediate stop).
// Returns the process exit code.
int run_daemon(const Options& options);

}  // namespace privmilter::milter
