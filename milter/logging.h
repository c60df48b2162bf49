#pragma once

#include <string>

namespace privmilter::milter {

// Standard error in the foreground (journald adds its own time stamps when
// it is the reader), syslog once detached.
void configure_logging(const std::string& level, bool foreground);

}  // namespace privmilter::milter
