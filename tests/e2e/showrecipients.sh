#!/bin/sh
# showrecipients.sh - showrecipients, showmessage and delivernow against
# the real mxgated (issue 13):
#   - two next hops down (example.test, other.test routed to closed
#     ports) and the TDC intake down: the messages and their journal
#     copies wait, each tried once (the copies' retry 60 s, kept 120 s);
#     then mxgated stops, so the queue is frozen while it is listed (the
#     listing reads queue.db without the daemon): no retry or expiry of
#     a copy can race a check;
#   - showrecipients host=, sender=, sender=<>, host=the.tdc.queue and all
#     list exactly the recipients queue.db holds (MID, RID, address),
#     with their attempts, sender and subject, and the count line;
#   - showmessage MID shows the envelope, the headers and the body;
#     a MID not queued is one line;
#   - a readonly account may list but not read a message;
#   - delivernow (AsyncOS's name for deliverynow), mxgated started again,
#     sends example.test's mail once its next hop is up, and the listing
#     (mxgated stopped again) no longer has it.
# Every wait is for an event, with a generous ceiling.
. "$(dirname "$0")/lib.subr"

N=showrecipients
D=$(t_dir showrecipients)
P=$(free_port)
DEAD1=$(free_port)	# example.test's next hop: nothing listens (until the end)
DEAD2=$(free_port)	# other.test's: nothing listens
TDEAD=$(free_port)	# the intake's: nothing listens
SINK1=$D.sink1
Q=$D/queue.db
acct=zqsr$$		# a readonly account, made only while mxgated is stopped
trap 'userdel "$acct" >/dev/null 2>&1; t_done' EXIT INT TERM

mxsh_do "$D" \
	"listenerconfig new IncomingMail ip=127.0.0.1 port=$P type=public domains=@example.test,@other.test" \
	"smtproutes new example.test 127.0.0.1:$DEAD1" \
	"smtproutes new other.test 127.0.0.1:$DEAD2" \
	"smtproutes new intake.test 127.0.0.1:$TDEAD" \
	"dnsconfig servers=127.0.0.1:$(dead_port)" \
	"supportconfig tdc.retry_delay=60 tdc.max_queue_time=120" \
	"tdcconfig setup enable=yes intake_address=journal@intake.test" \
	"policyconfig incoming edit DEFAULT tdc=global" \
	"commit e2e showrecipients" >"$D/setup.out" 2>&1 \
	|| { t_fail $N/setup "mxsh setup failed: $(cat "$D/setup.out")"; t_done; }

gw_start "$D"
wait_port "$P" 10 || { t_fail $N/setup "mxgated did not listen: $(cat "$D/mxgated.out")"; t_done; }

# q SQL - one value from queue.db, read-only
q() { sqlite3 -readonly "$Q" "$1" 2>/dev/null; }
# send FROM TO TAG - one message with Subject "sr TAG" and a body line "body of TAG"
send() {
	swaks --server 127.0.0.1:$P --from "$1" --to "$2" --header "Subject: sr $3" \
		--body "body of $3" >"$D/swaks.$3.out" 2>&1 ||
		t_fail "$N/send" "swaks: $(tail -3 "$D/swaks.$3.out")"
}
# mx LINE - one mxsh command line; output (both streams) in $out, status in $rc
mx() {
	out=$("$MXSH" -D "$D" -c "$1" </dev/null 2>&1)
	rc=$?
}
# listed - "MID RID RCPT" of every recipient in $out (the lines under each MID line)
listed() {
	printf '%s\n' "$out" | awk '
	/^[0-9]+ / { mid = $1; next }
	/^\[[0-9]+\] +\[[0-9]+\] / { gsub(/[][]/, "", $1); print mid, $1, $3 }' | sort
}
# want WHERE - "MID RID RCPT" of queue.db's recipients matching an SQL condition
want() {
	q "SELECT r.mid || ' ' || r.rid || ' ' || r.addr FROM recipients r JOIN messages m
	    ON m.mid = r.mid WHERE $1" | sort
}
# check NAME LINE WHERE - LINE lists exactly WHERE's recipients, then their count
check() {
	mx "$2"
	got=$(listed)
	exp=$(want "$3")
	n=$(printf '%s\n' "$exp" | grep -c .)
	[ "$n" = 1 ] && cl="1 recipient shown." || cl="$n recipients shown."
	if [ $rc = 0 ] && [ -n "$exp" ] && [ "$got" = "$exp" ] &&
	    printf '%s\n' "$out" | grep -qx "$cl"; then
		t_pass "$N/$1"
	else
		t_fail "$N/$1" "exit $rc; want [$exp] got [$got]; output: $out"
	fi
}

