#!/usr/bin/env bash
# Enforcement behind a real, private Postfix instance, with the bundled
# policy, the shipped Postfix routing configuration (config/postfix/) and
# real OpenSSL:
#  (a) [secure] to a recipient with a certificate: delivered S/MIME-encrypted;
#      it decrypts with the recipient's key and with the escrow key, not with
#      an unrelated key;
#  (b) [secure] to a recipient without a certificate: the fallback
#      (quarantine) holds it, nothing is delivered;
#  (c) a quarantined message is listed, released once (delivered exactly once,
#      release token stripped) and a second release is refused;
#  (d) a release token replayed by re-sending the released message is refused:
#      the copy is held again and the refusal audited;
#  (e) a recipient not authorised for the matter is removed; the others get
#      the message and the sender gets a notification without the content;
#  (f) a rejected message's client sees the configured 5.7.x text;
#  (g) require_tls: Postfix will not deliver to a server without STARTTLS;
#  (h) route: the message goes to the encryption gateway, not direct;
#  and the audit chain verifies.
# Usage: postfix_enforcement_test.sh PATH/TO/privmilter PATH/TO/privmilterctl
# Exit status: 0 pass, 1 fail, 77 skipped (not root, or Postfix missing).
set -euo pipefail

privmilter=${1:?usage: $0 PATH/TO/privmilter PATH/TO/privmilterctl}
PMF_CTL=${2:?usage: $0 PATH/TO/privmilter PATH/TO/privmilterctl}
source_dir=${PRIVMILTER_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
# shellcheck source=postfix_harness.sh
source "$(dirname "${BASH_SOURCE[0]}")/postfix_harness.sh"
# shellcheck source=privmilter_fixture.sh
source "$(dirname "${BASH_SOURCE[0]}")/privmilter_fixture.sh"

pfh_require_environment
command -v openssl >/dev/null || { echo "SKIP: openssl is not installed"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 is not installed"; exit 77; }
pfh_init

# --- certificates: a client's, the firm's escrow, and an unrelated one ------
make_certificate() {  # NAME EMAIL
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$2" \
    -addext "subjectAltName=email:$2" -addext "keyUsage=digitalSignature,keyEncipherment" \
    -addext "extendedKeyUsage=emailProtection" \
    -keyout "$PFH_DIR/$1.key" -out "$PFH_DIR/$1.pem" 2>/dev/null || pfh_fail "openssl could not make $1's certificate"
}
mkdir -p "$PFH_DIR/certificates"
make_certificate bob bob@acme-widgets.example
make_certificate escrow archive@examplelaw.com
make_certificate mallory mallory@acme-widgets.example
cp "$PFH_DIR/bob.pem" "$PFH_DIR/certificates/bob.pem"

# --- privmilter, the sinks and Postfix with the shipped routing -------------
pfh_free_port PFH_SMTP_PORT
PMF_EXTRA_POLICY="$(dirname "${BASH_SOURCE[0]}")/files/95-delivery-e2e.yaml"
PMF_EXTRA_CONFIG="smime: {certificates: $PFH_DIR/certificates, escrow_certificate: $PFH_DIR/escrow.pem}"
pmf_start_privmilter "$privmilter" "$source_dir"
config="$PMF_DIR/privmilter.yaml"
ctl() { "$PMF_CTL" "$@" -c "$config"; }

pfh_start_sink
# The encryption gateway: a second sink.
gateway_dir="$PFH_DIR/gateway"
mkdir -p "$gateway_dir"
chown "$PFH_SINK_USER" "$gateway_dir"
pfh_free_port gateway_port
pfh_start_process gateway "$PFH_SMTP_SINK" -u "$PFH_SINK_USER" -h gateway.privmilter-e2e.test \
  -d "$gateway_dir/%Y%m%d%H%M%S." "127.0.0.1:$gateway_port" 16
pfh_wait_for_port "$gateway_port"

# The shipped files, with the gateway's next hop pointed at the test gateway.
sed -E "s/FILTER smtp-tls:\\[gateway\\.examplelaw\\.com\\]:25/FILTER relay:[127.0.0.1]:$gateway_port/" \
  "$source_dir/config/postfix/privmilter_header_checks" >"$PFH_DIR/privmilter_header_checks"
grep -q "relay:\\[127.0.0.1\\]:$gateway_port" "$PFH_DIR/privmilter_header_checks" ||
  pfh_fail "the shipped header checks have no encryption-gateway line to point at the test gateway"
# The shipped smtp-tls service, plus what a test without DNS needs: the sink
# as the fallback for recipient domains that cannot be found, and the TLS
# manager a full master.cf has.
{
  cat "$source_dir/config/postfix/master.cf.privmilter"
  echo "  -o smtp_fallback_relay=[127.0.0.1]:$PFH_SINK_PORT"
  echo "tlsmgr    unix  -       -       n       1000?   1       tlsmgr"
} >"$PFH_DIR/master.cf.extra"
PFH_EXTRA_MASTER_CF="$PFH_DIR/master.cf.extra"
pfh_start_postfix "inet:127.0.0.1:$PMF_PORT" \
  "milter_header_checks = regexp:$PFH_DIR/privmilter_header_checks"

# Prints the quarantine ids (newest last) whose records match a Python test on
# the entry `e` (the JSON of "quarantine list --format json").
quarantine_ids() {  # PYTHON_CONDITION
  ctl quarantine list --format json --limit 1000 | python3 -c '
import json, sys
text = sys.stdin.read().strip()
entries = json.loads(text) if text.startswith("[") else [json.loads(l) for l in text.splitlines() if l.strip()]
entries.sort(key=lambda e: e["time"])
for e in entries:
    if '"$1"':
        print(e["id"])'
}
sink_files_with() {  # FIXED_STRING [DIR]
  local dir=${2:-$PFH_SINK_DIR} file
  for file in "$dir"/*; do
    [ -f "$file" ] && grep -qF -- "$1" "$file" && echo "$file"
  done
  return 0
}
count_delivered() { sink_files_with "$@" | awk 'END { print NR }'; }
delivered_at_least() { [ "$(count_delivered "$1" "${3:-}")" -ge "$2" ]; }
wait_delivered() {  # FIXED_STRING COUNT [DIR]
  pfh_wait_until "$PFH_TIMEOUT" delivered_at_least "$1" "$2" "${3:-}" || return 1
  sleep 0.5  # the sink may still be writing the file it was found in
}
# Waits until some quarantine entry satisfies the condition.
some_entry() { [ -n "$(quarantine_ids "$1")" ]; }
held_count() { quarantine_ids "e['status'] == 'held'" | awk 'END { print NR }'; }
held_more_than() { [ "$(held_count)" -gt "$1" ]; }
message() {  # FILE TO SUBJECT BODY
  cat >"$1" <<MESSAGE
From: Alice Partner <alice@examplelaw.com>
To: $2
Subject: $3
Message-ID: <$RANDOM.$RANDOM@examplelaw.com>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

$4
MESSAGE
}

# --- (a) encrypted for a recipient with a certificate ---------------------
token_a="terms-$RANDOM$RANDOM"
message "$PFH_DIR/a.eml" "Bob <bob@acme-widgets.example>" "[secure] Term sheet $token_a" \
  "The purchase price is 41 million; closing is set for March. $token_a"
pfh_send_file alice@examplelaw.com bob@acme-widgets.example "$PFH_DIR/a.eml" ||
  pfh_fail "(a) Postfix refused the message"
wait_delivered "Term sheet $token_a" 1 || pfh_fail "(a) the message was not delivered"
delivered_a=$(sink_files_with "Term sheet $token_a" | head -n 1)
pfh_assert_file_matches "$delivered_a" '^Content-Type: application/pkcs7-mime; *smime-type=enveloped-data' \
  "(a) it was delivered as S/MIME enveloped data"
pfh_assert_file_lacks "$delivered_a" "purchase price|closing is set" "(a) no clear text on the wire"
for who in bob escrow; do
  openssl cms -decrypt -in "$delivered_a" -recip "$PFH_DIR/$who.pem" -inkey "$PFH_DIR/$who.key" \
    >"$PFH_DIR/a-$who.txt" 2>"$PFH_DIR/a-$who.err" || pfh_fail "(a) it does not decrypt with $who's key"
  pfh_assert_file_matches "$PFH_DIR/a-$who.txt" "The purchase price is 41 million.*$token_a" \
    "(a) $who reads the original text"
  pfh_assert_file_matches "$PFH_DIR/a-$who.txt" '^Content-Type: text/plain; charset=utf-8' \
    "(a) the original content headers are inside"
done
if openssl cms -decrypt -in "$delivered_a" -inkey "$PFH_DIR/mallory.key" >/dev/null 2>&1; then
  pfh_fail "(a) an unrelated key decrypts the message"
fi
echo "ok (a): encrypted; decrypts for the recipient and the escrow key, not for an unrelated key"

# --- (b) no certificate: the fallback holds it ---------------------------
token_b="nocert-$RANDOM$RANDOM"
message "$PFH_DIR/b.eml" "Dave <dave@northwind.example>" "[secure] Terms $token_b" "Numbers attached. $token_b"
pfh_send_file alice@examplelaw.com dave@northwind.example "$PFH_DIR/b.eml" ||
  pfh_fail "(b) Postfix refused the message instead of taking it for the fallback"
pfh_wait_until 10 some_entry "'dave@northwind.example' in e['recipients']" ||
  pfh_fail "(b) the message is not in the quarantine"
sleep 1
[ "$(count_delivered "$token_b")" -eq 0 ] || pfh_fail "(b) the message was delivered without a certificate"
echo "ok (b): no certificate for the recipient: held by the fallback, not delivered"

# --- (c) quarantine, list, release once ------------------------------------
token_c="privileged-$RANDOM$RANDOM"
message "$PFH_DIR/c.eml" "Bob <bob@acme-widgets.example>" "Settlement $token_c" "PRIVILEGED & CONFIDENTIAL
Our position on the settlement figure is as follows. $token_c"
pfh_send_file alice@examplelaw.com bob@acme-widgets.example "$PFH_DIR/c.eml" || pfh_fail "(c) Postfix refused the message"
pfh_wait_until 10 some_entry "'privileged-unencrypted-external' in e['rules'] and e['status'] == 'held'" ||
  pfh_fail "(c) the privileged message is not listed as held"
id_c=$(quarantine_ids "'privileged-unencrypted-external' in e['rules'] and e['status'] == 'held'" | tail -n 1)
ctl quarantine show "$id_c" >"$PFH_DIR/c-show.txt" || pfh_fail "(c) quarantine show failed"
pfh_assert_file_matches "$PFH_DIR/c-show.txt" 'privileged-unencrypted-external' "(c) show names the rule"
grep -rqF "$token_c" "$PMF_DIR/quarantine" && pfh_fail "(c) the quarantine holds the message in clear on disk"
[ "$(count_delivered "$token_c")" -eq 0 ] || pfh_fail "(c) the held message was delivered"
ctl quarantine release "$id_c" --reason "approved by the client team" --by e2e-reviewer ||
  pfh_fail "(c) release failed"
wait_delivered "Settlement $token_c" 1 || pfh_fail "(c) the released message was not delivered"
sleep 2
[ "$(count_delivered "Settlement $token_c")" -eq 1 ] || pfh_fail "(c) the released message was delivered more than once"
delivered_c=$(sink_files_with "Settlement $token_c")
pfh_assert_file_lacks "$delivered_c" '^X-Privmilter-Release:' "(c) the release token was stripped"
pfh_assert_file_matches "$delivered_c" "Our position on the settlement figure.*$token_c" "(c) the body arrived intact"
if ctl quarantine release "$id_c" --reason "again" --by e2e-reviewer 2>"$PFH_DIR/c-again.err"; then
  pfh_fail "(c) a second release of the same entry was accepted"
fi
echo "ok (c): held, listed, released once with the token stripped; a second release is refused"

# --- (d) a replayed release token is refused -------------------------------
token_d="replay-$RANDOM$RANDOM"
message "$PFH_DIR/d.eml" "Bob <bob@acme-widgets.example>" "Settlement $token_d" "PRIVILEGED & CONFIDENTIAL
Draft for discussion only. $token_d"
pfh_send_file alice@examplelaw.com bob@acme-widgets.example "$PFH_DIR/d.eml" || pfh_fail "(d) Postfix refused the message"
pfh_wait_until 10 some_entry "e['status'] == 'held' and 'privileged-unencrypted-external' in e['rules']" ||
  pfh_fail "(d) the message is not held"
id_d=$(quarantine_ids "e['status'] == 'held' and 'privileged-unencrypted-external' in e['rules']" | tail -n 1)
ctl quarantine release "$id_d" --reason "offline release" --by e2e-reviewer --output "$PFH_DIR/d-released.eml" ||
  pfh_fail "(d) release --output failed"
pfh_assert_file_matches "$PFH_DIR/d-released.eml" '^X-Privmilter-Release: v1;' "(d) the released copy carries a token"
pfh_send_file alice@examplelaw.com bob@acme-widgets.example "$PFH_DIR/d-released.eml" ||
  pfh_fail "(d) Postfix refused the released message"
wait_delivered "Settlement $token_d" 1 || pfh_fail "(d) the released message was not delivered"
held_before=$(held_count)
pfh_send_file alice@examplelaw.com bob@acme-widgets.example "$PFH_DIR/d-released.eml" ||
  pfh_fail "(d) Postfix refused the replayed message"
pfh_wait_until 10 held_more_than "$held_before" ||
  pfh_fail "(d) the replayed copy was not held again"
sleep 1
[ "$(count_delivered "Settlement $token_d")" -eq 1 ] || pfh_fail "(d) the replayed copy was delivered"
audit="$PMF_DIR/audit/audit.log"
grep -F '"type":"release"' "$audit" | grep -F '"result":"refused"' | grep -qiF 'replay' ||
  pfh_fail "(d) the audit log has no refused release for the replay"
echo "ok (d): a replayed release token is refused, audited, and the copy held again"

# --- (e) an unauthorised recipient removed, the sender notified ------------
token_e="matter-$RANDOM$RANDOM"
message "$PFH_DIR/e.eml" "Bob <bob@acme-widgets.example>, Eve <eve@outsider.example>" "Acme v. Globex $token_e" \
  "Re matter 10042-0007: the expert report is due on Friday. $token_e"
pfh_send --from alice@examplelaw.com --to bob@acme-widgets.example,eve@outsider.example \
  --data "@$PFH_DIR/e.eml" || pfh_fail "(e) Postfix refused the message"
wait_delivered "Acme v. Globex $token_e" 1 || pfh_fail "(e) the message was not delivered to the authorised recipient"
delivered_e=$(sink_files_with "Acme v. Globex $token_e")
pfh_assert_file_matches "$delivered_e" '^X-Rcpt-Args: <bob@acme-widgets\.example>' "(e) delivered to bob"
pfh_assert_file_lacks "$delivered_e" 'X-Rcpt-Args: <eve@outsider\.example>' "(e) not delivered to eve"
wait_delivered "X-Privmilter-Notification:" 1 || pfh_fail "(e) no notification reached the sender"
notification=$(sink_files_with "X-Privmilter-Notification:" | head -n 1)
pfh_assert_file_matches "$notification" '^X-Rcpt-Args: <alice@examplelaw\.com>' "(e) the notification went to the sender"
pfh_assert_file_matches "$notification" 'eve@outsider\.example' "(e) it names the removed recipient"
pfh_assert_file_lacks "$notification" "expert report|$token_e" "(e) it carries none of the message's content or subject"
echo "ok (e): unauthorised recipient removed, the others served, the sender notified without content"

# --- (f) rejected with the configured 5.7.x text ---------------------------
message "$PFH_DIR/f.eml" "Bob <bob@acme-widgets.example>" "Claim form" "The claimant's number is 123-45-6789."
if pfh_send_file alice@examplelaw.com bob@acme-widgets.example "$PFH_DIR/f.eml"; then
  pfh_fail "(f) the SSN message was accepted"
fi
pfh_assert_file_matches "$PFH_LAST_TRANSCRIPT" \
  '550 5\.7\.1 Message contains a personal identifier \(SSN\).*\[rule ssn-unencrypted-external, ref [0-9]{8}T[0-9]{6}Z-[0-9a-f]{16}\]' \
  "(f) the client saw the configured 5.7.1 text with rule and reference"
echo "ok (f): rejected with the configured 5.7.1 text, rule and reference"

# --- (g) require_tls: no clear-text delivery to a server without STARTTLS ----
token_g="tls-$RANDOM$RANDOM"
message "$PFH_DIR/g.eml" "Bob <bob@acme-widgets.example>" "[tls] Schedule $token_g" "Hearing moved to Tuesday. $token_g"
pfh_send_file alice@examplelaw.com bob@acme-widgets.example "$PFH_DIR/g.eml" || pfh_fail "(g) Postfix refused the message"
pfh_wait_for_log 'TLS is required, but (was not offered|our TLS engine is unavailable)' 20
[ "$(count_delivered "$token_g")" -eq 0 ] || pfh_fail "(g) the message was delivered without TLS"
echo "ok (g): require_tls: Postfix keeps the message rather than deliver it without TLS"

# --- (h) route: delivered through the encryption gateway --------------------
token_h="gateway-$RANDOM$RANDOM"
message "$PFH_DIR/h.eml" "Bob <bob@acme-widgets.example>" "[gateway] Closing set $token_h" "Signature pages follow. $token_h"
pfh_send_file alice@examplelaw.com bob@acme-widgets.example "$PFH_DIR/h.eml" || pfh_fail "(h) Postfix refused the message"
wait_delivered "$token_h" 1 "$gateway_dir" || pfh_fail "(h) the gateway did not receive the message"
[ "$(count_delivered "$token_h")" -eq 0 ] || pfh_fail "(h) the message also went direct"
echo "ok (h): route: the message went to the encryption gateway only"

# --- a forged routing header is removed --------------------------------------
token_i="forged-$RANDOM$RANDOM"
message "$PFH_DIR/i.eml" "Bob <bob@acme-widgets.example>" "Lunch $token_i" "See you at noon. $token_i"
sed -i '1i X-Privmilter-Route: encryption-gateway' "$PFH_DIR/i.eml"
pfh_send_file alice@examplelaw.com bob@acme-widgets.example "$PFH_DIR/i.eml" || pfh_fail "(i) Postfix refused the message"
wait_delivered "Lunch $token_i" 1 || pfh_fail "(i) the message was not delivered direct"
pfh_assert_file_lacks "$(sink_files_with "Lunch $token_i")" '^X-Privmilter-Route:' "(i) the forged routing header was removed"
[ "$(count_delivered "$token_i" "$gateway_dir")" -eq 0 ] || pfh_fail "(i) a forged header steered the message"
echo "ok (i): a sender's own X-Privmilter-Route header is removed and steers nothing"

# --- the audit chain ----------------------------------------------------------
ctl audit verify || pfh_fail "the audit log does not verify"
pfh_assert_file_lacks "$audit" "purchase price|settlement figure|expert report|123-45-6789" \
  "the audit log holds no message content"
grep -F '"type":"reviewer"' "$audit" | grep -qF '"by":"e2e-reviewer"' || pfh_fail "the reviewer's release is not audited"
echo "ok: the audit chain verifies, records the reviewer, and holds no content"
