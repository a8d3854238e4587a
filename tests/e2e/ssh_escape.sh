#!/bin/sh
# ssh_escape.sh - issue 11: no operator escapes mxsh over SSH (a private
# sshd, key logins; see ssh_login.sh for the set-up). Each try is made
# as mxt6adm (role admin: the most it may do) unless said otherwise, and must
# neither give a system shell nor change anything:
#   - `ssh gw /bin/sh`, `ssh gw 'sethostname x; bash'`, `ssh gw 'status $(id)'`,
#     backticks, `ssh gw -- -D /etc` (an option for mxsh?), a newline in
#     the command line (`ssh gw "$(printf 'status\nbash')"`);
#   - scp both ways (the SFTP protocol and the old one, -O), sftp;
#   - ssh -L and -R forwarding refused, the -L client's session ends
#     with it; ssh_stop ends every session sshd still has;
#   - `ssh gw /bin/sh` is named in cli_logs;
#   - `ssh -o SetEnv=LOGNAME=admin ro@gw` is still ro (and MXGATE_HOME
#     does not move the data directory).
# What must not change: the last commit, the routes, no file a shell
# would have made (a canary in the test directory, /etc/config.db,
# /tmp files); no `uid=` (the output of id) in any answer.
# Every wait is for an event, with a generous ceiling.
. "$(dirname "$0")/lib.subr"

# an account of role admin, not the built-in admin: a system account of
# that name is the one of the last mxgated started as root on this machine
ssh_setup ssh_escape noadmin
A=mxt6adm
why=$(ssh_user $A admin) || { t_fail setup "$why"; t_done; }
why=$(ssh_user ro readonly) || { t_fail setup "$why"; t_done; }
last_commit() { "$MXSH" -D "$SSH_DATA" -c commitdetail </dev/null 2>&1 | grep '^Commit:'; }
C0=$(last_commit)
HN=$("$MXSH" -D "$SSH_DATA" -c commitdetail </dev/null 2>&1 | grep -c 'gw.example.test')
CD=$(t_dir ssh_escape_canary)
chmod 1777 "$CD"	# a shell as the operator could make the canary here
W=$CD/canary
rm -f "$W" /tmp/mxt6-canary.$$
[ -e /etc/config.db ] && t_fail setup "/etc/config.db exists before the test"

# escape NAME LINE - one command line over SSH: refused (mxsh's non-zero
# status, not ssh's 255 nor 0), no shell's output, nothing made
escape() {
	out=$(ssh_as $A "$2" </dev/null 2>&1)
	rc=$?
	if [ $rc != 0 ] && [ $rc != 255 ] && ! echo "$out" | grep -q 'uid=' &&
		[ ! -e "$W" ] && [ ! -e /tmp/mxt6-canary.$$ ] && [ ! -e /etc/config.db ]; then
		t_pass "ssh_escape/$1"
	else
		t_fail "ssh_escape/$1" "rc $rc: $(echo "$out" | head -3)"
	fi
}
escape bin_sh /bin/sh
# the attempt leaves a trace: cli_logs names the program asked for
if cli_log | grep -Eq "User $A entered '/bin/sh'.*; session [0-9]+ from 127\.0\.0\.1 port [0-9]+\$"; then
	t_pass ssh_escape/bin_sh_logged
else
	t_fail ssh_escape/bin_sh_logged "$(cli_log | grep "User $A" | tail -2)"
fi
escape bin_sh_c "/bin/sh -c 'id; touch $W'"
escape semicolon_bash "sethostname x.example.test; bash -c 'id; touch $W'"
escape semicolon_commit "sethostname x.example.test; commit; touch $W"
escape dollar_paren 'status $(id; touch '"$W"')'
escape backticks 'status `id; touch '"$W"'`'
escape pipe "status | sh -c 'id; touch $W'"
escape newline "$(printf 'status\nbash -c "id; touch %s"' "$W")"
escape newline_commit "$(printf 'sethostname x.example.test\ncommit\n')"

