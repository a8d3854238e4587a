#!/bin/sh
# findevent_mail.sh - findevent on the mail_logs of a real mxgated: one
# message split by policy into two, both journaled to the Threat Defense
# Connector, one part hard-bounced and its bounce delivered; a
# second message on its own connection; a third whose delivery waits for
# its server across a rollover. The intake is tests/e2e/intake.py with
# STARTTLS and a test CA made here, as in tdc.sh: the copies are delivered. `findevent -m` must show each whole, in
# order, nothing of the others; the searches find the received messages;
# the index and a scan agree.
. "$(dirname "$0")/lib.subr"

D=$(t_dir findevent_mail)
P=$(free_port)
S=$(free_port)
B=$(free_port)
Q=$(free_port)
I=$(free_port)
K=$D.keys
SINK=$D.sink
BAD=$D.bad
SLOW=$D.slow
LOG=$D/logs/mail_logs/mail.current

mkdir -p "$K" "$D.intake"
t_ca "$K" && t_cert "$K" intake "DNS:intake.test,IP:127.0.0.1" ||
	{ t_fail setup "openssl could not make the test CA"; t_done; }
$PY "$(dirname "$0")/intake.py" --port "$I" --cert "$K/intake.pem" --key "$K/intake.key" \
	--dir "$D.intake" >"$D.intake.out" 2>&1 &
T_PIDS="$T_PIDS $!"
wait_port "$I" 10 || t_fail setup "intake.py did not start: $(cat "$D.intake.out")"
sink_start "$S" "$SINK" || t_fail setup "smtp-sink did not start"
# every RCPT refused with a 5xx: a hard bounce
sink_start "$B" "$BAD" -f RCPT || t_fail setup "rejecting smtp-sink did not start"
mxsh_do "$D" \
	"listenerconfig new IncomingMail ip=127.0.0.1 port=$P type=public domains=@example.test,@sales.example.test,@bounce.example.test,@slow.example.test" \
	"smtproutes new example.test 127.0.0.1:$S" \
	"smtproutes new sales.example.test 127.0.0.1:$S" \
	"smtproutes new outside.test 127.0.0.1:$S" \
	"smtproutes new intake.test 127.0.0.1:$I" \
	"certconfig cafile $K/ca.pem" \
	"smtproutes new bounce.example.test 127.0.0.1:$B" \
	"smtproutes new slow.example.test 127.0.0.1:$Q" \
	"policyconfig incoming new sales recipients=@sales.example.test" \
	"deliveryconfig setup retry_initial=1 retry_max=1" \
	"supportconfig tdc.retry_delay=1 tdc.max_queue_time=120" \
	"tdcconfig setup enable=yes intake_address=journal@intake.test" \
	"policyconfig incoming edit DEFAULT tdc=global" \
	"commit e2e findevent" >"$D/setup.out" 2>&1 \
	|| { t_fail setup "mxsh setup failed: $(cat "$D/setup.out")"; t_done; }
gw_start "$D"
wait_port "$P" 10 || { t_fail setup "mxgated did not listen: $(cat "$D/mxgated.out")"; t_done; }

# send NAME TO... - one message; prints its MID
send() {
	n=$1
	shift
	swaks --server 127.0.0.1:$P --from sender@outside.test --to "$(echo "$@" | tr ' ' ,)" \
		--header "Subject: findevent e2e $n" >"$D/swaks.$n" 2>&1
	sed -n 's/.*250 2.0.0 Ok: Message \([0-9]*\) accepted.*/\1/p' "$D/swaks.$n" | head -1
}
finished() { wait_for "${2:-20}" grep -q "Message finished MID $1 done" "$LOG"; }
fe() { "$MXSH" -D "$D" -c "$1" </dev/null 2>&1; }

