#!/bin/sh
# accounts_keeper.sh - issue 11: mxgated's account keeper makes the system
# accounts operators log in with over SSH, and daemon/setup-ssh.sh sets up
# the private sshd.
#
# The real daemon, started as root on its own data directory, with
# accounts made by userconfig (mxsh, before the start and while it runs):
#   - at start: a missing account is made (uid and gid of mxgate, GECOS
#     "mxgate operator", home the data directory, shell the mxsh beside
#     mxgated), a tagged account of this directory that the store no
#     longer has is removed, a tagged one pointing elsewhere is re-made,
#     and an untagged system account of an operator's name is left exactly
#     as it was and reported (mail_logs Warning); each made/removed
#     account has its Info line;
#   - while it runs: userconfig new makes the account before it returns,
#     userconfig delete removes it (the data directory stays), a conflict
#     is printed by userconfig as a warning;
#   - the keeper is a root child of mxgated holding only /dev/null and its
#     socket, and goes with it; killed, the next request says it stopped
#     and mxgated goes on;
#   - mxgated started as mxgate: userconfig says it cannot make accounts,
#     and none is made.
# setup-ssh.sh: refuses (one line, nothing written) an mxsh under a
# directory others can write; otherwise writes sshd_config, the PAM
# service, the link named after it and the host key, which sshd -t
# accepts, and keeps the key when run again.
#
# Every account and file outside the test directory is removed by the
# trap. Names start with mxkt1 (no machine has them by accident).
. "$(dirname "$0")/lib.subr"

P=mxkt1
SVC=${P}-sshd
BIN=/run/$P.$$		# a root-owned directory for mxsh: sshd's rule for AuthorizedKeysCommand

if [ "$(id -u)" != 0 ]; then
	t_fail setup "accounts_keeper.sh runs as root (mxgated makes system accounts)"
	t_done
fi
if ! getent passwd mxgate >/dev/null; then
	t_fail setup "no user mxgate: make test-deps creates it (daemon/account.sh)"
	t_done
fi
MXUID=$(id -u mxgate)
MXGID=$(id -g mxgate)

D=$(t_dir accounts_keeper)
D2=$(t_dir accounts_keeper_noroot)
RD=$(realpath "$D")
SHELLP=$(dirname "$(realpath "$MXGATED")")/mxsh

# cleanup - every account this test may have made or that points here, the PAM file
cleanup() {
	for u in $(getent passwd | awk -F: -v p="$P" -v d="$RD" -v d2="$(realpath "$D2")" \
		'index($1, p) == 1 || ($5 == "mxgate operator" && ($6 == d || $6 == d2)) { print $1 }'); do
		userdel -f "$u" >/dev/null 2>&1
	done
	rm -f "/etc/pam.d/$SVC"
	rm -rf "$BIN"
}
finish() {
	cleanup
	t_done
}
trap finish INT TERM
cleanup

# pw NAME FIELD - one field of the passwd entry (1 name ... 7 shell)
pw() { getent passwd "$1" | cut -d: -f"$2"; }
# has NAME - the system has the account
has() { getent passwd "$1" >/dev/null 2>&1; }
# made_right NAME - the account is the model's
made_right() {
	[ "$(pw "$1" 3)" = "$MXUID" ] && [ "$(pw "$1" 4)" = "$MXGID" ] &&
		[ "$(pw "$1" 5)" = "mxgate operator" ] && [ "$(pw "$1" 6)" = "$RD" ] &&
		[ "$(pw "$1" 7)" = "$SHELLP" ]
}
logged() { maillog "$D" | grep -qF "$1"; }
up() { "$MXSH" -D "$1" -c status 2>/dev/null | grep -q 'Up since'; }

# ---------------------------------------------------------------- before the start

# a tagged account of this directory that the store does not have: removed
useradd -r -o -u "$MXUID" -g "$MXGID" -M -N -d "$RD" -s /bin/false -c "mxgate operator" \
	"${P}old" || t_fail setup "useradd ${P}old"
