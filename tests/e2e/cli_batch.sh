#!/bin/sh
# cli_batch.sh - mxsh in batch mode, end to end: the foundation issue's
# "Done when" lines, sessions that see only committed configuration,
# conflicting commits, usage errors, data directory permissions, cli_logs
# and MXGATE_HOME.
#
# Env: MXSH (the binary under test), TEST_OUT (scratch). Prints one
# "PASS name" / "FAIL name: why" line per case; exits 1 if any failed.
top=$(cd "$(dirname "$0")/../.." && pwd)
MXSH=${MXSH:-$top/build/mxsh}
out=${TEST_OUT:-$top/tests/out/plain}/cli_batch
rm -rf "$out"
mkdir -p "$out/home" || exit 2
TZ=UTC
HOME=$out/home
export TZ HOME
unset MXGATE_HOME
user=$(id -un)
failed=0

pass() { echo "PASS cli_batch/$1"; }
fail() {
	echo "FAIL cli_batch/$1: $2"
	failed=1
}
. "$(dirname "$0")/session.subr"

# run NAME ARGS... - mxsh with stdin from /dev/null; $rc, $out/NAME.out/.err
run() {
	n=$1
	shift
	"$MXSH" "$@" </dev/null >"$out/$n.out" 2>"$out/$n.err"
	rc=$?
}

# --- Done when: sethostname + commit first, then commitdetail shows it
d=$out/d1
run d1a -D "$d" -c 'sethostname gw1.example.com' -c 'commit first'
rc1=$rc
run d1b -D "$d" -c commitdetail
if [ "$rc1" = 0 ] && [ "$rc" = 0 ] && grep -qx 'Comment:   first' "$out/d1b.out" &&
    grep -qx '  + setting system.hostname = gw1.example.com' "$out/d1b.out" &&
    grep -q '^Changes committed: ' "$out/d1a.out" && [ ! -s "$out/d1a.err" ]; then
	pass done_commit_comment
else
	fail done_commit_comment "exit $rc1/$rc; commitdetail lacks 'Comment:   first'"
	show "$out/d1a.out" "$out/d1a.err" "$out/d1b.out" "$out/d1b.err"
fi

# --- Done when: routes from standard input, then listed by another shell
d=$out/d2
printf 'smtproutes new example.com 127.0.0.1:2526\ncommit routes\n' |
    "$MXSH" -D "$d" >"$out/d2a.out" 2>"$out/d2a.err"
rc1=$?
run d2b -D "$d" -c 'smtproutes print'
if [ "$rc1" = 0 ] && [ "$rc" = 0 ] &&
    grep -Eq '^example\.com +127\.0\.0\.1:2526$' "$out/d2b.out" && [ ! -s "$out/d2a.err" ]; then
	pass done_routes_stdin
else
	fail done_routes_stdin "exit $rc1/$rc; the committed route is not listed"
	show "$out/d2a.out" "$out/d2a.err" "$out/d2b.out"
fi

# --- an uncommitted change is invisible to another shell; clear drops it
start_session "$d" A
echo 'smtproutes new hidden.example.com 10.0.0.5' >&3
echo 'showchanges' >&3
if wait_for "$out/A.out" 'hidden\.example\.com'; then
	# while A is open, every file of the store is private
	bad=$(find "$d" -type f ! -perm 600 -o -type d ! -perm 700)
	[ -z "$bad" ] && pass store_files_private_while_open ||
	    fail store_files_private_while_open "wrong mode: $(echo $bad)"
	run d2c -D "$d" -c 'smtproutes print' -c showchanges
	if [ "$rc" = 0 ] && ! grep -q hidden "$out/d2c.out" &&
	    grep -q '^example\.com ' "$out/d2c.out" &&
	    grep -qx 'No changes have been made since the last commit.' "$out/d2c.out"; then
		pass uncommitted_invisible
	else
		fail uncommitted_invisible "another shell saw the pending route (exit $rc)"
		show "$out/d2c.out" "$out/d2c.err"
	fi
	echo 'clear' >&3
	echo 'smtproutes print' >&3
	echo 'showchanges' >&3
	end_session
	rca=$rc
	run d2d -D "$d" -c 'smtproutes print'
	if [ "$rca" = 0 ] && [ "$rc" = 0 ] && grep -qx 'Changes cleared: 1 change discarded.' "$out/A.out" &&
	    [ "$(grep -c hidden "$out/A.out")" = 1 ] && ! grep -q hidden "$out/d2d.out" &&
	    grep -qx 'No changes have been made since the last commit.' "$out/A.out" &&
	    [ ! -s "$out/A.err" ]; then
		pass clear_drops_pending
	else
		fail clear_drops_pending "session exit $rca; clear did not drop the route"
		show "$out/A.out" "$out/A.err" "$out/d2d.out"
	fi
