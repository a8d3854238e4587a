#!/bin/sh
# quarantine_cli.sh - the quarantine commands of mxsh against a real
# DIR/queue.db: showquarantine (every quarantine, one quarantine, text
# cut and made printable), deletequarantine (MIDs, a MID not there, all),
# releasequarantine while mxgated is not running (the request stays in
# queue.db for its start), and quarantineconfig refusing to delete a
# quarantine that holds messages.
#
# queue.db is made by running mxsh once (it creates and migrates it), then
# quarantined messages are put in with sqlite3 as mxgated stores them
# (migration 3 of store/queue.c). No daemon runs: nothing here needs one.
#
# Env: MXSH, MXGATED, TEST_OUT (tests/run.sh). Prints "PASS name" /
# "FAIL name: why"; exits 1 if any failed.
. "$(dirname "$0")/lib.subr"
TZ=UTC
export TZ
N=$T_NAME
d=$(t_dir quarantine_cli)
out=$d/out
mkdir -p "$out"

# sh_run NAME LINE... - mxsh batch commands (not stopping at errors); $rc, out/NAME.out/.err
sh_run() {
	_n=$1
	shift
	for l in "$@"; do set -- "$@" -c "$l"; shift; done
	"$MXSH" -D "$d/data" "$@" </dev/null >"$out/$_n.out" 2>"$out/$_n.err"
	rc=$?
}

# show FILE... - the files, indented, after a FAIL line
show() { for f in "$@"; do sed 's/^/    /' "$f"; done; }

# q_row QNAME MID WHEN SENDER RCPTS SUBJECT SIZE - one quarantined message as SQL;
# RCPTS and SUBJECT are SQL expressions (TAB is char(9), newline char(10))
q_row() {
	printf "INSERT INTO quarantine VALUES ('%s', %s, 0, 7, 0, %s, %s, '%s', %s, %s, " \
	    "$1" "$2" "$3" "$3" "$4" "$5" "$6"
	printf "'filter f%s: quarantine(\"%s\")', 'DEFAULT', 0, '127.0.0.1', 'IncomingMail', " \
	    "$2" "$1"
	printf "'<m%s@x.test>', %s, 1, zeroblob(%s));\n" "$2" "$7" "$7"
}

# rcpt ADDR... - the stored recipients ("addr\tdest\n" each) as an SQL expression
rcpt() {
	_r=""
	for _a in "$@"; do
		_r="$_r${_r:+ || }'$_a' || char(9) || '${_a#*@}' || char(10)"
	done
	echo "$_r"
}

# --- queue.db made by mxsh, a second quarantine committed
sh_run setup 'showquarantine' 'quarantineconfig new Spam size_mb=10' 'commit spam quarantine'
if [ "$rc" = 0 ] && [ -f "$d/data/queue.db" ]; then
	t_pass "$N/setup"
else
	t_fail "$N/setup" "mxsh exit $rc, or no queue.db"
	show "$out/setup.out" "$out/setup.err"
	t_done
fi

long=$(printf 'x%.0s' $(seq 1 80))
{
	echo "BEGIN;"
	q_row Policy 12 1800000200 'b@young.test' "$(rcpt c@example.test d@example.test)" \
	    "'Second'" 2048
	q_row Policy 11 1800000100 '' "$(rcpt e@example.test)" "'Null sender'" 100
	q_row Policy 13 1800000300 'f@evil.test' "$(rcpt g@example.test)" \
	    "'Bell' || char(7) || 'ring $long'" 50
	q_row Spam 14 1800000050 'h@spam.test' "$(rcpt i@example.test)" "'Buy now'" 1024
	echo "COMMIT;"
} >"$out/rows.sql"
if sqlite3 "$d/data/queue.db" <"$out/rows.sql" >"$out/sqlite.err" 2>&1; then
	t_pass "$N/rows_inserted"
