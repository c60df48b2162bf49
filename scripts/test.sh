#!/usr/bin/env bash
# Sets up, builds and runs every test: unit, integration (the daemon over
# the milter protocol) and end-to-end (a private Postfix instance).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup-debian.sh
./scripts/build.sh
cd "${PRIVMILTER_BUILD_DIR:-build}"
ctest --output-on-failure --timeout 600 -j 2
