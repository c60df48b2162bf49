#!/usr/bin/env bash
# Sets up, builds and runs privmilter in the foreground on the bundled
# configuration (config/privmilter.yaml): socket inet:8891@127.0.0.1,
# quarantine and audit log under ./var/. Stop it with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup-debian.sh
./scripts/build.sh privmilter privmilterctl
mkdir -p var
# The keys for the quarantine, the audit chain and release tokens: made
# once, never replaced (what they protect would become unreadable).
./build/tools/privmilterctl keygen -c config/privmilter.yaml
./build/milter/privmilter -n -c config/privmilter.yaml
exec ./build/milter/privmilter -f -c config/privmilter.yaml "$@"
