#!/usr/bin/env bash
# Sets up, builds and runs every test: unit, integration (the daemon over
# the milter protocol) and end-to-end (private Postfix and Sendmail
# instances); then the unit and integration tests again under
# AddressSanitizer and UndefinedBehaviorSanitizer, which is where a memory
# error in parsing hostile mail would show. PRIVMILTER_SKIP_SANITIZERS=1
# skips that second build for a quick local run. Last, each libFuzzer target
# runs for a bounded time (PRIVMILTER_SKIP_FUZZ=1 skips that).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup-debian.sh
./scripts/build.sh
(cd "${PRIVMILTER_BUILD_DIR:-build}" && ctest --output-on-failure --timeout 600 -j 2)

if [ "${PRIVMILTER_SKIP_SANITIZERS:-0}" != 1 ]; then
  PRIVMILTER_BUILD_DIR=build-sanitize CMAKE_BUILD_TYPE=Debug \
    PRIVMILTER_CMAKE_OPTIONS="-DPRIVMILTER_SANITIZE=ON -DPRIVMILTER_BUILD_BENCH=OFF" \
    ./scripts/build.sh
  (cd build-sanitize && ctest --output-on-failure --timeout 900 -j 2 -LE e2e)
fi

# Each libFuzzer target for a bounded time (scripts/fuzz.sh, docs/FUZZING.md);
# PRIVMILTER_SKIP_FUZZ=1 skips it.
if [ "${PRIVMILTER_SKIP_FUZZ:-0}" != 1 ]; then
  ./scripts/fuzz.sh
fi
