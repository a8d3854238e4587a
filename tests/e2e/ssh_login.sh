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
#   - an unknown user is refused;
#   - the idle timeout (adminaccessconfig timeout 10): an interactive
#     session left at the prompt ends with the timeout line, and its
#     logout is logged "(idle timeout)"; batch sessions are not timed.
# The test's accounts and PAM service are removed at the end (ssh_stop).
# Every wait is for an event, with a generous ceiling.
. "$(dirname "$0")/lib.subr"

APW='Adm1n-secret!'
RPW='R3ad-only-pw!'
GPW='Gu3st-pass-word'

ssh_setup ssh_login
why=$(ssh_user ro readonly "password=$RPW") || { t_fail setup "$why"; t_done; }
why=$(ssh_user mxt6guest guest "password=$GPW") || { t_fail setup "$why"; t_done; }
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
out=$(ssh_pw mxt6guest "$GPW" whoami </dev/null 2>&1)
rc=$?
if [ $rc != 0 ] && ! echo "$out" | grep -q Username; then
	t_pass ssh_login/locked_refuses_right_password
else
	t_fail ssh_login/locked_refuses_right_password "rc $rc: $out"
fi
out=$(ssh_as mxt6guest whoami </dev/null 2>&1)
rc=$?
if [ $rc != 0 ] && ! echo "$out" | grep -q Username; then
	t_pass ssh_login/locked_refuses_key
else
	t_fail ssh_login/locked_refuses_key "rc $rc: $out"
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
if [ $rc = 255 ] && ! echo "$out" | grep -q Username; then
	t_pass ssh_login/unknown_user_refused
else
	t_fail ssh_login/unknown_user_refused "rc $rc: $out"
fi

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
