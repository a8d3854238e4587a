#!/bin/sh
# queue_actions_bounce.sh - a bounced recipient of a message that still
# waits for others (issue 13, review of bouncerecipients):
#   - one message for a@example.test and b@other.test, both next hops
#     down; `bouncerecipients host=example.test` bounces a@ only;
#   - showrecipients and tophosts no longer show a@ (it waits for its
#     message's DSN, not for delivery), queue.db keeps it marked;
#   - after a restart a@ is not retried ("Queue loaded: ... 1 recipients")
#     and, once b@ is delivered (redirected to a sink), the message
#     finishes and the one DSN for a@ reaches the sender, once;
#   - the Bounced: line says "Bounced by administrator" with the reason;
#   - a message from the null sender: no DSN, counted apart in the reply.
# Every wait is for an event, with a generous ceiling.
. "$(dirname "$0")/lib.subr"

D=$(t_dir queue_actions_bounce)
P=$(free_port)
DEAD=$(free_port)	# example.test's and other.test's next hop: nothing listens
S2=$(free_port)		# where other.test is redirected at the end
SB=$(free_port)		# the sender's domain: the DSN arrives here
SINK2=$D.sink2
SINKB=$D.sinkb
LOG=$D/logs/mail_logs/mail.current
Q=$D/queue.db

mxsh_do "$D" \
	"listenerconfig new IncomingMail ip=127.0.0.1 port=$P type=public domains=@example.test,@other.test" \
	"smtproutes new example.test 127.0.0.1:$DEAD" \
	"smtproutes new other.test 127.0.0.1:$DEAD" \
	"smtproutes new sender.test 127.0.0.1:$SB" \
	"dnsconfig servers=127.0.0.1:$(dead_port)" \
	"commit e2e queue actions bounce" >"$D/setup.out" 2>&1 \
	|| { t_fail setup "mxsh setup failed: $(cat "$D/setup.out")"; t_done; }

sink_start "$S2" "$SINK2" || t_fail setup "smtp-sink 2 did not start"
sink_start "$SB" "$SINKB" || t_fail setup "smtp-sink for sender.test did not start"
gw_start "$D"
wait_port "$P" 10 || { t_fail setup "mxgated did not listen: $(cat "$D/mxgated.out")"; t_done; }

# mx LINE - one mxsh command line; output (both streams) in $out, status in $rc
mx() {
	out=$("$MXSH" -D "$D" -c "$1" </dev/null 2>&1)
	rc=$?
}
# tried N - until N recipients are queued and each has failed once
tried() {
	wait_for 60 sh -c "[ \"\$(sqlite3 -readonly '$Q' \"SELECT count(*) FROM recipients WHERE attempts > 0\")\" = $1 ]"
}

swaks --server 127.0.0.1:$P --from s@sender.test --to a@example.test,b@other.test \
	--header "Message-Id: <two@qa.test>" >"$D/swaks.two.out" 2>&1 ||
	t_fail send "swaks: $(tail -3 "$D/swaks.two.out")"
tried 2 || t_fail queue_actions_bounce/setup "recipients: $(sqlite3 -readonly "$Q" 'SELECT * FROM recipients')"
MID=$(sqlite3 -readonly "$Q" "SELECT mid FROM recipients WHERE addr = 'a@example.test'")

mx "bouncerecipients host=example.test reason=\"Mailbox moved\""
[ "$rc" = 0 ] && [ "$out" = "1 recipient bounced." ] &&
	t_pass queue_actions_bounce/says_one ||
	t_fail queue_actions_bounce/says_one "rc $rc: $out"
# the writer has recorded it when mxsh sees the answer
mx "showrecipients all"
case $out in
*a@example.test*) t_fail queue_actions_bounce/showrecipients_leaves_it_out "$out" ;;
*b@other.test*) t_pass queue_actions_bounce/showrecipients_leaves_it_out ;;
*) t_fail queue_actions_bounce/showrecipients_leaves_it_out "b@ missing: $out" ;;
esac
mx "showrecipients host=example.test"
case $out in
*a@example.test*) t_fail queue_actions_bounce/showrecipients_host_empty "$out" ;;
*) t_pass queue_actions_bounce/showrecipients_host_empty ;;
esac
mx "tophosts active_rcpts"
# example.test: 0 active recipients (it has 1 hard bounce); other.test still 1
if echo "$out" | grep -Eq '^ *[0-9]*\*? *example\.test +0 ' &&
    echo "$out" | grep -Eq '^ *[0-9]*\*? *other\.test +1 '; then
	t_pass queue_actions_bounce/tophosts_does_not_count_it
else
	t_fail queue_actions_bounce/tophosts_does_not_count_it "$out"