# an option for mxsh: -D /etc would make /etc/config.db
out=$(ssh_as $A -- -D /etc </dev/null 2>&1)
rc=$?
if [ $rc != 0 ] && [ $rc != 255 ] && [ ! -e /etc/config.db ]; then
	t_pass ssh_escape/dash_D_etc
else
	t_fail ssh_escape/dash_D_etc "rc $rc: $out"
fi
out=$(ssh_as $A -- -c bash </dev/null 2>&1)
rc=$?
if [ $rc != 0 ] && [ $rc != 255 ] && ! echo "$out" | grep -q 'uid='; then
	t_pass ssh_escape/dash_c
else
	t_fail ssh_escape/dash_c "rc $rc: $out"
fi

# ---------------------------------------------------------------- scp, sftp
echo local-secret >"$SSH_ETC/upload"
# shellcheck disable=SC2046 # ssh_opts is a list of words
scp_as() { scp $(ssh_opts) -P "$SSH_PORT" -i "$SSH_ETC/id_$A" -o IdentitiesOnly=yes -o BatchMode=yes "$@"; }
for mode in sftp legacy; do
	o=""
	[ $mode = legacy ] && o=-O
	out=$(scp_as $o "$SSH_ETC/upload" "$A@127.0.0.1:/tmp/mxt6-canary.$$" </dev/null 2>&1)
	rc=$?
	if [ $rc != 0 ] && [ ! -e /tmp/mxt6-canary.$$ ]; then
		t_pass "ssh_escape/scp_upload_$mode"
	else
		t_fail "ssh_escape/scp_upload_$mode" "rc $rc: $out"
	fi
	rm -f "$SSH_ETC/download"
	out=$(scp_as $o "$A@127.0.0.1:/etc/passwd" "$SSH_ETC/download" </dev/null 2>&1)
	rc=$?
	if [ $rc != 0 ] && ! grep -q root "$SSH_ETC/download" 2>/dev/null; then
		t_pass "ssh_escape/scp_download_$mode"
	else
		t_fail "ssh_escape/scp_download_$mode" "rc $rc: $out"
	fi
done
printf 'get /etc/passwd %s/sftp-got\nput %s/upload /tmp/mxt6-canary.%s\n' "$SSH_ETC" "$SSH_ETC" "$$" \
	>"$SSH_ETC/sftp.batch"
# shellcheck disable=SC2046
out=$(sftp $(ssh_opts) -P "$SSH_PORT" -i "$SSH_ETC/id_$A" -o IdentitiesOnly=yes -o BatchMode=yes \
	-b "$SSH_ETC/sftp.batch" $A@127.0.0.1 </dev/null 2>&1)
rc=$?
if [ $rc != 0 ] && [ ! -e "$SSH_ETC/sftp-got" ] && [ ! -e /tmp/mxt6-canary.$$ ]; then
	t_pass ssh_escape/sftp
else
	t_fail ssh_escape/sftp "rc $rc: $out"
fi
out=$(ssh_as $A -s sftp </dev/null 2>&1)
rc=$?
[ $rc != 0 ] && t_pass ssh_escape/subsystem_sftp || t_fail ssh_escape/subsystem_sftp "rc $rc: $out"

# ---------------------------------------------------------------- forwarding
# -L: a local port whose connections would reach sshd's own port (its
# banner "SSH-2.0" would come back); the server must refuse the channel
LP=$(free_port)
# exec: $! is ssh itself (killing a subshell running ssh_as would leave
# ssh, and its session at the server, behind)
(eval "exec $(ssh_cmd_key $A) -N -o ExitOnForwardFailure=yes -L 127.0.0.1:$LP:127.0.0.1:$SSH_PORT") \
	</dev/null >"$SSH_ETC/fwd.out" 2>&1 &
