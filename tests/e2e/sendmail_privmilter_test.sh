#!/usr/bin/env bash
# privmilter behind a real, private Sendmail (tests/e2e/sendmail_harness.sh),
# with the bundled policy and the milter declared F=T:
#  (a) an ordinary external message is delivered with the header privmilter adds;
#  (b) a privileged clear-text message to an external recipient is not
#      delivered and is in the quarantine;
#  (c) a message with an SSN gets the policy's 550 5.7.1 reply at the client;
#  (d) with privmilter stopped, Sendmail temp-fails (4xx) and nothing is
#      delivered or queued: the client keeps the message;
#  (e) every decision is in the audit log, under Sendmail's queue id, without
#      message content.
# Usage: sendmail_privmilter_test.sh PATH/TO/privmilter
# Exit status: 0 pass, 1 fail, 77 skipped (not root, or the Sendmail .debs or tools missing).
set -euo pipefail

privmilter=${1:?usage: $0 PATH/TO/privmilter}
source_dir=${PRIVMILTER_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
# shellcheck source=sendmail_harness.sh
source "$(dirname "${BASH_SOURCE[0]}")/sendmail_harness.sh"
# shellcheck source=privmilter_fixture.sh
source "$(dirname "${BASH_SOURCE[0]}")/privmilter_fixture.sh"

smh_require_environment
smh_init

pmf_start_privmilter "$privmilter" "$source_dir"
privmilter_pid=$PMF_PID
pm_dir=$PMF_DIR
milter_port=$PMF_PORT

pfh_start_sink
SMH_MILTER_NAME=privmilter smh_start_sendmail "inet:$milter_port@127.0.0.1"

queue_is_empty() { [ "$(smh_queue_count)" -eq 0 ]; }

# --- (a) ordinary external mail: delivered and tagged ---------------------
token_a="ordinary-$RANDOM$RANDOM"
pmf_write_message "$PFH_DIR/a.eml" "Lunch $token_a" "Are you free on Friday?"
pfh_send_file alice@examplelaw.com bob@client.example "$PFH_DIR/a.eml" ||
  pfh_fail "(a) Sendmail refused an ordinary message"
queue_id_a=$(smh_last_queue_id)
[ -n "$queue_id_a" ] || pfh_fail "(a) no queue id in Sendmail's 250 reply"
pfh_wait_for_sink_count 1
delivered_a=$(pmf_delivered_with_subject "Lunch $token_a") || pfh_fail "(a) not delivered"
pfh_assert_file_matches "$delivered_a" '^X-Privmilter: scanned' "(a) privmilter's header is on the delivered message"
pfh_assert_file_matches "$delivered_a" "^[[:space:]]+by $SMH_HOSTNAME \\(8\\.[^)]*\\) with ESMTP id $queue_id_a\\b" \
  "(a) the message went through Sendmail"
pfh_wait_for_log "$queue_id_a: to=<bob@client\\.example>.* stat=Sent" 10
echo "ok (a): ordinary external message delivered with X-Privmilter: scanned"

# --- (b) privileged clear text to an external recipient: quarantined -------
token_b="privileged-$RANDOM$RANDOM"
pmf_write_message "$PFH_DIR/b.eml" "Settlement $token_b" "PRIVILEGED & CONFIDENTIAL
ATTORNEY-CLIENT COMMUNICATION

Our position on the settlement figure is as follows."
# privmilter discards it at end of message: Sendmail answers 250 and drops it.
pfh_send_file alice@examplelaw.com bob@client.example "$PFH_DIR/b.eml" ||
  pfh_fail "(b) Sendmail refused the message instead of taking it for quarantine"
queue_id_b=$(smh_last_queue_id)
[ -n "$queue_id_b" ] || pfh_fail "(b) no queue id in Sendmail's 250 reply"
pfh_wait_for_log "$queue_id_b: Milter: data, discard" 10
pfh_wait_for_log "$queue_id_b: to=<bob@client\\.example>.* stat=discarded" 10
pfh_wait_until 10 queue_is_empty || pfh_fail "(b) the discarded message is in Sendmail's queue"
quarantine_id=$(pmf_quarantined_with_subject "Settlement $token_b" "$PFH_DIR/b-held.txt") ||
  pfh_fail "(b) the message is not in the quarantine"
record="$PFH_DIR/b-held.txt"
pfh_assert_file_matches "$record" '^PRIVILEGED & CONFIDENTIAL' "(b) the quarantined copy holds the body"
pfh_assert_file_matches "$record" 'privileged-unencrypted-external' "(b) the record names the rule"
pfh_assert_file_matches "$record" 'bob@client\.example' "(b) the record keeps the envelope recipient"
[ "$(stat -c %a "$pm_dir/quarantine/$quarantine_id.pmq")" = 600 ] || pfh_fail "(b) the quarantined file is readable by others"
echo "ok (b): privileged clear text quarantined and discarded by Sendmail"

# --- (c) an SSN: refused with the policy's reply ---------------------------
pmf_write_message "$PFH_DIR/c.eml" "Claim form" "The claimant's number is 123-45-6789."
if pfh_send_file alice@examplelaw.com bob@client.example "$PFH_DIR/c.eml"; then
  pfh_fail "(c) the SSN message was accepted"
fi
pfh_assert_file_matches "$PFH_LAST_TRANSCRIPT" '^<\*\* 550 5\.7\.1 Message contains a personal identifier \(SSN\)' \
  "(c) the client saw the policy's 550 5.7.1 reply"
pfh_assert_file_matches "$PFH_LAST_TRANSCRIPT" 'rule ssn-unencrypted-external, ref [0-9]{8}T[0-9]{6}Z-[0-9a-f]{16}' \
  "(c) the reply names the rule and a reference"
reference_c=$(grep -oE 'ref [0-9]{8}T[0-9]{6}Z-[0-9a-f]{16}' "$PFH_LAST_TRANSCRIPT" | head -n 1 | cut -d' ' -f2)
pfh_wait_for_log ': Milter: data, reject=550 5\.7\.1 Message contains a personal identifier' 10
queue_id_c=$(sed -nE 's/.* ([A-Za-z0-9]+): Milter: data, reject=550 5\.7\.1 .*/\1/p' "$SMH_MAILLOG" | tail -n 1)
queue_is_empty || pfh_fail "(c) the rejected message is in Sendmail's queue"
echo "ok (c): SSN refused with 550 5.7.1 and a reference"

# --- (d) privmilter stopped: Sendmail temp-fails, nothing is lost -----------
pfh_stop_process "$privmilter_pid" 15
delivered_before=$(pfh_sink_count)
if pfh_send_file alice@examplelaw.com bob@client.example "$PFH_DIR/a.eml"; then
  pfh_fail "(d) Sendmail accepted a message while privmilter was down"
fi
pfh_assert_file_matches "$PFH_LAST_TRANSCRIPT" '^<\*\* 4[0-9]{2} 4\.[0-9]+\.[0-9]+ ' "(d) Sendmail answered with a 4xx tempfail"
pfh_assert_file_lacks "$PFH_LAST_TRANSCRIPT" '^<-  250 2\.0\.0 .* Message accepted' "(d) Sendmail never took the message"
pfh_wait_for_log 'Milter \(privmilter\): error connecting to filter' 10
pfh_wait_for_log 'Milter: initialization failed, temp failing commands' 10
queue_is_empty || pfh_fail "(d) a message is in Sendmail's queue"
[ "$(pfh_sink_count)" -eq "$delivered_before" ] || pfh_fail "(d) a message was delivered while privmilter was down"
echo "ok (d): privmilter down: $(grep -oE '^<\*\* 4[0-9]{2} [^ ]+' "$PFH_LAST_TRANSCRIPT" | head -n 1 | cut -c5-), nothing queued or delivered"

# --- (e) the audit log: one line per decision, no content ------------------
audit="$pm_dir/audit/audit.log"
[ "$(grep -c '"type":"decision"' "$audit")" -eq 3 ] ||
  pfh_fail "the audit log has $(grep -c '"type":"decision"' "$audit") decisions, expected 3"
audit_line_for() { grep -F "\"queue_id\":\"$1\"" "$audit"; }  # QUEUE_ID
audit_line_for "$queue_id_a" | grep -qF '"action":"tag"' ||
  pfh_fail "(e) no add_header decision under Sendmail queue id $queue_id_a"
audit_line_for "$queue_id_b" | grep -qF '"action":"quarantine"' ||
  pfh_fail "(e) no quarantine decision under Sendmail queue id $queue_id_b"
audit_line_for "$queue_id_c" | grep -qF "\"ref\":\"$reference_c\"" ||
  pfh_fail "(e) no decision with reference $reference_c under Sendmail queue id $queue_id_c"
audit_line_for "$queue_id_c" | grep -qF '"action":"reject"' ||
  pfh_fail "(e) the decision for $queue_id_c is not a reject"
pfh_assert_file_lacks "$audit" "settlement figure|123-45-6789|Are you free|$token_a|$token_b" \
  "the audit log holds no message content"
echo "ok (e): the audit log has one line per decision, keyed by Sendmail's queue id, and no content"
