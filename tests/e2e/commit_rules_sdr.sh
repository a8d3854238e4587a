#!/bin/sh
# commit_rules_sdr.sh - the rules that tie issue 10's configuration items
# together, with two mxsh processes on one data directory, each staging a
# change that is fine alone (see commit_rules.sh for the pattern):
#
#   - cfilter_gone: session A gives an incoming policy a content filter;
#     B deletes that filter and commits; A's commit is refused, naming
#     the policy and the filter (mail/confcheck.c);
#   - exception_list_gone: A makes an address list the SDR exception
#     list; B deletes the list and commits; A's commit is refused;
#   - exception_list_not_domains: A makes a list the SDR exception list;
#     B gives the list an address and commits; A's commit is refused;
#   - filter_list_not_domains: A gives a list an address; B adds a
#     message filter whose sdr-reputation rule names that list as its
#     exception list and commits; A's commit goes through (AsyncOS does
#     not refuse it) and the filter is marked invalid, saying why
#     (mail/filterconf.c);
#   - edit_refused_filter / edit_refused_cfilter: B commits a message
#     (content) filter naming a list as its exception list; A, open all
#     along, then tries to give the list an address: refused at once,
#     one line naming the filter, nothing staged
#     (commands/cmd_addresslistconfig.c);
#   - bootstrap_summed_up: showchanges and commitdetail name an RDAP
#     bootstrap file of thousands of bytes in one short line
#     (commands/cmd_util.c).
#
# A refused commit: one "Commit failed:" line naming the rule, config.db
# unchanged, the session's changes still pending.
#
# Env: MXSH (the binary under test), TEST_OUT (scratch). Prints one
# "PASS commit_rules_sdr/name" / "FAIL commit_rules_sdr/name: why" line
# per case; exits 1 if any failed.
top=$(cd "$(dirname "$0")/../.." && pwd)
MXSH=${MXSH:-$top/build/mxsh}
out=${TEST_OUT:-$top/tests/out/plain}/commit_rules_sdr
rm -rf "$out"
mkdir -p "$out/home" || exit 2
TZ=UTC
HOME=$out/home
export TZ HOME
unset MXGATE_HOME
failed=0
PY=/usr/bin/python3

