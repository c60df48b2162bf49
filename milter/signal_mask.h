#pragma once
// Threads the daemon starts before smfi_main must never take SIGHUP,
// SIGTERM or SIGINT: libmilter blocks them only later, in smfi_main, and
// only in its own threads. Were they open in one of ours, a SIGTERM could
// land there and kill the process instead of reaching libmilter's orderly
// stop. Threads created while this guard lives start with every signal
// blocked; the creating thread's mask is restored afterwards.

#include <signal.h>

namespace privmilter::milter {

class AllSignalsBlocked {
 public:
  AllSignalsBlocked() {
    sigset_t all;
    sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, &previous_);
  }
  ~AllSignalsBlocked() { ::pthread_sigmask(SIG_SETMASK, &previous_, nullptr); }
  AllSignalsBlocked(const AllSignalsBlocked&) = delete;
  AllSignalsBlocked& operator=(const AllSignalsBlocked&) = delete;

 private:
  sigset_t previous_{};
};

}  // namespace privmilter::milter
