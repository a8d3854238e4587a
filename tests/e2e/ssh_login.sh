#!/bin/sh
# ssh_login.sh - issue 11: operators log in over real SSH (a private
# sshd set up by daemon/setup-ssh.sh, the PAM service and the
# AuthorizedKeysCommand of mxsh, the system accounts made by mxgated's
# keeper):
#   - the built-in admin by key (its key set by root at the console) and
#     by password, ro (readonly) by password: whoami names the account
#     and its role; cli_logs has the login lines with the origin and the
#     method, and the logout;
#   - batch one-liners carry mxsh's exit status back (0 and non-zero);
#   - a wrong password is refused and logged; after users.lockout (3)
#     failures the account is locked (logged), the right password is
#     then refused too, until root sets it active again;
#   - an unknown user is refused; each refusal is shown to come from
#     mxsh (its log line) and sshd to be up (a good login right after);
#   - a key-only account is not locked by wrong passwords;
#   - a connection kept open (ssh ControlMaster) by an account that is
#     then deleted, or loses its only key, gets no session on a new
#     channel (no fall-back to "the system user, role admin");
#   - the idle timeout (adminaccessconfig timeout 10): an interactive
#     session left at the prompt ends with the timeout line, and its
#     logout is logged "(idle timeout)"; an `ssh -T` session reading its
#     commands from standard input ends likewise; a -c line is not timed.
# The test's accounts and PAM service are removed at the end (ssh_stop).
# Every wait is for an event, with a generous ceiling.
. "$(dirname "$0")/lib.subr"

APW='Adm1n-secret!'
RPW='R3ad-only-pw!'
GPW='Gu3st-pass-word'

ssh_setup ssh_login
why=$(ssh_user ro readonly "password=$RPW") || { t_fail setup "$why"; t_done; }
why=$(ssh_user mxt6guest guest "password=$GPW") || { t_fail setup "$why"; t_done; }
# key-only accounts: one deleted, one losing its key while connected
why=$(ssh_user mxt6del readonly) || { t_fail setup "$why"; t_done; }
why=$(ssh_user mxt6key readonly) || { t_fail setup "$why"; t_done; }
mxsh_do "$SSH_DATA" "userconfig password admin password=$APW" \
	"userconfig key admin add \"$(ssh_key admin)\"" \
	"userconfig policy lockout=3" "adminaccessconfig timeout 10" "commit ssh_login policy" \
	</dev/null >"$SSH_ETC/setup2.out" 2>&1 ||
	{ t_fail setup "root's userconfig failed: $(cat "$SSH_ETC/setup2.out")"; t_done; }
ORIGIN='127\.0\.0\.1 port [0-9]+'

# ---------------------------------------------------------------- idle timeout (runs meanwhile)
# ro at the prompt, left alone; checked at the end (10 s of the rest)
pty_start idle "$(ssh_cmd_pw ro "$RPW") -tt"
if pty_wait idle 20 'gw.example.test> '; then
	t_pass ssh_login/interactive_prompt
else
	t_fail ssh_login/interactive_prompt "no prompt: $(pty_screen idle | tail -5)"
fi
idle_from=$(date +%s)
# admin without a terminal, its commands on standard input (a FIFO open
# for reading and writing: no line, no end of file), left alone
mkfifo "$SSH_ETC/batch.in"
(eval "exec $(ssh_cmd_key admin) -T") <>"$SSH_ETC/batch.in" >"$SSH_ETC/batch.out" 2>&1 &
batch=$!

