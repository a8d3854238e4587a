#!/bin/sh
# commit_rules.sh - the cross-item rules are checked again at commit, on
# the merged configuration (issue 8, "Domain rules below the shell, and
# checked at commit"): two mxsh processes on one data directory, each
# staging a change that is fine alone, cannot commit together what breaks
# a rule. The second commit is refused with one error line naming the
# rule; config.db is unchanged and the session keeps its candidate.
#
#   - session A stages a new global intake address in another domain;
#     B gives a policy (then DEFAULT) a custom address in the old domain
#     and commits; A's commit is refused;
#   - session A stages the Email Threat Defense API while the connector is
#     on; B disables the connector and commits; A's commit is refused.
#
# Env: MXSH (the binary under test), TEST_OUT (scratch). Prints one
# "PASS commit_rules/name" / "FAIL commit_rules/name: why" line per case;
# exits 1 if any failed.
top=$(cd "$(dirname "$0")/../.." && pwd)
MXSH=${MXSH:-$top/build/mxsh}
out=${TEST_OUT:-$top/tests/out/plain}/commit_rules
rm -rf "$out"
mkdir -p "$out/home" || exit 2
TZ=UTC
HOME=$out/home
export TZ HOME
unset MXGATE_HOME
failed=0

pass() { echo "PASS commit_rules/$1"; }
fail() {
	echo "FAIL commit_rules/$1: $2"
	failed=1
}
. "$(dirname "$0")/session.subr"

# mx NAME DIR LINE... - a second session B: mxsh -D DIR -c LINE...; $rc
mx() {
	n=$1 d=$2
	shift 2
	cnt=$#
	i=0
	while [ $i -lt $cnt ]; do
		l=$1
		shift
		set -- "$@" -c "$l"
		i=$((i + 1))
	done
	"$MXSH" -D "$d" "$@" </dev/null >"$out/$n.out" 2>"$out/$n.err"
	rc=$?
}
# dump DIR - the persistent configuration, for before/after comparisons
dump() { sh "$top/tests/helpers/cfgdump.sh" "$1"; }

command -v sqlite3 >/dev/null || { fail setup "sqlite3 not installed"; exit 1; }

# refused NAME SESSION PATTERN - A's commit was refused by the rule PATTERN:
# one error line, config.db as before, A's candidate still pending
refused() {
	if [ "$rc" = 1 ] && [ "$(grep -c '^Commit failed: ' "$out/$2.err")" = 1 ] &&
	    grep -q "^Commit failed: .*$3.* Nothing was committed; your changes are kept" \
	    "$out/$2.err" && grep -q '^Pending changes (' "$out/$2.out" &&
	    cmp -s "$out/$1.before" "$out/$1.after" &&
	    ! grep -q '^Changes committed' "$out/$2.out"; then
		pass "$1"
	else
		fail "$1" "session A exit $rc; its commit was not refused by the rule, or something changed"
		show "$out/$2.out" "$out/$2.err"
		diff "$out/$1.before" "$out/$1.after" | head -10 | sed 's/^/    /'
	fi
}

# ------------------------------------------------- custom address vs. global domain
d=$out/domain
mx d0 "$d" 'policyconfig incoming new sales recipients=@sales.example.test' \
    'tdcconfig setup enable=yes intake_address=journal@intake.test' 'commit base'
[ "$rc" = 0 ] || { fail setup "base configuration: exit $rc"; show "$out/d0.out" "$out/d0.err"; }
start_session "$d" A1
echo 'tdcconfig setup intake_address=journal@other.test' >&3
echo 'showchanges' >&3
if wait_for "$out/A1.out" 'tdc.intake_address = journal@other.test'; then
	mx d1 "$d" 'policyconfig incoming edit sales tdc=custom:a@intake.test' 'commit custom'
	rcb=$rc
	dump "$d" >"$out/custom_vs_global.before"
	echo 'commit new global address' >&3
	echo 'showchanges' >&3
	end_session
	dump "$d" >"$out/custom_vs_global.after"
	if [ "$rcb" != 0 ]; then
		fail custom_vs_global "session B could not commit the custom address (exit $rcb)"
		show "$out/d1.out" "$out/d1.err"
	else
		refused custom_vs_global A1 'incoming policy sales has the custom intake address a@intake\.test, .*journal@other\.test'
	fi
else
	fail custom_vs_global "session A never showed its pending change"
	show "$out/A1.out" "$out/A1.err"
	end_session
fi

# ------------------------------------------------- DEFAULT's custom address, the same
mx d1b "$d" 'policyconfig incoming edit sales tdc=default' 'commit sales back to default'
start_session "$d" A2
echo 'tdcconfig setup intake_address=journal@elsewhere.test' >&3
echo 'showchanges' >&3
if wait_for "$out/A2.out" 'tdc.intake_address = journal@elsewhere.test'; then
	mx d2 "$d" 'policyconfig incoming edit DEFAULT tdc=custom:d@intake.test' \
	    'commit DEFAULT custom'
	rcb=$rc
	dump "$d" >"$out/default_custom_vs_global.before"
	echo 'commit new global address' >&3
	echo 'showchanges' >&3
	end_session
	dump "$d" >"$out/default_custom_vs_global.after"
	if [ "$rcb" != 0 ]; then
		fail default_custom_vs_global "session B could not commit DEFAULT's custom address (exit $rcb)"
		show "$out/d2.out" "$out/d2.err"
	else
		refused default_custom_vs_global A2 'incoming policy DEFAULT has the custom intake address d@intake\.test'
	fi
else
	fail default_custom_vs_global "session A never showed its pending change"
	end_session
fi

# ------------------------------------------------- the cascade: API without the connector
start_session "$d" A3
echo 'tdcconfig setup api=yes client_id=cid client_secret=pw-secret-value api_key=key-secret-value' >&3
echo 'showchanges' >&3
if wait_for "$out/A3.out" 'tdc.api = yes'; then
	mx d3 "$d" 'tdcconfig disable connector' 'commit connector off'
	rcb=$rc
	dump "$d" >"$out/api_vs_disabled.before"
	echo 'commit API' >&3
	echo 'showchanges' >&3
	end_session
	dump "$d" >"$out/api_vs_disabled.after"
	if [ "$rcb" != 0 ]; then
		fail api_vs_disabled "session B could not disable the connector (exit $rcb)"
		show "$out/d3.out" "$out/d3.err"
	elif grep -q 'secret-value' "$out/A3.out" "$out/A3.err"; then
		fail api_vs_disabled "a secret was printed"
	else
		refused api_vs_disabled A3 'Email Threat Defense API needs the Threat Defense Connector'
	fi
else
	fail api_vs_disabled "session A never showed its pending change"
	end_session
fi

# ------------------------------------------------- a commit that breaks nothing still works
mx d4 "$d" 'policyconfig incoming edit DEFAULT tdc=no' \
    'tdcconfig setup enable=yes intake_address=journal@other.test' 'commit move the intake'
if [ "$rc" = 0 ] && grep -q '^Changes committed' "$out/d4.out"; then
	pass rules_kept_commit_ok
else
	fail rules_kept_commit_ok "exit $rc"
	show "$out/d4.out" "$out/d4.err"
fi

exit $failed
