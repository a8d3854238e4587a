#!/bin/sh
# findevent.sh - findevent on crafted and generated mail logs, without a
# daemon.
#
# Transcripts: each tests/e2e/findevent/NAME.in is fed to mxsh (wizards:
# answers follow their command), each line of NAME.cmds run as one
# `mxsh -c` (batch forms), on a data directory whose mail_logs are the
# crafted files beside them (two rolled files and a current one: a
# message split, journaled and bounced whose life spans the rollover,
# another on the same connections, one in the oldest file); the output
# with "[exit N]" must equal NAME.ref. Each runs
# twice: with the index, and with the index impossible (DIR/.index is a
# plain file), which makes findevent scan every line: same output.
# UPDATE=1 rewrites the refs (review them: they are the specification).
#
# Bad input: each error is one line and exits 1.
#
# Index and scan agree on a generated log (tests/bench/genlog.py) through
# mxsh, for many MIDs and searches, fresh, after the index is deleted or
# truncated, and while the current file grows.
. "$(dirname "$0")/lib.subr"

HERE=$(cd "$(dirname "$0")" && pwd)
FIX=$HERE/findevent
GENLOG=$HERE/../bench/genlog.py
TZ=UTC
LC_ALL=C
export TZ LC_ALL
unset MXGATE_HOME

# data DIR [scan] - a data directory with the crafted mail_logs
data() {
	mkdir -p "$1/logs/mail_logs"
	cp "$FIX"/mail.* "$1/logs/mail_logs/"
	[ "${2:-}" = scan ] && touch "$1/logs/mail_logs/.index"
	return 0
}

# ---------------------------------------------------------------- transcripts
# run_case IN OUT - NAME.in on standard input (wizard answers follow their
# command); NAME.cmds one command per line, each shown as "> LINE" with
# its exit status
run_case() {
	case $1 in
	*.in)
		"$MXSH" -D data <"$1" >"$2" 2>&1
		echo "[exit $?]" >>"$2"
		;;
	*.cmds)
		: >"$2"
		while IFS= read -r line; do
			case $line in ''|'#'*) continue ;; esac
			echo "> $line" >>"$2"
			"$MXSH" -D data -c "$line" </dev/null >>"$2" 2>&1
			echo "[exit $?]" >>"$2"
		done <"$1"
		;;
	esac
}
for in in "$FIX"/*.in "$FIX"/*.cmds; do
	name=$(basename "$in")
	name=${name%.*}
	ref=$FIX/$name.ref
	for mode in index scan; do
		D=$(t_dir "findevent_$name.$mode")
		data "$D/data" "$mode"
		(cd "$D" && run_case "$in" out)
		if [ -n "${UPDATE:-}" ] && [ "$mode" = index ]; then
			cp "$D/out" "$ref"
			t_pass "transcript/$name (ref rewritten: review it)"
		elif [ ! -f "$ref" ]; then
			t_fail "transcript/$name" "no $name.ref (UPDATE=1 writes it)"
		elif diff -u "$ref" "$D/out" >"$D/diff"; then
			t_pass "transcript/$name/$mode"
		else
			t_fail "transcript/$name/$mode" "differs from $name.ref: $(head -30 "$D/diff")"
		fi
	done
done

# ---------------------------------------------------------------- bad input
D=$(t_dir findevent_errors)
data "$D"
# err NAME LINE PATTERN - one error line matching PATTERN, exit 1
err() {
	"$MXSH" -D "$D" -c "$2" >"$D/out" 2>&1 </dev/null
	rc=$?
	if [ "$rc" != 1 ]; then
		t_fail "error/$1" "exit $rc: $(cat "$D/out")"
	elif [ "$(wc -l <"$D/out")" != 1 ]; then
		t_fail "error/$1" "not one line: $(cat "$D/out")"
	elif ! grep -Eq "$3" "$D/out"; then
		t_fail "error/$1" "$(cat "$D/out")"
	else
		t_pass "error/$1"
	fi
}
err unknown_log 'findevent -m 1 nosuch' "^Unknown log 'nosuch': the logs are mail_logs, cli_logs"
err not_a_mail_log 'findevent -m 1 cli_logs' "^Log 'cli_logs' is of type cli_logs: findevent reads mail logs"
err mid_not_numeric 'findevent -m abc mail_logs' "^Invalid MID 'abc': "
err mid_zero 'findevent -m 0 mail_logs' "^Invalid MID '0': "
err mid_negative 'findevent -m -5 mail_logs' "^Invalid MID '-5': "
err mid_huge 'findevent -m 99999999999999999999 mail_logs' "^Invalid MID "
err no_log 'findevent -m 1' "^Invalid arguments when processing: findevent: the log name is missing\. Usage: findevent "
err no_search 'findevent mail_logs' "^Invalid arguments when processing: findevent: give -f, -s or -t"
err no_value 'findevent -f' "option -f needs a value"
err two_searches 'findevent -f a -m 1 mail_logs' "give only one of -f, -s, -t and -m"
err unknown_option 'findevent -x a mail_logs' "unknown option -x"
err too_many 'findevent -f a mail_logs cli_logs' "too many arguments"
err bad_regex_from 'findevent -f "a(" mail_logs' "^Invalid regular expression 'a\(': missing closing parenthesis at offset 2\.$"
err bad_regex_subject 'findevent -i -s "*x" mail_logs' "^Invalid regular expression '\*x': quantifier does not follow a repeatable item"
err bad_regex_to 'findevent -t "[a" mail_logs' "^Invalid regular expression '\[a': missing terminating \] "
# no match is not an error
"$MXSH" -D "$D" -c 'findevent -f nobody mail_logs' >"$D/out" 2>&1
t_check no_match_exit_0 grep -qx 'No matching message IDs were found.' "$D/out"
# a log that has no files yet
E=$(t_dir findevent_empty)
"$MXSH" -D "$E" -c 'findevent -m 1 mail_logs' >"$E/out" 2>&1
t_check empty_log grep -qx 'No matching message IDs were found.' "$E/out"

# ---------------------------------------------------------------- index = scan
G=$(t_dir findevent_gen)
mkdir -p "$G/i/logs" "$G/s/logs"
if ! $PY "$GENLOG" --bytes 2M --roll 300K --seed 11 --out "$G/i/logs/mail_logs" >"$G/genlog.out" 2>&1; then
	t_fail genlog "$(cat "$G/genlog.out")"
	t_done
fi
cp -r "$G/i/logs/mail_logs" "$G/s/logs/"
touch "$G/s/logs/mail_logs/.index"
MAXMID=$(cat "$G"/i/logs/mail_logs/mail.* | grep -o 'MID [0-9]*' | awk '{print $2}' | sort -n | tail -1)
# the MIDs of splits, copies and bounces, and a spread of others
sed -n 's/.* MID \([0-9]*\) was split creating MID \([0-9]*\).*/\1 \2/p; s/.*TDC: MID \([0-9]*\) was generated based on MID \([0-9]*\).*/\1 \2/p; s/.* MID \([0-9]*\) was generated for bounce of MID \([0-9]*\).*/\1 \2/p' \
	"$G"/i/logs/mail_logs/mail.* | tr ' ' '\n' | sort -n | uniq | awk 'NR % 7 == 1' >"$G/mids"