else
	fail uncommitted_invisible "session A never showed its pending change"
	show "$out/A.out" "$out/A.err"
	end_session
fi

# --- Done when: a bad domain exits 1 with one error line, store unchanged
sh "$top/tests/helpers/cfgdump.sh" "$d" >"$out/d2.before" 2>&1
run d2e -D "$d" -c 'smtproutes new bad..domain 1.2.3.4'
sh "$top/tests/helpers/cfgdump.sh" "$d" >"$out/d2.after" 2>&1
if [ "$rc" = 1 ] && [ "$(wc -l <"$out/d2e.err")" = 1 ] && [ ! -s "$out/d2e.out" ] &&
    grep -q "bad\.\.domain" "$out/d2e.err" && cmp -s "$out/d2.before" "$out/d2.after"; then
	pass done_bad_domain
else
	fail done_bad_domain "exit $rc, $(wc -l <"$out/d2e.err") stderr lines"
	show "$out/d2e.out" "$out/d2e.err"
fi

# --- usage errors exit 2 and touch nothing
ok=1
for args in "-x" "extra-word" "-D" "-c" "-e extra-word"; do
	# shellcheck disable=SC2086
	"$MXSH" -D "$out/usage" $args </dev/null >"$out/usage.out" 2>"$out/usage.err"
	rc=$?
	if [ "$rc" != 2 ] || ! grep -q '^usage: mxsh ' "$out/usage.err" ||
	    [ -s "$out/usage.out" ]; then
		fail "usage_exit_2" "mxsh $args exited $rc"
		show "$out/usage.out" "$out/usage.err"
		ok=0
	fi
done
if [ -e "$out/usage" ]; then
	fail usage_creates_nothing "a usage error created the data directory"
else
	pass usage_creates_nothing
fi
[ $ok = 1 ] && pass usage_exit_2

# --- the data directory is 0700 and its files 0600, whatever the umask
d=$out/perm/sub/d
(umask 000 && "$MXSH" -D "$d" -c 'sethostname gw1.example.com' -c 'commit perms' \
    </dev/null >"$out/perm.out" 2>&1)
rc=$?
dmode=$(stat -c %a "$d" 2>/dev/null)
fmode=$(stat -c %a "$d/config.db" 2>/dev/null)
bad=$(find "$d" -type f ! -perm 600 -o -type d ! -perm 700 2>/dev/null)
if [ "$rc" = 0 ] && [ "$dmode" = 700 ] && [ "$fmode" = 600 ] && [ -z "$bad" ]; then
	pass data_dir_modes
else
	fail data_dir_modes "exit $rc, dir $dmode, config.db $fmode, other: $(echo $bad)"
	show "$out/perm.out"
fi

# --- cli_logs: one line per command line, with the user and the line
d=$out/logs
log=$d/logs/cli_logs/cli.current
run logs1 -D "$d" -c 'sethostname gw1.example.com' -c 'smtproutes print' -c 'bogus word'
printf '%s\n' '# a comment is not a command' '' 'sethostname gw2.example.com' 'commit' \
    'the answer is not logged' 'smtp print' | "$MXSH" -D "$d" >"$out/logs2.out" 2>"$out/logs2.err"
