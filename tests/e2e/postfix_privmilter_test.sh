#!/usr/bin/env bash
# privmilter behind a real, private Postfix instance, with the bundled policy:
#  (a) an ordinary external message is delivered with the header privmilter adds;
#  (b) a privileged clear-text message to an external recipient is not
#      delivered and is in the quarantine, byte for byte;
#  (c) the same content S/MIME-encrypted (made with OpenSSL) is delivered and
#      still decrypts;
#  (d) a message with an SSN gets the policy's 550 5.7.1 reply at the client;
#  (e) with privmilter stopped, Postfix defers (451 4.7.1) and nothing is lost;
#  and every decision is in the audit log without message content.
# Usage: postfix_privmilter_test.sh PATH/TO/privmilter
# Exit status: 0 pass, 1 fail, 77 skipped (not root, or Postfix missing).
set -euo pipefail

privmilter=${1:?usage: $0 PATH/TO/privmilter}
source_dir=${PRIVMILTER_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
# shellcheck source=postfix_harness.sh
source "$(dirname "${BASH_SOURCE[0]}")/postfix_harness.sh"
# shellcheck source=privmilter_fixture.sh
source "$(dirname "${BASH_SOURCE[0]}")/privmilter_fixture.sh"

pfh_require_environment
command -v openssl >/dev/null || { echo "SKIP: openssl is not installed"; exit 77; }
pfh_init

pmf_start_privmilter "$privmilter" "$source_dir"
privmilter_pid=$PMF_PID
pm_dir=$PMF_DIR
milter_port=$PMF_PORT

pfh_start_sink
pfh_start_postfix "inet:127.0.0.1:$milter_port"

# --- (a) ordinary external mail: delivered and tagged ---------------------
token_a="ordinary-$RANDOM$RANDOM"
pmf_write_message "$PFH_DIR/a.eml" "Lunch $token_a" "Are you free on Friday?"
pfh_send_file alice@examplelaw.com bob@client.example "$PFH_DIR/a.eml" ||
  pfh_fail "(a) Postfix refused an ordinary message"
pfh_wait_for_sink_count 1
delivered_a=$(pmf_delivered_with_subject "Lunch $token_a") || pfh_fail "(a) not delivered"
pfh_assert_file_matches "$delivered_a" '^X-Privmilter: scanned' "(a) privmilter's header is on the delivered message"
echo "ok (a): ordinary external message delivered with X-Privmilter: scanned"

# --- (b) privileged clear text to an external recipient: quarantined -------
token_b="privileged-$RANDOM$RANDOM"
pmf_write_message "$PFH_DIR/b.eml" "Settlement $token_b" "PRIVILEGED & CONFIDENTIAL
ATTORNEY-CLIENT COMMUNICATION

Our position on the settlement figure is as follows."
pfh_send_file alice@examplelaw.com bob@client.example "$PFH_DIR/b.eml" ||
  pfh_fail "(b) Postfix refused the message instead of taking it for quarantine"
pfh_wait_for_log 'milter-discard' 20 || pfh_fail "(b) Postfix did not log the milter's discard"
quarantine_id=$(pmf_quarantined_with_subject "Settlement $token_b" "$PFH_DIR/b-held.txt") ||
  pfh_fail "(b) the message is not in the quarantine"
record="$PFH_DIR/b-held.txt"
pfh_assert_file_matches "$record" '^PRIVILEGED & CONFIDENTIAL' "(b) the quarantined copy holds the body"
pfh_assert_file_matches "$record" 'privileged-unencrypted-external' "(b) the record names the rule"
pfh_assert_file_matches "$record" 'bob@client\.example' "(b) the record keeps the envelope recipient"
quarantined="$pm_dir/quarantine/$quarantine_id.pmq"
[ "$(stat -c %a "$quarantined")" = 600 ] || pfh_fail "(b) the quarantined file is readable by others"
pfh_assert_file_lacks "$quarantined" 'PRIVILEGED|settlement figure' "(b) the quarantined file is encrypted at rest"
if pmf_delivered_with_subject "Settlement $token_b" >/dev/null; then pfh_fail "(b) the privileged message was delivered"; fi
echo "ok (b): privileged clear text quarantined, not delivered"

# --- (c) the same content S/MIME-encrypted: delivered ----------------------
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=bob@client.example" \
  -addext "subjectAltName=email:bob@client.example" \
  -keyout "$PFH_DIR/bob.key" -out "$PFH_DIR/bob.pem" 2>/dev/null ||
  pfh_fail "(c) openssl could not make a certificate"
token_c="encrypted-$RANDOM$RANDOM"
printf 'Content-Type: text/plain; charset=utf-8\n\nPRIVILEGED & CONFIDENTIAL\nOur position on the settlement figure is as follows.\n' \
  >"$PFH_DIR/c-inner.txt"
openssl smime -encrypt -aes256 -in "$PFH_DIR/c-inner.txt" -out "$PFH_DIR/c.eml" \
  -from alice@examplelaw.com -to bob@client.example -subject "Settlement $token_c" "$PFH_DIR/bob.pem" ||
  pfh_fail "(c) openssl smime -encrypt failed"
pfh_send_file alice@examplelaw.com bob@client.example "$PFH_DIR/c.eml" ||
  pfh_fail "(c) Postfix refused the encrypted message"
pfh_wait_for_sink_count 2
delivered_c=$(pmf_delivered_with_subject "Settlement $token_c") || pfh_fail "(c) the encrypted message was not delivered"
pfh_assert_file_matches "$delivered_c" 'application/(x-)?pkcs7-mime' "(c) it was delivered still encrypted"
# The recipient can read it: nothing on the way damaged the CMS structure.
openssl smime -decrypt -in "$delivered_c" -recip "$PFH_DIR/bob.pem" -inkey "$PFH_DIR/bob.key" \
  >"$PFH_DIR/c-decrypted.txt" || pfh_fail "(c) the delivered message does not decrypt"
pfh_assert_file_matches "$PFH_DIR/c-decrypted.txt" 'PRIVILEGED & CONFIDENTIAL' "(c) the recipient reads the original text"
echo "ok (c): the same content S/MIME-encrypted is delivered and decrypts"

# --- (d) an SSN: refused with the policy's reply ---------------------------
pmf_write_message "$PFH_DIR/d.eml" "Claim form" "The claimant's number is 123-45-6789."
if pfh_send_file alice@examplelaw.com bob@client.example "$PFH_DIR/d.eml"; then
  pfh_fail "(d) the SSN message was accepted"
fi
pfh_assert_file_matches "$PFH_LAST_TRANSCRIPT" '550 5\.7\.1 Message contains a personal identifier \(SSN\)' \
  "(d) the client saw the policy's 550 5.7.1 reply"
pfh_assert_file_matches "$PFH_LAST_TRANSCRIPT" 'rule ssn-unencrypted-external, ref [0-9]{8}T[0-9]{6}Z-[0-9a-f]{16}' \
  "(d) the reply names the rule and a reference"
echo "ok (d): SSN refused with 550 5.7.1 and a reference"

# --- the audit log: one line per decision, no content ----------------------
audit="$pm_dir/audit/audit.log"
[ "$(grep -c '"type":"decision"' "$audit")" -eq 4 ] ||
  pfh_fail "the audit log has $(grep -c '"type":"decision"' "$audit") decisions, expected 4"
for action in '"action":"tag"' '"action":"quarantine"' '"action":"reject"'; do
  pfh_assert_file_matches "$audit" "$action" "the audit log records $action"
done
pfh_assert_file_lacks "$audit" 'settlement figure|123-45-6789' "the audit log holds no message content"
reference=$(grep -oE 'ref [0-9]{8}T[0-9]{6}Z-[0-9a-f]{16}' "$PFH_LAST_TRANSCRIPT" | head -n 1 | cut -d' ' -f2)
pfh_assert_file_matches "$audit" "\"ref\":\"$reference\"" "the reference in the reply is in the audit log"
"$PMF_CTL" audit verify -c "$pm_dir/privmilter.yaml" || pfh_fail "the audit chain does not verify"
echo "ok: the audit log has one line per decision, no content, and its chain verifies"

# --- (e) privmilter stopped: Postfix defers, nothing is lost ----------------
pfh_stop_process "$privmilter_pid" 15
delivered_before=$(pfh_sink_count)
if pfh_send_file alice@examplelaw.com bob@client.example "$PFH_DIR/b.eml"; then
  pfh_fail "(e) Postfix accepted a message while privmilter was down"
fi
pfh_assert_file_matches "$PFH_LAST_TRANSCRIPT" '451 4\.7\.1' "(e) Postfix answered 451 4.7.1"
sleep 2
[ "$(pfh_sink_count)" -eq "$delivered_before" ] || pfh_fail "(e) a message was delivered while privmilter was down"
echo "ok (e): privmilter down defers with 451 4.7.1 and delivers nothing"
