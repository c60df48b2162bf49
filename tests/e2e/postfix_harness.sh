# shellcheck shell=bash
# postfix_harness.sh: a private, throw-away Postfix instance for end-to-end
# tests of a milter. Source it from a bash test script; it must run as root.
#
# Everything lives under one temp directory: Postfix's own config_directory,
# queue_directory and data_directory, its log (postlogd writes
# $PFH_DIR/maillog, no syslog needed), an smtp-sink that plays the next-hop
# server and dumps every message it receives into a file, and the logs of any
# process the test starts. Nothing touches /etc/postfix (only read, for
# postfix-files) and nothing listens on port 25: smtpd and the sink listen on
# free loopback ports. An EXIT trap stops Postfix, the sink and every process
# started with pfh_start_process, then removes the directory, also when the
# test fails; set PFH_KEEP=1 to keep the directory for a post-mortem.
#
# Every wait is bounded (PFH_TIMEOUT seconds, default 20).
#
# Functions (return status 0 = success unless stated otherwise):
#   pfh_require_environment      exit 77 with "SKIP: ..." unless root with postfix,
#                                smtp-sink and swaks installed
#   pfh_init                     create $PFH_DIR and install the cleanup trap
#   pfh_free_port VAR            store an unused loopback TCP port in VAR
#   pfh_port_listening PORT      true when something listens on PORT
#   pfh_wait_for_port PORT [S]   wait until something listens on PORT
#   pfh_wait_for_unix_socket PATH [S]
#   pfh_grant_postfix_access PATH
#                                let Postfix's unprivileged smtpd connect to a
#                                milter's unix socket (chmod 0666 and a+x on the
#                                parent directories); use before pfh_start_postfix
#   pfh_start_process NAME CMD [ARG...]
#                                run CMD in the background, output in
#                                $PFH_DIR/NAME.log; PID in PFH_LAST_PID; stopped
#                                at exit
#   pfh_stop_process PID [S]     SIGTERM, wait up to S seconds (default 10), SIGKILL
#   pfh_start_sink               start smtp-sink; sets PFH_SINK_PORT, PFH_SINK_DIR,
#                                PFH_SINK_PID
#   pfh_sink_messages            print the paths of completely received messages
#   pfh_sink_count               print how many messages the sink completed
#   pfh_wait_for_sink_count N [S]
#                                wait until the sink holds at least N messages
#   pfh_start_postfix MILTERS [MAIN_CF_LINE...]
#                                configure and start Postfix with smtpd_milters =
#                                MILTERS (Postfix syntax: unix:/path or
#                                inet:127.0.0.1:PORT); extra "key = value" lines
#                                are appended to main.cf, the file named by
#                                PFH_EXTRA_MASTER_CF (if set) to master.cf; sets
#                                PFH_SMTP_PORT (unless already set), PFH_CONF
#                                (config_directory), PFH_QUEUE. Relays
#                                everything to the sink (start the sink first).
#   pfh_postconf "key = value"...
#                                change main.cf of the running instance and reload
#   pfh_stop_postfix             stop the instance (bounded)
#   pfh_send SWAKS_ARG...        run swaks against the instance's smtpd; the
#                                transcript goes to $PFH_LAST_TRANSCRIPT; returns
#                                swaks' exit status (0 = message accepted)
#   pfh_send_file FROM TO FILE [SWAKS_ARG...]
#                                pfh_send with --from/--to/--data
#   pfh_maillog                  print the Postfix log of this instance
#   pfh_wait_for_log REGEX [S]   wait until the maillog matches the extended regex
#   pfh_queue_count [DIR...]     print the number of queued messages in the given
#                                queue directories (default: incoming active
#                                deferred hold maildrop)
#   pfh_flush_queue              ask Postfix to retry deferred mail now
#   pfh_fail MESSAGE             print "FAIL: MESSAGE" and exit 1
#   pfh_assert_file_matches FILE REGEX DESCRIPTION
#   pfh_assert_file_lacks FILE REGEX DESCRIPTION
#
# Variables: PFH_DIR, PFH_CONF, PFH_QUEUE, PFH_MAILLOG, PFH_SMTP_PORT,
# PFH_SINK_PORT, PFH_SINK_DIR, PFH_SINK_PID, PFH_LAST_PID, PFH_LAST_TRANSCRIPT.
# Tools can be overridden with PFH_POSTFIX, PFH_POSTCONF, PFH_POSTQUEUE,
# PFH_SMTP_SINK, PFH_SWAKS.

