#include "daemon.h"

int main(int argc, char** argv) {
  auto parsed = privmilter::milter::parse_options(argc, argv);
  if (parsed.exit_code) return *parsed.exit_code;
  return privmilter::milter::run_daemon(parsed.options);
}
