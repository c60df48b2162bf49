#!/usr/bin/env bash
# bench-mta.sh: messages/s end to end through a private Postfix and a
# private Sendmail (tests/e2e/*_harness.sh) driven by smtp-source, Postfix's
# own load generator: no milter, privmilter (shipped configuration and
# policy) on its libmilter engine and on its own (privmilter-asio), and
# privmilter-null-milter naive (answers every stage) and lean (no-reply
# stages, only the stages it needs), over a unix socket and over
# TCP, the null milter with and without a header added at end of message.
# privmilter always adds one (X-Privmilter on outgoing mail). Prints one
# Markdown table per MTA.
#
# Usage: scripts/bench-mta.sh [BUILD_DIR]        (default: build)
# Environment (defaults): MTAS="postfix sendmail" MESSAGES=2000 (Postfix)
#   SENDMAIL_MESSAGES=400, both per row at 8 sessions and scaled down with
#   fewer (not below 100); SESSIONS="8 1" (a row per smtp-source session
#   count: one session shows a per-message stall that the CPU limit can hide
#   at eight)
#   SIZE=10k KIND=plain (the load benchmark's generated message)
#   MILTERS="none privmilter null-naive null-lean" SOCKETS="unix inet"
#   WARMUP=200 (messages sent before each milter's measurements)
#   QUEUE_TMPFS=yes: the MTA's queue on a tmpfs, so that the disk's sync
#   latency (the same with or without a milter) does not drown the milter's
# Runs as root (private MTA instances); needs postfix, smtp-sink,
# smtp-source and, for Sendmail, the .debs scripts/setup-debian.sh caches.
# The harnesses' own output goes to ${TMPDIR:-/tmp}/bench-mta-MTA.log.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
MTAS=${MTAS:-postfix sendmail}
MESSAGES=${MESSAGES:-2000}
SENDMAIL_MESSAGES=${SENDMAIL_MESSAGES:-400}
SESSIONS=${SESSIONS:-8 1}
SIZE=${SIZE:-10k}
KIND=${KIND:-plain}
MILTERS=${MILTERS:-none privmilter privmilter-asio null-naive null-lean}
SOCKETS=${SOCKETS:-unix inet}
WARMUP=${WARMUP:-200}
QUEUE_TMPFS=${QUEUE_TMPFS:-yes}
SMTP_SOURCE=${SMTP_SOURCE:-/usr/sbin/smtp-source}

load_bench=$build/bench/milter_load_bench
privmilter=$build/milter/privmilter
privmilterctl=$build/tools/privmilterctl
null_milter=$build/tests/support/privmilter-null-milter

if [ -z "${BENCH_MTA_ONE:-}" ]; then
  for program in "$load_bench" "$privmilter" "$privmilterctl" "$null_milter"; do
    [ -x "$program" ] || { echo "bench-mta.sh: $program is missing; build milter_load_bench" >&2; exit 1; }
  done
  [ -x "$SMTP_SOURCE" ] || { echo "bench-mta.sh: $SMTP_SOURCE is missing (apt-get install postfix)" >&2; exit 1; }
  echo "End to end: messages of $SIZE $KIND, $MESSAGES (Postfix) and $SENDMAIL_MESSAGES (Sendmail) per row at"
  echo "8 sessions; MTA queue on tmpfs: $QUEUE_TMPFS"
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
  for mta in $MTAS; do
    # Each MTA in its own process: the harnesses own the EXIT trap.
    : >"${TMPDIR:-/tmp}/bench-mta-$mta.log"
    BENCH_MTA_ONE=$mta "${BASH_SOURCE[0]}" "$build" ||
      echo "bench-mta.sh: the $mta run failed (status $?); see ${TMPDIR:-/tmp}/bench-mta-$mta.log" >&2
  done
  echo
  echo "Finished $(date -u '+%H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
  exit 0
fi

mta=$BENCH_MTA_ONE
[ "$mta" = sendmail ] && MESSAGES=$SENDMAIL_MESSAGES
# shellcheck source=tests/e2e/sendmail_harness.sh
source "$root/tests/e2e/sendmail_harness.sh"
# The harness's chatter goes to a log; the table to the caller.
exec 3>&1 1>>"${TMPDIR:-/tmp}/bench-mta-$mta.log" 2>&1

milter_pid=""
milter_audit=""
queue_dir=""
queue_mounted=no

stop_milter() {
  if [ -n "$milter_pid" ] && [ -n "$milter_audit" ]; then
    pfh_stop_process "$milter_pid" 30 || true
  elif [ -n "$milter_pid" ]; then
    # libmilter takes seconds to notice SIGTERM; nothing of the null milter's needs saving.
    kill -KILL "$milter_pid" 2>/dev/null || true
    wait "$milter_pid" 2>/dev/null || true
  fi
  milter_pid=""
}