PFH_TIMEOUT=${PFH_TIMEOUT:-20}
PFH_POSTFIX=${PFH_POSTFIX:-/usr/sbin/postfix}
PFH_POSTCONF=${PFH_POSTCONF:-/usr/sbin/postconf}
PFH_POSTQUEUE=${PFH_POSTQUEUE:-/usr/sbin/postqueue}
PFH_SMTP_SINK=${PFH_SMTP_SINK:-/usr/sbin/smtp-sink}
PFH_SWAKS=${PFH_SWAKS:-$(command -v swaks || echo /usr/bin/swaks)}
PFH_SINK_USER=${PFH_SINK_USER:-nobody}

PFH_DIR=""
PFH_CONF=""
PFH_QUEUE=""
PFH_MAILLOG=""
PFH_SMTP_PORT=""
PFH_SINK_PORT=""
PFH_SINK_DIR=""
PFH_SINK_PID=""
PFH_LAST_PID=""
PFH_LAST_TRANSCRIPT=""
PFH_PIDS=()
PFH_USED_PORTS=" "
PFH_SEND_COUNT=0

pfh_log() { printf '[harness] %s\n' "$*" >&2; }

pfh_fail() {
  printf 'FAIL: %s\n' "$*" >&2
  exit 1
}

pfh_skip() {
  printf 'SKIP: %s\n' "$*"
  exit 77
}

pfh_require_environment() {
  [ "$(id -u)" -eq 0 ] || pfh_skip "the Postfix end-to-end tests must run as root"
  local tool
  for tool in "$PFH_POSTFIX" "$PFH_POSTCONF" "$PFH_POSTQUEUE" "$PFH_SMTP_SINK" "$PFH_SWAKS" \
              /usr/lib/postfix/sbin/master; do
    [ -x "$tool" ] || pfh_skip "$tool is missing (install postfix and swaks: scripts/setup-debian.sh)"
  done
  id postfix >/dev/null 2>&1 || pfh_skip "user postfix is missing"
  id "$PFH_SINK_USER" >/dev/null 2>&1 || pfh_skip "user $PFH_SINK_USER is missing"
  getent group postdrop >/dev/null 2>&1 || pfh_skip "group postdrop is missing"
}

pfh_init() {
  PFH_DIR=$(mktemp -d "${TMPDIR:-/tmp}/privmilter-e2e.XXXXXX") || pfh_fail "mktemp failed"
  # Postfix daemons and the sink drop privileges; they must reach their subdirectories.
  chmod 0755 "$PFH_DIR"
  PFH_MAILLOG="$PFH_DIR/maillog"
  trap pfh_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  pfh_log "working directory $PFH_DIR"
}

pfh_cleanup() {
  local status=$?
  set +e
  trap - EXIT INT TERM
  pfh_stop_postfix
  local pid
  for pid in "${PFH_PIDS[@]}"; do
    pfh_stop_process "$pid" 10
  done
  if [ -n "$PFH_SINK_PID" ]; then
    pfh_stop_process "$PFH_SINK_PID" 5
  fi
  if [ "$status" -ne 0 ] && [ "$status" -ne 77 ] && [ -n "$PFH_DIR" ]; then
    if [ -s "$PFH_MAILLOG" ]; then
      pfh_log "last lines of $PFH_MAILLOG:"
      tail -n 40 "$PFH_MAILLOG" >&2
    fi
    if [ -n "$PFH_LAST_TRANSCRIPT" ] && [ -s "$PFH_LAST_TRANSCRIPT" ]; then
      pfh_log "last swaks transcript ($PFH_LAST_TRANSCRIPT):"
      tail -n 40 "$PFH_LAST_TRANSCRIPT" >&2
    fi
  fi
  if [ -n "$PFH_DIR" ] && [ -d "$PFH_DIR" ]; then
    if [ "${PFH_KEEP:-0}" = 1 ]; then
      pfh_log "keeping $PFH_DIR (PFH_KEEP=1)"
    else
      rm -rf "$PFH_DIR"
    fi
  fi
  exit "$status"
}