date_re='[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-3][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} [0-9]{4}'
ok=1
# a line naming no command given with -c is recorded by its first word
# only (over SSH it is the client's command: an escape attempt); read
# from stdin or at the prompt, by its length only (it may be a password)
for line in "'sethostname gw1.example.com'" "'smtproutes print'" \
    "'bogus ...' (unknown command)" \
    "'sethostname gw2.example.com'" "'commit'" "'smtp print'"; do
	if [ "$(grep -Fc "User $user entered $line; session " "$log")" != 1 ]; then
		fail cli_logs_lines "no single line for $line"
		ok=0
	fi
done
if [ "$(grep -Ec "^$date_re Info: PID [0-9]+: User $user entered '.*'( \(unknown command\))?; session [0-9]+ from console\$" "$log")" != 6 ]; then
	fail cli_logs_lines "not 6 lines of the AsyncOS shape"
	ok=0
fi
if [ "$(wc -l <"$log")" != 6 ]; then
	fail cli_logs_lines "$(wc -l <"$log") lines for 6 commands"
	ok=0
fi
if grep -q 'answer is not logged\|a comment' "$log"; then
	fail cli_logs_lines "an answer or a comment was logged as a command"
	ok=0
fi
[ $ok = 1 ] && pass cli_logs_lines || show "$log"

# --- MXGATE_HOME is the data directory when -D is not given; -D wins
MXGATE_HOME=$out/envhome "$MXSH" -c 'sethostname gw9.example.com' -c 'commit via env' \
    </dev/null >"$out/env1.out" 2>&1
rc1=$?
run env2 -D "$out/envhome" -c commitdetail
MXGATE_HOME=$out/envother "$MXSH" -D "$out/envhome" -c commitdetail \
    </dev/null >"$out/env3.out" 2>&1
rc3=$?
if [ "$rc1" = 0 ] && [ "$rc" = 0 ] && [ "$rc3" = 0 ] &&
    grep -qx 'Comment:   via env' "$out/env2.out" &&
    grep -qx 'Comment:   via env' "$out/env3.out" && [ ! -e "$out/envother" ]; then
	pass mxgate_home
else
	fail mxgate_home "exit $rc1/$rc/$rc3; MXGATE_HOME not honoured or -D not preferred"
	show "$out/env1.out" "$out/env2.out" "$out/env3.out"
fi

# --- two operators' accounts (root acting as each with -u): the refused
# commit names the operator whose commit won and its number; commitdetail
# and rollbackconfig name who committed (issue 11)
d=$out/ops
run o0 -D "$d" -e -c 'userconfig new opa role=operator fullname="Op A"' \
    -c 'userconfig new opb role=operator fullname="Op B"' \
    -c 'smtproutes new example.com 10.0.0.1' -c 'commit base'
start_session "$d" OA -u opa
echo 'smtproutes edit example.com 10.0.0.9' >&3
echo 'showchanges' >&3
if [ "$rc" = 0 ] && wait_for "$out/OA.out" 'example\.com = 10\.0\.0\.9'; then
	run o1 -D "$d" -u opb -c 'smtproutes edit example.com 10.0.0.8' -c 'commit by opb'
	rcb=$rc
	n=$(sed -n 's/^Changes committed: .*[Cc]ommit \([0-9][0-9]*\).*/\1/p' "$out/o1.out")
	echo 'commit by opa' >&3
	end_session
	rca=$rc
	run o2 -D "$d" -c commitdetail -c rollbackconfig
	if [ "$rcb" = 0 ] && [ "$rca" = 1 ] &&
	    grep -q "^Commit failed: .*smtproutes example\.com was changed by opb in commit [0-9]" \
	    "$out/OA.err" &&
	    grep -qx 'User:      opb' "$out/o2.out" &&
	    grep -Eq '^ +[0-9]+  .*  opb +  by opb$' "$out/o2.out"; then
		pass commit_conflict_names_operator
	else
		fail commit_conflict_names_operator "opb exit $rcb, opa exit $rca ($n)"
		show "$out/o1.out" "$out/OA.err" "$out/o2.out"
	fi
else
	fail commit_conflict_names_operator "the accounts were not made or opa never showed its change"
	show "$out/o0.out" "$out/o0.err" "$out/OA.out" "$out/OA.err"
	end_session
fi

