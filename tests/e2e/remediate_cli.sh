#!/bin/sh
# remediate_cli.sh - remediate and remediationreport against a running
# mxgated (issue 12): a message is delivered to alice@example.test, no
# remediation profile serves example.test, so `remediate MID
# action=delete` reports that no profile serves the mailbox (one line per
# mailbox, after mxgated ran the request), mail_logs says so naming the
# MID, and remediationreport shows the row with its trigger "operator
# USER". Refused lines (bad MID, bad action, forward without an address,
# unknown keys) add no request to queue.db and change nothing in
# config.db.
#
# Env: MXSH, MXGATED (tests/run.sh), TEST_OUT.
# Prints "PASS remediate_cli/name" / "FAIL remediate_cli/name: why".
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/e2e/lib.subr"

D=$(t_dir remediate_cli)
P=$(free_port)
S=$(free_port)
SINK=$D.sink
LOG=$D/logs/mail_logs/mail.current

command -v sqlite3 >/dev/null || { t_fail remediate_cli/setup "sqlite3 not installed"; t_done; }
sink_start "$S" "$SINK" || t_fail remediate_cli/setup "smtp-sink did not start"
mxsh_do "$D" \
	"listenerconfig new IncomingMail ip=127.0.0.1 port=$P type=public domains=@example.test" \
	"smtproutes new example.test 127.0.0.1:$S" \
	"commit e2e remediate" >"$D/setup.out" 2>&1 ||
	{ t_fail remediate_cli/setup "mxsh setup failed: $(cat "$D/setup.out")"; t_done; }
gw_start "$D"
wait_port "$P" 10 ||
	{ t_fail remediate_cli/setup "mxgated did not listen: $(cat "$D/mxgated.out")"; t_done; }

swaks --server 127.0.0.1:$P --from sender@outside.test --to alice@example.test \
	--header "Message-ID: <remed-1@outside.test>" --header "Subject: remediate e2e" \
	>"$D/swaks.out" 2>&1
M=$(sed -n 's/.*250 2.0.0 Ok: Message \([0-9]*\) accepted.*/\1/p' "$D/swaks.out" | head -1)
[ -n "$M" ] || { t_fail remediate_cli/send "$(cat "$D/swaks.out")"; t_done; }
wait_for 20 grep -q "Message finished MID $M done" "$LOG" ||
	t_fail remediate_cli/send "MID $M not finished: $(tail -20 "$LOG")"

# requests - how many remediation requests queue.db holds
requests() { sqlite3 "$D/queue.db" "SELECT count(*) FROM remed_request" 2>/dev/null; }
# dump - the persistent configuration
dump() { sh "$top/tests/helpers/cfgdump.sh" "$1"; }

# ---------------------------------------------------------------- refused lines
before_req=$(requests)
dump "$D" >"$D/before.dump"
bad=0
for line in "remediate" "remediate $M" "remediate x$M action=delete" \
    "remediate $M action=purge" "remediate $M action=forward" \
    "remediate $M action=delete forward_to=soc@example.test" \
    "remediate $M action=forward forward_to=nobody" "remediate $M colour=blue" \
    "remediate <no-at-sign> action=delete"; do
	if "$MXSH" -D "$D" -c "$line" >"$D/bad.out" 2>&1 </dev/null; then
		t_fail remediate_cli/refused "'$line' exited 0: $(cat "$D/bad.out")"
		bad=1
	elif [ "$(wc -l <"$D/bad.out")" -ne 1 ]; then
		t_fail remediate_cli/refused "'$line' printed more than one line: $(cat "$D/bad.out")"
		bad=1
	fi
done
dump "$D" >"$D/after.dump"
[ "$(requests)" = "$before_req" ] ||
	{ t_fail remediate_cli/refused "a refused line added a request"; bad=1; }
cmp -s "$D/before.dump" "$D/after.dump" ||
	{ t_fail remediate_cli/refused "a refused line changed config.db"; bad=1; }
[ $bad = 0 ] && t_pass remediate_cli/refused

# ---------------------------------------------------------------- no profile
"$MXSH" -D "$D" -c "remediate $M action=delete" >"$D/remediate.out" 2>&1 </dev/null
rc=$?
if [ $rc = 0 ] &&
    grep -q "^Remediation [0-9]*: MID $M mailbox alice@example.test: failed: .*no remediation profile serves mailbox alice@example.test" "$D/remediate.out"; then
	t_pass remediate_cli/no_profile
else
	t_fail remediate_cli/no_profile "exit $rc: $(cat "$D/remediate.out")"
fi
if wait_for 10 grep -q "TDC: MID $M remediation [0-9]*: no remediation profile serves mailbox alice@example.test (operator" "$LOG"; then
	t_pass remediate_cli/logged
else
	t_fail remediate_cli/logged "$(grep "remediation" "$LOG" | tail -5)"
fi
"$MXSH" -D "$D" -c "remediationreport mid=$M" >"$D/report.out" 2>&1 </dev/null
if grep -q "^Time .*Mailbox .*Trigger .*Result" "$D/report.out" &&
    grep -q " $M .*alice@example.test .*delete .*operator [^ ]* .*failed .*no remediation profile serves" "$D/report.out"; then
	t_pass remediate_cli/report
else
	t_fail remediate_cli/report "$(cat "$D/report.out")"
fi
"$MXSH" -D "$D" -c "remediationreport mid=$((M + 1000))" >"$D/report2.out" 2>&1 </dev/null
grep -q "^No remediations match.$" "$D/report2.out" && t_pass remediate_cli/report_other_mid ||
	t_fail remediate_cli/report_other_mid "$(cat "$D/report2.out")"

gw_stop "$D"
sink_stop "$SINK"
t_done
