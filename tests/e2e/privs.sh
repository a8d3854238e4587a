#!/bin/sh
# privs.sh - issue 9, item 1: a local user must not become root through
# the data directory.
#
# The attacker is a real unprivileged process, run with setpriv: the
# daemon's own account mxgate (what a compromised daemon could do), and
# nobody (the account mxgated used to run as, shared with other
# services). Each attack plants a link in the data directory, then root
# starts mxgated or runs mxsh, and the target - a root-only file (mode
# 600) or directory outside the data directory - must be neither written,
# nor handed over, nor printed:
#   - logs/mail_logs/mail.current -> the file: a root start of mxgated
#     refuses to start, saying why;
#   - logs/cli_logs/cli.current -> the file: root's mxsh runs its command
#     and leaves the file alone;
#   - mxgated.pid -> the file: not truncated, the daemon says why;
#   - a rolled mail log, mail.current, and logs/mail_logs itself -> root's
#     files: root's grep, tail and findevent print none of them;
#   - a hard link to a root file (made by root here: fs.protected_hardlinks
#     keeps mxgate from making it, a system without it would not): not
#     handed over at the next root start, and named on stderr.
# The daemon itself runs as mxgate (/proc/PID/status: every uid and gid,
# no groups, NoNewPrivs 1, CAP_NET_BIND_SERVICE alone in the bounding,
# permitted and effective sets); its data directory is mxgate's with
# mode 0700, so nobody cannot even list it; an old data directory owned
# by nobody (with nobody's link planted in it) is refused while the link
# is there, then handed to mxgate. Root's mxsh still records root as the
# user in cli_logs.
#
# Every wait is for an event (the daemon up or gone), with a ceiling.
. "$(dirname "$0")/lib.subr"

as_mxgate() { setpriv --reuid=mxgate --regid=mxgate --clear-groups "$@"; }
as_nobody() { setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups "$@"; }

if [ "$(id -u)" != 0 ]; then
	t_fail setup "privs.sh runs as root (it starts mxgated as root and plays other users)"
	t_done
fi
if ! getent passwd mxgate >/dev/null; then
	t_fail setup "no user mxgate: make test-deps creates it (daemon/account.sh)"
	t_done
fi
MXUID=$(id -u mxgate)

D=$(t_dir privs)
S=$(t_dir privs_secrets)	# root's own files, outside the data directory
chmod 755 "$S"

# secret NAME - a root-only file holding one line naming it; prints its path
secret() {
	printf 'Sun Nov 22 10:15:02 2026 Info: MID 1 ICID 1 From: <SECRET-%s@example.test>\n' "$1" \
		>"$S/$1"
	chmod 600 "$S/$1"
	echo "$S/$1"
}

# print_of FILE - owner, mode and checksum: what must not change
print_of() { echo "$(stat -c '%U %a' "$1") $(sha256sum <"$1")"; }

# alive PID - the process runs (a zombie does not)
alive() { grep -q '^State:[[:space:]]*[^Z]' "/proc/$1/status" 2>/dev/null; }

# up DIR - mxgated on DIR says it runs
up() { "$MXSH" -D "$1" -c status 2>/dev/null | grep -q 'Up since'; }

# settle DIR - until the daemon started on DIR has exited, or is up and
# has become mxgate (the old daemon did that last: it must not be stopped
# before it has walked its data directory)
settle() {
	_p=$(cat "$1/gw.pid")
	wait_for 30 sh -c "! grep -q '^State:[[:space:]]*[^Z]' /proc/$_p/status 2>/dev/null ||
		{ grep -q '^Uid:[[:space:]]*$MXUID[[:space:]]' /proc/$_p/status &&
		'$MXSH' -D '$1' -c status 2>/dev/null | grep -q 'Up since'; }"
}

# unchanged NAME FILE PRINT - the file still has that print, and is root's
unchanged() {
	if [ "$(print_of "$2")" = "$3" ]; then
		t_pass "$1"
	else
		t_fail "$1" "$2 changed: $(stat -c '%U %a %s' "$2"): $(head -c 300 "$2")"
	fi
}