# ---------------------------------------------------------------- connections kept open
# cm_open NAME - a master connection of NAME by key (ssh -f: in the
# background once logged in); cm_alive NAME - it is still up;
# cm_run NAME COMMAND - a new channel on it (never a new login)
cm_open() {
	ssh_as "$1" -o ControlMaster=yes -o "ControlPath=$SSH_ETC/cm.$1" -o ControlPersist=no \
		-N -f </dev/null >"$SSH_ETC/cm.$1.out" 2>&1
}
cm_alive() {
	# shellcheck disable=SC2046 # ssh_opts is a list of words
	ssh $(ssh_opts) -o "ControlPath=$SSH_ETC/cm.$1" -O check "$1@127.0.0.1" >/dev/null 2>&1
}
cm_run() {
	_cm_n=$1
	shift
	# shellcheck disable=SC2046
	ssh $(ssh_opts) -p "$SSH_PORT" -o ControlMaster=no -o "ControlPath=$SSH_ETC/cm.$_cm_n" \
		-o BatchMode=yes -o PubkeyAuthentication=no -o PasswordAuthentication=no \
		-o KbdInteractiveAuthentication=no "$_cm_n@127.0.0.1" "$@"
}
cm_close() {
	# shellcheck disable=SC2046
	ssh $(ssh_opts) -o "ControlPath=$SSH_ETC/cm.$1" -O exit "$1@127.0.0.1" >/dev/null 2>&1
	return 0
}
for n in mxt6del mxt6key; do
	cm_open $n || t_fail ssh_login/control_master_$n "$(cat "$SSH_ETC/cm.$n.out")"
	out=$(cm_run $n whoami </dev/null 2>&1)
	rc=$?
	if [ $rc = 0 ] && echo "$out" | grep -q "^Username: $n\$" && echo "$out" | grep -q '^Role: readonly$'; then
		t_pass ssh_login/control_master_$n
	else
		t_fail ssh_login/control_master_$n "rc $rc: $out"
	fi
done

# ---------------------------------------------------------------- key and password
out=$(ssh_as admin whoami </dev/null 2>&1)
rc=$?
if [ $rc = 0 ] && echo "$out" | grep -q '^Username: admin$' && echo "$out" | grep -q '^Role: admin$'; then
	t_pass ssh_login/key_admin
else
	t_fail ssh_login/key_admin "rc $rc: $out; sshd: $(tail -3 "$SSH_LOG")"
fi
if cli_log | grep -Eq "User admin logged in from $ORIGIN by publickey \(session [0-9]+\)"; then
	t_pass ssh_login/key_login_logged
else
	t_fail ssh_login/key_login_logged "$(cli_log | tail -4)"
fi
if cli_log | grep -Eq "User admin entered 'whoami'; session [0-9]+ from $ORIGIN\$" &&
	cli_log | grep -Eq "User admin logged out of session [0-9]+ from $ORIGIN\$"; then
	t_pass ssh_login/key_command_and_logout_logged
else
	t_fail ssh_login/key_command_and_logout_logged "$(cli_log | tail -4)"
fi

out=$(ssh_pw admin "$APW" whoami </dev/null 2>&1)
rc=$?
if [ $rc = 0 ] && echo "$out" | grep -q '^Username: admin$'; then
	t_pass ssh_login/password_admin
else
	t_fail ssh_login/password_admin "rc $rc: $out; sshd: $(tail -3 "$SSH_LOG")"
fi
out=$(ssh_pw ro "$RPW" whoami </dev/null 2>&1)
rc=$?
if [ $rc = 0 ] && echo "$out" | grep -q '^Username: ro$' && echo "$out" | grep -q '^Role: readonly$'; then
	t_pass ssh_login/password_readonly
else
	t_fail ssh_login/password_readonly "rc $rc: $out; sshd: $(tail -3 "$SSH_LOG")"
fi
if cli_log | grep -Eq "User ro logged in from $ORIGIN by password \(session [0-9]+\)"; then
	t_pass ssh_login/password_login_logged
else
	t_fail ssh_login/password_login_logged "$(cli_log | tail -4)"
fi

# ---------------------------------------------------------------- exit status
# (as ro: the system account admin is the last root mxgated's on this machine)
out=$(ssh_as ro 'smtproutes print' </dev/null 2>&1)
rc=$?
if [ $rc = 0 ] && echo "$out" | grep -q 'There are no routes configured.'; then
	t_pass ssh_login/batch_status_0
else
	t_fail ssh_login/batch_status_0 "rc $rc: $out"
fi
out=$(ssh_as ro 'nosuchcommand here' </dev/null 2>&1)
rc=$?
if [ $rc != 0 ] && [ $rc != 255 ] && echo "$out" | grep -q "Unknown command: 'nosuchcommand'"; then
	t_pass ssh_login/batch_status_error
else
	t_fail ssh_login/batch_status_error "rc $rc (want mxsh's non-zero, not ssh's 255): $out"
fi
out=$(ssh_as ro 'smtproutes delete none.example.test' </dev/null 2>&1)
rc=$?
if [ $rc != 0 ] && [ $rc != 255 ]; then
	t_pass ssh_login/batch_status_refused
else
	t_fail ssh_login/batch_status_refused "rc $rc: $out"
fi

