# shellcheck shell=bash
# sendmail_harness.sh: a private, throw-away Sendmail instance for end-to-end
# tests of a milter. Source it from a bash test script; it must run as root.
# The recipe and its quirks are in ../shared/docs/sendmail-private-instance.md (beside the checkout).
#
# Sendmail is never installed: sendmail-bin provides mail-transport-agent, so
# dpkg -i would remove postfix. scripts/setup-debian.sh downloads the .debs
# into $SMH_DEB_CACHE; each test unpacks them with dpkg-deb -x into its own
# temp directory (well under a second) and runs the binary from there.
#
# This file sources postfix_harness.sh and reuses it: the temp directory
# ($PFH_DIR), free ports, background processes, Postfix's smtp-sink as the
# next hop, swaks, log polling and the assertions. After smh_start_sendmail,
# these pfh_* functions act on the Sendmail instance:
#   pfh_send / pfh_send_file    talk to Sendmail's port (PFH_SMTP_PORT is set to it)
#   pfh_maillog / pfh_wait_for_log
#                               read Sendmail's syslog lines (PFH_MAILLOG is set)
#   pfh_start_sink, pfh_sink_messages, pfh_sink_count, pfh_wait_for_sink_count,
#   pfh_start_process, pfh_stop_process, pfh_free_port, pfh_wait_for_port,
#   pfh_fail, pfh_assert_file_matches, pfh_assert_file_lacks
# Do not call pfh_require_environment, pfh_init or pfh_start_postfix.
#
# Every run of the Sendmail binary goes through a wrapper ($SMH_SM) that runs
# it inside "unshare --uts --mount" with:
#   * a dotted hostname, because Sendmail sleeps 60 s at start-up when the
#     machine's name has no domain part (before it even reads its .cf);
#   * a private /etc/hosts and /etc/nsswitch.conf ("files" only): no DNS;
#   * a private /dev whose /dev/log is a socket served by a small python3
#     receiver that appends Sendmail's syslog lines to $SMH_MAILLOG (Sendmail
#     logs only to syslog, and this machine has no syslog daemon).
# None of this is visible outside the namespace. The instance listens on a
# free loopback port only (no port 25, no implicit MSA on 587), keeps its
# queue, pid file and statistics under $PFH_DIR, and relays all mail to the
# sink. The milter is declared with F=T (temp-fail when it is unreachable)
# and short timeouts ($SMH_MILTER_TIMEOUTS). The EXIT trap stops Sendmail and
# every process left in its namespace, then runs postfix_harness's cleanup.
#
# Every wait is bounded (PFH_TIMEOUT seconds, default 20).
#
# Functions (return status 0 = success unless stated otherwise):
#   smh_require_environment     exit 77 with "SKIP: ..." unless root, with the
#                               cached .debs, unshare, python3, smtp-sink and swaks
#   smh_init                    pfh_init plus Sendmail's cleanup
#   smh_provision               unpack the .debs into $SMH_ROOT (smh_start_sendmail
#                               calls it when needed)
#   smh_start_sendmail SOCKET [MC_LINE...]
#                               configure and start Sendmail with one milter at
#                               SOCKET (Sendmail syntax: inet:PORT@127.0.0.1 or
#                               local:/path), named $SMH_MILTER_NAME; extra .mc
#                               lines go before the MAILER lines. Start the sink
#                               first. Sets SMH_SMTP_PORT (= PFH_SMTP_PORT),
#                               SMH_INST, SMH_CF, SMH_MAILLOG (= PFH_MAILLOG), SMH_PID
#   smh_stop_sendmail           stop the daemon and whatever else still runs in
#                               its namespace (bounded)
#   smh_sendmail ARG...         run the instance's binary (e.g. -bp, -q), bounded
#   smh_queue_count             print the number of queue files (qf/df/tf/...)
#   smh_last_queue_id           print the queue id of the last accepted message,
#                               from the last swaks transcript
#
# Variables: SMH_DEB_CACHE (PRIVMILTER_E2E_DEB_CACHE, default
# /var/cache/privmilter-e2e/debs), SMH_HOSTNAME, SMH_MILTER_NAME,
# SMH_MILTER_TIMEOUTS, SMH_PYTHON, SMH_ROOT, SMH_INST, SMH_CF, SMH_SM,
# SMH_SMTP_PORT, SMH_MAILLOG, SMH_PID, plus postfix_harness.sh's PFH_*.

