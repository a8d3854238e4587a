#!/bin/sh
# users_cli.sh - the account commands of mxsh against real processes:
#   - who lists a live session held open by another mxsh, and once that
#     mxsh is killed (no chance to close its row) who no longer lists it
#     and its row is gone from config.db;
#   - passwd run by the data directory's owner (not root) as an account
#     asks the old password: a wrong one changes nothing, the right one
#     lets the new one in (checked by a second change with it);
#   - last: the login record newest first (logins with their logout,
#     still open, or gone; failures and locks), last NAME and last N;
#   - userconfig new/delete with mxgated running: the "accounts" request
#     is taken (no "not running" warning, no timeout), and the keeper's
#     outcome is printed as Warning lines; without mxgated the warning
#     says it is not running.
#
# The account made while mxgated runs (as root, so its keeper makes a
# system account) has a name no machine has by accident and is removed
# again, by userconfig delete and, should that fail, by the EXIT trap.
#
# Env: MXSH, MXGATED, TEST_OUT (tests/run.sh). Prints "PASS name" /
# "FAIL name: why"; exits 1 if any failed.
. "$(dirname "$0")/lib.subr"
TZ=UTC
export TZ
N=$T_NAME
d=$(t_dir users_cli)
data=$d/data
out=$d/out
mkdir -p "$out"
acct=zqh5t$$
trap 'userdel "$acct" >/dev/null 2>&1; t_done' EXIT INT TERM

show() { for f in "$@"; do sed 's/^/    /' "$f"; done; }

# ---------------------------------------------------------------- who
"$MXSH" -D "$data" -c 'userconfig new bob role=operator fullname="Bob Smith" password=Blue-Sky-42' \
    >"$out/setup.out" 2>&1 || { t_fail "$N/setup" "userconfig new"; show "$out/setup.out"; }
mkfifo "$d/hold"
"$MXSH" -D "$data" <"$d/hold" >"$out/held.out" 2>&1 &
held=$!
T_PIDS="$T_PIDS $held"
exec 3>"$d/hold"
# who_rows - the data rows of `who` (not the heading)
who_rows() { "$MXSH" -D "$data" -c who 2>&1 | grep -c ' cli '; }
if wait_for 20 sh -c "[ \"\$(\"$MXSH\" -D \"$data\" -c who | grep -c ' cli ')\" -ge 2 ]"; then
	t_pass "$N/who_lists_open_session"
else
	t_fail "$N/who_lists_open_session" "who shows $(who_rows) rows, want 2"
	"$MXSH" -D "$data" -c who >"$out/who1.out" 2>&1
	show "$out/who1.out"
fi
# ---------------------------------------------------------------- last
# the login record as mxsh writes it (migration 3 of store/db.c), with
# times of 2026-11-30 UTC; the held session's login is still open
t0=1796000000
sid=$(sqlite3 "$data/config.db" "SELECT id FROM sessions WHERE pid = $held")
sqlite3 "$data/config.db" "
INSERT INTO logins (time, user, event, origin, method, session, detail) VALUES
 ($t0, 'bob', 'login', '10.0.0.9 port 5000', 'password', 900, ''),
 ($t0 + 302, 'bob', 'logout', '10.0.0.9 port 5000', '', 900, 'idle timeout'),
 ($t0 + 400, 'carol', 'failed', '10.0.0.7 port 6000', 'password', 0, ''),
 ($t0 + 401, 'carol', 'locked', '10.0.0.7 port 6000', '', 0, ''),
 ($t0 + 402, 'carol', 'failed', '10.0.0.7 port 6001', 'password', 0, 'locked'),
 ($t0 + 500, 'bob', 'login', '10.0.0.9 port 5001', 'publickey', 901, ''),
 ($t0 + 600, 'root', 'login', 'console', 'console', ${sid:-0}, '');"
"$MXSH" -D "$data" -c last >"$out/last.out" 2>&1
cat >"$out/last.want" <<'LEOF'
Username  Remote Host  Login Time                Logout Time               Total Time
root      console      Mon Nov 30 01:03:20 2026  still logged in
bob       10.0.0.9     Mon Nov 30 01:01:40 2026  gone - no logout          -
carol     10.0.0.7     Mon Nov 30 01:00:02 2026  refused: account locked   -
carol     10.0.0.7     Mon Nov 30 01:00:01 2026  account locked            -
carol     10.0.0.7     Mon Nov 30 01:00:00 2026  failed password           -
bob       10.0.0.9     Mon Nov 30 00:53:20 2026  Mon Nov 30 00:58:22 2026  5m 2s (idle timeout)
LEOF
# the open session's total time grows: compared without it
sed 's/still logged in .*/still logged in/' "$out/last.out" >"$out/last.got"
if diff -u "$out/last.want" "$out/last.got" >"$out/last.diff"; then
	t_pass "$N/last_record"
else
	t_fail "$N/last_record" "last differs (- expected, + got)"
	show "$out/last.diff"
fi
"$MXSH" -D "$data" -c 'last bob' -c 'last 2' -c 'last 1 carol' >"$out/last2.out" 2>&1
# last bob: 2 rows; last 2: root and bob; last 1 carol: the lock
if [ "$(grep -c '^bob ' "$out/last2.out")" = 3 ] &&
    [ "$(grep -c '^carol .*account locked' "$out/last2.out")" = 1 ] &&
    [ "$(grep -c '^Username' "$out/last2.out")" = 3 ] && [ "$(wc -l <"$out/last2.out")" = 8 ]; then
	t_pass "$N/last_filters"
