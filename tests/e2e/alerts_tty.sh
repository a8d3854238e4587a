#!/bin/sh
# alerts_tty.sh - new alerts when a person opens the shell at a terminal
# (issue 8, defect 6), driven with tmux as cli_tty.sh: the banner lists
# the alerts raised since this user last looked, newest first; the next
# login does not repeat them; a newer alert shows alone; batch mode
# prints nothing of them and marks nothing seen.
#
# The alerts are written into DIR/queue.db with the sqlite3 program, as
# mxgated would raise them (store/alert.c); no daemon is needed.
#
# Env: MXSH (the binary under test), TEST_OUT (scratch). Prints one
# "PASS alerts_tty/name" / "FAIL alerts_tty/name: why" line per case;
# exits 1 if any failed.
top=$(cd "$(dirname "$0")/../.." && pwd)
MXSH=${MXSH:-$top/build/mxsh}
out=${TEST_OUT:-$top/tests/out/plain}/alerts_tty
rm -rf "$out"
mkdir -p "$out/home" || exit 2
TZ=UTC
HOME=$out/home
TERM=xterm
export TZ HOME TERM
unset MXGATE_HOME TMUX
d=$out/data
TTY=alerts_tty
. "$(dirname "$0")/tty.subr"

if ! command -v sqlite3 >/dev/null 2>&1; then
	echo "FAIL alerts_tty/sqlite3: the sqlite3 program is not installed (make test-deps)"
	exit 1
fi
# raise SEVERITY CLASS TEXT COMMIT - an alert as mxgated raises it (0 Critical, 1 Warning, 2 Info)
raise() {
	sqlite3 "$d/queue.db" "PRAGMA busy_timeout = 10000; INSERT INTO alerts
	    (raised, severity, class, text, commit_id)
	    VALUES (strftime('%s', 'now'), $1, '$2', '$3', $4);" >/dev/null
}

"$MXSH" -D "$d" -c 'sethostname gw1.example.com' -c 'commit alerts tty' -c displayalerts \
	</dev/null >"$out/setup.out" 2>&1 ||
	{ echo "FAIL alerts_tty/setup: $(cat "$out/setup.out")"; exit 1; }
raise 0 Listener 'Listener IncomingMail cannot listen on 127.0.0.1 port 25: Address already in use' 1
raise 1 'Threat Defense Connector' 'intake.example.test unreachable' 0
P='gw1.example.com> '

# batch: nothing about alerts, and nothing marked seen
"$MXSH" -D "$d" -c status </dev/null >"$out/batch.out" 2>&1
if grep -q 'new alert' "$out/batch.out"; then
	fail batch_quiet "batch mode printed the alerts"
else
	pass batch_quiet
fi

T new-session -d -s mx -x 160 -y 30 "exec '$MXSH' -D '$d'"
if wait_last "$P" && screen | grep -q '^2 new alerts since you last looked:$' &&
    screen | grep -Eq 'Critical  Listener  .*IncomingMail cannot listen.* \(commit 1\)$' &&
    screen | grep -Eq 'Warning   Threat Defense Connector  intake.example.test unreachable$'; then
	pass banner_at_login
else
	fail banner_at_login "the two alerts were not shown before the first prompt"
fi
# newest first
if [ "$(screen | grep -n 'Threat Defense Connector  intake' | cut -d: -f1)" -lt \
    "$(screen | grep -n 'Critical  Listener' | cut -d: -f1)" ]; then
	pass banner_newest_first
else
	fail banner_newest_first "the older alert came first"
fi
keys quit Enter
i=0
while alive && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
alive && fail quit "the shell did not leave"

# the next login: nothing to repeat
T clear-history -t mx
T respawn-pane -k -t mx "exec '$MXSH' -D '$d'"
if wait_last "$P" && ! screen | grep -q 'new alert'; then
	pass seen_not_repeated
else
	fail seen_not_repeated "the alerts were shown again"
fi
keys quit Enter
i=0
while alive && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done

# a newer alert: shown alone
raise 2 System 'disk space low on /var' 0
T clear-history -t mx
T respawn-pane -k -t mx "exec '$MXSH' -D '$d'"
if wait_last "$P" && screen | grep -q '^1 new alert since you last looked:$' &&
    screen | grep -q 'Info      System  *disk space low on /var$' &&
    ! screen | grep -q 'Listener  Listener'; then
	pass only_newer_shown
else
	fail only_newer_shown "the banner did not show the newer alert alone"
fi
keys quit Enter
i=0
while alive && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
# tmux 3.3 shows an empty status for 0
st=$(T display-message -p -t mx '#{pane_dead_status}' 2>/dev/null)
if ! alive && { [ -z "$st" ] || [ "$st" = 0 ]; }; then
	pass exit_status
else
	fail exit_status "mxsh exit status '$st'"
fi
exit $failed