# shellcheck source=postfix_harness.sh
source "$(dirname "${BASH_SOURCE[0]}")/postfix_harness.sh"

SMH_DEB_CACHE=${PRIVMILTER_E2E_DEB_CACHE:-/var/cache/privmilter-e2e/debs}
SMH_HOSTNAME=${SMH_HOSTNAME:-mta.privmilter-e2e.test}
SMH_MILTER_NAME=${SMH_MILTER_NAME:-milter}
# C: connect, S: send, R: read, E: whole end-of-message exchange. Short, so a
# hung milter fails a test in seconds instead of Sendmail's minutes.
SMH_MILTER_TIMEOUTS=${SMH_MILTER_TIMEOUTS:-C:2s;S:10s;R:10s;E:30s}
SMH_PYTHON=${SMH_PYTHON:-/usr/bin/python3}

SMH_ROOT=""
SMH_INST=""
SMH_CF=""
SMH_SM=""
SMH_SMTP_PORT=""
SMH_MAILLOG=""
SMH_PID=""
SMH_NAMESPACE=""

# Newest cached .deb of PACKAGE, or nothing.
smh_cached_deb() {
  compgen -G "$SMH_DEB_CACHE/${1}_*.deb" | sort -V | tail -n 1
}

smh_m4_needs_deb() {
  ! command -v m4 >/dev/null
}

smh_require_environment() {
  [ "$(id -u)" -eq 0 ] || pfh_skip "the Sendmail end-to-end tests must run as root"
  local package
  local packages=(sendmail-bin sendmail-cf libwrap0)
  smh_m4_needs_deb && packages+=(m4)
  for package in "${packages[@]}"; do
    [ -n "$(smh_cached_deb "$package")" ] ||
      pfh_skip "no $package .deb in $SMH_DEB_CACHE (run scripts/setup-debian.sh)"
  done
  local tool
  for tool in unshare mount hostname dpkg-deb "$SMH_PYTHON"; do
    command -v "$tool" >/dev/null || pfh_skip "$tool is missing"
  done
  for tool in "$PFH_SMTP_SINK" "$PFH_SWAKS"; do
    [ -x "$tool" ] || pfh_skip "$tool is missing (install postfix and swaks: scripts/setup-debian.sh)"
  done
  id "$PFH_SINK_USER" >/dev/null 2>&1 || pfh_skip "user $PFH_SINK_USER is missing"
  unshare --uts --mount true 2>/dev/null || pfh_skip "unshare --uts --mount is not permitted here"
}

smh_init() {
  pfh_init
  trap smh_cleanup EXIT
}

smh_return() { return "$1"; }

smh_cleanup() {
  local status=$?
  set +e
  smh_stop_sendmail
  # pfh_cleanup takes the test's exit status from $?.
  smh_return "$status"
  pfh_cleanup
}

smh_provision() {
  [ -n "$PFH_DIR" ] || pfh_fail "call smh_init first"
  SMH_ROOT="$PFH_DIR/sendmail-root"
  mkdir -p "$SMH_ROOT"
  local package deb
  local packages=(sendmail-bin sendmail-cf libwrap0)
  smh_m4_needs_deb && packages+=(m4)
  for package in "${packages[@]}"; do
    deb=$(smh_cached_deb "$package")
    dpkg-deb -x "$deb" "$SMH_ROOT" || pfh_fail "dpkg-deb -x $deb failed"
  done
  # The binary is setgid mail; a setgid program runs in glibc's secure mode,
  # which ignores LD_LIBRARY_PATH, and that is how it finds the unpacked libwrap.
  chmod g-s "$SMH_ROOT/usr/libexec/sendmail/sendmail" || pfh_fail "sendmail-bin did not unpack"
}

smh_m4() {
  if smh_m4_needs_deb; then "$SMH_ROOT/usr/bin/m4" "$@"; else m4 "$@"; fi
}

