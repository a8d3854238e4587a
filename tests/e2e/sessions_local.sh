#!/bin/sh
# sessions_local.sh - who mxsh is and the session it holds, through the
# local hooks only (no sshd: tests/e2e/ssh_*.sh drive the real one):
#
#   - `mxsh -u NAME` (root, or the data directory's owner) acts as an
#     account with its role; an unknown or locked account is refused in
#     one line; anybody else gets the usage line
#   - an operator's system account (GECOS "mxgate operator", the daemon's
#     uid) found from $LOGNAME, its home the data directory, over "SSH"
#     when $SSH_CONNECTION is set: login and logout lines in cli_logs
#     with the origin and the method from $SSH_USER_AUTH
#   - `mxsh --pam-auth` as pam_exec runs it: right, wrong, lockout after
#     users.lockout failures, unknown user, locked, too long
#   - `mxsh --authorized-keys NAME` as sshd runs it
#   - sessions rows seen by `who`, closed at quit and on SIGHUP
#   - adminaccess.max_sessions for SSH sessions
#   - the banner, and the idle timeout at a terminal (tmux)
#   - review fixes (issue 11): a $LOGNAME with no operator account, or
#     SSH without one, is refused (never the admin fallback); a failed
#     password does not count against an account without one; a tagged
#     account with another uid is no account; an admin is never kept out
#     by adminaccess.max_sessions; an SSH session reading commands on
#     stdin times out; -c lines are wiped from /proc/PID/cmdline; the
#     console's login and logout lines
#
# The system accounts the test makes (useradd, tagged as mxgated's
# keeper tags them) are removed at the end, whatever happens.
. "$(dirname "$0")/lib.subr"

TZ=UTC
TERM=xterm
export TZ TERM
unset MXGATE_HOME TMUX SSH_CONNECTION SSH_USER_AUTH
out=$(t_dir sessions_local)
D=$out/data
TTY=sessions_local
. "$(dirname "$0")/tty.subr"

# account names no machine has by accident
S=$(($$ % 100000))
OP=mxh3op$S
RO=mxh3ro$S
LK=mxh3lk$S
KY=mxh3ky$S
GONE=mxh3gn$S
AD=mxh3ad$S
UD=mxh3ud$S
NX=mxh3nx$S
PW='Corr3ct-Horse!'
MADE=""

cleanup_all() {
	T kill-server >/dev/null 2>&1
	rm -rf "$TMUX_TMPDIR"
	# -f: every operator account shares the uid of mxgate, whose processes (any
	# mxgated running) make a plain userdel refuse; -f removes no home without -r
	for u in $MADE; do userdel -f "$u" >/dev/null 2>&1; done
}
trap 'cleanup_all' EXIT
trap 'cleanup_all; t_done' INT TERM HUP

as_mxgate() { setpriv --reuid=mxgate --regid=mxgate --clear-groups "$@"; }
as_nobody() { setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups "$@"; }
cli_log() { cat "$D/logs/cli_logs/cli.current" 2>/dev/null; }
# proc_gone PID - has the process ended (gone, or a zombie not yet waited for)?
proc_gone() { [ ! -e "/proc/$1" ] || grep -q '^State:[[:space:]]*Z' "/proc/$1/status"; }
# pam USER PASSWORD - mxsh --pam-auth as pam_exec runs it; prints its status
pam() {
	printf '%s\0' "$2" | PAM_USER=$1 PAM_RHOST=127.0.0.1 "$MXSH" -D "$D" --pam-auth \
		>>"$out/pam.out" 2>&1
	echo $?
}
# ssh_like USER LINE... - mxsh as sshd starts it for `ssh USER@gw LINE`
ssh_like() {
	_u=$1
	shift
	as_mxgate env -i PATH=/usr/bin:/bin LOGNAME="$_u" USER="$_u" HOME="$D" \
		SSH_CONNECTION="127.0.0.1 52390 127.0.0.1 22" SSH_USER_AUTH="$D/auth.$_u" \
		LD_PRELOAD="$LD_PRELOAD" MXGATE_NETGUARD="$MXGATE_NETGUARD" \
		ASAN_OPTIONS="${ASAN_OPTIONS:-}" "$MXSH" "$@"
}

