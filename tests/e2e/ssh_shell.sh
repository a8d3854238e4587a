#!/bin/sh
# ssh_shell.sh - issue 11: the shell and the roles over real SSH (a
# private sshd, key logins; see ssh_login.sh for the set-up):
#   - the issue's "Done when": `ssh ro@gw 'smtproutes new x.test 1.2.3.4'`
#     is refused with the role's error and changes nothing (not even
#     staged); the same as admin works, and cli_logs shows
#     `User admin entered 'smtproutes new x.test 1.2.3.4'` with the
#     session's origin; `who` on another session lists both;
#   - the interactive shell under a pty (ssh -tt): the prompt, TAB at the
#     empty prompt lists only the role's commands (the guest sees no
#     smtproutes, ro no commit), `?` likewise, Ctrl-C drops the line and
#     keeps the session, readonly refused at `commit` and at
#     `smtproutes new`, quit ends the session (logout logged);
#   - guest refused at configuration commands;
#   - commands an admin sends on stdin run in one session and commit;
#   - an operator is refused at rollbackconfig (admin-only);
#   - adminaccessconfig maxsessions: over it a new SSH session is
#     refused with one line and exit 1, an admin's is not.
# The pty checks read a cleared screen and wait for the prompt drawn
# again under the answer: the whole answer, nothing left from before.
# Every wait is for an event, with a generous ceiling.
. "$(dirname "$0")/lib.subr"

ssh_setup ssh_shell
mxsh_do "$SSH_DATA" "userconfig key admin add \"$(ssh_key admin)\"" </dev/null \
	>"$SSH_ETC/setup2.out" 2>&1 || { t_fail setup "$(cat "$SSH_ETC/setup2.out")"; t_done; }
why=$(ssh_user ro readonly) || { t_fail setup "$why"; t_done; }
why=$(ssh_user mxt6guest guest) || { t_fail setup "$why"; t_done; }
why=$(ssh_user mxt6op operator) || { t_fail setup "$why"; t_done; }
ORIGIN='127\.0\.0\.1 port [0-9]+'
P='gw.example.test> '
last_commit() { "$MXSH" -D "$SSH_DATA" -c commitdetail </dev/null 2>&1 | grep '^Commit:'; }
routes() { "$MXSH" -D "$SSH_DATA" -c 'smtproutes print' </dev/null 2>&1; }
C0=$(last_commit)

# ---------------------------------------------------------------- ro at a terminal
pty_start ro "$(ssh_cmd_key ro) -tt"
if pty_wait ro 20 "$P"; then t_pass ssh_shell/ro_prompt; else
	t_fail ssh_shell/ro_prompt "$(pty_screen ro | tail -5)"
fi
# answer NAME KEY TEXT - KEY at a cleared screen (only the prompt on it),
# then until TEXT is drawn and the prompt again under it: the whole
# answer to KEY is on the screen, and nothing else
prompt_again() { [ "$(pty_count "$1" "$P")" -ge 2 ]; }
answer() {
	pty_clear "$1" "$P" || return 1
	pty_keys "$1" "$2"
	pty_wait "$1" 10 "$3" && wait_for 10 prompt_again "$1"
}
# TAB at the empty prompt: the role's commands only
if answer ro Tab 'smtproutes' && pty_screen ro | grep -q 'status' &&
	! pty_screen ro | grep -Eq '(^|[[:space:]])(commit|clear|rollbackconfig|deliverynow)([[:space:]]|$)'; then
	t_pass ssh_shell/ro_tab_lists_role_commands
else
	pty_screen ro >"$SSH_ETC/ro_tab.screen"
	t_fail ssh_shell/ro_tab_lists_role_commands "screen in $SSH_ETC/ro_tab.screen"
fi
pty_keys ro C-u
# `?`: a line per command with its help (text TAB does not print)
if answer ro '?' 'Set up permanent domain redirections.' &&
	pty_screen ro | grep -Eq '^  status +System status' &&
	! pty_screen ro | grep -Eq '^ *(commit|clear|rollbackconfig|deliverynow) '; then
	t_pass ssh_shell/ro_question_mark_role_commands
else
	pty_screen ro >"$SSH_ETC/ro_help.screen"
	t_fail ssh_shell/ro_question_mark_role_commands "screen in $SSH_ETC/ro_help.screen"
fi
# Ctrl-C drops the line, the session stays (a cleared screen: nothing
# refused is drawn, whoami runs alone)
pty_keys ro C-u
pty_clear ro "$P"
pty_keys ro -l 'smtproutes new ctrlc.example.test 1.2.3.4'
pty_keys ro C-c
n0=$(pty_count ro "$P")
pty_keys ro -l 'whoami'
pty_keys ro Enter
if pty_wait ro 10 'Username: ro' && wait_for 10 prompt_again ro &&
	! pty_screen ro | grep -qE 'Access denied|Unknown command'; then
	t_pass ssh_shell/ro_ctrl_c_keeps_session