mxsh_do "$D" "dnsconfig servers=127.0.0.1:$(free_port)" "commit privs e2e" >"$D.setup" 2>&1 ||
	t_fail setup "mxsh setup failed: $(cat "$D.setup")"

# ---------------------------------------------------------------- the daemon
gw_start "$D"
settle "$D"
PID=$(cat "$D/gw.pid")
if alive "$PID" && up "$D"; then t_pass daemon_up; else
	t_fail daemon_up "$(tail -3 "$D/mxgated.out")"
	t_done
fi
ST=/proc/$PID/status
want="Uid:	$MXUID	$MXUID	$MXUID	$MXUID"
if grep -qx "$want" "$ST"; then t_pass runs_as_mxgate; else
	t_fail runs_as_mxgate "$(grep '^Uid' "$ST"), want uid $MXUID"
fi
if grep -qx "Gid:	$(id -g mxgate)	$(id -g mxgate)	$(id -g mxgate)	$(id -g mxgate)" "$ST" &&
	grep -qx 'Groups:[[:space:]]*' "$ST"; then t_pass groups_of_mxgate; else
	t_fail groups_of_mxgate "$(grep -E '^(Gid|Groups)' "$ST" | tr '\n' ' ')"
fi
if grep -qx 'NoNewPrivs:	1' "$ST"; then t_pass no_new_privs; else
	t_fail no_new_privs "$(grep '^NoNewPrivs' "$ST")"
fi
caps=$(grep -E '^Cap(Bnd|Prm|Eff|Inh|Amb)' "$ST" | tr '\t\n' '  ')
case "$caps" in
"CapInh: 0000000000000000 CapPrm: 0000000000000400 CapEff: 0000000000000400 CapBnd: 0000000000000400 CapAmb: 0000000000000000 ")
	t_pass only_net_bind_service ;;
*) t_fail only_net_bind_service "$caps" ;;
esac
if [ "$(stat -c '%U %a' "$D")" = "mxgate 700" ]; then t_pass data_dir_mxgate_0700; else
	t_fail data_dir_mxgate_0700 "$(stat -c '%U %a' "$D")"
fi
if ! as_nobody ls "$D" >/dev/null 2>&1 &&
	! as_nobody cat "$D/logs/mail_logs/mail.current" >/dev/null 2>&1; then
	t_pass nobody_kept_out
else
	t_fail nobody_kept_out "nobody can list $D"
fi
gw_stop "$D"

# ---------------------------------------------------------------- writing through links
# a root start with mail.current a link to root's file
F=$(secret mail_current)
P0=$(print_of "$F")
as_mxgate sh -c "rm -f '$D/logs/mail_logs/mail.current' && ln -s '$F' '$D/logs/mail_logs/mail.current'" ||
	t_fail setup "mxgate cannot plant a link in its logs"
: >"$D/mxgated.out"
gw_start "$D"
settle "$D"
gw_stop "$D"
unchanged mail_current_link "$F" "$P0"
if grep -q 'mail.current.*symbolic link' "$D/mxgated.out"; then t_pass mail_current_link_said; else
	t_fail mail_current_link_said "mxgated said: $(tail -2 "$D/mxgated.out")"
fi
rm -f "$D/logs/mail_logs/mail.current"

# root's mxsh with cli.current a link to root's file
F=$(secret cli_current)
P0=$(print_of "$F")
as_mxgate sh -c "rm -f '$D/logs/cli_logs/cli.current' && ln -s '$F' '$D/logs/cli_logs/cli.current'" ||
	t_fail setup "mxgate cannot plant a link in cli_logs"
if "$MXSH" -D "$D" -c version >"$D.version" 2>&1; then t_pass root_mxsh_runs; else
	t_fail root_mxsh_runs "$(cat "$D.version")"
fi
unchanged cli_current_link "$F" "$P0"
rm -f "$D/logs/cli_logs/cli.current"

# a root start with the pid file a link to root's file
F=$(secret pidfile)
P0=$(print_of "$F")
as_mxgate sh -c "rm -f '$D/mxgated.pid' && ln -s '$F' '$D/mxgated.pid'" ||
	t_fail setup "mxgate cannot plant the pid file link"
