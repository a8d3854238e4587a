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
# Terminal safety: a message whose Message-ID holds an ESC byte is
# journaled (tdcconfig on), remediated, and remediationreport prints the
# Message-ID as \033, never the byte.
# The wait of remediate (mxgated paused with SIGSTOP, so the request is
# never taken): Ctrl-C in an interactive mxsh (tmux) and SIGTERM of a
# batch mxsh end it at once, saying the request stays queued; mxgated
# saying its remediation engine did not start (queue state "remediation"
# = "unavailable: CAUSE") ends it with that cause; mxgated dying
# meanwhile ends it saying so. The request stays pending each time.
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
	"smtproutes new intake.test 127.0.0.1:$S" \
	"tdcconfig setup enable=yes intake_address=journal@intake.test" \
	"policyconfig incoming edit DEFAULT tdc=global" \
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

# ---------------------------------------------------------------- escape bytes
ESC=$(printf '\033')
swaks --server 127.0.0.1:$P --from sender@outside.test --to alice@example.test \
	--h-Message-Id "<e${ESC}[31m${ESC}]0;x\\@o.test>" \
	--header "Subject: remediate escape" >"$D/swaks2.out" 2>&1
M2=$(sed -n 's/.*250 2.0.0 Ok: Message \([0-9]*\) accepted.*/\1/p' "$D/swaks2.out" | head -1)
# journaled - the MID's Message-ID as journaled (hex, to keep the ESC byte visible)
journaled() { sqlite3 "$D/queue.db" "SELECT hex(message_id) FROM journaled WHERE orig_mid = $1" 2>/dev/null; }
if [ -z "$M2" ]; then
	t_fail remediate_cli/escape "not accepted: $(cat "$D/swaks2.out")"
elif ! wait_for 20 sh -c "[ -n \"\$(sqlite3 '$D/queue.db' 'SELECT 1 FROM journaled WHERE orig_mid = $M2')\" ]"; then
	t_fail remediate_cli/escape "MID $M2 not journaled: $(tail -20 "$LOG")"
elif ! journaled "$M2" | grep -q 1B; then
	t_fail remediate_cli/escape "the journaled Message-ID has no ESC byte (test premise): $(journaled "$M2")"
else
	"$MXSH" -D "$D" -c "remediate $M2 action=delete" >"$D/remediate2.out" 2>&1 </dev/null
	"$MXSH" -D "$D" -c "remediationreport mid=$M2" >"$D/report3.out" 2>&1 </dev/null
	if grep -q "$ESC" "$D/report3.out" "$D/remediate2.out"; then
		t_fail remediate_cli/escape "an ESC byte reached the output: $(od -c "$D/report3.out" | head -20)"
	elif ! grep -qF ' <e\033[31m\033]0;x\134@o.test> ' "$D/report3.out" ||
	    [ "$(grep -c " $M2 " "$D/report3.out")" -ne 1 ]; then
		t_fail remediate_cli/escape "the Message-ID is not shown escaped: $(cat "$D/report3.out")"
	else
		t_pass remediate_cli/escape
	fi
fi

# ---------------------------------------------------------------- the wait ends early
GWPID=$(cat "$D/gw.pid")
# state ID - a request's state (1 pending)
state() { sqlite3 "$D/queue.db" "SELECT state FROM remed_request WHERE id = $1" 2>/dev/null; }
# newest - the newest request's id
newest() { sqlite3 "$D/queue.db" "SELECT coalesce(max(id), 0) FROM remed_request" 2>/dev/null; }
# added N - a request newer than N exists
added() { [ "$(newest)" -gt "$1" ]; }
# batch_wait NAME - run `remediate $M` in the background as a batch; its pid in BP
batch_wait() {
	before=$(newest)
	"$MXSH" -D "$D" -c "remediate $M action=delete" >"$D/$1.out" 2>&1 </dev/null &
	BP=$!
	wait_for 20 added "$before"
}
# ended PID SECONDS - the process exited within SECONDS; its status in RC
ended() {
	i=0
	while kill -0 "$1" 2>/dev/null; do
		[ $i -ge $(($2 * 10)) ] && { RC=none; return 1; }
		sleep 0.1
		i=$((i + 1))
	done
	wait "$1"
	RC=$?
}
kill -STOP "$GWPID"

