#pragma once

#include <string>

namespace privmilter::milter {

// Standard error in the foreground, syslog once detached. When standard
// error is the journal, each line starts with its syslog priority ("<3>")
// and nothing else: journald keeps the level and adds time and pid itself.
// Every line about a message names its queue id ("queue 4ZTEST: ..."); a
// line about a connection without one names the client. Never content.
void configure_logging(const std::string& level, bool foreground);
// systemd sets JOURNAL_STREAM to "DEVICE:INODE" of the stream it connected
// to standard error; a child that inherited the variable but writes
// elsewhere (a terminal, a pipe) is not writing to the journal.
bool stderr_is_journal();
// Applies a configuration's log_level to the logger in place (on reload).
void set_log_level(const std::string& level);

}  // namespace privmilter::milter