A=$(send split a@sales.example.test x@bounce.example.test)
Z=$(send other z@example.test)
[ -n "$A" ] && [ -n "$Z" ] || { t_fail send "$(cat "$D"/swaks.*)"; t_done; }
wait_for 10 grep -q "was split creating MID [0-9]* .*" "$LOG"
A2=$(sed -n "s/.*MID $A was split creating MID \([0-9]*\) .*/\1/p" "$LOG" | head -1)
wait_for 20 grep -q "was generated for bounce of MID $A2\$" "$LOG"
BB=$(sed -n "s/.*MID \([0-9]*\) was generated for bounce of MID $A2\$/\1/p" "$LOG" | head -1)
C1=$(sed -n "s/.*TDC: MID \([0-9]*\) was generated based on MID $A .*/\1/p" "$LOG" | head -1)
C2=$(sed -n "s/.*TDC: MID \([0-9]*\) was generated based on MID $A2 .*/\1/p" "$LOG" | head -1)
for m in "$A" "$A2" "$BB" "$C1" "$C2" "$Z"; do
	[ -n "$m" ] && finished "$m" || t_fail setup "MID '$m' not finished: $(tail -20 "$LOG")"
done
# the delivery connections close when idle
for d in $(sed -n "s/.*Delivery start DCID \([0-9]*\) MID \($A\|$A2\|$BB\|$C1\|$C2\)\( .*\)*\$/\1/p" "$LOG" | sort -u); do
	wait_for 15 grep -q "DCID $d close" "$LOG" || t_fail setup "DCID $d not closed"
done

fe "findevent -m $A mail_logs" >"$D/a.out"
has() { grep -Eq "$2" "$D/$1.out"; }
for want in "New SMTP ICID [0-9]+ interface IncomingMail" "Start MID $A ICID [0-9]+" \
	"MID $A ICID [0-9]+ From: <sender@outside.test>" "MID $A Subject 'findevent e2e split'" \
	"MID $A was split creating MID $A2 due to a per-recipient policy" \
	"TDC: MID $C1 was generated based on MID $A for policy" \
	"TDC: MID $C2 was generated based on MID $A2 for policy" \
	"Bounced: DCID [0-9]+ MID $A2 to RID 0 - 5" \
	"MID $BB was generated for bounce of MID $A2" "Start MID $BB ICID 0" \
	"Delivery start DCID [0-9]+ MID $BB " "Message finished MID $BB done" \
	"TDC: Delivery start DCID [0-9]+ MID $C1\$" "TDC: New SMTP DCID [0-9]+ interface" \
	"TDC: MID $C1 successfully delivered for scanning with Cisco Secure Email Threat Defense" \
	"TDC: DCID [0-9]+ close" "Message finished MID $C1 done" \
	"Message finished MID $C2 done" "Message finished MID $A2 done" \
	"Message finished MID $A done" "ICID [0-9]+ close" "New SMTP DCID [0-9]+ interface" \
	"Delivery start DCID [0-9]+ MID $A to RID" "Info: DCID [0-9]+ close"; do
	if has a "$want"; then t_pass "whole_life: $want"; else t_fail "whole_life: $want" "not in findevent -m $A"; fi
done
if has a "MID $Z "; then t_fail not_the_other "MID $Z's lines in MID $A's life"; else t_pass not_the_other; fi
# in the log's order, each line once
grep -nFx -f "$D/a.out" "$LOG" | cut -d: -f1 >"$D/a.lines"
t_check file_order sh -c "sort -n '$D/a.lines' | cmp -s - '$D/a.lines'"
t_check each_once sh -c "[ \$(sort '$D/a.out' | uniq -d | wc -l) = 0 ]"
t_check every_line_is_in_the_log sh -c "[ \$(wc -l <'$D/a.lines') = \$(wc -l <'$D/a.out') ]"
# the split part alone: its copy and its bounce, not its parent's other part
fe "findevent -m $A2 mail_logs" >"$D/a2.out"
t_check split_part_has_bounce has a2 "Message finished MID $BB done"
t_check split_part_has_copy has a2 "TDC: MID $C2 was generated based on MID $A2"
if has a2 "TDC: MID $C1 "; then t_fail split_part_alone "MID $C1 in MID $A2's life"; else t_pass split_part_alone; fi
# the journal copy alone
fe "findevent -m $C1 mail_logs" >"$D/c1.out"
t_check copy_alone has c1 "TDC: MID $C1 was generated based on MID $A "
t_check copy_finished has c1 "Message finished MID $C1 done"