else
	t_fail "$N/last_filters" "last bob / last 2 / last 1 carol"
	show "$out/last2.out"
fi

kill -9 "$held"
wait "$held" 2>/dev/null
exec 3>&-
"$MXSH" -D "$data" -c who >"$out/who2.out" 2>&1
if [ "$(grep -c ' cli ' "$out/who2.out")" = 1 ] && grep -q '(this session)' "$out/who2.out"; then
	t_pass "$N/who_drops_dead_session"
else
	t_fail "$N/who_drops_dead_session" "who after kill -9"
	show "$out/who2.out"
fi
left=$(sqlite3 "$data/config.db" "SELECT count(*) FROM sessions WHERE pid = $held")
if [ "$left" = 0 ]; then
	t_pass "$N/who_prunes_row"
else
	t_fail "$N/who_prunes_row" "$left sessions rows of pid $held left"
fi
if "$MXSH" -D "$data" -c last 2>&1 | grep -q '^root .*gone - no logout'; then
	t_pass "$N/last_killed_session"
else
	t_fail "$N/last_killed_session" "the killed session is not 'gone - no logout'"
fi

# ---------------------------------------------------------------- passwd, old password
owner=65534
chown -R "$owner:$owner" "$data"
# as_owner LINE... - mxsh as the data directory's owner acting as bob, answers on stdin
as_owner() {
	setpriv --reuid=$owner --regid=$owner --clear-groups "$MXSH" -D "$data" -u bob
}
printf 'passwd\nWrong-Pass-1\n' | as_owner >"$out/pw1.out" 2>&1
rc=$?
if [ $rc != 0 ] && grep -q 'The old password is not correct' "$out/pw1.out"; then
	t_pass "$N/passwd_wrong_old"
else
	t_fail "$N/passwd_wrong_old" "exit $rc"
	show "$out/pw1.out"
fi
printf 'passwd\nBlue-Sky-42\nGreen-Tree-7\nGreen-Tree-7\n' | as_owner >"$out/pw2.out" 2>&1
rc=$?
if [ $rc = 0 ] && grep -q 'Password changed' "$out/pw2.out"; then
	t_pass "$N/passwd_right_old"
else
	t_fail "$N/passwd_right_old" "exit $rc"
	show "$out/pw2.out"
fi
printf 'passwd\nBlue-Sky-42\n' | as_owner >"$out/pw3.out" 2>&1
printf 'passwd\nGreen-Tree-7\nRed-Roof-19\nRed-Roof-19\n' | as_owner >"$out/pw4.out" 2>&1
rc=$?
if grep -q 'The old password is not correct' "$out/pw3.out" && [ $rc = 0 ]; then
	t_pass "$N/passwd_new_is_current"
else
	t_fail "$N/passwd_new_is_current" "the old one still works or the new one does not"
	show "$out/pw3.out" "$out/pw4.out"
fi

# ---------------------------------------------------------------- accounts request
d2=$(t_dir users_cli_gw)
"$MXSH" -D "$d2" -c 'version' >/dev/null 2>&1
"$MXSH" -D "$d2" -c "userconfig new $acct role=guest fullname=\"T\"" >"$out/nogw.out" 2>&1
if grep -q "Warning: mxgated is not running; $acct can log in over SSH once it has started." \
    "$out/nogw.out"; then
	t_pass "$N/sync_not_running"
else
	t_fail "$N/sync_not_running" "no warning"
	show "$out/nogw.out"
fi
"$MXSH" -D "$d2" -c "userconfig delete $acct" >/dev/null 2>&1
# accounts_state - the keeper's last outcome; read-only: sqlite3 must not make queue.db
accounts_state() {
	[ -s "$d2/queue.db" ] &&
	    sqlite3 "file:$d2/queue.db?mode=ro" "SELECT value FROM state WHERE name='accounts'" 2>/dev/null
}
gw_start "$d2"
if ! wait_for 20 sh -c "[ -s '$d2/queue.db' ] && [ -n \"\$(sqlite3 'file:$d2/queue.db?mode=ro' \"SELECT value FROM state WHERE name='accounts'\" 2>/dev/null)\" ]"; then
	t_fail "$N/gw_start" "mxgated wrote no accounts outcome"
	show "$d2/mxgated.out"
fi
"$MXSH" -D "$d2" -c "userconfig new $acct role=guest fullname=\"T\"" >"$out/gw_new.out" 2>&1
rc=$?
state=$(accounts_state)
if [ $rc = 0 ] && grep -q "User $acct created" "$out/gw_new.out" &&
    ! grep -q 'not running\|has not taken' "$out/gw_new.out" &&
    { [ "$state" = ok ] && ! grep -q Warning "$out/gw_new.out" ||
      grep -qF "Warning: $(echo "$state" | head -1)" "$out/gw_new.out"; }; then
	t_pass "$N/sync_new"
else
	t_fail "$N/sync_new" "exit $rc, outcome '$state'"
	show "$out/gw_new.out"
fi
"$MXSH" -D "$d2" -c "userconfig delete $acct" >"$out/gw_del.out" 2>&1
rc=$?
if [ $rc = 0 ] && grep -q "User $acct deleted" "$out/gw_del.out" &&
    ! grep -q 'not running\|has not taken' "$out/gw_del.out"; then
	t_pass "$N/sync_delete"
else
	t_fail "$N/sync_delete" "exit $rc"
	show "$out/gw_del.out"
fi
gw_stop "$d2"
t_done