else
	t_fail "$N/rows_inserted" "sqlite3: $(cat "$out/sqlite.err")"
	t_done
fi

# --- every quarantine: messages, bytes of the limit, retention, expiry
sh_run all 'showquarantine'
if [ "$rc" = 0 ] &&
    grep -Eq '^Policy +3 +2\.1 KB of 1024 MB +240 hours +Delete$' "$out/all.out" &&
    grep -Eq '^Spam +1 +1\.0 KB of 10 MB +240 hours +Delete$' "$out/all.out"; then
	t_pass "$N/show_all"
else
	t_fail "$N/show_all" "exit $rc; counts, sizes or settings wrong"
	show "$out/all.out" "$out/all.err"
fi

# --- one quarantine (any case): oldest first, <> for the null sender, recipients joined
sh_run one 'showquarantine policy'
mids=$(awk '$1 ~ /^[0-9]+$/ { printf "%s ", $1 }' "$out/one.out")
if [ "$rc" = 0 ] && [ "$mids" = "11 12 13 " ] &&
    grep -q '^Quarantine "Policy": 3 messages, 2\.1 KB of 1024 MB$' "$out/one.out" &&
    grep -Eq '^MID +Quarantined +Sender +Recipients +Subject +Reason$' "$out/one.out" &&
    grep -Eq '^11 +[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9]{2} [0-9:]{8} 2027 +<> +e@example\.test +Null sender +filter f11: quarantine\("Policy"\)$' "$out/one.out" &&
    grep -q 'c@example\.test, d@example\.test' "$out/one.out"; then
	t_pass "$N/show_one"
else
	t_fail "$N/show_one" "exit $rc; MIDs '$mids' (want 11 12 13) or columns wrong"
	show "$out/one.out" "$out/one.err"
fi

# --- a sender's subject: control characters shown as '?', long text cut with "..."
line13=$(grep '^13 ' "$out/one.out")
if printf '%s' "$line13" | grep -q 'Bell?ring xxxx*\.\.\. ' &&
    ! printf '%s' "$line13" | grep -q "$(printf '\007')" &&
    ! printf '%s' "$line13" | grep -q "$long"; then
	t_pass "$N/show_printable_cut"
else
	t_fail "$N/show_printable_cut" "row 13 not cut or not printable: $line13"
fi

sh_run unknown 'showquarantine Nowhere'
if [ "$rc" = 1 ] && grep -qx "There is no quarantine named 'Nowhere'." "$out/unknown.err"; then
	t_pass "$N/show_unknown"
else
	t_fail "$N/show_unknown" "exit $rc"
	show "$out/unknown.out" "$out/unknown.err"
fi

# --- a quarantine holding messages cannot be deleted
sh_run qdel 'quarantineconfig delete spam' 'showchanges'
if [ "$rc" = 1 ] && grep -qx 'Quarantine "Spam" holds 1 message: release or delete it first (releasequarantine, deletequarantine).' "$out/qdel.err" &&
    grep -qx 'No changes have been made since the last commit.' "$out/qdel.out"; then
	t_pass "$N/config_delete_refused"
else
	t_fail "$N/config_delete_refused" "exit $rc"
	show "$out/qdel.out" "$out/qdel.err"
fi

# --- release with mxgated stopped: the request waits in queue.db
sh_run rel 'releasequarantine Policy 12 99'
reqs=$(sqlite3 "$d/data/queue.db" "SELECT verb || ':' || arg FROM requests ORDER BY id")
if [ "$rc" = 1 ] &&
    grep -qx 'mxgated is not running: MID 12 will be released when it starts (queued)' "$out/rel.out" &&
    grep -qx 'MID 99 is not in quarantine "Policy"' "$out/rel.err" &&
    [ "$reqs" = "release:Policy 12" ]; then
	t_pass "$N/release_queued"
else
	t_fail "$N/release_queued" "exit $rc; requests '$reqs'"
	show "$out/rel.out" "$out/rel.err"
