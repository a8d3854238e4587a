#!/bin/sh
# queue_actions.sh - redirectrecipients, bouncerecipients and
# deleterecipients against the real mxgated (issue 13's done-when):
#   - a next hop down (example.test routed to a closed port): messages
#     wait; `redirectrecipients host=127.0.0.1:SINK2 for=example.test`
#     sends every one to the second sink exactly once (Message-IDs
#     counted), the queue empties, one log line per recipient;
#   - bouncerecipients: a DSN per message to the sender's domain (its own
#     sink), the Bounced: line with 5.0.0 and the reason, journal copies
#     (the.tdc.queue) skipped and counted, host=the.tdc.queue refused;
#   - deleterecipients: the copies and the waiting recipients go, and a
#     restart does not bring them back;
#   - a bad host, port or selection: one line, the queue unchanged;
#     mxgated stopped: one line and no request row left behind.
# Every wait is for an event, with a generous ceiling.
. "$(dirname "$0")/lib.subr"

D=$(t_dir queue_actions)
P=$(free_port)
DEAD=$(free_port)	# example.test's next hop: nothing listens
TDEAD=$(free_port)	# the intake's: nothing listens either
S2=$(free_port)		# where the redirect sends mail
SB=$(free_port)		# the senders' domain: the DSNs arrive here
SINK2=$D.sink2
SINKB=$D.sinkb
LOG=$D/logs/mail_logs/mail.current
Q=$D/queue.db

mxsh_do "$D" \
	"listenerconfig new IncomingMail ip=127.0.0.1 port=$P type=public domains=@example.test" \
	"smtproutes new example.test 127.0.0.1:$DEAD" \
	"smtproutes new sender.test 127.0.0.1:$SB" \
	"smtproutes new intake.test 127.0.0.1:$TDEAD" \
	"dnsconfig servers=127.0.0.1:$(dead_port)" \
	"supportconfig tdc.retry_delay=60 tdc.max_queue_time=120" \
	"tdcconfig setup enable=yes intake_address=journal@intake.test" \
	"policyconfig incoming edit DEFAULT tdc=global" \
	"commit e2e queue actions" >"$D/setup.out" 2>&1 \
	|| { t_fail setup "mxsh setup failed: $(cat "$D/setup.out")"; t_done; }

sink_start "$S2" "$SINK2" || t_fail setup "smtp-sink 2 did not start"
sink_start "$SB" "$SINKB" || t_fail setup "smtp-sink for sender.test did not start"
gw_start "$D"
wait_port "$P" 10 || { t_fail setup "mxgated did not listen: $(cat "$D/mxgated.out")"; t_done; }

# rows WHERE - queued recipients in queue.db matching an SQL condition
rows() { sqlite3 -readonly "$Q" "SELECT count(*) FROM recipients WHERE $1" 2>/dev/null; }
# requests - request rows left in queue.db
requests() { sqlite3 -readonly "$Q" "SELECT count(*) FROM requests" 2>/dev/null; }
# send TAG N - N messages from s@sender.test to TAGi@example.test, Message-Id <TAGi@qa.test>
send() {
	i=1
	while [ "$i" -le "$2" ]; do
		swaks --server 127.0.0.1:$P --from s@sender.test --to "$1$i@example.test" \
			--header "Message-Id: <$1$i@qa.test>" --header "Subject: qa $1$i" \
			>"$D/swaks.$1$i.out" 2>&1 ||
			t_fail "$1/send" "swaks: $(tail -3 "$D/swaks.$1$i.out")"
		i=$((i + 1))
	done
}
# mx LINE - one mxsh command line; output (both streams) in $out, status in $rc
mx() {
	out=$("$MXSH" -D "$D" -c "$1" </dev/null 2>&1)
	rc=$?
}
# waiting N - until N recipients for example.test are queued and each has failed once
waiting() {
	wait_for 60 sh -c "[ \"\$(sqlite3 -readonly '$Q' \"SELECT count(*) FROM recipients WHERE dest = 'example.test' AND attempts > 0\")\" = $1 ]"
}
# queued N - until N recipients for example.test are queued (the host is down: they wait)
queued() {
	wait_for 30 sh -c "[ \"\$(sqlite3 -readonly '$Q' \"SELECT count(*) FROM recipients WHERE dest = 'example.test'\")\" = $1 ]"
}