for u in $OP $RO $LK $KY $GONE $AD $UD $NX; do
	if getent passwd "$u" >/dev/null; then
		t_fail setup "the system already has an account $u"
		t_done
	fi
done
if ! id mxgate >/dev/null 2>&1; then
	t_fail setup "there is no mxgate account (make test-deps / mxgated's install)"
	t_done
fi
ssh-keygen -q -t ed25519 -N '' -C "h3@test" -f "$out/key" >/dev/null 2>&1 ||
	{ t_fail setup "ssh-keygen failed"; t_done; }
KEY=$(cat "$out/key.pub")

if ! mxsh_do "$D" 'sethostname h3.test' \
    "userconfig new $OP role=operator fullname=\"Op\" password=$PW" \
    "userconfig new $RO role=readonly fullname=\"Ro\" password=$PW" \
    "userconfig new $LK role=operator fullname=\"Lk\" password=$PW" \
    "userconfig new $KY role=guest fullname=\"Ky\" key=\"$KEY\"" \
    "userconfig new $AD role=admin fullname=\"Ad\" password=$PW" \
    "userconfig new $UD role=operator fullname=\"Ud\" password=$PW key=\"$KEY\"" \
    'userconfig policy lockout=3' 'adminaccessconfig timeout 10' \
    'adminaccessconfig maxsessions 1' \
    'adminaccessconfig banner text="Authorized use only.\nh3 line two"' \
    'commit sessions test' >"$out/setup.out" 2>&1; then
	t_fail setup "$(grep -v Warning "$out/setup.out" | head -3)"
	t_done
fi
# the system accounts as mxgated's keeper makes them (GONE: none in the store)
for u in $OP $RO $LK $KY $GONE $AD; do
	useradd -r -o -u "$(id -u mxgate)" -g mxgate -M -N -d "$D" -s "$MXSH" \
		-c "mxgate operator" "$u" >>"$out/setup.out" 2>&1 ||
		{ t_fail setup "useradd $u: $(tail -1 "$out/setup.out")"; t_done; }
	MADE="$MADE $u"
done
# tagged, in the store, but with another uid than the daemon's: no operator account
useradd -r -o -u "$(id -u nobody)" -g "$(id -g nobody)" -M -N -d "$D" -s "$MXSH" \
	-c "mxgate operator" "$UD" >>"$out/setup.out" 2>&1 ||
	{ t_fail setup "useradd $UD: $(tail -1 "$out/setup.out")"; t_done; }
MADE="$MADE $UD"
chown -R mxgate:mxgate "$D"
printf 'publickey ssh-ed25519 AAAA\n' >"$D/auth.$OP"
printf 'password\n' >"$D/auth.$RO"
printf 'publickey ssh-ed25519 AAAA\n' >"$D/auth.$KY"
chown mxgate "$D"/auth.*

# ---------------------------------------------------------------- -u
"$MXSH" -D "$D" -u "$OP" -c whoami >"$out/u.out" 2>&1
if grep -qx "Username: $OP" "$out/u.out" && grep -qx 'Role: operator' "$out/u.out" &&
    grep -q '^Session: [0-9][0-9]* from console$' "$out/u.out"; then
	t_pass sessions_local/u_account
else
	t_fail sessions_local/u_account "$(cat "$out/u.out")"
fi
"$MXSH" -D "$D" -u mxh3nosuch -c status >"$out/u2.out" 2>&1
rc=$?
if [ $rc = 1 ] && [ "$(cat "$out/u2.out")" = "mxsh: there is no account mxh3nosuch" ]; then
	t_pass sessions_local/u_unknown
else
	t_fail sessions_local/u_unknown "status $rc: $(cat "$out/u2.out")"
fi
as_nobody "$MXSH" -D "$D" -u "$OP" -c status >"$out/u3.out" 2>&1
rc=$?
if [ $rc = 2 ] && [ "$(cat "$out/u3.out")" = "mxsh: -u is for root at the console" ]; then
	t_pass sessions_local/u_not_root