# The MTA stops before its queue's tmpfs goes; then the harness cleans up.
bench_cleanup() {
  local status=$?
  set +e
  if [ "$mta" = sendmail ]; then smh_stop_sendmail; else pfh_stop_postfix; fi
  stop_milter
  [ "$queue_mounted" = yes ] && umount -l "$queue_dir"
  # Both cleanups take the exit status from $?.
  if [ "$mta" = sendmail ]; then
    smh_return "$status"
    smh_cleanup
  else
    smh_return "$status"
    pfh_cleanup
  fi
}

if [ "$mta" = sendmail ]; then
  smh_require_environment
  smh_init
  queue_dir="$PFH_DIR/sendmail/mqueue"
else
  pfh_require_environment
  pfh_init
  queue_dir="$PFH_DIR/queue"
fi
trap bench_cleanup EXIT
if [ "$QUEUE_TMPFS" = yes ]; then
  mkdir -p "$queue_dir"
  mount -t tmpfs -o size=1g,mode=0755 bench-mta-queue "$queue_dir" || pfh_fail "cannot mount a tmpfs on $queue_dir"
  queue_mounted=yes
fi

message="$PFH_DIR/message.eml"
"$load_bench" --write-message "$message" --sizes "$SIZE" --kinds "$KIND"
chmod 0644 "$message"
sender=jdoe@examplelaw.com
recipient=partner@globex-litigators.example

# A sink that only counts: storing every message would cost more than the MTA.
pfh_free_port PFH_SINK_PORT
pfh_start_process sink "$PFH_SMTP_SINK" -u "$PFH_SINK_USER" "127.0.0.1:$PFH_SINK_PORT" 256
pfh_wait_for_port "$PFH_SINK_PORT"

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }

# start_milter NAME SOCKET_KIND HEADER(yes|no): sets milter_pid, milter_audit
# (privmilter) and the address in Postfix's and Sendmail's syntax.
start_milter() {
  local name=$1 kind=$2 header=$3 dir="$PFH_DIR/$1-$2-$3" port="" address
  mkdir -p "$dir"
  chmod 0755 "$dir"
  if [ "$kind" = unix ]; then
    address="unix:$dir/milter.sock"
    postfix_address="unix:$dir/milter.sock"
    sendmail_address="local:$dir/milter.sock"
  else
    pfh_free_port port
    address="inet:$port@127.0.0.1"
    postfix_address="inet:127.0.0.1:$port"
    sendmail_address="inet:$port@127.0.0.1"
  fi
  milter_audit=""
  if [ "$name" = privmilter ] || [ "$name" = privmilter-asio ]; then
    local engine=libmilter
    [ "$name" = privmilter-asio ] && engine=asio
    cp -R "$root/config" "$dir/config"
    sed -i -E "s/^(  engine:[[:space:]]*)[a-z]+/\\1$engine/" "$dir/config/privmilter.yaml"
    mkdir -p "$dir/var"
    local metrics_port
    pfh_free_port metrics_port
    sed -i -E "/^metrics:/,/listen:/ s/(listen:[[:space:]]*)[^[:space:]]+/\\1127.0.0.1:$metrics_port/" \
      "$dir/config/privmilter.yaml"
    "$privmilterctl" keygen -c "$dir/config/privmilter.yaml" >/dev/null
    pfh_start_process "privmilter-$kind" "$privmilter" -f -c "$dir/config/privmilter.yaml" -p "$address"
    milter_audit="$dir/var/audit/audit.log"
  else
    local options=(--backlog 1024)
    if [ "$name" = null-lean ]; then
      options+=(--no-send connect --no-send helo --no-send data --no-send eoh
                --no-reply-at mail --no-reply-at rcpt --no-reply-at header --no-reply-at body
                --request-macros connect:j --request-macros "mail:{auth_authen}" --request-macros rcpt:i)
    fi
    if [ "$header" = yes ]; then options+=(--add-header "X-Null-Milter:seen"); fi
    pfh_start_process "$name-$kind-$header" "$null_milter" -p "$address" "${options[@]}"
  fi
  milter_pid=$PFH_LAST_PID
  if [ "$kind" = unix ]; then
    pfh_wait_for_unix_socket "$dir/milter.sock" 60
    pfh_grant_postfix_access "$dir/milter.sock"
  else
    pfh_wait_for_port "$port" 60
  fi
}

