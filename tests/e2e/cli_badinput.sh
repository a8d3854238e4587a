#!/bin/sh
# cli_badinput.sh - malformed input to every configuration command, run
# on a populated store: each must exit 1, print exactly one line on
# standard error (and nothing else, unless noted), and leave config.db
# unchanged, compared as an SQL dump (`sqlite3 DIR/config.db .dump`)
# before and after.
#
# Env: MXSH (the binary under test), TEST_OUT (scratch). Prints one
# "PASS name" / "FAIL name: why" line per case; exits 1 if any failed.
top=$(cd "$(dirname "$0")/../.." && pwd)
MXSH=${MXSH:-$top/build/mxsh}
out=${TEST_OUT:-$top/tests/out/plain}/cli_badinput
rm -rf "$out"
mkdir -p "$out/home" || exit 2
TZ=UTC
HOME=$out/home
export TZ HOME
unset MXGATE_HOME
d=$out/data
failed=0

# repeat N CHAR - CHAR N times
repeat() { head -c "$1" /dev/zero | tr '\0' "$2"; }

# --- the populated store: a hostname, routes of every kind, three commits
"$MXSH" -D "$d" >"$out/setup.out" 2>&1 <<'EOF'
sethostname gw1.example.com
commit first
smtproutes new example.com 127.0.0.1:2526
smtproutes new .partial.example.com mx1.example.net:25,mx2.example.net
smtproutes new literal.example.com [10.0.0.1]:2525
smtproutes new discard.example.com /dev/null
smtproutes new ALL USEDNS
commit routes
smtproutes edit example.com 127.0.0.1:2527
commit third
EOF
if [ $? != 0 ] || ! sh "$top/tests/helpers/cfgdump.sh" "$d" >"$out/dump.ref" 2>&1 ||
    ! grep -q 'literal.example.com' "$out/dump.ref"; then
	echo "FAIL cli_badinput/setup: could not populate the store"
	sed 's/^/    /' "$out/setup.out" "$out/dump.ref" | head -20
	exit 1
fi

# Each case runs on its own copy of the populated store, JOBS at a time
# (mxsh under ASan takes a good fraction of a second to start), and is
# judged afterwards, in order.
JOBS=${JOBS:-4}
names=""
njobs=0

# run_case NAME - mxsh on the case's copy of the store: the one command
# line in $out/NAME/line (given with -c), or standard input $out/NAME/in
run_case() {
	c=$out/$1
	cp -R "$d" "$c/data" || return
	if [ -f "$c/line" ]; then
		"$MXSH" -D "$c/data" -c "$(cat "$c/line")" </dev/null >"$c/out" 2>"$c/err"
	else
		"$MXSH" -D "$c/data" <"$c/in" >"$c/out" 2>"$c/err"
	fi
	echo $? >"$c/rc"
	sh "$top/tests/helpers/cfgdump.sh" "$c/data" >"$c/dump" 2>&1
}

# launch NAME RULE - start a prepared case in the background
#   RULE: "quiet" (nothing may appear on stdout) or "any"
launch() {
	echo "$2" >"$out/$1/rule"
	names="$names $1"
	run_case "$1" &
	njobs=$((njobs + 1))
	if [ "$njobs" -ge "$JOBS" ]; then
		wait
		njobs=0
	fi
}

# bad NAME LINE - one command line given with -c
bad() {
	mkdir -p "$out/$1"
	printf '%s' "$2" >"$out/$1/line"
	launch "$1" quiet
}

# bad_input NAME RULE TEXT - TEXT (lines) fed on standard input
bad_input() {
	mkdir -p "$out/$1"
	printf '%s\n' "$3" >"$out/$1/in"
	launch "$1" "$2"
}

# judge NAME - exit 1, one line on stderr, (quiet: empty stdout), same dump
judge() {
	c=$out/$1
	rc=$(cat "$c/rc" 2>/dev/null)
	why=""
	[ "$rc" = 1 ] || why="exit ${rc:-?}, not 1"
	n=$(wc -l <"$c/err" 2>/dev/null)
	[ -z "$why" ] && [ "$n" != 1 ] && why="$n lines on stderr, not 1"
	[ -z "$why" ] && [ "$(cat "$c/rule")" = quiet ] && [ -s "$c/out" ] && why="output on stdout"
	[ -z "$why" ] && ! cmp -s "$out/dump.ref" "$c/dump" && why="config.db changed"
	if [ -z "$why" ]; then
		echo "PASS cli_badinput/$1"
	else
		echo "FAIL cli_badinput/$1: $why"
		sed 's/^/    stderr: /' "$c/err" | cut -c1-200 | head -5
		sed 's/^/    stdout: /' "$c/out" | cut -c1-200 | head -5
		diff "$out/dump.ref" "$c/dump" | cut -c1-200 | head -10 | sed 's/^/    dump: /'
		failed=1
	fi
}

