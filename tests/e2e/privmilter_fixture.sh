# shellcheck shell=bash
# privmilter_fixture.sh: privmilter for an end-to-end test, on a free
# loopback port with the bundled policy, the sample firm's directory and a
# configuration for the sample firm examplelaw.com (127.0.0.0/8 is internal,
# so mail from swaks counts as outgoing). Source it after postfix_harness.sh
# (or sendmail_harness.sh), once pfh_init has run.
#
#   pmf_start_privmilter PRIVMILTER SOURCE_DIR
#        sets PMF_DIR (its config, quarantine/ and audit/audit.log),
#        PMF_PORT and PMF_PID; fails the test if -n rejects the config.
#        Keys are made with privmilterctl (PMF_CTL, default: beside the
#        daemon's build directory). PMF_EXTRA_CONFIG is appended to the
#        configuration; PMF_EXTRA_POLICY (a file) is added to the policy
#        folder. Hand-back to the MTA (mta.smtp) goes to PFH_SMTP_PORT,
#        which the harness then uses (pick it first with pfh_free_port).
#   pmf_write_message FILE SUBJECT BODY
#        a plain-text message from alice@examplelaw.com to bob@client.example
#   pmf_quarantined_with_subject SUBJECT OUT
#        finds the quarantine entry holding that subject (privmilterctl
#        decrypts it), writes "quarantine show --message" to OUT and prints
#        its id; false when none does
#   pmf_delivered_with_subject SUBJECT
#        prints the sink file holding that subject; false when none does

PMF_DIR=""
PMF_PORT=""
PMF_PID=""
PMF_CTL=${PMF_CTL:-}

pmf_start_privmilter() {
  local privmilter=$1 source_dir=$2
  [ -x "$privmilter" ] || pfh_fail "$privmilter is not an executable (build privmilter)"
  PMF_DIR="$PFH_DIR/privmilter"
  mkdir -p "$PMF_DIR"
  cp -R "$source_dir/config/policy" "$PMF_DIR/policy"
  cp -R "$source_dir/config/directory" "$PMF_DIR/directory"
  if [ -n "${PMF_EXTRA_POLICY:-}" ]; then
    cp "$PMF_EXTRA_POLICY" "$PMF_DIR/policy/" || pfh_fail "cannot add $PMF_EXTRA_POLICY to the policy"
  fi
  PMF_CTL=${PMF_CTL:-$(cd "$(dirname "$privmilter")/.." && pwd)/tools/privmilterctl}
  [ -x "$PMF_CTL" ] || pfh_fail "$PMF_CTL is not an executable (build privmilterctl)"
  [ -n "$PFH_SMTP_PORT" ] || pfh_free_port PFH_SMTP_PORT
  pfh_free_port PMF_PORT
  cat >"$PMF_DIR/privmilter.yaml" <<CONFIG
milter: {socket: "inet:$PMF_PORT@127.0.0.1"${PRIVMILTER_TEST_ENGINE:+, engine: $PRIVMILTER_TEST_ENGINE}}
firm:
  name: Example Law LLP
  internal_domains: [examplelaw.com]
  internal_networks: [127.0.0.0/8]
policy: policy
directory: directory
quarantine: {directory: quarantine, key_file: keys/quarantine.key}
audit: {log: audit/audit.log, key_file: keys/audit.key}
release: {key_file: keys/release.key}
mta: {smtp: "127.0.0.1:$PFH_SMTP_PORT"}
notify: {from: privmilter@examplelaw.com, outbox: outbox}
spool: {directory: spool}
on_error: tempfail
log_level: info
${PMF_EXTRA_CONFIG:-}
CONFIG
  "$PMF_CTL" keygen -c "$PMF_DIR/privmilter.yaml" >/dev/null || pfh_fail "privmilterctl keygen failed"
  "$privmilter" -n -c "$PMF_DIR/privmilter.yaml" || pfh_fail "privmilter -n rejected the test configuration"
  pfh_start_process privmilter "$privmilter" -f -c "$PMF_DIR/privmilter.yaml"
  # shellcheck disable=SC2034  # read by the tests that source this file
  PMF_PID=$PFH_LAST_PID
  # Loading and compiling the policy comes first; a busy 2-core CI machine
  # has been seen to need more than the default 20 s.
  pfh_wait_for_port "$PMF_PORT" 90
}

pmf_write_message() {
  cat >"$1" <<MESSAGE
From: Alice Partner <alice@examplelaw.com>
To: Bob Client <bob@client.example>
Subject: $2
Message-ID: <$RANDOM.$$@examplelaw.com>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

$3
MESSAGE
}

pmf_delivered_with_subject() {
  local file
  while read -r file; do
    if grep -qF "Subject: $1" "$file"; then
      echo "$file"
      return 0
    fi
  done < <(pfh_sink_messages)
  return 1
}

pmf_quarantined_with_subject() {
  local subject=$1 out=$2 id
  for id in $("$PMF_CTL" quarantine list --format json --limit 1000 -c "$PMF_DIR/privmilter.yaml" |
              grep -oE '"id": *"[^"]+"' | sed -E 's/.*"([^"]+)"$/\1/'); do
    "$PMF_CTL" quarantine show "$id" --message --by e2e-test -c "$PMF_DIR/privmilter.yaml" >"$out" 2>&1 || continue
    if grep -qF "Subject: $subject" "$out"; then
      echo "$id"
      return 0
    fi
  done
  return 1
}