fwd=$!
if wait_port "$LP" 15; then
	got=$($PY - "$LP" <<'PYEOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 10)
s.settimeout(10)
try:
    print(s.recv(100).decode("latin-1"))
except OSError as e:
    print("error", e)
PYEOF
)
	case $got in
	*SSH-2.0*) t_fail ssh_escape/forward_local "the forwarded port reached sshd: $got" ;;
	*) t_pass ssh_escape/forward_local ;;
	esac
else
	# ssh gave up: refused before the port was even opened
	t_pass ssh_escape/forward_local
fi
kill "$fwd" 2>/dev/null
wait "$fwd" 2>/dev/null
# the client gone, its session at the server ends too
if wait_for 15 ssh_no_procs; then
	t_pass ssh_escape/forward_session_ends
else
	t_fail ssh_escape/forward_session_ends "left: $(ps -o pid=,args= -p "$(ssh_procs | tr '\n' ',' | sed 's/,$//')")"
fi
RP=$(free_port)
out=$(ssh_as $A -N -o ExitOnForwardFailure=yes -R "127.0.0.1:$RP:127.0.0.1:$SSH_PORT" </dev/null 2>&1)
rc=$?
if [ $rc != 0 ] && ! wait_port "$RP" 1; then
	t_pass ssh_escape/forward_remote
else
	t_fail ssh_escape/forward_remote "rc $rc: $out"
fi

# ---------------------------------------------------------------- environment
out=$(ssh_as ro -o SetEnv=LOGNAME=admin -o SetEnv=USER=admin -o "SetEnv=MXGATE_HOME=$SSH_ETC" \
	whoami </dev/null 2>&1)
rc=$?
if [ $rc = 0 ] && echo "$out" | grep -q '^Username: ro$' && echo "$out" | grep -q '^Role: readonly$' &&
	[ ! -e "$SSH_ETC/config.db" ]; then
	t_pass ssh_escape/setenv_keeps_user
else
	t_fail ssh_escape/setenv_keeps_user "rc $rc: $out"
fi
out=$(ssh_as ro -o SetEnv=LOGNAME=$A 'smtproutes new x.test 1.2.3.4' </dev/null 2>&1)
case $out in
"Access denied: the readonly role"*) t_pass ssh_escape/setenv_keeps_role ;;
*) t_fail ssh_escape/setenv_keeps_role "$out" ;;
esac

# ---------------------------------------------------------------- nothing changed
if [ "$(last_commit)" = "$C0" ] &&
	[ "$("$MXSH" -D "$SSH_DATA" -c commitdetail </dev/null 2>&1 | grep -c 'gw.example.test')" = "$HN" ] &&
	! "$MXSH" -D "$SSH_DATA" -c 'smtproutes print' </dev/null 2>&1 | grep -q x.test &&
	[ ! -e "$W" ] && [ ! -e /tmp/mxt6-canary.$$ ] && [ ! -e /etc/config.db ]; then
	t_pass ssh_escape/nothing_changed
else
	t_fail ssh_escape/nothing_changed "$(last_commit) (was $C0); $(ls -l "$W" /tmp/mxt6-canary.$$ /etc/config.db 2>&1)"
fi
rm -f /tmp/mxt6-canary.$$

# sshd ends with every session it still has (ssh_stop, also the EXIT
# trap): a ControlMaster-like connection left open is ended here
(eval "exec $(ssh_cmd_key ro) -N") </dev/null >"$SSH_ETC/left.out" 2>&1 &
left=$!
wait_for 20 sh -c "ps -e -o args= | grep -q '^$SSH_SVC: ro\$'"
ssh_stop
if ssh_no_procs && wait_for 10 sh -c "! kill -0 $left 2>/dev/null"; then
	t_pass ssh_escape/ssh_stop_ends_sessions
else
	t_fail ssh_escape/ssh_stop_ends_sessions "left: $(ps -e -o pid=,args= | grep "^ *[0-9]* $SSH_SVC")"
	kill "$left" 2>/dev/null
fi
wait "$left" 2>/dev/null

gw_stop "$SSH_DATA"
t_done