: >"$D/mxgated.out"
gw_start "$D"
settle "$D"
gw_stop "$D"
unchanged pidfile_link "$F" "$P0"
if grep -q 'mxgated.pid.*symbolic link' "$D/mxgated.out"; then t_pass pidfile_link_said; else
	t_fail pidfile_link_said "mxgated said: $(tail -2 "$D/mxgated.out")"
fi
rm -f "$D/mxgated.pid"

# ---------------------------------------------------------------- reading through links
# saw NAME CMD - root's mxsh ran CMD: nothing secret may be in what it printed
saw() {
	"$MXSH" -D "$D" -c "$2" >"$D.$1.out" 2>&1
	if grep -q SECRET "$D.$1.out"; then
		t_fail "$1" "root's '$2' printed: $(grep SECRET "$D.$1.out" | head -2)"
	else
		t_pass "$1"
	fi
}
L=$D/logs/mail_logs
F=$(secret rolled)
as_mxgate ln -s "$F" "$L/mail.@20260101T000000.s" || t_fail setup "cannot plant a rolled log"
saw grep_rolled_link 'grep SECRET mail_logs'
F2=$(secret current)
as_mxgate sh -c "rm -f '$L/mail.current' && ln -s '$F2' '$L/mail.current'" ||
	t_fail setup "cannot plant mail.current"
saw grep_current_link 'grep SECRET mail_logs'
saw tail_current_link 'tail mail_logs'
saw findevent_link 'findevent -m 1 mail_logs'
rm -f "$L/mail.@20260101T000000.s" "$L/mail.current"

# the log directory itself a link to a root-only directory
mkdir -m 700 "$S/rootdir"
secret dir >/dev/null && mv "$S/dir" "$S/rootdir/mail.current"
as_mxgate sh -c "mv '$L' '$L.away' && ln -s '$S/rootdir' '$L'" || t_fail setup "cannot plant the log directory"
saw grep_dir_link 'grep SECRET mail_logs'
saw tail_dir_link 'tail mail_logs'
saw findevent_dir_link 'findevent -m 1 mail_logs'
if [ -z "$(ls -A "$S/rootdir" | grep -v '^mail.current$')" ]; then t_pass nothing_written_in_root_dir; else
	t_fail nothing_written_in_root_dir "$(ls -A "$S/rootdir")"
fi
rm -f "$L" && mv "$L.away" "$L"

# ---------------------------------------------------------------- a hard link
F=$(secret hardlink)
P0=$(print_of "$F")
if ! as_mxgate ln "$F" "$D/notes" 2>/dev/null; then
	ln "$F" "$D/notes"	# fs.protected_hardlinks stopped mxgate: root stands in
fi
: >"$D/mxgated.out"
gw_start "$D"
settle "$D"
if up "$D"; then t_pass starts_beside_hard_link; else
	t_fail starts_beside_hard_link "$(tail -2 "$D/mxgated.out")"
fi
gw_stop "$D"
unchanged hard_link_not_handed_over "$F" "$P0"
if grep -q 'notes.*hard link' "$D/mxgated.out"; then t_pass hard_link_said; else
	t_fail hard_link_said "mxgated said: $(tail -2 "$D/mxgated.out")"
fi
rm -f "$D/notes"

# ---------------------------------------------------------------- root's mxsh is still root to the logs
if tail -1 "$D/logs/cli_logs/cli.current" 2>/dev/null | grep -q "User root entered" &&
	[ "$(stat -c %U "$D/logs/cli_logs/cli.current")" = mxgate ]; then
	t_pass cli_logs_name_root
else
	t_fail cli_logs_name_root "$(stat -c %U "$D/logs/cli_logs/cli.current" 2>&1): $(tail -1 "$D/logs/cli_logs/cli.current" 2>&1)"
fi

# ---------------------------------------------------------------- a data directory of old, nobody's
O=$(t_dir privs_old)
mxsh_do "$O" "dnsconfig servers=127.0.0.1:$(free_port)" "commit privs e2e old" >"$O.setup" 2>&1 ||
	t_fail setup "mxsh setup failed: $(cat "$O.setup")"
