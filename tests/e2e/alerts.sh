#!/bin/sh
# alerts.sh - issue 8, defect 6: a commit the shell reports as done is one
# mxgated applied. With the real daemon: a listener on a port another
# program holds makes `commit` print the daemon's alert and fail, and
# displayalerts lists it (Critical, Listener, the commit's number); once
# the port is free the next commit reports "mxgated applied commit N" and
# the listener listens; a daemon started on a configuration it cannot
# fully apply raises the alert too; with the daemon stopped, commit
# prints only "Changes committed".
#
# For the daemon's side (daemon/main.c after each configuration it
# applies, at start and on every new commit): alert_raise(..., commit=N)
# for each part not applied, then queue_state_set("conf.applied", N).
#
# Every wait is for an event, with a ceiling; no fixed sleeps.
. "$(dirname "$0")/lib.subr"

D=$(t_dir alerts)
P=$(free_port)

# hold_port NAME - a program listening on a port of 127.0.0.1 (its number in $D/NAME.port)
hold_port() {
	rm -f "$D/$1.port"
	$PY -c '
import os, signal, socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(5)
tmp = sys.argv[1] + ".tmp"
with open(tmp, "w") as f:
    f.write("%d\n" % s.getsockname()[1])
os.rename(tmp, sys.argv[1])
signal.sigwait([signal.SIGTERM, signal.SIGINT])
' "$D/$1.port" &
	echo $! >"$D/$1.pid"
	T_PIDS="$T_PIDS $!"
	wait_for 10 test -s "$D/$1.port"
}

# unhold NAME - stop holding the port (free once the holder has exited)
unhold() {
	kill "$(cat "$D/$1.pid")" 2>/dev/null
	wait "$(cat "$D/$1.pid")" 2>/dev/null
	return 0
}

hold_port busy || { t_fail setup "no program holds a port"; t_done; }
B=$(cat "$D/busy.port")

mxsh_do "$D" "listenerconfig new Good ip=127.0.0.1 port=$P type=public domains=@example.test" \
	"commit alerts e2e" >"$D/setup.out" 2>&1 ||
	t_fail setup "mxsh setup failed: $(cat "$D/setup.out")"
gw_start "$D"
if wait_port "$P" 10; then t_pass daemon_listens; else t_fail daemon_listens "port $P"; t_done; fi

# a listener on the port the other program holds: the commit says so and fails
"$MXSH" -D "$D" -c "listenerconfig new Busy ip=127.0.0.1 port=$B type=private relay=127.0.0.1" \
	-c 'commit listener on a busy port' >"$D/commit2.out" 2>&1
rc=$?
if [ $rc = 1 ]; then t_pass busy_commit_fails; else t_fail busy_commit_fails "exit $rc"; fi
t_check busy_commit_committed grep -q '^Changes committed: ' "$D/commit2.out"
if grep -Eq "^mxgated could not apply all of commit 2: .*Busy.*$B" "$D/commit2.out"; then
	t_pass busy_commit_shows_alert
else
	t_fail busy_commit_shows_alert "$(tr '\n' '|' <"$D/commit2.out")"
fi
t_check busy_commit_not_applied_line sh -c "! grep -q '^mxgated applied' '$D/commit2.out'"

# displayalerts lists it, with severity, class and commit
"$MXSH" -D "$D" -c 'displayalerts' >"$D/alerts1.out" 2>&1
t_check displayalerts_heading grep -q '^Date and Time Stamp  *Severity  Class  *Message$' "$D/alerts1.out"
if grep -Eq "^[0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} [+-][0-9]{4}  Critical  Listener  .*Busy.*$B.*\(commit 2\)$" \
    "$D/alerts1.out"; then
	t_pass displayalerts_lists_it
else
	t_fail displayalerts_lists_it "$(tr '\n' '|' <"$D/alerts1.out")"
fi
t_check still_in_mail_logs grep -q "Critical: .*Busy" "$D/logs/mail_logs/mail.current"

# the port is free again: the next commit is applied, the listener listens
unhold busy
mxsh_do "$D" 'sethostname gw.example.test' 'commit port freed' >"$D/commit3.out" 2>&1
rc=$?
if [ $rc = 0 ] && grep -q '^mxgated applied commit 3$' "$D/commit3.out"; then
	t_pass good_commit_applied
else
	t_fail good_commit_applied "exit $rc: $(tr '\n' '|' <"$D/commit3.out")"
fi
if wait_port "$B" 10; then t_pass busy_listener_now_listens; else t_fail busy_listener_now_listens "port $B"; fi

# the daemon stopped: commit only commits
if gw_stop "$D"; then t_pass sigterm_clean_exit; else t_fail sigterm_clean_exit "exit status"; fi
mxsh_do "$D" 'sethostname gw2.example.test' 'commit daemon stopped' >"$D/commit4.out" 2>&1
rc=$?
if [ $rc = 0 ] && [ "$(grep -cv '^$' "$D/commit4.out")" = 1 ] &&
    grep -q '^Changes committed: ' "$D/commit4.out"; then
	t_pass stopped_commit_only_commits
else
	t_fail stopped_commit_only_commits "exit $rc: $(tr '\n' '|' <"$D/commit4.out")"
fi

# started on a configuration it cannot fully apply: the alert too, about the running commit
hold_port busy2 || t_fail setup2 "no program holds a port"
B2=$(cat "$D/busy2.port")
mxsh_do "$D" "listenerconfig edit Busy port=$B2" 'commit busy again' >"$D/commit5.out" 2>&1 ||
	t_fail commit5 "$(tr '\n' '|' <"$D/commit5.out")"
before=$("$MXSH" -D "$D" -c 'displayalerts 1000' | grep -c "Busy.*$B2")
gw_start "$D"
wait_port "$P" 10 || t_fail restart "port $P"
if wait_for 10 sh -c "'$MXSH' -D '$D' -c 'displayalerts 1000' </dev/null | grep -q 'Busy.*$B2.*(commit 5)'"; then
	t_pass alert_at_start
else
	t_fail alert_at_start "before: $before; $("$MXSH" -D "$D" -c 'displayalerts 3' 2>&1 | tr '\n' '|')"
fi
gw_stop "$D" || t_fail sigterm_clean_exit2 "exit status"
t_done