else
	t_fail sessions_local/u_not_root "status $rc: $(cat "$out/u3.out")"
fi
# the data directory's owner may (the console's su)
as_mxgate "$MXSH" -D "$D" -u "$RO" -c whoami >"$out/u4.out" 2>&1
if grep -qx 'Role: readonly' "$out/u4.out"; then
	t_pass sessions_local/u_owner
else
	t_fail sessions_local/u_owner "$(cat "$out/u4.out")"
fi
"$MXSH" -D "$D" -u "$RO" -c 'smtproutes new x.test 1.2.3.4' >"$out/ro.out" 2>&1
rc=$?
"$MXSH" -D "$D" -c 'smtproutes print' >"$out/ro2.out" 2>&1
if [ $rc = 1 ] && ! grep -q 'x\.test' "$out/ro2.out"; then
	t_pass sessions_local/readonly_refused
else
	t_fail sessions_local/readonly_refused "status $rc: $(cat "$out/ro.out" "$out/ro2.out")"
fi

# ---------------------------------------------------------------- an operator's account, as sshd runs it
ssh_like "$OP" -c whoami >"$out/s1.out" 2>&1
rc=$?
sid=$(sed -n 's/^Session: \([0-9]*\) from .*/\1/p' "$out/s1.out")
if [ $rc = 0 ] && grep -qx "Username: $OP" "$out/s1.out" &&
    grep -qx "Session: $sid from 127.0.0.1 port 52390" "$out/s1.out"; then
	t_pass sessions_local/ssh_identity
else
	t_fail sessions_local/ssh_identity "status $rc: $(cat "$out/s1.out")"
fi
if cli_log | grep -q "User $OP logged in from 127.0.0.1 port 52390 by publickey (session $sid)$" &&
    cli_log | grep -q "User $OP entered 'whoami'" &&
    cli_log | grep -q "User $OP logged out of session $sid from 127.0.0.1 port 52390$"; then
	t_pass sessions_local/ssh_login_lines
else
	t_fail sessions_local/ssh_login_lines "$(cli_log | grep "$OP" | tail -4)"
fi
ssh_like "$RO" -c whoami >/dev/null 2>&1
if cli_log | grep -q "User $RO logged in from 127.0.0.1 port 52390 by password "; then
	t_pass sessions_local/ssh_method_password
else
	t_fail sessions_local/ssh_method_password "$(cli_log | grep "$RO" | tail -3)"
fi
# a system account the store does not know
ssh_like "$GONE" -c status >"$out/s2.out" 2>&1
rc=$?
if [ $rc = 1 ] && [ "$(cat "$out/s2.out")" = "mxsh: there is no account $GONE" ]; then
	t_pass sessions_local/ssh_unknown_account
else
	t_fail sessions_local/ssh_unknown_account "status $rc: $(cat "$out/s2.out")"
fi
# a name with no system account at all (deleted while a connection stays
# open: a new channel of it), over SSH: refused, never the admin fallback
ssh_like "$NX" -c 'smtproutes new nx.test 1.2.3.4' -c commit >"$out/nx.out" 2>&1
rc=$?
if [ $rc = 1 ] && [ "$(cat "$out/nx.out")" = "mxsh: there is no account $NX" ] &&
    ! cli_log | grep -q "User [^ ]* entered 'smtproutes new nx.test" &&
    ! "$MXSH" -D "$D" -c 'smtproutes print' 2>&1 | grep -q 'nx\.test'; then
	t_pass sessions_local/ssh_no_system_account
else
	t_fail sessions_local/ssh_no_system_account "status $rc: $(cat "$out/nx.out")"
fi
# sshd's older variable alone says SSH too
as_mxgate env -i PATH=/usr/bin:/bin LOGNAME="$NX" SSH_CLIENT="127.0.0.1 52390 22" \
	LD_PRELOAD="$LD_PRELOAD" MXGATE_NETGUARD="$MXGATE_NETGUARD" \
	ASAN_OPTIONS="${ASAN_OPTIONS:-}" "$MXSH" -D "$D" -c whoami >"$out/nx2.out" 2>&1
