#!/bin/sh
# cli_tty.sh - the interactive shell in a real pseudo-terminal, driven
# with tmux: the prompt from the committed hostname, TAB completion, `?`
# help, Ctrl-C in a dialogue and at the prompt, quit/Ctrl-D with pending
# changes, persistent history, the pager.
#
# Each step types keys (tmux send-keys) and polls the screen
# (capture-pane) until the expected text shows, with a timeout - no fixed
# sleeps. The pane stays after mxsh exits (remain-on-exit) so its exit
# status can be checked: an ASan report makes it non-zero.
#
# Env: MXSH (the binary under test), TEST_OUT (scratch). Prints one
# "PASS name" / "FAIL name: why" line per case; exits 1 if any failed.
top=$(cd "$(dirname "$0")/../.." && pwd)
MXSH=${MXSH:-$top/build/mxsh}
out=${TEST_OUT:-$top/tests/out/plain}/cli_tty
rm -rf "$out"
mkdir -p "$out/home" || exit 2
TZ=UTC
HOME=$out/home
TERM=xterm
export TZ HOME TERM
unset MXGATE_HOME TMUX
d=$out/data
failed=0

if ! command -v tmux >/dev/null 2>&1; then
	echo "FAIL cli_tty/tmux: tmux is not installed (make test-deps)"
	exit 1
