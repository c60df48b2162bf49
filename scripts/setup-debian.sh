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
  nlohmann-json3-dev libcli11-dev libxml2-dev libsqlite3-dev libre2-dev libvectorscan-dev
  libarchive-dev libgsf-1-dev libpoppler-cpp-dev libytnef0-dev
  zip p7zip-full qpdf
  libgtest-dev googletest libbenchmark-dev
  postfix swaks procps python3 util-linux
  clang libclang-rt-14-dev
  libsystemd-dev systemd
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

# The Sendmail end-to-end test (tests/e2e/sendmail_harness.sh) unpacks a
# private Sendmail from these .debs with dpkg -x. They are only downloaded,
# never installed: sendmail-bin provides mail-transport-agent, so installing
# it would remove postfix. m4 builds the instance's .cf from its .mc.
E2E_DEB_CACHE=${PRIVMILTER_E2E_DEB_CACHE:-/var/cache/privmilter-e2e/debs}
SENDMAIL_DEBS=(sendmail-bin sendmail-cf libwrap0 m4)
to_download=()
for p in "${SENDMAIL_DEBS[@]}"; do
  compgen -G "$E2E_DEB_CACHE/${p}_*.deb" >/dev/null || to_download+=("$p")
done
if [ ${#to_download[@]} -gt 0 ]; then
  $SUDO mkdir -p "$E2E_DEB_CACHE"
  # apt-get download writes into the current directory; owned by _apt it
  # downloads sandboxed, without the "unsandboxed as root" warning.
  $SUDO chown _apt "$E2E_DEB_CACHE" 2>/dev/null || true
  if ! (cd "$E2E_DEB_CACHE" && $SUDO apt-get download -qq "${to_download[@]}"); then
    $SUDO apt-get update -qq
    (cd "$E2E_DEB_CACHE" && $SUDO apt-get download -qq "${to_download[@]}")
  fi
fi
echo "setup: .debs for the private Sendmail in $E2E_DEB_CACHE"