# a tagged account of the store pointing elsewhere: re-made
useradd -r -o -u "$MXUID" -g "$MXGID" -M -N -d /nonexistent -s /bin/false -c "mxgate operator" \
	"${P}mv" || t_fail setup "useradd ${P}mv"

# (each with a password: an account with no way in gets no system account)
mxsh_do "$D" "userconfig new ${P}op role=operator fullname=\"Op One\" password=Keeper-Test-1x" \
	"userconfig new ${P}sys role=guest fullname=\"Sys\" password=Keeper-Test-1x" \
	"userconfig new ${P}mv role=readonly fullname=\"Moved\" password=Keeper-Test-1x" >"$D/pre.out" 2>&1 ||
	t_fail setup "userconfig new before the start: $(cat "$D/pre.out")"

# an untagged system account, made after the operator account (userconfig
# new refuses a name the system has), of an operator's name: never touched
useradd -r -M -N -g "$MXGID" -d /nonexistent -s /usr/sbin/nologin -c "not mxgate" "${P}sys" ||
	t_fail setup "useradd ${P}sys"
SYS_BEFORE=$(getent shadow "${P}sys")$(getent passwd "${P}sys")
gw_start "$D"
if ! wait_for 30 logged "made system account ${P}op"; then
	t_fail start "no 'made system account ${P}op' in mail_logs: $(tail -n 5 "$D/mxgated.out")"
	finish
fi
wait_for 10 up "$D"

if made_right "${P}op"; then t_pass start_made; else
	t_fail start_made "$(getent passwd "${P}op")"; fi
t_check start_made_logged logged "Info: made system account ${P}op for SSH logins"
if has "${P}old"; then t_fail start_removed "${P}old is still there"; else t_pass start_removed; fi
t_check start_removed_logged logged "Info: removed system account ${P}old"
if made_right "${P}mv"; then t_pass start_remade; else
	t_fail start_remade "$(getent passwd "${P}mv")"; fi
t_check start_remade_logged logged "Info: re-made system account ${P}mv for SSH logins"
if [ "$(getent shadow "${P}sys")$(getent passwd "${P}sys")" = "$SYS_BEFORE" ]; then
	t_pass untagged_untouched
else
	t_fail untagged_untouched "$(getent passwd "${P}sys")"
fi
t_check untagged_reported logged "Warning: SSH accounts: ${P}sys: the system already has an account of that name that mxgate did not make; it cannot log in over SSH"
# the built-in admin has neither password nor key on a new store: no
# system account is made for it (a root start of mxgated on a fresh data
# directory changes nothing on the machine)
if logged "system account admin for SSH logins" || logged "SSH accounts: admin:"; then
	t_fail admin_no_way_in "the keeper handled admin, which has no password or key"
else
	t_pass admin_no_way_in
fi

# ---------------------------------------------------------------- the keeper process

GWP=$(cat "$D/gw.pid")
KP=$(pgrep -P "$GWP" -x mxgated-acctd | head -n 1)
if [ -z "$KP" ]; then
	t_fail keeper_process "no child mxgated-acctd of mxgated $GWP"
else
	if grep -q '^Uid:[[:space:]]*0[[:space:]]' "/proc/$KP/status" &&
		! grep -q '^Uid:[[:space:]]*0[[:space:]]' "/proc/$GWP/status"; then
		t_pass keeper_root_daemon_not
	else
		t_fail keeper_root_daemon_not "keeper $(grep ^Uid: "/proc/$KP/status"), daemon $(grep ^Uid: "/proc/$GWP/status")"
	fi
	FDS=$(for f in /proc/"$KP"/fd/*; do printf '%s=%s ' "${f##*/}" "$(readlink "$f")"; done)
	case $FDS in
	"0=/dev/null 1=/dev/null 2=/dev/null 3=socket:"*" ") t_pass keeper_descriptors ;;
	*) t_fail keeper_descriptors "$FDS" ;;
	esac
fi

# ---------------------------------------------------------------- while it runs