else
	t_fail ssh_shell/ro_ctrl_c_keeps_session "prompts $n0: $(pty_screen ro | tail -6)"
fi
pty_keys ro -l 'commit'
pty_keys ro Enter
if pty_wait ro 10 "Access denied: the readonly role cannot run 'commit'."; then
	t_pass ssh_shell/ro_commit_refused
else
	t_fail ssh_shell/ro_commit_refused "$(pty_screen ro | tail -4)"
fi
pty_keys ro -l 'smtproutes new x.test 1.2.3.4'
pty_keys ro Enter
if pty_wait ro 10 "Access denied: the readonly role may only use: smtproutes"; then
	t_pass ssh_shell/ro_smtproutes_new_refused_tty
else
	t_fail ssh_shell/ro_smtproutes_new_refused_tty "$(pty_screen ro | tail -4)"
fi

# ---------------------------------------------------------------- Done when
out=$(ssh_as ro 'smtproutes new x.test 1.2.3.4' </dev/null 2>&1)
rc=$?
case $out in
"Access denied: the readonly role may only use: smtproutes"*)
	[ $rc != 0 ] && [ $rc != 255 ] && t_pass ssh_shell/done_ro_refused ||
		t_fail ssh_shell/done_ro_refused "exit status $rc" ;;
*) t_fail ssh_shell/done_ro_refused "rc $rc: $out" ;;
esac
# in one session: refused, then nothing is pending
out=$(printf 'smtproutes new x.test 1.2.3.4\nshowchanges\n' | ssh_as ro 2>&1)
if echo "$out" | grep -q 'Access denied: the readonly role' &&
	echo "$out" | grep -q 'No changes have been made since the last commit.'; then
	t_pass ssh_shell/done_ro_nothing_staged
else
	t_fail ssh_shell/done_ro_nothing_staged "$out"
fi
if [ "$(last_commit)" = "$C0" ] && ! routes | grep -q x.test; then
	t_pass ssh_shell/done_ro_nothing_committed
else
	t_fail ssh_shell/done_ro_nothing_committed "$(last_commit) (was $C0); $(routes)"
fi
out=$(ssh_as admin 'smtproutes new x.test 1.2.3.4' </dev/null 2>&1)
rc=$?
if [ $rc = 0 ] && ! echo "$out" | grep -Eqi 'denied|error'; then
	t_pass ssh_shell/done_admin_works
else
	t_fail ssh_shell/done_admin_works "rc $rc: $out"
fi
if cli_log | grep -Eq "User admin entered 'smtproutes new x.test 1.2.3.4'; session [0-9]+ from $ORIGIN\$"; then
	t_pass ssh_shell/done_admin_audit_line
else
	t_fail ssh_shell/done_admin_audit_line "$(cli_log | grep 'x.test' | tail -3)"
fi
# who, from another session while ro's is open, lists both
out=$(ssh_as admin who </dev/null 2>&1)
if echo "$out" | grep -Eq '^admin[[:space:]].*127\.0\.0\.1' && echo "$out" | grep -Eq '^ro[[:space:]].*127\.0\.0\.1'; then
	t_pass ssh_shell/done_who_lists_both
else
	t_fail ssh_shell/done_who_lists_both "$out"
fi
# the admin's change in one session, committed
out=$(printf 'smtproutes new x.test 1.2.3.4\ncommit by admin over ssh\n' | ssh_as admin 2>&1)
rc=$?
if [ $rc = 0 ] && routes | grep -q 'x.test' && [ "$(last_commit)" != "$C0" ] &&
	"$MXSH" -D "$SSH_DATA" -c commitdetail </dev/null 2>&1 | grep -Eq '^User: +admin$'; then
	t_pass ssh_shell/admin_stdin_session_commits
else
	t_fail ssh_shell/admin_stdin_session_commits "rc $rc: $out; $(routes)"
fi

# rollbackconfig is the admins' (it would restore users.* and
# adminaccess.*): an operator is refused, nothing is rolled back
C1=$(last_commit)
out=$(ssh_as mxt6op 'rollbackconfig 1' </dev/null 2>&1)
rc=$?
if [ "$out" = "Access denied: the operator role cannot run 'rollbackconfig'." ] &&
	[ $rc != 0 ] && [ $rc != 255 ] && [ "$(last_commit)" = "$C1" ] && routes | grep -q x.test; then
	t_pass ssh_shell/operator_rollbackconfig_refused