mkdir -p "$O/logs/mail_logs"
chown -R nobody "$O"
chmod 755 "$O"
F=$(secret old_current)
P0=$(print_of "$F")
as_nobody ln -s "$F" "$O/logs/mail_logs/mail.current" || t_fail setup "nobody cannot plant a link"
gw_start "$O"
settle "$O"
gw_stop "$O"
unchanged nobody_link "$F" "$P0"
rm -f "$O/logs/mail_logs/mail.current"
gw_start "$O"
settle "$O"
if up "$O"; then t_pass old_dir_starts; else t_fail old_dir_starts "$(tail -2 "$O/mxgated.out")"; fi
gw_stop "$O"
bad=$(find "$O" ! -user mxgate -printf '%u %p\n' | head -3)
if [ -z "$bad" ] && [ "$(stat -c %a "$O")" = 700 ]; then t_pass old_dir_handed_to_mxgate; else
	t_fail old_dir_handed_to_mxgate "mode $(stat -c %a "$O"); not mxgate's: $bad"
fi
if ! as_nobody ls "$O" >/dev/null 2>&1; then t_pass old_dir_nobody_kept_out; else
	t_fail old_dir_nobody_kept_out "nobody can list $O"
fi

# ---------------------------------------------------------------- a tree too deep to walk
# the account can make a tree deeper than the walk goes: a root start
# leaves it as it is and starts anyway, rather than let it stop the start
as_mxgate sh -c "cd '$D' && i=0 && while [ \$i -lt 40 ]; do mkdir d && cd d && i=\$((i + 1)); done" ||
	t_fail setup "mxgate cannot make a deep tree"
: >"$D/mxgated.out"
gw_start "$D"
settle "$D"
if up "$D" && grep -q 'levels deep' "$D/mxgated.out"; then t_pass deep_tree_starts; else
	t_fail deep_tree_starts "$(tail -2 "$D/mxgated.out")"
fi
gw_stop "$D"
rm -rf "$D/d"

# ---------------------------------------------------------------- a link planted at SIGHUP
# a rotation moved mail.current away and the account planted a link in its
# place: the reopen on SIGHUP refuses it and says so in the file it keeps
F=$(secret sighup_link)
P0=$(print_of "$F")
gw_start "$D"
settle "$D"
L=$D/logs/mail_logs
mv "$L/mail.current" "$L/mail.rotated"
as_mxgate ln -s "$F" "$L/mail.current" || t_fail setup "mxgate cannot plant a link"
# "Up since" is told before the signal handlers are in place (a SIGHUP
# before them is ignored): signal until it is answered
told=0
i=0
while [ $told = 0 ] && [ $i -lt 30 ]; do
	kill -HUP "$(cat "$D/gw.pid")"
	wait_for 1 grep -q 'mail.current not reopened: a symbolic link is in the way' \
		"$L/mail.rotated" && told=1
	i=$((i + 1))
done
if [ $told = 1 ] && alive "$(cat "$D/gw.pid")"; then
	t_pass sighup_link_told
else
	t_fail sighup_link_told "$(tail -2 "$L/mail.rotated")"
fi
gw_stop "$D"
unchanged sighup_link_target "$F" "$P0"
rm -f "$L/mail.current"
mv "$L/mail.rotated" "$L/mail.current"