# Ctrl-C at an interactive mxsh (SIGINT through the terminal)
TMUX_TMPDIR=$(mktemp -d /tmp/h10remed.XXXXXX)
export TMUX_TMPDIR
unset TMUX
T() { tmux -L remed -f /dev/null "$@"; }
before=$(newest)
T new-session -d -s mx -x 200 -y 40 "exec '$MXSH' -D '$D'"
T set-option -t mx remain-on-exit on >/dev/null 2>&1
screen() { T capture-pane -p -t mx -S -100 2>/dev/null; }
if ! wait_for 20 sh -c "tmux -L remed capture-pane -p -t mx | grep -q '> *\$'"; then
	t_fail remediate_cli/ctrl_c "no prompt: $(screen)"
else
	T send-keys -t mx "remediate $M action=delete" Enter
	if ! wait_for 20 added "$before"; then
		t_fail remediate_cli/ctrl_c "no request added: $(screen)"
	else
		id=$(newest)
		T send-keys -t mx C-c
		if wait_for 20 sh -c "tmux -L remed capture-pane -p -t mx | grep -q 'Stopped waiting: remediation $id stays queued'" &&
		    [ "$(state "$id")" = 1 ]; then
			t_pass remediate_cli/ctrl_c
		else
			t_fail remediate_cli/ctrl_c "state $(state "$id"): $(screen)"
		fi
	fi
fi
T kill-server >/dev/null 2>&1
rm -rf "$TMUX_TMPDIR"

# SIGTERM ends a batch mxsh's session the same way
if ! batch_wait sigterm; then
	t_fail remediate_cli/sigterm "no request added: $(cat "$D/sigterm.out")"
else
	id=$(newest)
	kill -TERM "$BP"
	if ended "$BP" 20 && [ "$RC" = 1 ] && grep -q "^Stopped waiting: remediation $id stays queued" "$D/sigterm.out" &&
	    [ "$(state "$id")" = 1 ]; then
		t_pass remediate_cli/sigterm
	else
		t_fail remediate_cli/sigterm "exit $RC, state $(state "$id"): $(cat "$D/sigterm.out")"
	fi
fi

# mxgated says its remediation engine did not start
sqlite3 "$D/queue.db" "PRAGMA busy_timeout = 10000; UPDATE state SET value = 'unavailable: cannot start the remediation thread: test' WHERE name = 'remediation'" >/dev/null
if ! batch_wait engine; then
	t_fail remediate_cli/engine_missing "no request added: $(cat "$D/engine.out")"
else
	id=$(newest)
	if ended "$BP" 20 && [ "$RC" = 1 ] && [ "$(wc -l <"$D/engine.out")" -eq 1 ] &&
	    grep -q "Mailbox remediation is not running in mxgated: cannot start the remediation thread: test; remediation $id stays queued" "$D/engine.out" &&
	    [ "$(state "$id")" = 1 ]; then
		t_pass remediate_cli/engine_missing
	else
		kill "$BP" 2>/dev/null
		t_fail remediate_cli/engine_missing "exit $RC, state $(state "$id"): $(cat "$D/engine.out")"
	fi
fi
sqlite3 "$D/queue.db" "PRAGMA busy_timeout = 10000; UPDATE state SET value = 'running' WHERE name = 'remediation'" >/dev/null

# mxgated dies while remediate waits
if ! batch_wait stopped; then
	t_fail remediate_cli/daemon_stopped "no request added: $(cat "$D/stopped.out")"
else
	id=$(newest)
	kill -KILL "$GWPID"
	wait "$GWPID" 2>/dev/null
	if ended "$BP" 20 && [ "$RC" = 0 ] &&
	    grep -q "^mxgated stopped: remediation $id stays pending and runs when it starts" "$D/stopped.out" &&
	    [ "$(state "$id")" = 1 ]; then
		t_pass remediate_cli/daemon_stopped
	else
		kill "$BP" 2>/dev/null
		t_fail remediate_cli/daemon_stopped "exit $RC, state $(state "$id"): $(cat "$D/stopped.out")"
	fi
fi
kill -CONT "$GWPID" 2>/dev/null

gw_stop "$D"
sink_stop "$SINK"
t_done