use_milter() {  # ADDRESS in the MTA's syntax, or "" for none
  if [ "$mta" = postfix ]; then
    if [ -z "$PFH_CONF" ]; then
      pfh_start_postfix "$1"
    else
      pfh_postconf "smtpd_milters = $1"
      sleep 1  # smtpd processes of the old configuration finish their sessions
    fi
    return
  fi
  smh_stop_sendmail
  # This harness always declares a milter; without one, "none" declares an
  # unused socket and drops it from InputMailFilters below.
  smh_start_sendmail "${1:-local:$PFH_DIR/no-milter.sock}" \
    "define(\`confLOG_LEVEL', \`9')dnl" "define(\`confMILTER_LOG_LEVEL', \`0')dnl"
  if [ -z "$1" ]; then
    sed -i -E "/^O InputMailFilters=/d" "$SMH_CF"
    smh_stop_sendmail
    smh_sendmail -bd -q1m >/dev/null 2>&1
    if ! pfh_wait_until 20 pfh_port_listening "$SMH_SMTP_PORT" || ! SMH_PID=$(smh_daemon_pid); then
      pfh_fail "sendmail did not restart without its milter"
    fi
    # shellcheck disable=SC2034  # the harness's cleanup stops what runs in this namespace
    SMH_NAMESPACE=$(readlink "/proc/$SMH_PID/ns/mnt")
  fi
}

queue_empty() {
  if [ "$mta" = postfix ]; then [ "$(pfh_queue_count)" -eq 0 ]; else [ "$(smh_queue_count)" -eq 0 ]; fi
}

send_batch() {  # SESSIONS COUNT: returns smtp-source's status
  "$SMTP_SOURCE" -s "$1" -m "$2" -F "$message" -f "$sender" -t "$recipient" -M client.example.net \
    "127.0.0.1:$PFH_SMTP_PORT" >>"$PFH_DIR/smtp-source.log" 2>&1
}

# measure NAME SOCKET HEADER SESSIONS: one table row.
measure() {
  local name=$1 kind=$2 header=$3 sessions=$4 result="ok"
  local audit_before=0 ticks_before=0 start end ticks=0
  local count=$((MESSAGES * sessions / 8))
  [ "$count" -ge 100 ] || count=100
  pfh_wait_until 300 queue_empty || result="queue not drained before"
  [ -n "$milter_audit" ] && audit_before=$(wc -l <"$milter_audit" 2>/dev/null || echo 0)
  [ -n "$milter_pid" ] && ticks_before=$(cpu_ticks "$milter_pid")
  start=$(date +%s.%N)
  send_batch "$sessions" "$count" || result="smtp-source failed (see smtp-source.log)"
  end=$(date +%s.%N)
  [ -n "$milter_pid" ] && ticks=$(($(cpu_ticks "$milter_pid") - ticks_before))
  if [ -n "$milter_audit" ] && [ "$result" = ok ]; then
    result="ok, $(($(wc -l <"$milter_audit") - audit_before)) audit records"
  fi
  awk -v mta="$mta" -v name="$name" -v kind="$kind" -v header="$header" -v n="$count" \
      -v sessions="$sessions" -v start="$start" -v end="$end" -v ticks="$ticks" -v hz="$(getconf CLK_TCK)" \
      -v result="$result" 'BEGIN {
        seconds = end - start
        socket = name == "none" ? "-" : kind
        modification = name == "none" ? "-" : (name == "privmilter" ? "yes (X-Privmilter)" : header)
        cpu = name == "none" ? "-" : sprintf("%.0f", ticks / hz * 1e6 / n)
        printf "| %s | %s | %s | %s | %d | %.0f | %.1f | %s | %s |\n", mta, name, socket, modification,
               sessions, n / seconds, seconds * 1000 * sessions / n, cpu, result
      }' >&3
}

rows_for() {  # NAME SOCKET HEADER
  local name=$1 kind=$2 header=$3 address="" sessions
  if [ "$name" != none ]; then
    start_milter "$name" "$kind" "$header"
    if [ "$mta" = postfix ]; then address=$postfix_address; else address=$sendmail_address; fi
  fi
  use_milter "$address"
  send_batch 8 "$WARMUP" || true
  for sessions in $SESSIONS; do
    measure "$name" "$kind" "$header" "$sessions"
  done
  stop_milter
}

echo "" >&3
echo "| MTA | milter | socket | header added at end of message | sessions | msgs/s | ms per message in a session | milter CPU µs/msg | result |" >&3
echo "|---|---|---|---|---|---|---|---|---|" >&3
for name in $MILTERS; do
  if [ "$name" = none ]; then
    rows_for none - no
    continue
  fi
  for kind in $SOCKETS; do
    if [ "$name" = privmilter ] || [ "$name" = privmilter-asio ]; then
      rows_for "$name" "$kind" yes
    else
      rows_for "$name" "$kind" no
      rows_for "$name" "$kind" yes
    fi
  done
done