"$MXSH" -D "$D" -c "userconfig new ${P}new role=readonly fullname=\"New\" password=Keeper-Test-1x" >"$D/new.out" 2>&1
if made_right "${P}new"; then t_pass runtime_made; else
	t_fail runtime_made "$(getent passwd "${P}new"): $(cat "$D/new.out")"; fi
# the outcome lists every problem (${P}sys's too), none about this account
if grep -i warning "$D/new.out" | grep -q "${P}new"; then
	t_fail runtime_made_quiet "$(cat "$D/new.out")"
else
	t_pass runtime_made_quiet
fi

useradd -r -M -N -g "$MXGID" -d /nonexistent -s /usr/sbin/nologin -c "someone else" "${P}sy2"
"$MXSH" -D "$D" -c "userconfig new ${P}sy2 role=guest fullname=\"Sys2\" password=Keeper-Test-1x" >"$D/sy2.out" 2>&1
t_check runtime_conflict_refused grep -qxF "The system already has an account named ${P}sy2; choose another name." "$D/sy2.out"
if [ "$(pw "${P}sy2" 5)" = "someone else" ]; then t_pass runtime_conflict_untouched; else
	t_fail runtime_conflict_untouched "$(getent passwd "${P}sy2")"; fi

"$MXSH" -D "$D" -c "userconfig delete ${P}new" >"$D/del.out" 2>&1
if has "${P}new"; then t_fail runtime_removed "$(cat "$D/del.out")"; else t_pass runtime_removed; fi
t_check runtime_removed_logged wait_for 10 logged "Info: removed system account ${P}new"
t_check datadir_kept test -f "$D/config.db"
# deleting the store's account of an untagged system account leaves that account
"$MXSH" -D "$D" -c "userconfig delete ${P}sys" >/dev/null 2>&1
if [ "$(getent shadow "${P}sys")$(getent passwd "${P}sys")" = "$SYS_BEFORE" ]; then
	t_pass untagged_kept_on_delete
else
	t_fail untagged_kept_on_delete "$(getent passwd "${P}sys")"
fi

# the keeper killed: the next request says so; mail and the daemon go on
if [ -n "$KP" ]; then
	kill -KILL "$KP"
	"$MXSH" -D "$D" -c "userconfig new ${P}k role=guest fullname=\"K\" password=Keeper-Test-1x" >"$D/k.out" 2>&1
	t_check keeper_stopped_said grep -qF "the account keeper has stopped" "$D/k.out"
	if has "${P}k"; then t_fail keeper_stopped_nothing "${P}k made"; else
		t_pass keeper_stopped_nothing; fi
	t_check keeper_stopped_daemon_up up "$D"
fi

gw_stop "$D"

# a fresh start: its keeper goes with mxgated
gw_start "$D"
wait_for 30 up "$D"
GWP=$(cat "$D/gw.pid")
KP=$(pgrep -P "$GWP" -x mxgated-acctd | head -n 1)
# the account of the store is there now (made by the keeper of this start)
if wait_for 30 logged "Info: made system account ${P}k for SSH logins" && made_right "${P}k"; then
	t_pass restart_made
else
	t_fail restart_made "$(getent passwd "${P}k")"
fi
gw_stop "$D"
if [ -n "$KP" ] && ! wait_for 10 sh -c "! kill -0 $KP"; then
	t_fail keeper_ends_with_daemon "keeper $KP still runs"
else
	t_pass keeper_ends_with_daemon
fi

# ---------------------------------------------------------------- not root

as_mxgate() { setpriv --reuid=mxgate --regid=mxgate --clear-groups "$@"; }
chown mxgate:mxgate "$D2"
chmod 700 "$D2"
# not through the function: $! must be mxgated itself (setpriv execs it),
# not a subshell that gw_stop would kill while mxgated ran on
setpriv --reuid=mxgate --regid=mxgate --clear-groups "$MXGATED" -D "$D2" -f \
	>>"$D2/mxgated.out" 2>&1 &