# --- sethostname
bad sethostname_double_dot 'sethostname bad..name'
bad sethostname_leading_dash 'sethostname -gw.example.com'
bad sethostname_trailing_dash 'sethostname gw-.example.com'
bad sethostname_bad_char 'sethostname gw!.example.com'
bad sethostname_space 'sethostname "gw 1.example.com"'
bad sethostname_label_64 "sethostname $(repeat 64 a).example.com"
bad sethostname_254_chars "sethostname $(repeat 63 a).$(repeat 63 b).$(repeat 63 c).$(repeat 62 d)"
bad sethostname_300_chars "sethostname $(repeat 300 a)"
bad sethostname_empty 'sethostname ""'
bad sethostname_two_args 'sethostname a.example.com b.example.com'
bad sethostname_unterminated_quote 'sethostname "gw2.example.com'

# --- smtproutes new
bad new_bad_domain 'smtproutes new bad..domain 1.2.3.4'
bad new_domain_dash 'smtproutes new -bad.example.com 1.2.3.4'
bad new_domain_dot 'smtproutes new . 1.2.3.4'
bad new_domain_double_partial 'smtproutes new ..example.com 1.2.3.4'
bad new_domain_bad_char 'smtproutes new exa$mple.com 1.2.3.4'
bad new_domain_too_long "smtproutes new $(repeat 300 a).com 1.2.3.4"
bad new_duplicate 'smtproutes new example.com 10.0.0.2'
bad new_duplicate_case 'smtproutes new EXAMPLE.com 10.0.0.2'
bad new_duplicate_partial 'smtproutes new .PARTIAL.example.com 10.0.0.2'
bad new_duplicate_default 'smtproutes new ALL 10.0.0.2'
bad new_duplicate_default_lower 'smtproutes new all /dev/null'
bad new_bad_dest 'smtproutes new ok.example.com bad_host!'
bad new_bad_ip_literal 'smtproutes new ok.example.com [1.2.3]'
bad new_host_in_brackets 'smtproutes new ok.example.com [mx.example.com]'
bad new_open_bracket 'smtproutes new ok.example.com [10.0.0.1'
bad new_bare_ipv6 'smtproutes new ok.example.com 2001:db8::3'
bad new_port_0 'smtproutes new ok.example.com mx.example.net:0'
bad new_port_65536 'smtproutes new ok.example.com mx.example.net:65536'
bad new_port_letters 'smtproutes new ok.example.com mx.example.net:smtp'
bad new_port_empty 'smtproutes new ok.example.com mx.example.net:'
bad new_port_negative 'smtproutes new ok.example.com mx.example.net:-25'
bad new_literal_port_big 'smtproutes new ok.example.com [10.0.0.1]:99999'
bad new_usedns_mixed 'smtproutes new ok.example.com USEDNS,10.0.0.1'
bad new_devnull_mixed 'smtproutes new ok.example.com 10.0.0.1,/dev/null'
bad new_dest_twice 'smtproutes new ok.example.com a.example.net,A.example.net'
bad new_empty_dest 'smtproutes new ok.example.com a.example.net,,b.example.net'
bad new_trailing_comma 'smtproutes new ok.example.com a.example.net,'
bad new_33_dests "smtproutes new ok.example.com $(i=1; while [ $i -le 33 ]; do printf 'h%d.example.net,' $i; i=$((i + 1)); done | sed 's/,$//')"
bad new_no_dest 'smtproutes new ok.example.com'
bad new_no_args 'smtproutes new'
bad new_unterminated_quote "smtproutes new 'ok.example.com 1.2.3.4"

# --- smtproutes edit
bad edit_missing 'smtproutes edit missing.example.com 10.0.0.2'
bad edit_missing_partial 'smtproutes edit .example.com 10.0.0.2'
bad edit_bad_domain 'smtproutes edit bad..domain 10.0.0.2'
bad edit_bad_dest 'smtproutes edit example.com bad_host!'
bad edit_bad_port 'smtproutes edit example.com 127.0.0.1:0'
bad edit_usedns_mixed 'smtproutes edit ALL USEDNS,10.0.0.1'
bad edit_no_dest 'smtproutes edit example.com'
bad edit_no_args 'smtproutes edit'

