#!/usr/bin/env bash
# Proves the private-Postfix harness with privmilter-null-milter:
#  (a) a message relayed through Postfix arrives at the sink with the header
#      the milter added at end of message;
#  (b) with the milter stopped, Postfix answers 451 4.7.1
#      (milter_default_action = tempfail) and nothing reaches the sink.
# Usage: postfix_null_milter_test.sh PATH/TO/privmilter-null-milter
# Exit status: 0 pass, 1 fail, 77 skipped (not root, or Postfix missing).
set -euo pipefail

null_milter=${1:?usage: $0 PATH/TO/privmilter-null-milter}
# shellcheck source=postfix_harness.sh
source "$(dirname "${BASH_SOURCE[0]}")/postfix_harness.sh"

pfh_require_environment
[ -x "$null_milter" ] || pfh_fail "$null_milter is not an executable (build privmilter-null-milter)"
pfh_init

socket="$PFH_DIR/milter/null.sock"
mkdir -p "$(dirname "$socket")"
pfh_start_process null-milter "$null_milter" -p "unix:$socket" --add-header "X-Null-Milter:seen by the null milter"
milter_pid=$PFH_LAST_PID
pfh_wait_for_unix_socket "$socket"
pfh_grant_postfix_access "$socket"

pfh_start_sink
pfh_start_postfix "unix:$socket"

# (a) delivered through the milter, with its header.
token="e2e-$$-$RANDOM"
message="$PFH_DIR/message-a.eml"
cat >"$message" <<EOF
From: Alice <alice@lawfirm.example>
To: Bob <bob@client.example>
Subject: harness check $token
Message-ID: <$token@lawfirm.example>

This message proves the harness: token $token.
EOF
pfh_send_file alice@lawfirm.example bob@client.example "$message" ||
  pfh_fail "(a) swaks could not hand the message to Postfix (exit $?)"
pfh_assert_file_matches "$PFH_LAST_TRANSCRIPT" '^ *<- *250 .*queued as' "(a) Postfix queued the message"
pfh_wait_for_sink_count 1
delivered=$(pfh_sink_messages | head -n 1)
pfh_assert_file_matches "$delivered" "^Subject: harness check $token" "(a) the sink got our message"
pfh_assert_file_matches "$delivered" '^X-Null-Milter: seen by the null milter' "(a) the milter's header arrived"
pfh_assert_file_matches "$delivered" '^X-Rcpt-Args: <bob@client\.example>' "(a) the envelope recipient survived"
echo "ok (a): delivered with the milter's header"

# (b) milter down: tempfail, nothing delivered, nothing queued.
pfh_stop_process "$milter_pid" 10
pfh_send_file alice@lawfirm.example bob@client.example "$message" && status=0 || status=$?
[ "$status" -ne 0 ] || pfh_fail "(b) swaks succeeded although the milter is down"
pfh_assert_file_matches "$PFH_LAST_TRANSCRIPT" '^ *<\*\* *451 4\.7\.1' "(b) Postfix answered 451 4.7.1"
pfh_wait_for_log 'connect to Milter service unix:[^ ]*/null\.sock: Connection refused' 10
sleep 2  # give a wrongly accepted message time to reach the sink
[ "$(pfh_sink_count)" -eq 1 ] || pfh_fail "(b) the sink holds $(pfh_sink_count) messages, expected 1"
# shellcheck disable=SC2119  # without arguments pfh_queue_count counts every queue
[ "$(pfh_queue_count)" -eq 0 ] || pfh_fail "(b) Postfix queued $(pfh_queue_count) messages, expected 0"
echo "ok (b): milter down gives 451 4.7.1 and nothing is delivered"
