#pragma once

#include "options.h"

namespace privmilter::milter {

// Runs the daemon until libmilter stops it (SIGTERM, SIGHUP or SIGINT).
// Returns the process exit code.
int run_daemon(const Options& options);

}  // namespace privmilter::milter