else
	t_fail ssh_shell/operator_rollbackconfig_refused "rc $rc: $out; $(last_commit) (was $C1)"
fi

# ---------------------------------------------------------------- max sessions
# ro's session is open: with maxsessions 1 a second SSH session is
# refused, but never an admin's (other roles must not keep admins out)
mxsh_do "$SSH_DATA" "adminaccessconfig maxsessions 1" "commit max sessions 1" </dev/null \
	>"$SSH_ETC/max.out" 2>&1 || t_fail ssh_shell/max_sessions_set "$(cat "$SSH_ETC/max.out")"
out=$(ssh_as mxt6guest status </dev/null 2>&1)
rc=$?
if [ $rc = 1 ] && [ "$out" = "Too many sessions are open (1); try again later." ]; then
	t_pass ssh_shell/max_sessions_refused
else
	t_fail ssh_shell/max_sessions_refused "rc $rc: $(echo "$out" | head -3)"
fi
out=$(ssh_as admin status </dev/null 2>&1)
rc=$?
if [ $rc = 0 ] && echo "$out" | grep -q '^System status:'; then
	t_pass ssh_shell/max_sessions_admin_let_in
else
	t_fail ssh_shell/max_sessions_admin_let_in "rc $rc: $(echo "$out" | head -3)"
fi
mxsh_do "$SSH_DATA" "adminaccessconfig maxsessions 10" "commit max sessions 10" </dev/null \
	>"$SSH_ETC/max.out" 2>&1 || t_fail ssh_shell/max_sessions_set "$(cat "$SSH_ETC/max.out")"

# ---------------------------------------------------------------- quit
pty_keys ro -l 'quit'
pty_keys ro Enter
if wait_for 10 pty_dead ro; then t_pass ssh_shell/ro_quit_ends_session; else
	t_fail ssh_shell/ro_quit_ends_session "$(pty_screen ro | tail -4)"
fi
if wait_for 10 sh -c "grep -Eq 'User ro logged out of session [0-9]+ from $ORIGIN\$' \
	'$SSH_DATA/logs/cli_logs/cli.current'"; then
	t_pass ssh_shell/ro_logout_logged
else
	t_fail ssh_shell/ro_logout_logged "$(cli_log | grep 'User ro' | tail -3)"
fi

# history per user: ro's lines are in ro's own file, no one else's file has them
if [ -f "$SSH_DATA/.mxsh_history.ro" ] && grep -q '^whoami$' "$SSH_DATA/.mxsh_history.ro" &&
	grep -q '^commit$' "$SSH_DATA/.mxsh_history.ro" &&
	! grep -l 'smtproutes new x.test' "$SSH_DATA"/.mxsh_history.* | grep -qv '\.ro$'; then
	t_pass ssh_shell/history_per_user
else
	t_fail ssh_shell/history_per_user "$(ls -a "$SSH_DATA" | grep history | tr '\n' ' ')"
fi

# ---------------------------------------------------------------- the guest
pty_start guest "$(ssh_cmd_key mxt6guest) -tt"
if pty_wait guest 20 "$P"; then
	if answer guest Tab 'tophosts' && pty_screen guest | grep -q 'status' &&
		! pty_screen guest | grep -Eq '(^|[[:space:]])(smtproutes|commit|listenerconfig|sethostname)([[:space:]]|$)'; then
		t_pass ssh_shell/guest_tab_no_config_commands
	else
		pty_screen guest >"$SSH_ETC/guest_tab.screen"
		t_fail ssh_shell/guest_tab_no_config_commands "screen in $SSH_ETC/guest_tab.screen"
	fi
	pty_keys guest C-u
	pty_keys guest -l quit
	pty_keys guest Enter
else
	t_fail ssh_shell/guest_tab_no_config_commands "no prompt: $(pty_screen guest | tail -5)"
fi
for line in 'smtproutes print' 'sethostname evil.example.test' 'listenerconfig print' 'commit'; do
	cmd=${line%% *}
	out=$(ssh_as mxt6guest "$line" </dev/null 2>&1)
	rc=$?
	if [ "$out" = "Access denied: the guest role cannot run '$cmd'." ] && [ $rc != 0 ] && [ $rc != 255 ]; then
		t_pass "ssh_shell/guest_refused_$cmd"
	else
		t_fail "ssh_shell/guest_refused_$cmd" "rc $rc: $out"
	fi
done
out=$(ssh_as mxt6guest status </dev/null 2>&1)
rc=$?
if [ $rc = 0 ] && echo "$out" | grep -q '^System status:'; then
	t_pass ssh_shell/guest_status
else
	t_fail ssh_shell/guest_status "rc $rc: $(echo "$out" | head -3)"
fi

gw_stop "$SSH_DATA"
t_done