# The .mc takes its paths, names and ports from m4 -D macros (SMDIR SMHOST
# SM_PORT SINK_PORT MILTER_NAME MILTER_SOCKET MILTER_TIMEOUTS).
smh_write_mc_head() {
  cat <<'MC'
divert(-1)dnl
Private test instance written by tests/e2e/sendmail_harness.sh.
divert(0)dnl
VERSIONID(`privmilter e2e test instance')dnl
dnl OSTYPE(debian) would hard-code /etc/mail and /var/lib/sendmail.
OSTYPE(`linux')dnl
define(`confDOMAIN_NAME', `SMHOST')dnl
define(`confDONT_PROBE_INTERFACES', `True')dnl
define(`MAIL_SETTINGS_DIR', `SMDIR/etc/')dnl
define(`QUEUE_DIR', `SMDIR/mqueue')dnl
define(`STATUS_FILE', `SMDIR/sendmail.st')dnl
define(`confPID_FILE', `SMDIR/sendmail.pid')dnl
define(`ALIAS_FILE', `SMDIR/etc/aliases')dnl
define(`HELP_FILE', `SMDIR/etc/helpfile')dnl
define(`confSERVICE_SWITCH_FILE', `SMDIR/etc/service.switch')dnl
define(`confDEAD_LETTER_DROP', `SMDIR/dead.letter')dnl
define(`confHOST_STATUS_DIRECTORY', `')dnl
dnl The instance lives under /tmp, which is world-writable (sticky).
define(`confDONT_BLAME_SENDMAIL', `TrustStickyBit')dnl
define(`confLOG_LEVEL', `14')dnl
define(`confMILTER_LOG_LEVEL', `6')dnl
dnl No SMTP AUTH: it would depend on the machine's Cyrus SASL set-up.
define(`confAUTH_MECHANISMS', `')dnl
dnl No ident query back to every client.
define(`confTO_IDENT', `0')dnl
dnl Loopback only, and no implicit MSA on 0.0.0.0:587.
FEATURE(`no_default_msa')dnl
DAEMON_OPTIONS(`Port=SM_PORT, Addr=127.0.0.1, Name=MTA')dnl
dnl No DNS for addresses; everything, local names included, goes to the sink.
FEATURE(`nocanonify')dnl
FEATURE(`accept_unresolvable_domains')dnl
define(`SMART_HOST', `relay:[127.0.0.1]')dnl
define(`MAIL_HUB', `relay:[127.0.0.1]')dnl
dnl The port goes in the mailer arguments: in SMART_HOST ":port" would be read
dnl as a second host, and [127.0.0.1] would be tried on port 25.
define(`RELAY_MAILER_ARGS', `TCP $h SINK_PORT')dnl
define(`ESMTP_MAILER_ARGS', `TCP $h SINK_PORT')dnl
dnl The milter macros are Sendmail's defaults on purpose: a milter must ask
dnl for what else it needs (smfi_setsymlist) as it would on a stock install.
INPUT_MAIL_FILTER(`MILTER_NAME', `S=MILTER_SOCKET, F=T, T=MILTER_TIMEOUTS')dnl
MC
}

smh_write_mc_tail() {
  cat <<'MC'
MAILER(`local')dnl
MAILER(`smtp')dnl
MC
}

# Runs the binary in its own UTS and mount namespace; see the top of this file.
smh_write_wrapper() {
  {
    printf '#!/bin/sh\n# Written by tests/e2e/sendmail_harness.sh.\n'
    printf 'SMDIR=%q SMROOT=%q SMHOST=%q\n' "$SMH_INST" "$SMH_ROOT" "$SMH_HOSTNAME"
    printf 'export SMDIR SMROOT SMHOST\n'
    cat <<'WRAPPER'
exec unshare --uts --mount sh -ec '
  mount --bind "$SMDIR/etc/hosts" /etc/hosts
  mount --bind "$SMDIR/etc/nsswitch.conf" /etc/nsswitch.conf
  if [ -S "$SMDIR/log.sock" ]; then
    mount --rbind /dev "$SMDIR/.dev"
    mount -t tmpfs -o mode=755 smh-dev /dev
    for name in null zero full random urandom tty; do
      : > "/dev/$name"
      mount --bind "$SMDIR/.dev/$name" "/dev/$name"
    done
    ln -s /proc/self/fd /dev/fd
    ln -s "$SMDIR/log.sock" /dev/log
  fi
  hostname "$SMHOST"
  LD_LIBRARY_PATH="$SMROOT/usr/lib/x86_64-linux-gnu:$SMROOT/lib/x86_64-linux-gnu"
  export LD_LIBRARY_PATH
  exec "$SMROOT/usr/libexec/sendmail/sendmail" -C "$SMDIR/etc/private.cf" "$@"' sendmail-wrapper "$@"
WRAPPER
  } >"$SMH_SM"
  chmod 0755 "$SMH_SM"
}

# Appends every datagram on the socket to the log file, one line each.
SMH_SYSLOG_RECEIVER='
import os, socket, sys
sock_path, out_path = sys.argv[1], sys.argv[2]
receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
receiver.bind(sock_path + ".new")
os.chmod(sock_path + ".new", 0o666)
os.rename(sock_path + ".new", sock_path)
with open(out_path, "ab", buffering=0) as out:
    while True:
        out.write(receiver.recv(65536).rstrip(b"\0\n") + b"\n")
'

smh_write_instance_files() {
  mkdir -p "$SMH_INST/etc" "$SMH_INST/mqueue" "$SMH_INST/bin" "$SMH_INST/.dev"
  chmod 0700 "$SMH_INST/mqueue"
  : >"$SMH_INST/sendmail.st"
  printf '127.0.0.1\tlocalhost %s %s\n::1\tlocalhost\n' "$SMH_HOSTNAME" "${SMH_HOSTNAME%%.*}" \
    >"$SMH_INST/etc/hosts"
  printf '%s: files\n' passwd group shadow hosts services protocols >"$SMH_INST/etc/nsswitch.conf"
  printf 'hosts\tfiles\naliases\tfiles\n' >"$SMH_INST/etc/service.switch"
  printf 'postmaster: root\n' >"$SMH_INST/etc/aliases"
}

smh_build_cf() {
  local milter_socket=$1
  shift
  {
    smh_write_mc_head
    local line
    for line in "$@"; do printf '%s\n' "$line"; done
    smh_write_mc_tail
  } >"$SMH_INST/etc/private.mc"
  SMH_CF="$SMH_INST/etc/private.cf"
  smh_m4 -DSMDIR="$SMH_INST" -DSMHOST="$SMH_HOSTNAME" -DSM_PORT="$SMH_SMTP_PORT" \
    -DSINK_PORT="$PFH_SINK_PORT" -DMILTER_NAME="$SMH_MILTER_NAME" \
    -DMILTER_SOCKET="$milter_socket" -DMILTER_TIMEOUTS="$SMH_MILTER_TIMEOUTS" \
    "$SMH_ROOT/usr/share/sendmail/cf/m4/cf.m4" "$SMH_INST/etc/private.mc" \
    >"$SMH_CF" 2>"$SMH_INST/m4.log" || pfh_fail "m4 failed: $(cat "$SMH_INST/m4.log")"
  # A wrong .cf fails in confusing ways later; check what matters now.
  grep -qxF "O DaemonPortOptions=Port=$SMH_SMTP_PORT, Addr=127.0.0.1, Name=MTA" "$SMH_CF" ||
    pfh_fail "$SMH_CF lacks the loopback listener"
  if grep -q '^O DaemonPortOptions=.*Port=\(25\|587\|submission\)\b' "$SMH_CF"; then
    pfh_fail "$SMH_CF listens on a standard port"
  fi
  grep -qxF "X$SMH_MILTER_NAME, S=$milter_socket, F=T, T=$SMH_MILTER_TIMEOUTS" "$SMH_CF" ||
    pfh_fail "$SMH_CF lacks the milter declaration"
  awk -v args="A=TCP \$h $PFH_SINK_PORT" '/^Mrelay,/ { in_relay = 1; next }
      in_relay && /^[^ \t]/ { in_relay = 0 }
      in_relay && index($0, args) && substr($0, length($0) - length(args) + 1) == args { found = 1 }
      END { exit !found }' "$SMH_CF" || pfh_fail "$SMH_CF does not relay to the sink's port"
}

smh_sendmail() {
  [ -n "$SMH_SM" ] || pfh_fail "sendmail is not configured"
  timeout "$PFH_TIMEOUT" "$SMH_SM" "$@"
}

smh_start_syslog_receiver() {
  SMH_MAILLOG="$SMH_INST/maillog"
  : >"$SMH_MAILLOG"
  printf '%s' "$SMH_SYSLOG_RECEIVER" >"$SMH_INST/syslog_receiver.py"
  pfh_start_process sendmail-syslog "$SMH_PYTHON" "$SMH_INST/syslog_receiver.py" "$SMH_INST/log.sock" "$SMH_MAILLOG"
  pfh_wait_for_unix_socket "$SMH_INST/log.sock" 10
  PFH_MAILLOG=$SMH_MAILLOG
}

smh_daemon_pid() {
  local pid
  pid=$(head -n 1 "$SMH_INST/sendmail.pid" 2>/dev/null) || return 1
  [ -n "$pid" ] && ! pfh_process_gone "$pid" && printf '%s\n' "$pid"
}

smh_start_sendmail() {
  local milter_socket=$1
  shift
  [ -n "$PFH_DIR" ] || pfh_fail "call smh_init first"
  [ -n "$PFH_SINK_PORT" ] || pfh_fail "call pfh_start_sink before smh_start_sendmail"
  [ -n "$SMH_ROOT" ] || smh_provision
  SMH_INST="$PFH_DIR/sendmail"
  SMH_SM="$SMH_INST/bin/sm"
  smh_write_instance_files
  smh_write_wrapper
  smh_start_syslog_receiver
  local attempt
  for attempt in 1 2 3; do
    pfh_free_port SMH_SMTP_PORT
    smh_build_cf "$milter_socket" "$@"
    smh_sendmail -bi >"$SMH_INST/newaliases.log" 2>&1 ||
      pfh_fail "newaliases failed: $(cat "$SMH_INST/newaliases.log")"
    # -bd forks the daemon and returns; -q1m runs the queue every minute.
    smh_sendmail -bd -q1m >"$SMH_INST/start.log" 2>&1 ||
      pfh_fail "sendmail -bd failed: $(cat "$SMH_INST/start.log")"
    if pfh_wait_until "$PFH_TIMEOUT" pfh_port_listening "$SMH_SMTP_PORT" && SMH_PID=$(smh_daemon_pid); then
      break
    fi
    # Another process may have taken the port between the check and the bind.
    smh_stop_sendmail
    SMH_PID=""
    pfh_log "sendmail did not listen on $SMH_SMTP_PORT (attempt $attempt)"
  done
  [ -n "$SMH_PID" ] || pfh_fail "sendmail did not start; log: $(tail -n 20 "$SMH_MAILLOG")"
  SMH_NAMESPACE=$(readlink "/proc/$SMH_PID/ns/mnt")
  PFH_SMTP_PORT=$SMH_SMTP_PORT
  pfh_log "sendmail (pid $SMH_PID) on 127.0.0.1:$SMH_SMTP_PORT, milter $SMH_MILTER_NAME at $milter_socket"
}

# PIDs of the processes in the daemon's mount namespace: the daemon, its
# SMTP and delivery children and queue runners. The namespace was made for
# this instance alone, so nothing else is in it.
smh_namespace_pids() {
  [ -n "$SMH_NAMESPACE" ] || return 0
  local dir
  for dir in /proc/[0-9]*; do
    [ "$(readlink "$dir/ns/mnt" 2>/dev/null)" = "$SMH_NAMESPACE" ] && printf '%s\n' "${dir#/proc/}"
  done
  return 0
}

smh_no_instance_process_left() {
  local pid
  for pid in $(smh_namespace_pids); do
    pfh_process_gone "$pid" || return 1
  done
  return 0
}

smh_stop_sendmail() {
  [ -n "$SMH_INST" ] || return 0
  local pid
  if pid=$(smh_daemon_pid); then
    kill -TERM "$pid" 2>/dev/null
    pfh_wait_until 15 pfh_process_gone "$pid" || pfh_log "sendmail $pid ignored SIGTERM for 15 s"
  fi
  if ! pfh_wait_until 5 smh_no_instance_process_left; then
    for pid in $(smh_namespace_pids); do
      pfh_log "killing leftover sendmail process $pid"
      kill -KILL "$pid" 2>/dev/null
    done
  fi
  return 0
}

smh_queue_count() {
  find "$SMH_INST/mqueue" -type f 2>/dev/null | awk 'END { print NR }'
}

smh_last_queue_id() {
  sed -nE 's/^<-  250 2\.0\.0 ([A-Za-z0-9]+) Message accepted for delivery.*/\1/p' "$PFH_LAST_TRANSCRIPT" | tail -n 1
}