pass() { echo "PASS commit_rules_sdr/$1"; }
fail() {
	echo "FAIL commit_rules_sdr/$1: $2"
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

# two_sessions NAME A-LINE A-WAIT B-LINE... - session A stages A-LINE and
# shows it (A-WAIT: what its showchanges prints), B runs its lines (the
# last one a commit), then A commits; dumps of config.db around A's commit
two_sessions() {
	name=$1 aline=$2 await=$3
	shift 3
	start_session "$d" "$name.A"
	echo "$aline" >&3
	echo 'showchanges' >&3
	if ! wait_for "$out/$name.A.out" "$await"; then
		end_session
		fail "$name" "session A never showed its pending change"
		show "$out/$name.A.out" "$out/$name.A.err"
		return 1
	fi
	mx "$name.B" "$d" "$@"
	rcb=$rc
	dump "$d" >"$out/$name.before"
	echo "commit $name" >&3
	echo 'showchanges' >&3
	end_session
	dump "$d" >"$out/$name.after"
	if [ "$rcb" != 0 ]; then
		fail "$name" "session B could not commit (exit $rcb)"
		show "$out/$name.B.out" "$out/$name.B.err"
		return 1
	fi
	return 0
}

d=$out/data
cat >"$out/cf.txt" <<'EOF'
cf1: if sdr-unscannable("") { log-entry("SDR unscannable"); }
EOF
mx base "$d" 'policyconfig incoming new sales recipients=@sales.example.test' \
    "contentfilters import $out/cf.txt" \
    'addresslistconfig new exc1 domains=@a.test' \
    'addresslistconfig new exc2 domains=@a.test,@.b.test' \
    'addresslistconfig new exc3 domains=@a.test' \
    'addresslistconfig new exc4 domains=@a.test' 'commit base'
[ "$rc" = 0 ] || { fail setup "base configuration: exit $rc"; show "$out/base.out" "$out/base.err"; }

# ------------------------------------------------- (a) a policy's content filter deleted
if two_sessions cfilter_gone 'policyconfig incoming edit sales content_filters=cf1' \
    'Content Filters: cf1' 'contentfilters delete cf1' 'commit cf1 gone'; then
	refused cfilter_gone cfilter_gone.A \
	    'The incoming policy sales uses the content filter cf1, which does not exist'
fi

# ------------------------------------------------- (b) the exception list deleted
if two_sessions exception_list_gone 'sdradvancedconfig exception_list=exc1' \
    'sdr.exception_list = exc1' 'addresslistconfig delete exc1' 'commit exc1 gone'; then
	refused exception_list_gone exception_list_gone.A \
	    'The SDR exception list (sdr.exception_list) is the address list exc1, which does not exist'
fi

# ------------------------------------------------- (b) the exception list given an address
if two_sessions exception_list_not_domains 'sdradvancedconfig exception_list=exc2' \
    'sdr.exception_list = exc2' 'addresslistconfig edit exc2 addresses=@a.test,user@b.test' \
    'commit exc2 with an address'; then
	refused exception_list_not_domains exception_list_not_domains.A \
	    "address list exc2, which holds 'user@b.test', not a domain"
fi

# ------------------------------------------------- (c) a filter's exception list given an address
cat >"$out/f.txt" <<'EOF'
f_exc: if sdr-reputation(['awful', 'poor'], "exc3") { drop(); }
EOF
if two_sessions filter_list_not_domains 'addresslistconfig edit exc3 addresses=user@a.test' \
    'user@a.test' "filters import $out/f.txt" 'filters list' 'commit f_exc'; then
	rca=$rc
	mx c1 "$d" 'filters list' 'filters detail f_exc'
	if [ "$rca" = 0 ] && [ "$rc" = 0 ] &&
	    grep -q '^Changes committed' "$out/filter_list_not_domains.A.out" &&
	    grep -q '^1 *Y *Y *f_exc$' "$out/filter_list_not_domains.B.out" &&
	    grep -q '^1 *Y *N *f_exc$' "$out/c1.out" &&
	    grep -q '^Valid: No (address list "exc3" is not domain-only: an SDR exception list holds only domains)$' \
	    "$out/c1.out" && grep -q 'f_exc: if sdr-reputation' "$out/c1.out"; then
		pass filter_list_not_domains
	else
		fail filter_list_not_domains "A's commit refused, or the filter not kept and marked invalid (exit $rca, $rc)"
		show "$out/filter_list_not_domains.A.out" "$out/filter_list_not_domains.A.err" \
		    "$out/filter_list_not_domains.B.out" "$out/c1.out" "$out/c1.err"
	fi
fi

# ------------------------------------------------- (d) an edit refused at once
# edit_refused NAME LIST FILTER-WORDS B-LINE... - B commits a filter naming
# LIST; A, open before, then gives LIST an address: one error line (the
# piped session then stops), nothing staged
edit_refused() {
	name=$1 list=$2 who=$3
	shift 3
	start_session "$d" "$name.A"
	echo 'showchanges' >&3
	if ! wait_for "$out/$name.A.out" 'No changes have been made'; then
		end_session
		fail "$name" "session A did not start"
		return
	fi
	mx "$name.B" "$d" "$@"
	rcb=$rc
	dump "$d" >"$out/$name.before"
	echo "addresslistconfig edit $list addresses=@a.test,user@a.test" >&3
	echo 'showchanges' >&3
	end_session
	dump "$d" >"$out/$name.after"
	err="The address list $list is the SDR exception list of $who, which holds only domains: 'user@a.test' is not one."
	if [ "$rcb" != 0 ]; then
		fail "$name" "session B could not commit (exit $rcb)"
		show "$out/$name.B.out" "$out/$name.B.err"
	elif [ "$rc" = 1 ] && [ "$(wc -l <"$out/$name.A.err")" = 1 ] &&
	    [ "$(cat "$out/$name.A.err")" = "$err" ] &&
	    ! grep -q '^Pending changes' "$out/$name.A.out" &&
	    cmp -s "$out/$name.before" "$out/$name.after"; then
		pass "$name"
	else
		fail "$name" "the edit was not refused with the one line expected (exit $rc)"
		show "$out/$name.A.out" "$out/$name.A.err"
	fi
}
cat >"$out/g.txt" <<'EOF'
g_exc: if sdr-age("days", <, 5, "exc4") { quarantine("Policy"); }
EOF
edit_refused edit_refused_filter exc4 'message filter g_exc' "filters import $out/g.txt" \
    'commit g_exc'
cat >"$out/cf2.txt" <<'EOF'
cf2: if sdr-unscannable("exc2") { drop(); }
EOF
# exc2 holds an address since exception_list_not_domains: give it domains back
mx c2 "$d" 'addresslistconfig edit exc2 domains=@a.test' 'commit exc2 domains'
edit_refused edit_refused_cfilter exc2 'content filter cf2' "contentfilters import $out/cf2.txt" \
    'commit cf2'

# ------------------------------------------------- the RDAP bootstrap, summed up
b=$out/boot
$PY - "$out/dns.json" <<'EOF'
import json, sys
services = [[["tld%d" % i], ["https://rdap%d.example.test/" % i]] for i in range(300)]
doc = {"version": "1.0", "publication": "2026-01-01T00:00:00Z", "services": services}
open(sys.argv[1], "w").write(json.dumps(doc, separators=(",", ":")))
EOF
size=$(wc -c <"$out/dns.json")
mx boot "$b" "sdradvancedconfig rdap_bootstrap=$out/dns.json" 'showchanges' 'commit bootstrap' \
    'commitdetail' 'sdradvancedconfig rdap_bootstrap=' 'showchanges'
summary="RDAP bootstrap (300 services, $size bytes)"
if [ "$rc" = 0 ] && [ "$size" -gt 10000 ] &&
    [ "$(grep -cxF "  + setting sdr.rdap_bootstrap = $summary" "$out/boot.out")" = 2 ] &&
    grep -qxF "  ~ setting sdr.rdap_bootstrap =  (was: $summary)" "$out/boot.out" &&
    ! grep -q 'rdap1.example' "$out/boot.out" &&
    [ "$(awk 'length($0) > 200' "$out/boot.out" | wc -l)" = 0 ]; then
	pass bootstrap_summed_up
else
	fail bootstrap_summed_up "the bootstrap file was not summed up in one short line (exit $rc)"
	show "$out/boot.out" "$out/boot.err"
fi

exit $failed
