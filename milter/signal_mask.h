#pragma once
// The daemon's own threads must never take SIGHUP, SIGTERM or SIGINT:
// the main thread waits for SIGTERM and SIGINT (sigwait) and libmilter's
// signal thread for SIGHUP. Were they open in one of ours, a SIGTERM could
// land there and kill the process instead of reaching the orderly stop. Threads created while this guard lives start with every signal
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