send s@sender.test a1@example.test a1
send s@sender.test a2@example.test a2
send t@else.test b1@other.test b1
# each recipient has been tried once and waits, and so does a journal copy
# (a copy is tried again 60 s later and then dropped: the copy checks come first)
if wait_for 60 sh -c "[ \"\$(sqlite3 -readonly '$Q' \"SELECT count(*) FROM recipients WHERE attempts > 0 AND dest <> 'the.tdc.queue'\")\" = 3 ] && [ \"\$(sqlite3 -readonly '$Q' \"SELECT count(*) FROM recipients WHERE attempts > 0 AND dest = 'the.tdc.queue'\")\" -ge 1 ]"; then
	t_pass $N/next_hops_down_messages_wait
else
	t_fail $N/next_hops_down_messages_wait "$(q 'SELECT mid, rid, addr, dest, attempts FROM recipients')"
fi

# the queue frozen: nothing changes between a listing and queue.db's answer
gw_stop "$D"
COPY=$(q "SELECT mid FROM recipients WHERE dest = 'the.tdc.queue' ORDER BY mid DESC LIMIT 1")
check tdc_copies "showrecipients host=the.tdc.queue" "r.dest = 'the.tdc.queue'"
check null_sender "showrecipients sender=<>" "m.sender = ''"
# a copy's sender is <>, its subject on the line under its MID's
mx "showrecipients host=the.tdc.queue"
if printf '%s\n' "$out" | grep -A1 -E "^$COPY +[0-9,]+ +<> +DEFAULT$" |
    grep -Eq '^ +Subject: Journal: sr '; then
	t_pass $N/copy_sender
else
	t_fail $N/copy_sender "MID $COPY: $out"
fi
mx "showmessage $COPY"
if [ $rc = 0 ] && printf '%s\n' "$out" | grep -qx 'Type: journal copy for the Threat Defense Connector'; then
	t_pass $N/showmessage_copy
else
	t_fail $N/showmessage_copy "exit $rc: $out"
fi
check all "showrecipients all" "1"
check by_host "showrecipients host=example.test" "r.dest = 'example.test'"
check by_host_case "showrecipients host=OTHER.test" "r.dest = 'other.test'"
check by_sender "showrecipients sender=t@else.test" "m.sender = 't@else.test'"

# the columns: a1's message line shows its size, sender and policy, the
# subject under it; its recipient line the RID, attempts and next attempt
# (year and zone)
mx "showrecipients host=example.test"
MID_A1=$(q "SELECT mid FROM recipients WHERE addr = 'a1@example.test'")
if printf '%s\n' "$out" | grep -A2 -Eq "^$MID_A1 +[0-9,]+ +s@sender\.test +DEFAULT\$" &&
    printf '%s\n' "$out" | grep -A2 -E "^$MID_A1 +[0-9,]+ +s@sender\.test +DEFAULT\$" |
    grep -qx '         Subject: sr a1' &&
    printf '%s\n' "$out" | grep -Eq '^\[0\] +\[[1-9][0-9]*\] +a1@example\.test +([A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} [0-9]{4} [A-Z]+|now)$' &&
    printf '%s\n' "$out" | grep -q '^Showing messages, please wait\.$' &&
    printf '%s\n' "$out" | grep -q '^MID/ *Bytes/ *Sender/ *Policy$' &&
    printf '%s\n' "$out" | grep -q '^\[RID\] *\[Atmps\] *Recipient *Next attempt$'; then
	t_pass $N/columns
else
	t_fail $N/columns "MID $MID_A1: $out"