fi

sh_run relbad 'releasequarantine Policy 12 x1' 'releasequarantine Nowhere 12' \
    'releasequarantine Policy'
reqs2=$(sqlite3 "$d/data/queue.db" "SELECT count(*) FROM requests")
if [ "$rc" = 1 ] && [ "$reqs2" = 1 ] &&
    grep -qx "Invalid MID 'x1': a message ID is a whole number from 1." "$out/relbad.err" &&
    grep -qx "There is no quarantine named 'Nowhere'." "$out/relbad.err" &&
    grep -q '^Invalid arguments when processing: releasequarantine' "$out/relbad.err"; then
	t_pass "$N/release_refused"
else
	t_fail "$N/release_refused" "exit $rc; $reqs2 requests (want 1)"
	show "$out/relbad.out" "$out/relbad.err"
fi

# --- delete: one line per MID; a MID not there fails the command, the others go
sh_run del 'deletequarantine Policy 11 999 13'
left=$(sqlite3 "$d/data/queue.db" "SELECT group_concat(mid) FROM (SELECT mid FROM quarantine ORDER BY mid)")
if [ "$rc" = 1 ] &&
    grep -qx 'MID 11 deleted from quarantine "Policy"' "$out/del.out" &&
    grep -qx 'MID 13 deleted from quarantine "Policy"' "$out/del.out" &&
    grep -qx 'MID 999 is not in quarantine "Policy"' "$out/del.err" &&
    [ "$left" = "12,14" ]; then
	t_pass "$N/delete_mids"
else
	t_fail "$N/delete_mids" "exit $rc; left '$left' (want 12,14)"
	show "$out/del.out" "$out/del.err"
fi

sh_run delbad 'deletequarantine Policy 12 -3'
left=$(sqlite3 "$d/data/queue.db" "SELECT count(*) FROM quarantine")
if [ "$rc" = 1 ] && [ "$left" = 2 ] &&
    grep -qx "Invalid MID '-3': a message ID is a whole number from 1." "$out/delbad.err"; then
	t_pass "$N/delete_bad_mid_nothing_deleted"
else
	t_fail "$N/delete_bad_mid_nothing_deleted" "exit $rc; $left rows (want 2)"
	show "$out/delbad.out" "$out/delbad.err"
fi

sh_run delall 'deletequarantine SPAM all' 'deletequarantine Spam all' 'showquarantine Spam'
if [ "$rc" = 0 ] &&
    grep -qx 'MID 14 deleted from quarantine "Spam"' "$out/delall.out" &&
    grep -qx '1 message deleted from quarantine "Spam"' "$out/delall.out" &&
    grep -qx 'Quarantine "Spam" is empty.' "$out/delall.out" &&
    grep -qx 'Quarantine "Spam": 0 messages, 0 bytes of 10 MB' "$out/delall.out"; then
	t_pass "$N/delete_all"
else
	t_fail "$N/delete_all" "exit $rc"
	show "$out/delall.out" "$out/delall.err"
fi

# --- the command lines are in cli_logs; abbreviations are refused (typed in full only)
if grep -q 'deletequarantine Policy 11 999 13' "$d/data/logs/cli_logs/cli.current"; then
	t_pass "$N/cli_logs"
else
	t_fail "$N/cli_logs" "no deletequarantine line in cli_logs"
fi
sh_run abbrev 'deletequar Policy 12' 'releasequar Policy 12'
left=$(sqlite3 "$d/data/queue.db" "SELECT count(*) FROM quarantine")
if [ "$rc" = 1 ] && [ "$left" = 1 ] && [ "$(grep -c '^Unknown command' "$out/abbrev.err")" = 2 ]; then
	t_pass "$N/no_abbreviation"
else
	t_fail "$N/no_abbreviation" "exit $rc; $left rows (want 1)"
	show "$out/abbrev.out" "$out/abbrev.err"
fi

t_done