# searches find the received messages, not the bounce (ICID 0)
fe "findevent -f '^sender@outside\.test\$' mail_logs" >"$D/f.out"
t_check search_from has f "^MID $A \([A-Z][a-z]{2} .* [0-9]{4}\) sender@outside\.test\$"
t_check search_from_other has f "^MID $Z \("
if has f "^MID $BB "; then t_fail search_no_bounce "bounce $BB listed"; else t_pass search_no_bounce; fi
fe "findevent -t 'bounce\.example' mail_logs" >"$D/t.out"
t_check search_to has t "^MID $A \(.*\) x@bounce\.example\.test\$"
fe "findevent -i -s 'FINDEVENT E2E OTHER' mail_logs" >"$D/s.out"
t_check search_subject has s "^MID $Z \(.*\) findevent e2e other\$"
fe "findevent -s 'no such subject' mail_logs" >"$D/n.out"
t_check search_nothing has n "^No matching message IDs were found\.\$"

# a message whose delivery waits for its server, across a rollover
R=$(send slow r@slow.example.test)
wait_for 10 grep -q "Delayed: DCID [0-9]* MID $R " "$LOG" || t_fail rollover "MID $R not delayed"
fe "rollovernow mail_logs" >"$D/roll.out"
t_check rolled_over sh -c "ls '$D'/logs/mail_logs/mail.@*.s >/dev/null 2>&1"
# the daemon follows at once when asked, and says so in the new file
wait_for 10 grep -q "Log mail_logs rolled over by rollovernow" "$LOG" ||
	t_fail rollover_followed "mxgated did not follow the rollover"
sink_start "$Q" "$SLOW" || t_fail setup "slow smtp-sink did not start"
finished "$R" 30 || t_fail rollover "MID $R not finished"
d=$(sed -n "s/.*Delivery start DCID \([0-9]*\) MID $R .*/\1/p" "$LOG" | tail -1)
wait_for 15 grep -q "DCID $d close" "$LOG" || t_fail rollover "DCID '$d' not closed"
fe "findevent -m $R mail_logs" >"$D/r.out"
t_check rollover_start has r "Start MID $R ICID [0-9]+"
t_check rollover_end has r "Message finished MID $R done"
t_check rollover_start_rolled grep -q "Start MID $R ICID" "$D"/logs/mail_logs/mail.@*.s
t_check rollover_end_current grep -q "Message finished MID $R done" "$LOG"
t_check rollover_order sh -c "grep -n 'Start MID $R ICID\|Message finished MID $R done' '$D/r.out' | head -1 | grep -q 'Start MID'"

# the index and a scan agree (a copy of the logs where the index cannot be written)
mkdir -p "$D.scan/logs"
cp -r "$D/logs/mail_logs" "$D.scan/logs/"
rm -rf "$D.scan/logs/mail_logs/.index"
touch "$D.scan/logs/mail_logs/.index"
for c in "findevent -m $A mail_logs" "findevent -m $A2 mail_logs" "findevent -m $R mail_logs" \
	"findevent -m $Z mail_logs" "findevent -f outside mail_logs" "findevent -t example mail_logs"; do
	"$MXSH" -D "$D" -c "$c" >"$D/ix.out" 2>&1 </dev/null
	"$MXSH" -D "$D.scan" -c "$c" >"$D/sc.out" 2>&1 </dev/null
	if cmp -s "$D/ix.out" "$D/sc.out"; then t_pass "index_scan: $c"
	else t_fail "index_scan: $c" "$(diff "$D/sc.out" "$D/ix.out" | head -5)"; fi
done
t_check index_kept sh -c "ls '$D'/logs/mail_logs/.index/*.fx >/dev/null"

if gw_stop "$D"; then t_pass sigterm_clean_exit; else t_fail sigterm_clean_exit "exit status"; fi
t_check no_sanitizer_report sh -c "! grep -q 'Sanitizer\|runtime error' '$D/mxgated.out' $D/*.out"
sink_stop "$SINK"
sink_stop "$BAD"
sink_stop "$SLOW"
t_done