# True when a TCP socket listens on PORT (IPv4 or IPv6, any address).
pfh_port_listening() {
  local hex
  hex=$(printf ':%04X' "$1")
  awk -v port="$hex" 'FNR > 1 && $4 == "0A" && substr($2, length($2) - 4) == port { found = 1 }
                      END { exit !found }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

pfh_free_port() {
  local -n pfh_port_out=$1  # a nameref: assigning it sets the caller's variable
  local attempt candidate
  for attempt in $(seq 1 200); do
    candidate=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
    case "$PFH_USED_PORTS" in *" $candidate "*) continue ;; esac
    if ! pfh_port_listening "$candidate"; then
      PFH_USED_PORTS+="$candidate "
      # shellcheck disable=SC2034
      pfh_port_out=$candidate
      return 0
    fi
  done
  pfh_fail "no free loopback port found after $attempt attempts"
}

# Polls COMMAND... every 0.1 s until it succeeds or SECONDS pass.
pfh_wait_until() {
  local seconds=$1
  shift
  local deadline=$((SECONDS + seconds))
  while ! "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

pfh_wait_for_port() {
  pfh_wait_until "${2:-$PFH_TIMEOUT}" pfh_port_listening "$1" ||
    pfh_fail "nothing listens on port $1 after ${2:-$PFH_TIMEOUT} s"
}

pfh_wait_for_unix_socket() {
  pfh_wait_until "${2:-$PFH_TIMEOUT}" test -S "$1" ||
    pfh_fail "no unix socket at $1 after ${2:-$PFH_TIMEOUT} s"
}

pfh_grant_postfix_access() {
  local path=$1
  chmod 0666 "$path" || pfh_fail "cannot chmod $path"
  local dir
  dir=$(dirname "$path")
  while [ "$dir" != / ]; do
    chmod a+x "$dir" 2>/dev/null || true
    dir=$(dirname "$dir")
  done
}

pfh_start_process() {
  local name=$1
  shift
  "$@" >"$PFH_DIR/$name.log" 2>&1 &
  PFH_LAST_PID=$!
  PFH_PIDS+=("$PFH_LAST_PID")
  pfh_log "started $name (pid $PFH_LAST_PID): $*"
}

pfh_stop_process() {
  local pid=$1 grace=${2:-10}
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
  kill -TERM "$pid" 2>/dev/null
  if ! pfh_wait_until "$grace" pfh_process_gone "$pid"; then
    pfh_log "pid $pid ignored SIGTERM for $grace s; killing it"
    kill -KILL "$pid" 2>/dev/null
  fi
  wait "$pid" 2>/dev/null
  return 0
}

# True once PID has exited. A zombie counts as gone: "postfix stop" returns
# after the master exits, and reaping it is init's business.
pfh_process_gone() {
  local state
  state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 0
  [ -z "$state" ] || [ "$state" = Z ]
}

pfh_start_sink() {
  PFH_SINK_DIR="$PFH_DIR/sink"
  mkdir -p "$PFH_SINK_DIR"
  chown "$PFH_SINK_USER" "$PFH_SINK_DIR"
  local attempt
  for attempt in 1 2 3 4 5; do
    pfh_free_port PFH_SINK_PORT
    # -d: one file per transaction, named by strftime plus a random suffix.
    "$PFH_SMTP_SINK" -u "$PFH_SINK_USER" -h sink.privmilter-e2e.test \
      -d "$PFH_SINK_DIR/%Y%m%d%H%M%S." "127.0.0.1:$PFH_SINK_PORT" 128 \
      >"$PFH_DIR/sink.log" 2>&1 &
    PFH_SINK_PID=$!
    if pfh_wait_until 5 pfh_port_listening "$PFH_SINK_PORT" && kill -0 "$PFH_SINK_PID" 2>/dev/null; then
      pfh_log "smtp-sink (pid $PFH_SINK_PID) listens on 127.0.0.1:$PFH_SINK_PORT"
      return 0
    fi
    pfh_stop_process "$PFH_SINK_PID" 2
    PFH_SINK_PID=""
  done
  pfh_fail "smtp-sink did not start: $(cat "$PFH_DIR/sink.log")"
}

# A dump file is complete once smtp-sink has closed it.
pfh_sink_messages() {
  [ -n "$PFH_SINK_DIR" ] || return 0
  local open_files file
  open_files=$(readlink "/proc/$PFH_SINK_PID"/fd/* 2>/dev/null)
  for file in "$PFH_SINK_DIR"/*; do
    [ -f "$file" ] || continue
    if ! grep -qxF "$file" <<<"$open_files"; then
      printf '%s\n' "$file"
    fi
  done
}

pfh_sink_count() {
  pfh_sink_messages | awk 'END { print NR }'
}

pfh_sink_has_at_least() {
  [ "$(pfh_sink_count)" -ge "$1" ]
}

pfh_wait_for_sink_count() {
  local wanted=$1 seconds=${2:-$PFH_TIMEOUT}
  pfh_wait_until "$seconds" pfh_sink_has_at_least "$wanted" ||
    pfh_fail "the sink holds $(pfh_sink_count) messages, not $wanted, after $seconds s"
}

pfh_write_master_cf() {
  cat >"$PFH_CONF/master.cf" <<EOF
# Private test instance: no chroot, no local delivery, no TLS manager.
# service type  private unpriv  chroot  wakeup  maxproc command
127.0.0.1:$PFH_SMTP_PORT inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
}

pfh_write_main_cf() {
  local milters=$1
  cat >"$PFH_CONF/main.cf" <<EOF
# Private test instance written by tests/e2e/postfix_harness.sh.
compatibility_level = 3.6
queue_directory = $PFH_QUEUE
data_directory = $PFH_DIR/data
meta_directory = /etc/postfix
mail_owner = postfix
setgid_group = postdrop
syslog_name = privmilter-e2e-$$
maillog_file = $PFH_MAILLOG
maillog_file_prefixes = $PFH_DIR
myhostname = mta.privmilter-e2e.test
mydomain = privmilter-e2e.test
myorigin = \$myhostname
mydestination =
local_recipient_maps =
local_transport = error:5.1.1 local delivery is disabled in this test instance
alias_maps =
alias_database =
relay_domains =
relayhost = [127.0.0.1]:$PFH_SINK_PORT
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_recipient_restrictions = permit_mynetworks, reject
smtpd_peername_lookup = no
smtp_dns_support_level = disabled
smtp_tls_security_level = none
smtpd_tls_security_level = none
smtputf8_enable = no
biff = no
smtpd_milters = $milters
non_smtpd_milters =
milter_default_action = tempfail
milter_protocol = 6
milter_connect_timeout = 10s
milter_command_timeout = 10s
milter_content_timeout = 30s
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
smtp_connect_timeout = 5s
delay_warning_time = 0h
maximal_queue_lifetime = 1h
bounce_queue_lifetime = 1h
in_flow_delay = 0
EOF
}

pfh_master_pid() {
  local pid
  pid=$(tr -d ' \n' <"$PFH_QUEUE/pid/master.pid" 2>/dev/null) || return 1
  [ -n "$pid" ] && ! pfh_process_gone "$pid" && printf '%s\n' "$pid"
}

pfh_start_postfix() {
  local milters=$1
  shift
  [ -n "$PFH_DIR" ] || pfh_fail "call pfh_init first"
  [ -n "$PFH_SINK_PORT" ] || pfh_fail "call pfh_start_sink before pfh_start_postfix"
  PFH_CONF="$PFH_DIR/postfix"
  PFH_QUEUE="$PFH_DIR/queue"
  mkdir -p "$PFH_CONF" "$PFH_QUEUE"
  # A test that must tell the milter where Postfix listens picks the port first.
  [ -n "$PFH_SMTP_PORT" ] || pfh_free_port PFH_SMTP_PORT
  pfh_write_master_cf
  if [ -n "${PFH_EXTRA_MASTER_CF:-}" ]; then
    cat "$PFH_EXTRA_MASTER_CF" >>"$PFH_CONF/master.cf" || pfh_fail "cannot add $PFH_EXTRA_MASTER_CF to master.cf"
  fi
  pfh_write_main_cf "$milters"
  local line
  for line in "$@"; do
    printf '%s\n' "$line" >>"$PFH_CONF/main.cf"
  done
  # "check" creates the queue and data directories with Postfix's ownership.
  timeout "$PFH_TIMEOUT" "$PFH_POSTFIX" -c "$PFH_CONF" check >"$PFH_DIR/postfix-check.log" 2>&1 ||
    pfh_fail "postfix check failed: $(cat "$PFH_DIR/postfix-check.log")"
  timeout "$PFH_TIMEOUT" "$PFH_POSTFIX" -c "$PFH_CONF" start >"$PFH_DIR/postfix-start.log" 2>&1 ||
    pfh_fail "postfix start failed: $(cat "$PFH_DIR/postfix-start.log")"
  pfh_wait_for_port "$PFH_SMTP_PORT"
  pfh_log "postfix (master pid $(pfh_master_pid)) smtpd on 127.0.0.1:$PFH_SMTP_PORT, milters: $milters"
}

pfh_postconf() {
  [ -n "$PFH_CONF" ] || pfh_fail "postfix is not configured"
  timeout "$PFH_TIMEOUT" "$PFH_POSTCONF" -c "$PFH_CONF" -e "$@" || pfh_fail "postconf -e $* failed"
  if pfh_master_pid >/dev/null; then
    timeout "$PFH_TIMEOUT" "$PFH_POSTFIX" -c "$PFH_CONF" reload >>"$PFH_DIR/postfix-start.log" 2>&1 ||
      pfh_fail "postfix reload failed"
  fi
}

pfh_stop_postfix() {
  [ -n "$PFH_CONF" ] || return 0
  local pid
  pid=$(pfh_master_pid) || return 0
  timeout "$PFH_TIMEOUT" "$PFH_POSTFIX" -c "$PFH_CONF" stop >>"$PFH_DIR/postfix-start.log" 2>&1
  if ! pfh_wait_until 15 pfh_process_gone "$pid"; then
    pfh_log "postfix master $pid did not stop; killing it"
    kill -KILL "$pid" 2>/dev/null
  fi
  return 0
}

pfh_send() {
  [ -n "$PFH_SMTP_PORT" ] || pfh_fail "postfix is not running"
  PFH_SEND_COUNT=$((PFH_SEND_COUNT + 1))
  PFH_LAST_TRANSCRIPT="$PFH_DIR/swaks-$PFH_SEND_COUNT.log"
  local status=0
  timeout $((PFH_TIMEOUT + 40)) "$PFH_SWAKS" --server "127.0.0.1:$PFH_SMTP_PORT" \
    --helo client.privmilter-e2e.test --timeout 30 "$@" >"$PFH_LAST_TRANSCRIPT" 2>&1 || status=$?
  return "$status"
}

pfh_send_file() {
  local from=$1 to=$2 file=$3
  shift 3
  pfh_send --from "$from" --to "$to" --data "@$file" "$@"
}

pfh_maillog() {
  cat "$PFH_MAILLOG" 2>/dev/null
}

pfh_log_matches() {
  grep -Eq -- "$1" "$PFH_MAILLOG" 2>/dev/null
}

pfh_wait_for_log() {
  pfh_wait_until "${2:-$PFH_TIMEOUT}" pfh_log_matches "$1" ||
    pfh_fail "the maillog does not match /$1/ after ${2:-$PFH_TIMEOUT} s"
}

pfh_queue_count() {
  local dirs=("$@")
  [ ${#dirs[@]} -gt 0 ] || dirs=(incoming active deferred hold maildrop)
  local dir paths=()
  for dir in "${dirs[@]}"; do
    paths+=("$PFH_QUEUE/$dir")
  done
  find "${paths[@]}" -type f 2>/dev/null | awk 'END { print NR }'
}

pfh_flush_queue() {
  timeout "$PFH_TIMEOUT" "$PFH_POSTQUEUE" -c "$PFH_CONF" -f || pfh_fail "postqueue -f failed"
}

pfh_assert_file_matches() {
  local file=$1 regex=$2 what=$3
  grep -Eq -- "$regex" "$file" || pfh_fail "$what: $file does not match /$regex/"
}

pfh_assert_file_lacks() {
  local file=$1 regex=$2 what=$3
  if grep -Eq -- "$regex" "$file"; then
    pfh_fail "$what: $file matches /$regex/"
  fi
}