# --- a conflicting commit: A stages an edit, B commits an edit of the same
# route, A's commit is refused naming the route and A keeps its change
d=$out/conflict
run c0 -D "$d" -c 'smtproutes new example.com 10.0.0.1' \
    -c 'smtproutes new other.example.com 10.0.0.1' -c 'commit base'
start_session "$d" CA
echo 'smtproutes edit example.com 10.0.0.9' >&3
echo 'showchanges' >&3
if wait_for "$out/CA.out" 'example\.com = 10\.0\.0\.9'; then
	run c1 -D "$d" -c 'smtproutes edit example.com 10.0.0.8' -c 'commit by B'
	rcb=$rc
	echo 'commit by A' >&3
	echo 'showchanges' >&3
	end_session
	rca=$rc
	run c2 -D "$d" -c 'smtproutes print' -c commitdetail
	# "(was: 10.0.0.8)": A's showchanges after B's commit still lists A's edit
	if [ "$rcb" = 0 ] && [ "$rca" = 1 ] && [ "$rc" = 0 ] &&
	    [ "$(wc -l <"$out/CA.err")" = 2 ] &&
	    grep -q '^Commit failed: .*smtproutes example\.com' "$out/CA.err" &&
	    grep -q '^Warning: 1 uncommitted change discarded\.$' "$out/CA.err" &&
	    grep -q '^  ~ smtproutes example\.com = 10\.0\.0\.9 (was: 10\.0\.0\.8)$' "$out/CA.out" &&
	    grep -Eq '^example\.com +10\.0\.0\.8$' "$out/c2.out" &&
	    grep -qx 'Comment:   by B' "$out/c2.out"; then
		pass commit_conflict
	else
		fail commit_conflict "B exit $rcb, A exit $rca; A was not refused or lost its change"
		show "$out/CA.out" "$out/CA.err" "$out/c2.out"
	fi
else
	fail commit_conflict "session A never showed its pending change"
	show "$out/CA.out" "$out/CA.err"
	end_session
fi

# --- no conflict when the sessions touch different items
start_session "$d" CB
echo 'smtproutes edit other.example.com 10.0.0.7' >&3
echo 'showchanges' >&3
if wait_for "$out/CB.out" 'other\.example\.com = 10\.0\.0\.7'; then
	run c3 -D "$d" -c 'smtproutes edit example.com 10.0.0.6' -c 'commit by B again'
	rcb=$rc
	echo 'commit by A again' >&3
	end_session
	rca=$rc
	run c4 -D "$d" -c 'smtproutes print'
	if [ "$rcb" = 0 ] && [ "$rca" = 0 ] && [ "$rc" = 0 ] && [ ! -s "$out/CB.err" ] &&
	    grep -Eq '^example\.com +10\.0\.0\.6$' "$out/c4.out" &&
	    grep -Eq '^other\.example\.com +10\.0\.0\.7$' "$out/c4.out"; then
		pass commit_no_conflict_other_item
	else
		fail commit_no_conflict_other_item "B exit $rcb, A exit $rca"
		show "$out/CB.out" "$out/CB.err" "$out/c4.out"
	fi
else
	fail commit_no_conflict_other_item "session A never showed its pending change"
	end_session
fi

# --- two shells committing at the same time lose nothing
d=$out/race
run r0 -D "$d" -c version
for who in a b; do
	(
		i=1
		while [ $i -le 10 ]; do
			echo "smtproutes new $who$i.example.com 10.0.0.$i"
			echo "commit $who $i"
			i=$((i + 1))
		done
	) | "$MXSH" -D "$d" >"$out/race.$who.out" 2>"$out/race.$who.err" &
done
wait
run r1 -D "$d" -c 'smtproutes print' -c commitdetail
n=$(grep -c '^[ab][0-9]*\.example\.com ' "$out/r1.out")
if [ "$n" = 20 ] && grep -qx 'Commit:    20' "$out/r1.out" && [ ! -s "$out/race.a.err" ] &&
    [ ! -s "$out/race.b.err" ]; then
	pass concurrent_commits
else
	fail concurrent_commits "$n of 20 routes after 20 concurrent commits"
	show "$out/race.a.err" "$out/race.b.err" "$out/r1.out"
fi

exit $failed