fi
mx "showrecipients host=nowhere.test"
if [ $rc = 0 ] && printf '%s\n' "$out" | grep -qx 'There are no messages matching your request.'; then
	t_pass $N/none_matching
else
	t_fail $N/none_matching "exit $rc: $out"
fi

# ---------------------------------------------------------------- showmessage
mx "showmessage $MID_A1"
if [ $rc = 0 ] && printf '%s\n' "$out" | grep -qx "MID $MID_A1" &&
    printf '%s\n' "$out" | grep -qx 'Sender: s@sender.test' &&
    printf '%s\n' "$out" | grep -Eqx 'Received: [A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} [0-9]{4} [A-Z]+' &&
    [ "$(printf '%s\n' "$out" | grep -n -e '^Sender: ' -e '^Recipients:$' -e '^To: ' | cut -d: -f2 | tr '\n' ' ')" = "Sender Recipients To " ] &&
    printf '%s\n' "$out" | grep -Eqx '  \[0\] a1@example\.test \(example\.test, [1-9][0-9]* attempts?\)' &&
    printf '%s\n' "$out" | grep -qx 'Subject: sr a1' &&
    printf '%s\n' "$out" | grep -qx 'To: a1@example.test' &&
    printf '%s\n' "$out" | grep -qx 'body of a1'; then
	t_pass $N/showmessage
else
	t_fail $N/showmessage "exit $rc: $out"
fi
mx "showmessage 987654"
if [ $rc = 1 ] && [ "$out" = "MID 987654 is not in the queue." ]; then
	t_pass $N/showmessage_absent
else
	t_fail $N/showmessage_absent "exit $rc: $out"
fi

# ---------------------------------------------------------------- delivernow
gw_start "$D"
wait_port "$P" 10 || t_fail $N/setup "mxgated did not start again: $(cat "$D/mxgated.out")"
SINK1_PORT=$DEAD1
sink_start "$SINK1_PORT" "$SINK1" || t_fail $N/setup "smtp-sink for example.test did not start"
mx "delivernow example.test"
if [ $rc = 0 ] && wait_sink 60 "$SINK1" 1 &&
    wait_for 30 sh -c "[ \"\$(sqlite3 -readonly '$Q' \"SELECT count(*) FROM recipients WHERE dest = 'example.test'\")\" = 0 ]"; then
	t_pass $N/delivernow
else
	t_fail $N/delivernow "exit $rc: $out; sink holds $(sink_count "$SINK1")"
fi
gw_stop "$D"
mx "showrecipients host=example.test"
printf '%s\n' "$out" | grep -qx 'There are no messages matching your request.' &&
	t_pass $N/delivered_not_listed || t_fail $N/delivered_not_listed "$out"
check left_after_delivery "showrecipients all" "1"

# ---------------------------------------------------------------- roles
# made with mxgated stopped, so no system account is made for it
MID_B1=$(q "SELECT mid FROM recipients WHERE addr = 'b1@other.test'")
"$MXSH" -D "$D" -c "userconfig new $acct role=readonly fullname=\"RO\"" -c "commit ro" \
	>"$D/ro.out" 2>&1 || t_fail $N/setup "readonly account: $(cat "$D/ro.out")"
out=$("$MXSH" -D "$D" -u "$acct" -c "showmessage $MID_B1" </dev/null 2>&1)
rc=$?
if [ $rc = 1 ] && [ "$out" = "Access denied: the readonly role cannot run 'showmessage'." ]; then
	t_pass $N/readonly_showmessage_refused
else
	t_fail $N/readonly_showmessage_refused "exit $rc: $out"
fi
out=$("$MXSH" -D "$D" -u "$acct" -c "showrecipients sender=t@else.test" </dev/null 2>&1)
rc=$?
if [ $rc = 0 ] && printf '%s\n' "$out" | grep -qx '1 recipient shown.'; then
	t_pass $N/readonly_may_list
else
	t_fail $N/readonly_may_list "exit $rc: $out"
fi
if grep -q "showmessage $MID_B1" "$D"/logs/cli_logs/cli.current 2>/dev/null; then
	t_pass $N/refusal_logged
else
	t_fail $N/refusal_logged "no cli_logs line for showmessage $MID_B1"
fi
t_done