seq 1 37 "$((MAXMID + 1))" >>"$G/mids"
{
	sed 's/^/findevent -m /; s/$/ mail_logs/' "$G/mids"
	echo "findevent -f '^mallory' mail_logs"
	echo "findevent -i -f 'BULK'  mail_logs"
	echo "findevent -t '^(hr|it)@example\.test$' mail_logs"
	echo "findevent -s \"it's done\" mail_logs"
	echo "findevent -i -s '^urgent' mail_logs"
} >"$G/cmds"
# same NAME - the index (in its current state) and the scan print the same
same() {
	"$MXSH" -D "$G/i" <"$G/cmds" >"$G/i.out" 2>&1
	"$MXSH" -D "$G/s" <"$G/cmds" >"$G/s.out" 2>&1
	if [ ! -s "$G/s.out" ]; then
		t_fail "index_scan/$1" "no output"
	elif cmp -s "$G/i.out" "$G/s.out"; then
		t_pass "index_scan/$1"
	else
		t_fail "index_scan/$1" "$(diff "$G/s.out" "$G/i.out" | head -10)"
	fi
}
same fresh
t_check index_written sh -c "ls '$G'/i/logs/mail_logs/.index/*.fx >/dev/null"
t_check scan_has_no_index test -f "$G/s/logs/mail_logs/.index"
same warm
rm -rf "$G/i/logs/mail_logs/.index"
same deleted
for f in "$G"/i/logs/mail_logs/.index/*.fx; do
	truncate -s "$(($(wc -c <"$f") / 2))" "$f"
done
same truncated
for f in "$G"/i/logs/mail_logs/.index/*.fx; do : >"$f"; done
same emptied
# the current file grows and rolls over under the index
for i in 1 2 3; do
	tail -n 400 "$G/i/logs/mail_logs/mail.@"*.s | head -n 200 | sed 's/Info: MID \([0-9]*\)/Info: MID 9\1/' \
		>"$G/more"
	cat "$G/more" >>"$G/i/logs/mail_logs/mail.current"
	cat "$G/more" >>"$G/s/logs/mail_logs/mail.current"
	same "grown_$i"
done
mv "$G/i/logs/mail_logs/mail.current" "$G/i/logs/mail_logs/mail.@20261201T000000.s"
mv "$G/s/logs/mail_logs/mail.current" "$G/s/logs/mail_logs/mail.@20261201T000000.s"
same rolled
t_done