rc=$?
if [ $rc = 1 ] && [ "$(cat "$out/nx2.out")" = "mxsh: there is no account $NX" ]; then
	t_pass sessions_local/ssh_client_no_account
else
	t_fail sessions_local/ssh_client_no_account "status $rc: $(cat "$out/nx2.out")"
fi
# without SSH a $LOGNAME naming no account is the data directory's owner
# at the console (setpriv and sudo keep the caller's LOGNAME): a local
# process with the daemon's uid owns the store anyway
as_mxgate env LOGNAME="bogus$S" "$MXSH" -D "$D" -c whoami >"$out/nx3.out" 2>&1
rc=$?
if [ $rc = 0 ] && grep -qx 'Username: mxgate' "$out/nx3.out"; then
	t_pass sessions_local/logname_no_account_console
else
	t_fail sessions_local/logname_no_account_console "status $rc: $(cat "$out/nx3.out")"
fi
# the data directory's owner at the console, $LOGNAME its own name or unset: as before
as_mxgate env LOGNAME=mxgate "$MXSH" -D "$D" -c whoami >"$out/own1.out" 2>&1
rc1=$?
as_mxgate env -u LOGNAME "$MXSH" -D "$D" -c whoami >"$out/own2.out" 2>&1
rc2=$?
if [ "$rc1$rc2" = 00 ] && grep -qx 'Username: mxgate' "$out/own1.out" &&
    grep -qx 'Username: mxgate' "$out/own2.out"; then
	t_pass sessions_local/owner_console
else
	t_fail sessions_local/owner_console "status $rc1 $rc2: $(cat "$out/own1.out" "$out/own2.out")"
fi
# a local batch run logs its commands only
n0=$(cli_log | grep -c 'logged in')
"$MXSH" -D "$D" -c version >/dev/null 2>&1
if [ "$(cli_log | grep -c 'logged in')" = "$n0" ]; then
	t_pass sessions_local/batch_no_login_line
else
	t_fail sessions_local/batch_no_login_line "$(cli_log | tail -2)"
fi

# ---------------------------------------------------------------- --pam-auth
: >"$out/pam.out"
r1=$(pam "$OP" "$PW")
r2=$(pam "$OP" "wrong-Pass1")
if [ "$r1" = 0 ] && [ "$r2" = 1 ] &&
    cli_log | grep -q "An authentication attempt by the user $OP from 127.0.0.1 failed$"; then
	t_pass sessions_local/pam_right_wrong
else
	t_fail sessions_local/pam_right_wrong "right $r1, wrong $r2: $(cli_log | tail -2)"
fi
# a success clears the count: three more failures lock (lockout=3), not two
r3=$(pam "$OP" "$PW")
r4=$(pam "$OP" "wrong-Pass1")
r5=$(pam "$OP" "wrong-Pass1")
locked_early=$(cli_log | grep -c "User $OP was locked")
r6=$(pam "$OP" "wrong-Pass1")
r7=$(pam "$OP" "$PW")
if [ "$r3$r4$r5$r6$r7" = 01111 ] && [ "$locked_early" = 0 ] &&
    cli_log | grep -q "User $OP was locked after 3 failed login attempts$"; then
	t_pass sessions_local/pam_lockout
else
	t_fail sessions_local/pam_lockout "statuses $r3$r4$r5$r6$r7: $(cli_log | tail -3)"
fi
"$MXSH" -D "$D" -u "$OP" -c status >"$out/lk.out" 2>&1
rc=$?
if [ $rc = 1 ] && [ "$(cat "$out/lk.out")" = "mxsh: the account $OP is locked" ]; then
	t_pass sessions_local/locked_refused
else
	t_fail sessions_local/locked_refused "status $rc: $(cat "$out/lk.out")"
fi
r1=$(pam mxh3nosuch "$PW")
r2=$(pam "$GONE" "$PW")
if [ "$r1$r2" = 11 ] &&
    cli_log | grep -q "An authentication attempt by the unknown user mxh3nosuch from 127.0.0.1 failed$" &&
    cli_log | grep -q "An authentication attempt by the unknown user $GONE from 127.0.0.1 failed$"; then
	t_pass sessions_local/pam_unknown
