#pragma once

#include <string>

namespace privmilter::milter {

// Standard error in the foreground (journald adds its own time stamps when
// it is the reader), syslog once detached.
void configure_logging(const std::string& level, bool foreground);
// Applies a configuration's log_level to the logger in place (on reload).
void set_log_level(const std::string& level);

}  // namespace privmilter::milter