# ---------------------------------------------------------------- root's own files for certconfig
# root's mxsh has become mxgate, yet the certificate and key the operator
# names (root's, in a root-only directory) are still read as root, by the
# opener that stayed root (shell/opener.h); a FIFO there is refused
K=$D.rootkeys
mkdir -p "$K" && chmod 700 "$K"
t_ca "$K" && t_cert "$K" gw "DNS:gw.privs.test" && chmod 600 "$K"/* ||
	t_fail setup "openssl could not make the test certificate"
mkfifo "$K/fifo"
if [ "$(stat -c %U "$D")" = mxgate ] &&
    mxsh_do "$D" "certconfig server cert=$K/gw.pem key=$K/gw.key" "commit privs e2e cert" \
	>"$D.cert" 2>&1; then
	t_pass root_files_read_as_root
else
	t_fail root_files_read_as_root "owner $(stat -c %U "$D"): $(cat "$D.cert")"
fi
"$MXSH" -D "$D" -c "certconfig server cert=$K/fifo key=$K/gw.key" >"$D.fifo" 2>&1
if grep -q 'not a regular file' "$D.fifo"; then t_pass root_files_fifo_refused; else
	t_fail root_files_fifo_refused "$(cat "$D.fifo")"
fi

# ---------------------------------------------------------------- root's mxsh hands a root directory over
# A directory only root's mxsh has used is handed to mxgate by the next
# root mxsh, as a root start of mxgated would: nothing a root shell makes
# there afterwards is root's, so a daemon starting meanwhile can open it
# all (a root config.db-wal made while mxgated was starting stopped it).
# Where mxgate could not reach the directory, root stays root.
R=$(t_dir privs_rootdir)
rmdir "$R"
"$MXSH" -D "$R" -e -c "sethostname gw.rootdir.test" -c "commit first" >"$R.first" 2>&1 ||
	t_fail setup "mxsh could not make $R: $(cat "$R.first")"
cp -R "$R" "$R.base"	# root's, for the shells started together below
"$MXSH" -D "$R" -e -c "sethostname gw2.rootdir.test" -c "commit second" >"$R.second" 2>&1
rc=$?
bad=$(find "$R" ! -user mxgate -printf '%u %p\n' | head -3)
if [ $rc = 0 ] && [ -z "$bad" ] && [ "$(stat -c '%U %a' "$R")" = "mxgate 700" ]; then
	t_pass root_dir_handed_over_by_mxsh
else
	t_fail root_dir_handed_over_by_mxsh "exit $rc, owner $(stat -c '%U %a' "$R"); not mxgate's: $bad; $(cat "$R.second")"
fi
if tail -3 "$R/logs/cli_logs/cli.current" 2>/dev/null | grep -q "User root entered"; then
	t_pass root_dir_cli_logs_root
else
	t_fail root_dir_cli_logs_root "$(tail -2 "$R/logs/cli_logs/cli.current" 2>&1)"
fi
# root shells started together on a root directory: the first to hand it
# over gives the directory itself last, so none of the others sees it
# mxgate's and opens a config.db still root's (cli_badinput caught one)
bad=
for round in 1 2 3 4 5 6 7 8 9 10; do
	rm -rf "$R.c$round"
	cp -R "$R.base" "$R.c$round"
	pids=
	for k in 1 2 3 4; do
		"$MXSH" -D "$R.c$round" -c showchanges </dev/null >"$R.c$round.$k" 2>&1 &
		pids="$pids $!"
	done
	k=0
	for p in $pids; do
		k=$((k + 1))
		wait "$p" || bad="$bad round $round shell $k: $(cat "$R.c$round.$k")"
	done
done
if [ -z "$bad" ]; then t_pass root_shells_together; else t_fail root_shells_together "$bad"; fi
# a directory with directories of its own is not a data directory, even
# once a store was made in it: -D named by mistake gives nothing away
N=$(t_dir privs_notdata)
mkdir -p "$N/sub" && echo "root's" >"$N/sub/file" && chmod 755 "$N"
"$MXSH" -D "$N" -c "sethostname gw.notdata.test" -c "commit" </dev/null >"$N.out" 2>&1
"$MXSH" -D "$N" -c "sethostname gw2.notdata.test" -c "commit" </dev/null >>"$N.out" 2>&1	# now with a store
bad=$(find "$N/sub" ! -user root -printf '%u %p\n' | head -3)
if [ -z "$bad" ] && [ "$(stat -c %U "$N")" = root ]; then t_pass no_store_not_handed_over; else
	t_fail no_store_not_handed_over "owner $(stat -c %U "$N"); not root's: $bad"
fi
H=$(t_dir privs_hidden)
chmod 700 "$H"
"$MXSH" -D "$H/data" -e -c "sethostname gw.hidden.test" -c "commit first" >"$H.first" 2>&1 &&
"$MXSH" -D "$H/data" -e -c "sethostname gw2.hidden.test" -c "commit second" >"$H.second" 2>&1
rc=$?
if [ $rc = 0 ] && [ "$(stat -c %U "$H/data")" = root ]; then
	t_pass unreachable_dir_stays_root
else
	t_fail unreachable_dir_stays_root "exit $rc, owner $(stat -c %U "$H/data" 2>&1): $(cat "$H.second")"
fi

t_done