# ---------------------------------------------------------------- wrong password, lockout
fails() { cli_log | grep -c "An authentication attempt by the user mxt6guest from 127.0.0.1 failed"; }
out=$(ssh_pw mxt6guest 'Wrong-pass-1' whoami </dev/null 2>&1)
rc=$?
if [ $rc = 255 ] && ! echo "$out" | grep -q Username && [ "$(fails)" = 1 ]; then
	t_pass ssh_login/wrong_password_refused_logged
else
	t_fail ssh_login/wrong_password_refused_logged "rc $rc: $out; $(fails) failure lines"
fi
ssh_pw mxt6guest 'Wrong-pass-2' whoami </dev/null >/dev/null 2>&1
if cli_log | grep -q 'User mxt6guest was locked'; then
	t_fail ssh_login/not_locked_before_limit "locked after 2 failures (lockout=3)"
else
	t_pass ssh_login/not_locked_before_limit
fi
ssh_pw mxt6guest 'Wrong-pass-3' whoami </dev/null >/dev/null 2>&1
if cli_log | grep -q 'User mxt6guest was locked after 3 failed login attempts'; then
	t_pass ssh_login/lockout_logged
else
	t_fail ssh_login/lockout_logged "$(cli_log | grep mxt6guest | tail -4)"
fi
# refused while locked: mxsh --pam-auth saw the attempt (its log line,
# the fourth), and sshd is up (ro logs in right after)
n_fails=$(fails)
out=$(ssh_pw mxt6guest "$GPW" whoami </dev/null 2>&1)
rc=$?
good=$(ssh_pw ro "$RPW" whoami </dev/null 2>&1)
if [ $rc = 255 ] && ! echo "$out" | grep -q Username && [ "$(fails)" = $((n_fails + 1)) ] &&
	echo "$good" | grep -q '^Username: ro$'; then
	t_pass ssh_login/locked_refuses_right_password
else
	t_fail ssh_login/locked_refuses_right_password "rc $rc: $out; failure lines $n_fails then $(fails); ro right after: $good"
fi
out=$(ssh_as mxt6guest whoami </dev/null 2>&1)
rc=$?
good=$(ssh_as ro whoami </dev/null 2>&1)
if [ $rc = 255 ] && ! echo "$out" | grep -q Username && echo "$good" | grep -q '^Username: ro$'; then
	t_pass ssh_login/locked_refuses_key
else
	t_fail ssh_login/locked_refuses_key "rc $rc: $out; ro right after: $good"
fi
mxsh_do "$SSH_DATA" "userconfig status mxt6guest active" </dev/null >/dev/null 2>&1
out=$(ssh_pw mxt6guest "$GPW" whoami </dev/null 2>&1)
rc=$?
if [ $rc = 0 ] && echo "$out" | grep -q '^Username: mxt6guest$'; then
	t_pass ssh_login/unlocked_logs_in
else
	t_fail ssh_login/unlocked_logs_in "rc $rc: $out"
fi
out=$(ssh_pw mxt6nobody 'Any-pass-word1' whoami </dev/null 2>&1)
rc=$?
good=$(ssh_pw mxt6guest "$GPW" whoami </dev/null 2>&1)
if [ $rc = 255 ] && ! echo "$out" | grep -q Username &&
	cli_log | grep -q 'An authentication attempt by the unknown user mxt6nobody from 127\.0\.0\.1 failed' &&
	echo "$good" | grep -q '^Username: mxt6guest$'; then
	t_pass ssh_login/unknown_user_refused
else
	t_fail ssh_login/unknown_user_refused "rc $rc: $out; $(cli_log | grep mxt6nobody | tail -2); mxt6guest right after: $good"
fi

# ---------------------------------------------------------------- a key-only account
# no password to guess: wrong passwords (more than users.lockout) do
# not lock it, and its key still logs it in
i=1
while [ $i -le 5 ]; do
	ssh_pw mxt6key "Wrong-pass-$i" whoami </dev/null >/dev/null 2>&1
	i=$((i + 1))
done
out=$(ssh_as mxt6key whoami </dev/null 2>&1)
rc=$?
if [ $rc = 0 ] && echo "$out" | grep -q '^Username: mxt6key$' && ! cli_log | grep -q 'User mxt6key was locked'; then
	t_pass ssh_login/key_only_not_locked_by_passwords
else
	t_fail ssh_login/key_only_not_locked_by_passwords "rc $rc: $out; $(cli_log | grep 'mxt6key' | tail -3)"
fi