fi
grep -q "Bounced: DCID 0 MID $MID to RID 0 - 5.0.0 - Bounced by administrator ('000', \['Mailbox moved'\])" "$LOG" &&
	t_pass queue_actions_bounce/bounced_line ||
	t_fail queue_actions_bounce/bounced_line "$(grep 'Bounced:' "$LOG")"
[ "$(grep -c "was generated for bounce of MID $MID" "$LOG")" = 0 ] &&
	t_pass queue_actions_bounce/no_dsn_while_waiting ||
	t_fail queue_actions_bounce/no_dsn_while_waiting "a DSN went before the message finished"

gw_stop "$D"
gw_start "$D"
wait_port "$P" 10 || { t_fail restart "mxgated did not listen again: $(tail -3 "$D/mxgated.out")"; t_done; }
if wait_for 30 grep -q "Queue loaded" "$LOG" &&
    grep -q "Queue loaded: 1 messages, 1 recipients to deliver" "$LOG"; then
	t_pass queue_actions_bounce/restart_does_not_retry_it
else
	t_fail queue_actions_bounce/restart_does_not_retry_it "$(grep 'Queue loaded' "$LOG")"
fi
mx "redirectrecipients host=127.0.0.1:$S2 for=other.test"
[ "$rc" = 0 ] && [ "$out" = "1 recipient redirected." ] ||
	t_fail queue_actions_bounce/redirect "rc $rc: $out"
if wait_sink 30 "$SINK2" 0 && wait_sink 30 "$SINKB" 0 &&
    wait_for 10 grep -q "Message finished MID $MID done" "$LOG"; then
	t_pass queue_actions_bounce/dsn_when_message_finishes
else
	t_fail queue_actions_bounce/dsn_when_message_finishes "sink 2 $(sink_count "$SINK2"), sender's sink $(sink_count "$SINKB")"
fi
# the DSN names a@ only, and goes once (its generated MID delivered before we count)
DSN=$(grep -o "MID [0-9]* was generated for bounce of MID $MID\$" "$LOG" | awk '{ print $2 }')
wait_for 30 grep -q "Message finished MID $DSN done" "$LOG"
if [ "$(grep -c "was generated for bounce of MID $MID\$" "$LOG")" = 1 ] &&
    [ "$(sink_count "$SINKB")" = 1 ] &&
    grep -qi "Final-Recipient: rfc822; *a@example.test" "$SINKB"/* &&
    ! grep -qi "Final-Recipient: rfc822; *b@other.test" "$SINKB"/* &&
    grep -q "Mailbox moved" "$SINKB"/*; then
	t_pass queue_actions_bounce/dsn_once_for_a
else
	t_fail queue_actions_bounce/dsn_once_for_a "DSNs $(grep -c "bounce of MID $MID" "$LOG"), sink $(sink_count "$SINKB")"
fi
[ "$(sqlite3 -readonly "$Q" "SELECT count(*) FROM recipients WHERE mid = $MID")" = 0 ] &&
	t_pass queue_actions_bounce/rows_gone ||
	t_fail queue_actions_bounce/rows_gone "$(sqlite3 -readonly "$Q" "SELECT * FROM recipients WHERE mid = $MID")"

# ---------------------------------------------------------------- the null sender
swaks --server 127.0.0.1:$P --from '<>' --to n@example.test \
	--header "Message-Id: <null@qa.test>" >"$D/swaks.null.out" 2>&1 ||
	t_fail send "swaks: $(tail -3 "$D/swaks.null.out")"
tried 1 || t_fail queue_actions_bounce/null_setup "recipients: $(sqlite3 -readonly "$Q" 'SELECT * FROM recipients')"
NMID=$(sqlite3 -readonly "$Q" "SELECT mid FROM recipients WHERE addr = 'n@example.test'")
mx "bouncerecipients all"
[ "$rc" = 0 ] && [ "$out" = "0 recipients bounced.
1 recipient had no sender (<>): removed without a notification." ] &&
	t_pass queue_actions_bounce/null_sender_counted_apart ||
	t_fail queue_actions_bounce/null_sender_counted_apart "rc $rc: $out"
if wait_for 10 grep -q "Message finished MID $NMID done" "$LOG" &&
    ! grep -q "was generated for bounce of MID $NMID\$" "$LOG" &&
    grep -q "Bounced: DCID 0 MID $NMID to RID 0 - 5.0.0 - Bounced by administrator ('000', \['Bounced by administrator'\])" "$LOG"; then
	t_pass queue_actions_bounce/null_sender_no_dsn
else
	t_fail queue_actions_bounce/null_sender_no_dsn "$(grep "MID $NMID" "$LOG")"
fi

gw_stop "$D"
sink_stop "$SINK2"
sink_stop "$SINKB"
t_done