fi
# a private server: own socket directory (short path), no user config
TMUX_TMPDIR=$(mktemp -d /tmp/mxtty.XXXXXX) || exit 2
export TMUX_TMPDIR
nstart=0
sock=mxtty0
cat >"$out/tmux.conf" <<'EOF'
set -g remain-on-exit on
set -g default-shell /bin/sh
set -g status off
set -g history-limit 5000
EOF
T() { tmux -L "$sock" -f "$out/tmux.conf" "$@"; }
cleanup() {
	T kill-server >/dev/null 2>&1
	rm -rf "$TMUX_TMPDIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

pass() { echo "PASS cli_tty/$1"; }
fail() {
	echo "FAIL cli_tty/$1: $2"
	screen | sed '/^ *$/d' | tail -12 | sed 's/^/    screen: /'
	failed=1
}

# start [ROWS] - a new session running mxsh on the data directory; each
# start uses a new server (a client racing a server that is still
# shutting down gets "server exited unexpectedly")
start() {
	T kill-server >/dev/null 2>&1
	nstart=$((nstart + 1))
	sock=mxtty$nstart
	T new-session -d -s mx -x 120 -y "${1:-40}" "exec '$MXSH' -D '$d'"
}
# screen - what the terminal shows (trailing blanks kept), with scrollback
screen() { T capture-pane -p -N -t mx -S -300 2>/dev/null; }
# last - the last non-blank line of the screen (the cursor line)
last() { screen | sed '/^ *$/d' | tail -1; }
# wait_text TEXT - poll (10 s at most) until a screen line contains TEXT
wait_text() {
	i=0
	while [ $i -lt 200 ]; do
		screen | grep -qF -- "$1" && return 0
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}
# wait_last LINE [trim] - poll until the cursor line is exactly LINE
# (with "trim": after removing blanks at its end)
wait_last() {
	i=0
	while [ $i -lt 200 ]; do
		l=$(last)
		[ "${2:-}" = trim ] && l=$(printf '%s' "$l" | sed 's/ *$//')
		[ "$l" = "$1" ] && return 0
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}
# alive, dead - is mxsh still running in the pane? (neither if tmux is gone)
alive() { [ "$(T display-message -p -t mx '#{pane_dead}' 2>/dev/null)" = 0 ]; }
dead() { [ "$(T display-message -p -t mx '#{pane_dead}' 2>/dev/null)" = 1 ]; }
# wait_exit - poll until mxsh has exited; $status gets its exit status
wait_exit() {
	i=0
	while [ $i -lt 200 ]; do
		if dead; then
			# tmux 3.3 shows an empty status for 0; a signal shows as sigN
			status=$(T display-message -p -t mx '#{pane_dead_status}')
			sig=$(T display-message -p -t mx '#{pane_dead_signal}')
			[ -n "$sig" ] && status=sig$sig
			[ -z "$status" ] && status=0
			return 0
		fi
		sleep 0.05
		i=$((i + 1))
	done
	status=none
	return 1
}
# fresh - clear the screen and scrollback at an empty prompt
fresh() {
	T send-keys -t mx C-u C-l
	wait_last "$P" || return 1
	T clear-history -t mx
}
keys() { T send-keys -t mx "$@"; }

# --- the committed hostname makes the prompt
"$MXSH" -D "$d" -c 'sethostname gw1.example.com' -c 'commit first' </dev/null >"$out/setup.out" 2>&1 ||
    { echo "FAIL cli_tty/setup: could not commit the hostname"; exit 1; }
P='gw1.example.com> '
start
if wait_last "$P"; then
	pass prompt_is_committed_hostname
else
	fail prompt_is_committed_hostname "the cursor line is not '$P'"
	# nothing else can work without a prompt
	exit 1
fi

# --- TAB completes command names and sub-commands, lists ambiguities
keys smtpr Tab
if wait_last "${P}smtproutes "; then
	pass tab_completes_command
else
	fail tab_completes_command "smtpr<TAB> did not become 'smtproutes '"
fi
keys n Tab
if wait_last "${P}smtproutes new "; then
	pass tab_completes_subcommand
else
	fail tab_completes_subcommand "smtproutes n<TAB> did not become 'smtproutes new '"
fi
fresh
keys 'smtproutes ' Tab
if wait_text 'delete' && screen | grep -q '^new  *edit  *delete ' &&
    screen | grep -q '^print  *clear ' &&
    wait_last "${P}smtproutes "; then
	pass tab_lists_candidates
else
	fail tab_lists_candidates "TAB after 'smtproutes ' did not list the sub-commands"
fi

# --- ? lists what may come next, with one-line help, and keeps the line
fresh
keys 'smtproutes '
wait_last "${P}smtproutes "
keys '?'
if wait_text '  new                    Create a new route.' &&
    screen | grep -qxF '  print                  Display all routes.' &&
    screen | grep -qxF '  clear                  Remove all routes.' &&
    wait_last "${P}smtproutes "; then
	pass question_mark_subcommands
else
	fail question_mark_subcommands "'smtproutes ?' did not list the sub-commands with help"
fi
keys 'new ?'
if wait_text '  <DOMAIN>' && wait_last "${P}smtproutes new "; then
	pass question_mark_placeholder
else
	fail question_mark_placeholder "'smtproutes new ?' did not describe <DOMAIN>"
fi
fresh
keys '?'
if wait_text '  smtproutes             Set up permanent domain redirections.' &&
    screen | grep -qxF '  sethostname            Set the name of the machine.' &&
    wait_last "$P"; then
	pass question_mark_commands
else
	fail question_mark_commands "'?' at the prompt did not list the commands"
fi

# --- Ctrl-C in the middle of the smtproutes NEW dialogue changes nothing
fresh
keys smtproutes Enter
wait_text '- CLEAR - Remove all routes.' && wait_last '[]> ' && keys NEW Enter
wait_text 'Use "ALL" for the default route.' && wait_last '[]> ' && keys example.com Enter
wait_text 'Enter the destination hosts' && wait_last '[]> ' && keys 10.0.0.1
if wait_last '[]> 10.0.0.1'; then
	keys C-c
	if wait_last "$P" && screen | grep -qxF -- '-- Changes not recorded' && alive; then
		keys showchanges Enter
		if wait_text 'No changes have been made since the last commit.' && wait_last "$P"; then
			pass ctrl_c_in_dialogue
		else
			fail ctrl_c_in_dialogue "a change is pending after Ctrl-C"
		fi
	else
		fail ctrl_c_in_dialogue "Ctrl-C did not return to the prompt"
	fi
else
	fail ctrl_c_in_dialogue "the dialogue did not reach the destination question"
fi
"$MXSH" -D "$d" -c 'smtproutes print' </dev/null >"$out/print.out" 2>&1
if grep -qx 'There are no routes configured.' "$out/print.out"; then
	pass ctrl_c_in_dialogue_store_unchanged
else
	fail ctrl_c_in_dialogue_store_unchanged "a route exists after the aborted dialogue"
fi

# --- Ctrl-C at the prompt discards the line and does not exit
fresh
keys sethost
wait_last "${P}sethost"
keys C-c
if wait_last "$P" && alive; then
	keys C-c
	sleep 0.2
	keys version Enter
	# "sethostversion" would be an unknown command
	if wait_text 'Product: mxgate' && wait_last "$P" && alive &&
	    ! screen | grep -q 'Unknown command'; then
		pass ctrl_c_at_prompt
	else
		fail ctrl_c_at_prompt "the shell did not run the next command cleanly"
	fi
else
	fail ctrl_c_at_prompt "Ctrl-C at the prompt did not give a fresh prompt"
fi

# --- in a dialogue, TAB and ? offer the question's choices, never commands
fresh
keys smtproutes Enter
if wait_text '- CLEAR - Remove all routes.' && wait_last '[]> '; then
	keys se Tab
	sleep 0.3	# nothing may appear: give a wrong completion time to show
	if wait_last '[]> se' && ! screen | grep -q 'sethostname'; then
		pass dialogue_tab_no_commands
	else
		fail dialogue_tab_no_commands "se<TAB> at the smtproutes menu completed a command"
	fi
	keys C-u pr Tab
	if wait_last '[]> PRINT'; then
		pass dialogue_tab_menu_word
	else
		fail dialogue_tab_menu_word "pr<TAB> at the smtproutes menu did not become PRINT"
	fi
	keys C-u '?'
	if wait_text '  NEW                    Create a new route.' &&
	    screen | grep -qxF '  CLEAR                  Remove all routes.' &&
	    ! screen | grep -q 'sethostname' && wait_last '[]> '; then
		pass dialogue_question_mark_menu
	else
		fail dialogue_question_mark_menu "? at the smtproutes menu did not list its operations"
	fi
	keys NEW Enter
	if wait_text 'Use "ALL" for the default route.' && wait_last '[]> '; then
		keys 'a?b' Tab
		if wait_last '[]> a?b'; then
			pass dialogue_free_text_question_mark
		else
			fail dialogue_free_text_question_mark "? in a free-text answer was not a character"
		fi
	else
		fail dialogue_free_text_question_mark "NEW did not ask for the domain"
	fi
	keys C-c
	wait_last "$P"
else
	fail dialogue_tab_no_commands "smtproutes did not show its menu"
fi
fresh
keys tophosts Enter
if wait_text '5. Soft Bounced Events' && wait_last '[1]> '; then
	keys '?'
	if wait_text '  1                      Active Recipients' &&
	    screen | grep -qxF '  5                      Soft Bounced Events' && wait_last '[1]> '; then
		pass dialogue_question_mark_list
	else
		fail dialogue_question_mark_list "? at the tophosts list did not list its numbers"
	fi
	keys deliv Tab
	if wait_last '[1]> Delivered Recipients'; then
		pass dialogue_tab_list_item
	else
		fail dialogue_tab_list_item "deliv<TAB> at the tophosts list did not complete the item"
	fi
	keys Enter
	wait_last "$P"
else
	fail dialogue_question_mark_list "tophosts did not ask how to sort"
fi

# --- quit with pending changes warns and asks: N stays, Y leaves
fresh
keys 'sethostname gw2.example.com' Enter
wait_last "$P"
keys quit Enter
if wait_text 'You have 1 uncommitted change.' &&
    wait_text 'Do you want to exit and discard your uncommitted changes?' && wait_last '[N]> '; then
	keys '?'
	if wait_text '  Y                      yes' && screen | grep -qxF '  N                      no' &&
	    wait_last '[N]> '; then
		pass dialogue_question_mark_yesno
	else
		fail dialogue_question_mark_yesno "? at a Y/N question did not offer Y and N"
	fi
	keys n Tab
	if wait_last '[N]> N'; then
		pass dialogue_tab_yesno
	else
		fail dialogue_tab_yesno "n<TAB> at a Y/N question did not become N"
	fi
	keys C-u N Enter
	if wait_last "$P" && alive; then
		pass quit_pending_no_stays
	else
		fail quit_pending_no_stays "answering N did not keep the shell"
	fi
else
	fail quit_pending_no_stays "quit did not warn and ask"
fi
T clear-history -t mx
keys quit Enter
if wait_last '[N]> '; then
	keys Y Enter
	if wait_exit && [ "$status" = 0 ]; then
		pass quit_pending_yes_exits
	else
		fail quit_pending_yes_exits "answering Y did not exit with status 0 (status $status)"
	fi
else
	fail quit_pending_yes_exits "the second quit did not ask"
fi
"$MXSH" -D "$d" -c commitdetail </dev/null >"$out/cd1.out" 2>&1
if grep -qx 'Comment:   first' "$out/cd1.out"; then
	pass quit_discards_pending
else
	fail quit_discards_pending "the discarded hostname was committed"
fi

# --- history persists: Up recalls the previous session's commands
start
wait_last "$P"
keys Up
if wait_last "${P}quit"; then
	keys Up
	if wait_last "${P}sethostname gw2.example.com"; then
		pass history_persists
	else
		fail history_persists "the second Up did not recall 'sethostname gw2.example.com'"
	fi
else
	fail history_persists "Up did not recall 'quit' from the previous session"
fi
if ! grep -q 'sethost$' "$d"/.mxsh_history.* 2>/dev/null; then
	pass history_skips_interrupted_line
else
	fail history_skips_interrupted_line "the line abandoned with Ctrl-C is in the history"
fi

# --- an interactive commit asks for a comment and the prompt follows it
fresh
keys 'sethostname gw3.example.com' Enter
wait_last "$P"
keys commit Enter
if wait_text 'Please enter some comments describing your changes:' && wait_last '[]> '; then
	keys 'from the tty' Enter
	if wait_text 'Changes committed: ' && wait_last 'gw3.example.com> '; then
		pass commit_updates_prompt
	else
		fail commit_updates_prompt "the prompt did not become 'gw3.example.com> '"
	fi
else
	fail commit_updates_prompt "commit did not ask for a comment"
fi
P='gw3.example.com> '

# --- the pager stops long output; q ends it
start 8
if wait_last "$P"; then
	keys help Enter
	if wait_last '-Press Any Key For More-'; then
		keys q
		# the pager erased its own line with blanks, so trim them
		if wait_last "${P% }" trim && ! screen | grep -q 'unique prefixes of most commands'; then
			pass pager_q_stops
		else
			fail pager_q_stops "q did not stop the output"
		fi
	else
		fail pager_q_stops "help in an 8-line terminal did not pause"
	fi
else
	fail pager_q_stops "no prompt in the small terminal"
fi

# --- Ctrl-D with pending changes asks too; with none it just leaves
fresh
keys 'sethostname gw4.example.com' Enter
wait_last "$P"
keys C-d
if wait_text 'Do you want to exit and discard your uncommitted changes?' && wait_last '[N]> '; then
	keys y Enter
	if wait_exit && [ "$status" = 0 ]; then
		pass ctrl_d_pending_asks
	else
		fail ctrl_d_pending_asks "answering y did not exit with status 0 (status $status)"
	fi
else
	fail ctrl_d_pending_asks "Ctrl-D with a pending change did not ask"
fi
start
wait_last "$P"
keys C-d
if wait_exit && [ "$status" = 0 ]; then
	pass ctrl_d_exits
else
	fail ctrl_d_exits "Ctrl-D at an empty prompt did not exit with status 0 (status $status)"
fi
"$MXSH" -D "$d" -c commitdetail </dev/null >"$out/cd2.out" 2>&1
if grep -qx 'Comment:   from the tty' "$out/cd2.out" &&
    grep -qx '  ~ setting system.hostname = gw3.example.com (was: gw1.example.com)' "$out/cd2.out"; then
	pass tty_commit_recorded
else
	fail tty_commit_recorded "the commit made at the terminal is not the last one"
fi

exit $failed