else
	t_fail sessions_local/pam_unknown "statuses $r1$r2: $(cli_log | tail -2)"
fi
r1=$(pam "$LK" "$PW$(printf '%0200d' 0)")
r2=$(printf '%s\n' "$PW" | PAM_USER=$LK PAM_RHOST=127.0.0.1 "$MXSH" --pam-auth >>"$out/pam.out" 2>&1; echo $?)
if [ "$r1$r2" = 10 ]; then
	t_pass sessions_local/pam_long_and_newline
else
	t_fail sessions_local/pam_long_and_newline "too long $r1, newline-ended $r2"
fi
if [ ! -s "$out/pam.out" ] && ! grep -rqF "$PW" "$D/logs"; then
	t_pass sessions_local/pam_silent
else
	t_fail sessions_local/pam_silent "$(head -3 "$out/pam.out")"
fi

# ---------------------------------------------------------------- --authorized-keys
k1=$(as_mxgate "$MXSH" --authorized-keys "$KY"; echo "rc=$?")
k2=$(as_mxgate "$MXSH" --authorized-keys "$OP"; echo "rc=$?")
k3=$(as_mxgate "$MXSH" --authorized-keys mxh3nosuch; echo "rc=$?")
k4=$(as_mxgate "$MXSH" --authorized-keys "$GONE"; echo "rc=$?")
if [ "$k1" = "restrict,pty $KEY
rc=0" ] && [ "$k2$k3$k4" = "rc=0rc=0rc=0" ]; then
	t_pass sessions_local/authorized_keys
else
	t_fail sessions_local/authorized_keys "key: $k1; none: $k2 $k3 $k4"
fi
"$MXSH" -D "$D" -c "userconfig status $KY locked" >/dev/null 2>&1
k1=$(as_mxgate "$MXSH" --authorized-keys "$KY"; echo "rc=$?")
"$MXSH" -D "$D" -c "userconfig status $KY active" >/dev/null 2>&1
if [ "$k1" = "rc=0" ]; then
	t_pass sessions_local/authorized_keys_locked
else
	t_fail sessions_local/authorized_keys_locked "$k1"
fi
# a tagged system account with another uid than the daemon's is no operator account
r1=$(pam "$UD" "$PW")
k1=$(as_mxgate "$MXSH" --authorized-keys "$UD"; echo "rc=$?")
if [ "$r1" = 1 ] && [ "$k1" = "rc=0" ] &&
    cli_log | grep -q "An authentication attempt by the unknown user $UD from 127.0.0.1 failed$"; then
	t_pass sessions_local/wrong_uid_no_account
else
	t_fail sessions_local/wrong_uid_no_account "pam $r1, keys '$k1'"
fi

# ---------------------------------------------------------------- sessions, max sessions, SIGHUP
P='h3.test> '
# an interactive "SSH" session of KY: the banner, a live row, the limit reached
T new-session -d -s mx -x 120 -y 30 "exec setpriv --reuid=mxgate --regid=mxgate --clear-groups env -i PATH=/usr/bin:/bin TERM=xterm LOGNAME=$KY HOME='$D' SSH_CONNECTION='127.0.0.1 52391 127.0.0.1 22' SSH_USER_AUTH='$D/auth.$KY' '$MXSH'"
if wait_last "$P" && screen | grep -qx 'Authorized use only.' && screen | grep -qx 'h3 line two' &&
    [ "$(screen | grep -n 'h3 line two' | cut -d: -f1)" -lt \
      "$(screen | grep -n '^mxgate shell' | cut -d: -f1)" ]; then
	t_pass sessions_local/banner
else
	fail banner "no banner before the greeting"
	T_FAILED=1
fi
"$MXSH" -D "$D" -c who >"$out/who.out" 2>&1
if grep -q "^$KY .*127\.0\.0\.1 port 52391" "$out/who.out" ||
    grep -q "$KY.*127\.0\.0\.1" "$out/who.out"; then
	t_pass sessions_local/who_lists_session
else
	t_fail sessions_local/who_lists_session "$(cat "$out/who.out")"
fi
ssh_like "$RO" -c version >"$out/max.out" 2>&1
rc=$?
"$MXSH" -D "$D" -u "$RO" -c version >/dev/null 2>&1
rc2=$?
if [ $rc = 1 ] && [ "$(cat "$out/max.out")" = "Too many sessions are open (1); try again later." ] &&
    [ $rc2 = 0 ]; then
	t_pass sessions_local/max_sessions
else
	t_fail sessions_local/max_sessions "status $rc: $(cat "$out/max.out"); console $rc2"
fi
# an admin is never kept out by the limit
ssh_like "$AD" -c whoami >"$out/maxad.out" 2>&1
rc=$?
if [ $rc = 0 ] && grep -qx "Username: $AD" "$out/maxad.out"; then
	t_pass sessions_local/max_sessions_admin
else
	t_fail sessions_local/max_sessions_admin "status $rc: $(cat "$out/maxad.out")"
fi
# the terminal goes away: SIGHUP ends the session with its logout line
sid=$(sed -n "s/.*User $KY logged in from 127.0.0.1 port 52391 by publickey (session \([0-9]*\))\$/\1/p" \
	"$D/logs/cli_logs/cli.current" | tail -1)
pid=$(T display-message -p -t mx '#{pane_pid}')
kill -HUP "$pid"
why=""
[ -n "$sid" ] || why="no login line"
[ -z "$why" ] && ! wait_for 10 sh -c "grep -q 'User $KY logged out of session $sid from 127.0.0.1 port 52391\$' '$D/logs/cli_logs/cli.current'" &&
	why="no logout line"
i=0
while [ $i -lt 200 ] && alive; do
	sleep 0.05
	i=$((i + 1))
done
[ -z "$why" ] && alive && why="mxsh did not end"
[ -z "$why" ] && ! ssh_like "$RO" -c version >"$out/after.out" 2>&1 && why="after it: $(cat "$out/after.out")"
[ -z "$why" ] && "$MXSH" -D "$D" -c who 2>&1 | grep -q "$KY" && why="who still lists $KY"
if [ -z "$why" ]; then
	t_pass sessions_local/sighup_closes
else
	t_fail sessions_local/sighup_closes "$why"
fi

# ---------------------------------------------------------------- a key-only account
# a key-only account has no password to guess: failures are logged, not counted
n0=$(cli_log | grep -c "An authentication attempt by the user $KY from")
r=""
for i in 1 2 3 4; do r="$r$(pam "$KY" "wrong-Pass1")"; done
k1=$(as_mxgate "$MXSH" --authorized-keys "$KY")
if [ "$r" = 1111 ] && [ "$k1" = "restrict,pty $KEY" ] &&
    [ "$(cli_log | grep -c "An authentication attempt by the user $KY from")" = $((n0 + 4)) ] &&
    ! cli_log | grep -q "User $KY was locked"; then
	t_pass sessions_local/pam_keyonly_not_locked
else
	t_fail sessions_local/pam_keyonly_not_locked "statuses $r, keys '$k1': $(cli_log | grep "$KY" | tail -2)"
fi

# ---------------------------------------------------------------- an SSH session reading stdin: timed too
mkfifo "$out/idle.fifo"
ssh_like "$AD" <"$out/idle.fifo" >"$out/idle.out" 2>&1 &
ipid=$!
exec 4>"$out/idle.fifo"
echo version >&4
t0=$(date +%s)
wait_for 40 proc_gone "$ipid"
t1=$(date +%s)
gone=0
proc_gone "$ipid" && gone=1
exec 4>&-
wait "$ipid"
if [ $gone = 1 ] && [ $((t1 - t0)) -ge 9 ] && grep -q 'mxgate' "$out/idle.out" &&
    grep -qx 'Session timed out after 10 seconds of inactivity.' "$out/idle.out" &&
    cli_log | grep -q "User $AD logged out of session [0-9]* from 127.0.0.1 port 52390 (idle timeout)$"; then
	t_pass sessions_local/ssh_stdin_idle_timeout
else
	t_fail sessions_local/ssh_stdin_idle_timeout "ended $gone after $((t1 - t0)) s: $(cat "$out/idle.out")"
fi

# ---------------------------------------------------------------- -c lines leave /proc/PID/cmdline
mkfifo "$out/cmd.fifo"
"$MXSH" -D "$D" -c "grep -t mxh3marker$S cli_logs" <"$out/cmd.fifo" >"$out/cmd.out" 2>&1 &
cpid=$!
exec 5>"$out/cmd.fifo"
wait_for 20 sh -c "grep -q \"entered 'grep -t mxh3marker$S cli_logs'\" '$D/logs/cli_logs/cli.current'"
cmdline=$(tr '\0' ' ' <"/proc/$cpid/cmdline" 2>/dev/null)
exec 5>&-
wait "$cpid"
if echo "$cmdline" | grep -q 'mxsh' && ! echo "$cmdline" | grep -q "mxh3marker"; then
	t_pass sessions_local/cmdline_wiped
else
	t_fail sessions_local/cmdline_wiped "/proc/$cpid/cmdline: $cmdline"
fi

# ---------------------------------------------------------------- the idle timeout (10 s, the minimum)
T kill-server >/dev/null 2>&1
T new-session -d -s mx -x 120 -y 30 "exec '$MXSH' -D '$D' -u '$RO'"
if wait_last "$P"; then
	keys 'vers'	# a half-typed line is not run when the time is up
	t0=$(date +%s)
	i=0
	while [ $i -lt 300 ] && alive; do
		sleep 0.1
		i=$((i + 1))
	done
	t1=$(date +%s)
	if ! alive && screen | grep -qx 'Session timed out after 10 seconds of inactivity.' &&
	    [ $((t1 - t0)) -ge 9 ] &&
	    cli_log | grep -q "User $RO logged in at the console (session [0-9]*)$" &&
	    cli_log | grep -q "User $RO logged out of session [0-9]* at the console (idle timeout)$" &&
	    ! cli_log | grep -q "by console" &&
	    ! cli_log | grep -q "User $RO entered 'vers'"; then
		t_pass sessions_local/idle_timeout
	else
		fail idle_timeout "after $((t1 - t0)) s: $(cli_log | grep "$RO" | tail -2)"
		T_FAILED=1
	fi
else
	fail idle_timeout "no prompt"
	T_FAILED=1
fi

# ---------------------------------------------------------------- an expired password
T kill-server >/dev/null 2>&1
mxsh_do "$D" 'userconfig policy max_age_days=1' 'commit expiry' >/dev/null 2>&1
as_mxgate sqlite3 "$D/config.db" "PRAGMA busy_timeout = 10000;
    UPDATE users SET pw_changed = pw_changed - 3 * 86400 WHERE name = '$RO';" >/dev/null
ssh_like "$RO" -c version >"$out/exp.out" 2>&1
rc=$?
if [ $rc = 1 ] &&
    [ "$(cat "$out/exp.out")" = "Your password has expired; log in interactively to change it." ]; then
	t_pass sessions_local/expired_batch
else
	t_fail sessions_local/expired_batch "status $rc: $(cat "$out/exp.out")"
fi
T new-session -d -s mx -x 120 -y 30 "exec '$MXSH' -D '$D' -u '$RO'"
if wait_text 'Your password has expired; choose a new one.' && ! screen | grep -q "^$P"; then
	keys C-c
	i=0
	while [ $i -lt 200 ] && alive; do
		sleep 0.05
		i=$((i + 1))
	done
	if ! alive && screen | grep -q 'log in again to change it'; then
		t_pass sessions_local/expired_interactive
	else
		fail expired_interactive "the session went on without a new password"
		T_FAILED=1
	fi
else
	fail expired_interactive "no passwd dialogue before the prompt"
	T_FAILED=1
fi

cleanup_all
for u in $MADE; do
	getent passwd "$u" >/dev/null && t_fail sessions_local/cleanup "the account $u is still there"
done
MADE=""
t_done
