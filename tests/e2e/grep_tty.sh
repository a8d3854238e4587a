#!/bin/sh
# grep_tty.sh - `grep` at a real terminal, driven with tmux (as
# cli_tty.sh): without -p a long result is not paged, with -p it is and
# q stops it, -t follows appended lines until Ctrl-C and the shell is
# back at its prompt, alive; the dialogue with typed answers.
#
# Env: MXSH (the binary under test), TEST_OUT (scratch). Prints one
# "PASS grep_tty/name" / "FAIL grep_tty/name: why" line per case; exits 1
# if any failed.
top=$(cd "$(dirname "$0")/../.." && pwd)
MXSH=${MXSH:-$top/build/mxsh}
out=${TEST_OUT:-$top/tests/out/plain}/grep_tty
rm -rf "$out"
mkdir -p "$out/home" || exit 2
TZ=UTC
HOME=$out/home
TERM=xterm
export TZ HOME TERM
unset MXGATE_HOME TMUX
d=$out/data
L=$d/logs/mail_logs
TTY=grep_tty
. "$(dirname "$0")/tty.subr"
# wait_last_trim LINE - the same, blanks at the end of the line ignored
# (the pager wipes its prompt with blanks)
wait_last_trim() {
	i=0
	while [ $i -lt 200 ]; do
		[ "$(last | sed 's/ *$//')" = "$(printf '%s' "$1" | sed 's/ *$//')" ] && return 0
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}
fresh() {
	keys C-u C-l
	wait_last "$P" || return 1
	T clear-history -t mx
}

# a log of 3000 numbered lines; the shell at a 24-line terminal
mkdir -p "$L"
awk 'BEGIN { for (i = 1; i <= 3000; i++) printf "Wed Dec  2 10:00:00 2026 Info: MID %d queued for delivery\n", i }' \
    >"$L/mail.current"
"$MXSH" -D "$d" -c 'sethostname gw1.example.com' -c 'commit tty' </dev/null >"$out/setup.out" 2>&1 ||
    { echo "FAIL grep_tty/setup: could not commit the hostname"; exit 1; }
P='gw1.example.com> '
T new-session -d -s mx -x 120 -y 24 "exec '$MXSH' -D '$d'"
wait_last "$P" || { fail prompt "no prompt"; exit 1; }

# --- without -p: all of it, no pager, back at the prompt
keys 'grep "MID [0-9]+ queued" mail_logs' Enter
if wait_last "$P" && screen | grep -qF 'MID 3000 queued' && ! screen | grep -qF 'Press Any Key'; then
	pass no_pager_without_p
else
	fail no_pager_without_p "expected every line and no pager"
fi

# --- -p: a screenful, the pager's prompt; q stops the output
fresh
keys 'grep -p "MID [0-9]+ queued" mail_logs' Enter
if wait_text '-Press Any Key For More-' && ! screen | grep -qF 'MID 3000 queued'; then
	pass pager_with_p
else
	fail pager_with_p "no pager prompt"
fi
keys q
if wait_last_trim "$P" && ! screen | grep -qF 'MID 3000 queued'; then
	pass pager_q_stops
else
	fail pager_q_stops "q did not stop the output"
fi

# --- -t: follows appended lines until Ctrl-C, then the prompt
fresh
keys 'grep -t "FOLLOW" mail_logs' Enter
sleep 0.5
echo "Wed Dec  2 10:00:01 2026 Info: FOLLOW one" >>"$L/mail.current"
if wait_text 'FOLLOW one'; then pass follow_shows_new_lines; else fail follow_shows_new_lines "no line"; fi
echo "Wed Dec  2 10:00:02 2026 Info: FOLLOW two" >>"$L/mail.current"
wait_text 'FOLLOW two' || fail follow_second_line "no second line"
keys C-c
if wait_last "$P" && alive; then pass ctrl_c_ends_follow; else fail ctrl_c_ends_follow "no prompt"; fi

# --- the dialogue at a terminal, answers typed
fresh
keys 'grep' Enter
wait_text 'Enter the number of the log you wish to grep.' && keys 1 Enter
wait_text 'Enter the regular expression to grep.' && keys 'mid 2999 ' Enter
wait_text 'case insensitive' && keys Enter
wait_text 'tail the logs' && keys Enter
wait_text 'paginate the output' && keys Enter
wait_text 'file selection pattern' && keys Enter
if wait_text 'MID 2999 queued for delivery' && wait_last "$P"; then
	pass dialogue
else
	fail dialogue "no result"
fi

keys quit Enter
i=0
while [ $i -lt 100 ] && alive; do sleep 0.05; i=$((i + 1)); done
st=$(T display-message -p -t mx '#{pane_dead_status}' 2>/dev/null)
if ! alive && { [ -z "$st" ] || [ "$st" = 0 ]; }; then
	pass exit_status
else
	fail exit_status "mxsh exit status '$st'"
fi
exit $failed
