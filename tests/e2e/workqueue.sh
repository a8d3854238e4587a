#!/bin/sh
# workqueue.sh - `workqueue` against the real mxgated:
#   - status says Offline while mxgated is stopped (as `status` does), and
#     a pause made then says it takes effect when mxgated starts;
#   - a pause holds before the command returns: mxgated has already
#     logged it, with a reason even when none was given, and a message
#     sent right after it is held, not delivered, until resume;
#   - `workqueue rate 1` prints real figures: the held messages as
#     Pending and In, then Out once the queue is resumed.
# Every wait is for an event, with a generous ceiling.
. "$(dirname "$0")/lib.subr"

D=$(t_dir workqueue)
P=$(free_port)
S=$(free_port)
SINK=$D.sink
LOG=$D/logs/mail_logs/mail.current

mxsh_do "$D" \
	"listenerconfig new IncomingMail ip=127.0.0.1 port=$P type=public domains=@example.test" \
	"smtproutes new example.test 127.0.0.1:$S" \
	"commit e2e workqueue" >"$D/setup.out" 2>&1 \
	|| { t_fail setup "mxsh setup failed: $(cat "$D/setup.out")"; t_done; }

# ---------------------------------------------------------------- stopped
out=$("$MXSH" -D "$D" -c 'workqueue status' </dev/null 2>&1)
case $out in
"Status: Offline (mxgated is not running)"*) t_pass workqueue/status_offline ;;
*) t_fail workqueue/status_offline "got: $out" ;;
esac
out=$("$MXSH" -D "$D" -c 'workqueue pause before start' </dev/null 2>&1)
if echo "$out" | grep -qx 'mxgated is not running: the state is saved and takes effect when mxgated starts.'; then
	t_pass workqueue/pause_offline_saved
else
	t_fail workqueue/pause_offline_saved "got: $out"
fi
"$MXSH" -D "$D" -c 'workqueue resume' </dev/null >/dev/null 2>&1

sink_start "$S" "$SINK" || t_fail setup "smtp-sink did not start"
gw_start "$D"
wait_port "$P" 10 || { t_fail setup "mxgated did not listen: $(cat "$D/mxgated.out")"; t_done; }
wait_for 20 grep -q "Work queue resumed" "$LOG"

out=$("$MXSH" -D "$D" -c 'workqueue status' </dev/null 2>&1)
case $out in
"Status: Operational"*) t_pass workqueue/status_running ;;
*) t_fail workqueue/status_running "got: $out" ;;
esac

# ---------------------------------------------------------------- pause holds at once
out=$("$MXSH" -D "$D" -c 'workqueue pause' </dev/null 2>&1)
# no waiting here: the pause must already be in force
if grep -Eq "Work queue paused: no reason given \(by [^)]+\)$" "$LOG"; then
	t_pass workqueue/pause_applied_on_return
else
	t_fail workqueue/pause_applied_on_return "output '$out'; log: $(grep 'Work queue' "$LOG" | tail -2)"
fi
[ "$out" = "Work queue paused." ] && t_pass workqueue/pause_says_paused ||
	t_fail workqueue/pause_says_paused "got: $out"

# rate, following in the background until its input closes
mkfifo "$D/rate.in"
"$MXSH" -D "$D" -c 'workqueue rate 1' <"$D/rate.in" >"$D/rate.out" 2>&1 &
RATE=$!
exec 3>"$D/rate.in"
wait_for 20 grep -q '^Time  *Pending  *In  *Out$' "$D/rate.out"

for i in 1 2; do
	swaks --server 127.0.0.1:$P --from s@outside.test --to "u$i@example.test" \
		--header "Subject: held $i" >"$D/swaks$i.out" 2>&1
done
t_check workqueue/accepted_while_paused grep -q "250 2.0.0 Ok: Message" "$D/swaks2.out"
# sum of a column (2 Pending, 3 In, 4 Out) of the rate lines
col_sum() { awk -v c="$1" '/^[0-9][0-9]:[0-9][0-9]:[0-9][0-9] / { s += $c } END { print s + 0 }' "$D/rate.out"; }
last_pending() { awk '/^[0-9][0-9]:[0-9][0-9]:[0-9][0-9] / { p = $2 } END { print p + 0 }' "$D/rate.out"; }
if wait_for 30 sh -c "[ \$(awk '/^[0-9][0-9]:/ { s += \$3 } END { print s + 0 }' '$D/rate.out') -ge 2 ] &&
    [ \$(awk '/^[0-9][0-9]:/ { p = \$2 } END { print p + 0 }' '$D/rate.out') -eq 2 ]"; then
	t_pass workqueue/rate_in_and_pending
else
	t_fail workqueue/rate_in_and_pending "$(tail -4 "$D/rate.out")"
fi
if [ "$(sink_count "$SINK")" -eq 0 ] && [ "$(col_sum 4)" -eq 0 ]; then
	t_pass workqueue/held_while_paused
else
	t_fail workqueue/held_while_paused "sink has $(sink_count "$SINK"); out $(col_sum 4)"
fi

out=$("$MXSH" -D "$D" -c 'workqueue resume' </dev/null 2>&1)
[ "$out" = "Work queue resumed." ] && t_pass workqueue/resume_says_resumed ||
	t_fail workqueue/resume_says_resumed "got: $out"
if wait_for 30 sh -c "[ \$(awk '/^[0-9][0-9]:/ { s += \$4 } END { print s + 0 }' '$D/rate.out') -ge 2 ] &&
    [ \$(awk '/^[0-9][0-9]:/ { p = \$2 } END { print p + 0 }' '$D/rate.out') -eq 0 ]"; then
	t_pass workqueue/rate_out_after_resume
else
	t_fail workqueue/rate_out_after_resume "$(tail -4 "$D/rate.out")"
fi
wait_sink 30 "$SINK" 1 && t_pass workqueue/delivered_after_resume ||
	t_fail workqueue/delivered_after_resume "the sink has $(sink_count "$SINK")"

# closing its input ends the rate display
exec 3>&-
i=0
while kill -0 "$RATE" 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
if kill -0 "$RATE" 2>/dev/null; then
	kill "$RATE"
	t_fail workqueue/rate_ends_with_input "still running after its input closed"
else
	wait "$RATE"
	rc=$?
	[ $rc = 0 ] && t_pass workqueue/rate_ends_with_input ||
		t_fail workqueue/rate_ends_with_input "exit $rc: $(tail -3 "$D/rate.out")"
fi

gw_stop "$D"
sink_stop "$SINK"
t_done
