#!/usr/bin/env bash
# Configures and builds privmilter into build/ (or $PRIVMILTER_BUILD_DIR).
# Extra arguments go to cmake's configure step, e.g. -DPRIVMILTER_SANITIZE=ON.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${PRIVMILTER_BUILD_DIR:-build}"
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-RelWithDebInfo}" "$@" >/dev/null
cmake --build "$build_dir" -j "$(nproc)"
