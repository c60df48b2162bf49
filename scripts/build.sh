#!/usr/bin/env bash
# Configures and builds privmilter into build/ (or $PRIVMILTER_BUILD_DIR).
# Arguments are targets to build (default: everything, tests included);
# extra configure options go in $PRIVMILTER_CMAKE_OPTIONS, e.g.
# PRIVMILTER_CMAKE_OPTIONS=-DPRIVMILTER_SANITIZE=ON.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${PRIVMILTER_BUILD_DIR:-build}"
# shellcheck disable=SC2086  # options are meant to split into words
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-RelWithDebInfo}" ${PRIVMILTER_CMAKE_OPTIONS:-} >/dev/null
targets=()
for target in "$@"; do targets+=(--target "$target"); done
cmake --build "$build_dir" -j "$(nproc)" "${targets[@]}"