# ---------------------------------------------------------------- the account goes, the connection stays
# cm_refused NAME CHECK - a new channel on NAME's open connection runs
# nothing: mxsh's refusal naming the account (not ssh's 255, not "the
# system user, role admin" on some data directory), no whoami logged,
# and the connection itself still up (the refusal came from mxsh)
cm_refused() {
	_cr_n=$(cli_log | grep -c "entered 'whoami'")
	out=$(cm_run "$1" whoami </dev/null 2>&1)
	rc=$?
	if [ $rc != 0 ] && [ $rc != 255 ] && echo "$out" | grep -q "there is no account $1\$" &&
		! echo "$out" | grep -Eq '^(Username|Role):' &&
		[ "$(cli_log | grep -c "entered 'whoami'")" = "$_cr_n" ] && cm_alive "$1"; then
		t_pass "$2"
	else
		t_fail "$2" "rc $rc: $out; $(cli_log | tail -2)"
	fi
}
mxsh_do "$SSH_DATA" "userconfig delete mxt6del" "userconfig key mxt6key delete 1" </dev/null \
	>"$SSH_ETC/cm.delete.out" 2>&1 ||
	t_fail ssh_login/control_master_delete "$(cat "$SSH_ETC/cm.delete.out")"
if wait_for 20 sh -c '! getent passwd mxt6del >/dev/null && ! getent passwd mxt6key >/dev/null'; then
	cm_refused mxt6del ssh_login/deleted_account_no_new_channel
	cm_refused mxt6key ssh_login/keyless_account_no_new_channel
else
	t_fail ssh_login/deleted_account_no_new_channel "the keeper kept $(getent passwd mxt6del mxt6key)"
fi
cm_close mxt6del
cm_close mxt6key

# ---------------------------------------------------------------- idle timeout
if pty_wait idle 30 'Session timed out after 10 seconds of inactivity.' &&
	wait_for 10 pty_dead idle; then
	if [ $(($(date +%s) - idle_from)) -ge 9 ]; then
		t_pass ssh_login/idle_timeout
	else
		t_fail ssh_login/idle_timeout "ended after $(($(date +%s) - idle_from)) s, before 10"
	fi
else
	t_fail ssh_login/idle_timeout "still there: $(pty_screen idle | tail -3)"
fi
if wait_for 10 sh -c "grep -Eq 'User ro logged out of session [0-9]+ from $ORIGIN \\(idle timeout\\)' \
	'$SSH_DATA/logs/cli_logs/cli.current'"; then
	t_pass ssh_login/idle_timeout_logged
else
	t_fail ssh_login/idle_timeout_logged "$(cli_log | grep 'User ro' | tail -3)"
fi

# the ssh -T session: ended by the same timeout (it started with idle's)
if wait_for 30 sh -c "! kill -0 $batch 2>/dev/null"; then
	el=$(($(date +%s) - idle_from))
	if grep -q '^Session timed out after 10 seconds of inactivity\.$' "$SSH_ETC/batch.out" &&
		[ "$el" -ge 9 ] && cli_log | grep -Eq "User admin logged out of session [0-9]+ from $ORIGIN \(idle timeout\)"; then
		t_pass ssh_login/stdin_session_timeout
	else
		t_fail ssh_login/stdin_session_timeout "after $el s: $(cat "$SSH_ETC/batch.out"); $(cli_log | grep 'User admin logged out' | tail -2)"
	fi
else
	t_fail ssh_login/stdin_session_timeout "still there after $(($(date +%s) - idle_from)) s: $(cat "$SSH_ETC/batch.out")"
	kill "$batch" 2>/dev/null
fi
wait "$batch" 2>/dev/null

# ---------------------------------------------------------------- accounts go
mxsh_do "$SSH_DATA" "userconfig delete ro" "userconfig delete mxt6guest" </dev/null \
	>"$SSH_ETC/delete.out" 2>&1
if wait_for 20 sh -c '! getent passwd ro >/dev/null && ! getent passwd mxt6guest >/dev/null'; then
	t_pass ssh_login/deleted_accounts_removed
else
	t_fail ssh_login/deleted_accounts_removed "$(cat "$SSH_ETC/delete.out"); $(getent passwd ro mxt6guest)"
fi
out=$(ssh_pw ro "$RPW" whoami </dev/null 2>&1)
rc=$?
[ $rc = 255 ] && t_pass ssh_login/deleted_cannot_log_in ||
	t_fail ssh_login/deleted_cannot_log_in "rc $rc: $out"

gw_stop "$SSH_DATA"
t_done