# --- smtproutes delete, clear, print, unknown operations
bad delete_missing 'smtproutes delete missing.example.com'
bad delete_bad_domain 'smtproutes delete bad..domain'
bad delete_no_args 'smtproutes delete'
bad delete_two_args 'smtproutes delete example.com ALL'
bad clear_extra_arg 'smtproutes clear now'
bad print_extra_arg 'smtproutes print all'
bad unknown_operation 'smtproutes frobnicate example.com'

# --- rollbackconfig
bad rollback_0 'rollbackconfig 0'
bad rollback_negative 'rollbackconfig -1'
bad rollback_letters 'rollbackconfig abc'
bad rollback_trailing_garbage 'rollbackconfig 2x'
bad rollback_float 'rollbackconfig 1.5'
bad rollback_empty 'rollbackconfig ""'
bad rollback_nonexistent 'rollbackconfig 99'
bad rollback_huge 'rollbackconfig 99999999999999999999'
bad rollback_long_comment "rollbackconfig 1 $(repeat 300 c)"

# --- commit
bad commit_long_comment "commit $(repeat 256 c)"
bad commit_long_words "commit $(repeat 200 c) $(repeat 60 d)"
# with a change pending: the commit is refused, then clear drops the change
bad_input commit_long_comment_pending any \
    "$(printf 'sethostname gw2.example.com\ncommit %s\nclear' "$(repeat 300 c)")"

# --- the tokenizer: lines over 8192 characters, quotes
bad line_8193_chars "sethostname $(repeat 8181 a)"
bad_input line_9000_stdin quiet "smtproutes new x.example.com $(repeat 9000 b)"
bad line_too_many_words "smtproutes new x.example.com $(repeat 300 'h' | sed 's/h/h /g')"
bad unterminated_double_quote 'smtproutes edit example.com "10.0.0.3'
bad unterminated_single_quote "smtproutes delete 'example.com"
# the line of exactly 8192 characters is accepted (by the tokenizer; the
# hostname is then refused as too long) - the limit is where it says
bad line_8192_chars "sethostname $(repeat 8180 a)"

# --- a dialogue whose answers run out changes nothing
# (commit is not here: its question needs a pending change, which then
# adds the warning about uncommitted changes to stderr)
bad_input eof_in_sethostname_dialogue any sethostname
bad_input eof_in_rollbackconfig_dialogue any rollbackconfig
bad_input eof_in_smtproutes_dialogue any "$(printf 'smtproutes\nNEW\nnew.example.com')"

# --- every configuration command (help CMD says its changes are pending)
# refuses an unknown operation; the list comes from help, so a new
# command is covered the day it is added
"$MXSH" -D "$d" -c help </dev/null | awk '/^[a-z][a-z0-9]* +[A-Z]/ { print "help " $1 }' |
    "$MXSH" -D "$d" 2>&1 | awk '/^[a-z][a-z0-9]* - / { cmd = $1 }
	/^Changes are pending until you run .commit.\.$/ { print cmd }' >"$out/config_commands"
for cmd in $(cat "$out/config_commands"); do
	bad "unknown_option_$cmd" "$cmd no-such-option!"
done

wait
for name in $names; do
	judge "$name"
done

# the commit refused with a change pending left the change for clear
if ! grep -qx 'Changes cleared: 1 change discarded.' "$out/commit_long_comment_pending/out"; then
	echo "FAIL cli_badinput/commit_long_comment_pending_cleared: the change was not left pending"
	failed=1
fi
# the limit is where it says: 8192 characters pass the tokenizer (the
# hostname is then refused as too long), 8193 do not
if grep -q 'Line too long' "$out/line_8192_chars/err" ||
    ! grep -q 'Line too long' "$out/line_8193_chars/err"; then
	echo "FAIL cli_badinput/line_limit_8192: the tokenizer's limit is not 8192 characters"
	failed=1
fi
if ! grep -qx sethostname "$out/config_commands" || ! grep -qx smtproutes "$out/config_commands"; then
	echo "FAIL cli_badinput/config_commands_found: help does not mark sethostname and smtproutes"
	failed=1
fi

exit $failed