echo $! >"$D2/gw.pid"
T_PIDS="$T_PIDS $!"
wait_for 30 up "$D2"
as_mxgate "$MXSH" -D "$D2" -c "userconfig new ${P}nr role=guest fullname=\"NR\" password=Keeper-Test-1x" >"$D2/nr.out" 2>&1
t_check notroot_said grep -qF "mxgated does not run as root: it cannot make the system accounts for SSH logins" "$D2/nr.out"
if has "${P}nr"; then t_fail notroot_nothing "${P}nr made"; else t_pass notroot_nothing; fi
gw_stop "$D2"

# ---------------------------------------------------------------- setup-ssh.sh

SETUP=$(dirname "$0")/../../daemon/setup-ssh.sh
E=$D/etc
mkdir -p "$BIN"
chmod 755 "$BIN"
cp "$MXSH" "$BIN/mxsh"
chmod 755 "$BIN/mxsh"

# an mxsh under a directory others can write: refused, nothing written
chmod 777 "$BIN"
sh "$SETUP" -D "$D" -m "$BIN/mxsh" -p 2222 -l 127.0.0.1 -e "$E" -s "$SVC" >"$D/s1.out" 2>&1
rc=$?
if [ $rc -ne 0 ] && [ "$(wc -l <"$D/s1.out")" -eq 1 ] &&
	grep -qF "$BIN is writable by its group or by others" "$D/s1.out" &&
	[ ! -e "$E" ] && [ ! -e "/etc/pam.d/$SVC" ]; then
	t_pass setup_unsafe_refused
else
	t_fail setup_unsafe_refused "rc $rc: $(cat "$D/s1.out")"
fi
chmod 755 "$BIN"

sh "$SETUP" -D "$D" -m "$BIN/mxsh" -p "$(free_port)" -l 127.0.0.1 -e "$E" -s "$SVC" \
	>"$D/s2.out" 2>&1
rc=$?
if [ $rc -eq 0 ] && grep -q "done" "$D/s2.out"; then t_pass setup_done; else
	t_fail setup_done "rc $rc: $(cat "$D/s2.out")"; fi
t_check setup_link test "$(readlink "$E/$SVC")" = /usr/sbin/sshd
t_check setup_pam grep -qE "^auth +requisite +pam_exec.so expose_authtok quiet $BIN/mxsh --pam-auth -D $D\$" "/etc/pam.d/$SVC"
t_check setup_keys_command grep -qx "AuthorizedKeysCommand $BIN/mxsh --authorized-keys %u" "$E/sshd_config"
t_check setup_sshd_accepts "$E/$SVC" -t -f "$E/sshd_config"
# the configuration sshd runs with is the one asked for
T=$("$E/$SVC" -T -f "$E/sshd_config" -C user=x,host=x,addr=127.0.0.1 2>/dev/null)
for want in "usepam yes" "authorizedkeyscommanduser mxgate" "permitrootlogin no" \
	"allowgroups mxgate" "disableforwarding yes" "exposeauthinfo yes" "permittunnel no" \
	"authorizedkeysfile none"; do
	if echo "$T" | grep -qix "$want"; then t_pass "setup_option_${want%% *}"; else
		t_fail "setup_option_${want%% *}" "sshd -T has no '$want'"; fi
done
if echo "$T" | grep -qi '^subsystem'; then t_fail setup_no_sftp "$(echo "$T" | grep -i subsystem)"; else
	t_pass setup_no_sftp; fi
KEY1=$(ssh-keygen -l -f "$E/ssh_host_ed25519_key.pub" 2>/dev/null)
sh "$SETUP" -D "$D" -m "$BIN/mxsh" -p 2222 -l 127.0.0.1 -e "$E" -s "$SVC" >/dev/null 2>&1
KEY2=$(ssh-keygen -l -f "$E/ssh_host_ed25519_key.pub" 2>/dev/null)
if [ -n "$KEY1" ] && [ "$KEY1" = "$KEY2" ]; then t_pass setup_key_kept; else
	t_fail setup_key_kept "$KEY1 / $KEY2"; fi

finish