# ---------------------------------------------------------------- redirect
send a 3
if waiting 3; then
	t_pass queue_actions/next_hop_down_messages_wait
else
	t_fail queue_actions/next_hop_down_messages_wait "rows: $(rows "dest = 'example.test'"), log: $(grep -c Delayed "$LOG")"
fi
COPIES=$(rows "dest = 'the.tdc.queue'")
mx "redirectrecipients host=127.0.0.1:$S2 for=example.test"
[ "$rc" = 0 ] && [ "$out" = "3 recipients redirected." ] &&
	t_pass queue_actions/redirect_says_count ||
	t_fail queue_actions/redirect_says_count "rc $rc: $out"
if wait_sink 30 "$SINK2" 2; then
	t_pass queue_actions/redirect_delivered
else
	t_fail queue_actions/redirect_delivered "sink 2 has $(sink_count "$SINK2")"
fi
wait_for 30 grep -q "Message finished MID" "$LOG"
wait_for 10 sh -c "[ \$(grep -c 'Message finished MID' '$LOG') -ge 3 ]"
ids=$(cat "$SINK2"/* 2>/dev/null | tr -d '\r' | sed -n 's/^Message-Id: //Ip' | sort | uniq -c |
	awk '{ printf "%s:%s ", $2, $1 }')
[ "$ids" = "<a1@qa.test>:1 <a2@qa.test>:1 <a3@qa.test>:1 " ] &&
	t_pass queue_actions/redirect_each_exactly_once ||
	t_fail queue_actions/redirect_each_exactly_once "Message-Ids at sink 2: $ids"
[ "$(rows "dest <> 'the.tdc.queue'")" = 0 ] &&
	t_pass queue_actions/redirect_queue_empty ||
	t_fail queue_actions/redirect_queue_empty "$(sqlite3 -readonly "$Q" 'SELECT mid, rid, dest FROM recipients')"
[ "$(grep -Ec "MID [0-9]+ RID \[0\] redirected to \[127\.0\.0\.1\]:$S2 by redirectrecipients \(" "$LOG")" = 3 ] &&
	t_pass queue_actions/redirect_logged ||
	t_fail queue_actions/redirect_logged "$(grep redirect "$LOG" | tail -4)"
[ "$(rows "dest = 'the.tdc.queue'")" = "$COPIES" ] && [ "$COPIES" -ge 1 ] &&
	t_pass queue_actions/redirect_leaves_copies ||
	t_fail queue_actions/redirect_leaves_copies "copies before $COPIES, now $(rows "dest = 'the.tdc.queue'")"

# ---------------------------------------------------------------- bad input changes nothing
send e 1
queued 1 || t_fail queue_actions/bad_setup "the message did not wait"
before=$(sqlite3 -readonly "$Q" "SELECT mid, rid, dest, attempts FROM recipients ORDER BY 1, 2")
bad() {	# NAME LINE EXPECTED-LINE
	mx "$2"
	if [ "$rc" != 0 ] && [ "$out" = "$3" ] &&
	    [ "$(sqlite3 -readonly "$Q" "SELECT mid, rid, dest, attempts FROM recipients ORDER BY 1, 2")" = "$before" ] &&
	    [ "$(requests)" = 0 ]; then
		t_pass "queue_actions/$1"
	else
		t_fail "queue_actions/$1" "rc $rc: $out"
	fi
}
bad bad_host "redirectrecipients host=bad..host for=example.test" \
	"redirectrecipients: 'bad..host' is not a host name or IP address (HOST or HOST:PORT); nothing was changed."
bad bad_port "redirectrecipients host=127.0.0.1:70000" \
	"redirectrecipients: '70000' is not a port number (1-65535); nothing was changed."
bad bad_selection "deleterecipients hots=example.test" \
	"deleterecipients: expected host=HOST, sender=ADDRESS or all, not 'hots=example.test'."
bad bounce_tdc_refused "bouncerecipients host=the.tdc.queue" \
	"bouncerecipients: copies for the.tdc.queue are never bounced; nothing was changed."
bad redirect_tdc_refused "redirectrecipients host=127.0.0.1:$S2 for=the.tdc.queue" \
	"redirectrecipients: copies for the.tdc.queue are never redirected; nothing was changed."

# ---------------------------------------------------------------- bounce
send b 2
queued 3 || t_fail queue_actions/bounce_setup "rows: $(rows "dest = 'example.test'")"
COPIES=$(rows "dest = 'the.tdc.queue'")
mx "bouncerecipients all reason=\"Mail refused by policy\""
exp="3 recipients bounced."
[ "$COPIES" = 1 ] && exp="$exp
1 journal copy skipped: copies for the.tdc.queue are never bounced."
[ "$COPIES" -gt 1 ] && exp="$exp
$COPIES journal copies skipped: copies for the.tdc.queue are never bounced."
[ "$rc" = 0 ] && [ "$out" = "$exp" ] && [ "$COPIES" -ge 1 ] &&
	t_pass queue_actions/bounce_says_count_and_skipped ||
	t_fail queue_actions/bounce_says_count_and_skipped "rc $rc, $COPIES copies: $out"
if wait_sink 30 "$SINKB" 2; then
	t_pass queue_actions/bounce_dsn_to_sender
else
	t_fail queue_actions/bounce_dsn_to_sender "the sender's sink has $(sink_count "$SINKB")"
fi
[ "$(grep -Ec "Bounced: DCID 0 MID [0-9]+ to RID 0 - 5\.0\.0 - Bounced by administrator \('000', \['Mail refused by policy'\]\)" "$LOG")" = 3 ] &&
	[ "$(grep -Ec "MID [0-9]+ was generated for bounce of MID" "$LOG")" = 3 ] &&
	t_pass queue_actions/bounce_logged ||
	t_fail queue_actions/bounce_logged "$(grep -E 'Bounced:|bounce of' "$LOG" | tail -4)"
grep -l "Mail refused by policy" "$SINKB"/* >/dev/null 2>&1 &&
	t_pass queue_actions/bounce_dsn_has_reason ||
	t_fail queue_actions/bounce_dsn_has_reason "no DSN names the reason"
[ "$(rows "dest = 'example.test'")" = 0 ] && [ "$(rows "dest = 'the.tdc.queue'")" = "$COPIES" ] &&
	t_pass queue_actions/bounce_keeps_copies ||
	t_fail queue_actions/bounce_keeps_copies "example.test $(rows "dest = 'example.test'"), copies $(rows "dest = 'the.tdc.queue'")"

# ---------------------------------------------------------------- delete
send d 2
queued 2 || t_fail queue_actions/delete_setup "rows: $(rows "dest = 'example.test'")"
COPIES=$(rows "dest = 'the.tdc.queue'")
mx "deleterecipients host=the.tdc.queue"
[ "$rc" = 0 ] && [ "$out" = "$COPIES recipients deleted." ] && [ "$COPIES" -ge 2 ] &&
	[ "$(rows "dest = 'the.tdc.queue'")" = 0 ] &&
	t_pass queue_actions/delete_copies ||
	t_fail queue_actions/delete_copies "rc $rc, $COPIES copies: $out; left $(rows "dest = 'the.tdc.queue'")"
mx "deleterecipients sender=s@sender.test"
[ "$rc" = 0 ] && [ "$out" = "2 recipients deleted." ] && [ "$(rows "1")" = 0 ] &&
	t_pass queue_actions/delete_by_sender ||
	t_fail queue_actions/delete_by_sender "rc $rc: $out; left $(rows 1)"
[ "$(grep -Ec "MID [0-9]+ RID \[0\] deleted by deleterecipients \(" "$LOG")" = $((COPIES + 2)) ] &&
	grep -Eq "Message finished MID [0-9]+ aborted" "$LOG" &&
	t_pass queue_actions/delete_logged ||
	t_fail queue_actions/delete_logged "$(grep -E 'deleted by|aborted' "$LOG" | tail -4)"
# status: Deleted Recipients (Completion), and the journal copies add up with theirs deleted
"$MXSH" -D "$D" -c status >"$D/status.out" 2>&1
stat() { sed -n "s/^ *$1  *\([0-9,]*\) .*/\1/p" "$D/status.out" | head -1 | tr -d ,; }
tq=$(stat "Journal Copies Queued") tf=$(stat "Journal Copies Failed")
td=$(stat "Journal Copies Delivered") tx=$(stat "Journal Copies Deleted")
if [ "$(stat "Deleted Recipients")" = 2 ] && [ "$tx" = "$COPIES" ] &&
    [ "$tq" = $((tf + td + tx + $(rows "dest = 'the.tdc.queue'"))) ]; then
	t_pass queue_actions/status_counts_deleted
else
	t_fail queue_actions/status_counts_deleted "$(grep -E 'Deleted|Journal' "$D/status.out")"
fi
n2=$(sink_count "$SINK2") nb=$(sink_count "$SINKB")
gw_stop "$D"
gw_start "$D"
wait_port "$P" 10 || { t_fail restart "mxgated did not listen again: $(tail -3 "$D/mxgated.out")"; t_done; }
if [ "$(rows 1)" = 0 ] && ! grep -q "Queue loaded" "$LOG"; then
	t_pass queue_actions/delete_survives_restart
else
	t_fail queue_actions/delete_survives_restart "$(rows 1) recipients back: $(grep 'Queue loaded' "$LOG" | tail -1)"
fi

# ---------------------------------------------------------------- mxgated stopped
send s 1
queued 1 || t_fail queue_actions/persist_setup "rows: $(rows 1)"
# a redirect to a host that is down too: the new destination is in queue.db and survives a restart
mx "redirectrecipients host=127.0.0.1:$DEAD for=example.test"
[ "$rc" = 0 ] && [ "$out" = "1 recipient redirected." ] &&
	[ "$(rows "dest = '[127.0.0.1]:$DEAD'")" = 1 ] &&
	t_pass queue_actions/redirect_persisted ||
	t_fail queue_actions/redirect_persisted "rc $rc: $out; $(sqlite3 -readonly "$Q" 'SELECT mid, rid, dest, attempts FROM recipients')"
gw_stop "$D"
gw_start "$D"
wait_port "$P" 10 || { t_fail restart "mxgated did not listen again: $(tail -3 "$D/mxgated.out")"; t_done; }
if wait_for 30 grep -q "Queue loaded" "$LOG" && [ "$(rows "dest = '[127.0.0.1]:$DEAD'")" = 1 ] &&
    [ "$(rows "dest = 'example.test'")" = 0 ]; then
	t_pass queue_actions/redirect_survives_restart
else
	t_fail queue_actions/redirect_survives_restart "$(sqlite3 -readonly "$Q" 'SELECT mid, rid, dest, attempts FROM recipients'); $(grep 'Queue loaded' "$LOG" | tail -1)"
fi
gw_stop "$D"
before=$(sqlite3 -readonly "$Q" "SELECT mid, rid, dest, attempts FROM recipients ORDER BY 1, 2")
for line in "deleterecipients all" "bouncerecipients host=example.test" \
    "redirectrecipients host=127.0.0.1:$S2"; do
	mx "$line"
	if [ "$rc" != 0 ] &&
	    [ "$out" = "mxgated is not running: the queue can be changed only while it runs." ] &&
	    [ "$(requests)" = 0 ] &&
	    [ "$(sqlite3 -readonly "$Q" "SELECT mid, rid, dest, attempts FROM recipients ORDER BY 1, 2")" = "$before" ]; then
		t_pass "queue_actions/stopped_${line%% *}"
	else
		t_fail "queue_actions/stopped_${line%% *}" "rc $rc: $out; requests $(requests)"
	fi
done
[ "$(sink_count "$SINK2")" = "$n2" ] && [ "$(sink_count "$SINKB")" = "$nb" ] &&
	t_pass queue_actions/nothing_more_delivered ||
	t_fail queue_actions/nothing_more_delivered "sink 2 $(sink_count "$SINK2") (was $n2), sender sink $(sink_count "$SINKB") (was $nb)"

sink_stop "$SINK2"
sink_stop "$SINKB"
t_done
