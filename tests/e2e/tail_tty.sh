#!/bin/sh
# tail_tty.sh - `tail` at a real terminal, driven with tmux (as
# cli_tty.sh): the last lines without the pager even in a small
# terminal, following appended lines, following across a rollover (the
# old file's late line first, then the new file), Ctrl-C back to the
# prompt with the shell alive, the list when no log is named, errors.
#
# The log is a mail_logs-type subscription that the test itself writes
# (no daemon needed: tail follows the file whoever writes it).
#
# Env: MXSH (the binary under test), TEST_OUT (scratch). Prints one
# "PASS tail_tty/name" / "FAIL tail_tty/name: why" line per case; exits 1
# if any failed.
top=$(cd "$(dirname "$0")/../.." && pwd)
MXSH=${MXSH:-$top/build/mxsh}
out=${TEST_OUT:-$top/tests/out/plain}/tail_tty
rm -rf "$out"
mkdir -p "$out/home" || exit 2
TZ=UTC
HOME=$out/home
TERM=xterm
export TZ HOME TERM
unset MXGATE_HOME TMUX
d=$out/data
F=$d/logs/feed/mail.current
TTY=tail_tty
. "$(dirname "$0")/tty.subr"
# line N - one log line of the feed, in the mail_logs shape
line() { echo "Wed Dec  2 10:00:00 2026 Info: feed line $1"; }

"$MXSH" -D "$d" -c 'sethostname gw1.example.com' -c 'logconfig new feed type=mail_logs' \
	-c 'commit tail tty' </dev/null >"$out/setup.out" 2>&1 ||
	{ echo "FAIL tail_tty/setup: $(cat "$out/setup.out")"; exit 1; }
mkdir -p "$d/logs/feed"
i=1
while [ $i -le 30 ]; do line $i; i=$((i + 1)); done >"$F"
P='gw1.example.com> '

# an 8-line terminal: 20 lines would page anything else
T new-session -d -s mx -x 100 -y 8 "exec '$MXSH' -D '$d'"
if ! wait_last "$P"; then
	fail prompt "no prompt"
	exit 1
fi
keys 'tail -n 20 feed' Enter
if wait_text 'feed line 30' && ! screen | grep -q 'Press Any Key' &&
    screen | grep -q 'feed line 11$' && ! screen | grep -q 'feed line 10$'; then
	pass last_20_unpaged
else
	fail last_20_unpaged "the last 20 lines were not all shown, unpaged"
fi

line 31 >>"$F"
if wait_text 'feed line 31'; then pass follows_appends; else fail follows_appends "line 31 not shown"; fi

# rolled over: the old file gets a late line, the new one starts
mv "$F" "$d/logs/feed/mail.@20261202T100000.s"
line 33 >"$F"
line 32 >>"$d/logs/feed/mail.@20261202T100000.s"
if wait_text 'feed line 32' && wait_text 'feed line 33'; then
	if [ "$(screen | grep -n 'feed line 32$' | cut -d: -f1)" -lt \
	    "$(screen | grep -n 'feed line 33$' | cut -d: -f1)" ]; then
		pass follows_rollover_in_order
	else
		fail follows_rollover_in_order "the late line came after the new file's"
	fi
else
	fail follows_rollover_in_order "lines 32 and 33 not both shown"
fi
line 34 >>"$F"
if wait_text 'feed line 34'; then pass follows_new_file; else fail follows_new_file "line 34 not shown"; fi

keys C-c
if wait_last "$P" && alive && ! screen | grep -q 'Changes not recorded'; then
	pass ctrl_c_ends_tail
else
	fail ctrl_c_ends_tail "Ctrl-C did not return to the prompt"
fi
line 35 >>"$F"
sleep 0.5
if ! screen | grep -q 'feed line 35'; then pass stopped_following; else
	fail stopped_following "a line written after Ctrl-C was shown"
fi

# no log named: the list, then the chosen log
keys C-l
T clear-history -t mx
keys 'tail -n 1' Enter
if wait_text '3. "feed" Type: "IronPort Text Mail Logs"' && wait_last '[]> '; then
	keys 3 Enter
	if wait_text 'feed line 35'; then
		pass list_then_tail
	else
		fail list_then_tail "choosing 3 did not show the feed's last line"
	fi
	keys C-c
	wait_last "$P"
else
	fail list_then_tail "the list of logs was not offered"
fi

keys 'tail -n 2 nosuch' Enter
if wait_text "Unknown log 'nosuch': the logs are mail_logs, cli_logs, feed." && wait_last "$P"; then
	pass unknown_log
else
	fail unknown_log "no one-line error"
fi
keys 'tail -n x feed' Enter
if wait_text "Invalid number of lines 'x' for -n" && wait_last "$P"; then
	pass bad_n
else
	fail bad_n "no one-line error"
fi

keys C-d
i=0
while [ $i -lt 100 ] && alive; do sleep 0.05; i=$((i + 1)); done
status=$(T display-message -p -t mx '#{pane_dead_status}' 2>/dev/null)
if ! alive && [ -z "$status" ] || [ "$status" = 0 ]; then pass exits_cleanly; else
	fail exits_cleanly "exit status '$status'"
fi
exit $failed
