#!/usr/bin/env bash
# Installs every Debian 12 package that privmilter's build, tests and
# end-to-end harness need. Safe to re-run: apt-get skips what is present.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi

PACKAGES=(
  build-essential cmake pkg-config
  libmilter-dev libgmime-3.0-dev libssl-dev openssl
  libboost-dev libspdlog-dev libfmt-dev libyaml-cpp-dev
  nlohmann-json3-dev libcli11-dev libxml2-dev libsqlite3-dev libre2-dev
  libgtest-dev googletest
  postfix swaks procps
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  # Postfix must not become a system MTA listening on port 25: the tests
  # start their own private instance with their own configuration.
  echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
echo "setup: all ${#PACKAGES[@]} packages present"
