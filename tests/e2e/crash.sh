#!/bin/sh
# crash.sh - no accepted message is lost when mxgated is killed.
#
# A sender pushes 2,000 numbered messages over 5 sessions while mxgated
# is killed with SIGKILL at random moments (at least 10 times) and
# restarted. Every message that received a 250 must reach the sink at
# least once; duplicates (delivered, then killed before the delivery was
# recorded) are allowed and reported.
#
# The sender is Python's smtplib rather than smtp-source: smtp-source
# cannot say which messages were acknowledged, and that is what counts.
. "$(dirname "$0")/lib.subr"

D=$(t_dir crash)
P=$(free_port)
S=$(free_port)
SINK=$D.sink
N=${CRASH_MESSAGES:-2000}
KILLS=${CRASH_KILLS:-12}

mxsh_do "$D" \
	"listenerconfig new in ip=127.0.0.1 port=$P type=public domains=@crash.test" \
	"smtproutes new crash.test 127.0.0.1:$S" \
	"deliveryconfig setup retry_initial=1 retry_max=2" \
	"commit crash test" >"$D/setup.out" 2>&1 || { t_fail setup "$(cat "$D/setup.out")"; t_done; }
sink_start "$S" "$SINK" || { t_fail sink "smtp-sink did not start"; t_done; }
gw_start "$D"
wait_port "$P" 10 || { t_fail start "mxgated did not listen"; t_done; }

$PY "$(dirname "$0")/crash_sender.py" "$P" "$N" 5 "$D/acked" &
SENDER=$!
kills=0
while kill -0 $SENDER 2>/dev/null && [ $kills -lt $KILLS ]; do
	# a random moment: 10-100 ms
	sleep "$(awk -v s="$kills$$" 'BEGIN { srand(s); printf "%.3f", 0.01 + rand() * 0.09 }')"
	kill -9 "$(cat "$D/gw.pid")" 2>/dev/null && kills=$((kills + 1))
	wait "$(cat "$D/gw.pid")" 2>/dev/null
	gw_start "$D"
	wait_port "$P" 10
done
wait $SENDER
sender_rc=$?
[ "$kills" -ge 10 ] && t_pass "killed $kills times" || t_fail kills "only $kills kills before the sender finished"
[ $sender_rc = 0 ] && t_pass sender_finished || t_fail sender_finished "some messages never acknowledged"

acked=$(sort -un "$D/acked" | wc -l)
# let the queue drain into the sink
wait_for 60 sh -c "'$MXSH' -D '$D' -c 'status' | grep -Eq 'Active Recipients +0$'"
grep -h '^X-Seq: ' -r "$SINK" | sed 's/X-Seq: //; s/\r//' | sort -n >"$D/delivered"
sort -un "$D/delivered" >"$D/delivered.u"
missing=$(sort -un "$D/acked" | comm -23 - "$D/delivered.u" | wc -l)
dups=$(($(wc -l <"$D/delivered") - $(wc -l <"$D/delivered.u")))
echo "# crash: $acked acknowledged, $(wc -l <"$D/delivered.u") distinct delivered, $missing lost, $dups duplicates, $kills kills"
[ "$acked" -eq "$N" ] && t_pass all_acknowledged || t_fail all_acknowledged "$acked of $N"
[ "$missing" -eq 0 ] && t_pass no_acknowledged_message_lost || t_fail no_acknowledged_message_lost "$missing lost"
gw_stop "$D"
t_done
