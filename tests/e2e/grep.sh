#!/bin/sh
# grep.sh - mxsh grep on crafted and generated mail_logs, without a daemon.
#
# Transcripts: each tests/e2e/grep/NAME.in is fed to mxsh on a data
# directory whose mail_logs are the crafted files beside it (lines as
# mxgated writes them: two files rolled in the same second, an older one,
# and a current file whose last line has no newline); the output, with
# "[exit N]", must equal NAME.ref. UPDATE=1 rewrites the refs (review
# them: they are the specification).
#
# Follow (-t) with its input held open: a last line completed later, a
# line written in two pieces, a rollover with a late line in the rolled
# file, the new file, truncation in place; closing the input ends it.
# With input at its end (/dev/null) -t returns at once.
#
# Same lines as GNU grep -E: on a generated log (tests/bench/genlog.py,
# rolled every 3 MB) for literals, expressions and -i, over all files in
# order, counts too, and -C file by file.
#
# Memory: peak RSS searching 8 MB and 96 MB logs differs by less than
# 2 MB (the scan streams through a fixed buffer).
. "$(dirname "$0")/lib.subr"

HERE=$(cd "$(dirname "$0")" && pwd)
FIX=$HERE/grep
GENLOG=$HERE/../bench/genlog.py
TZ=UTC
LC_ALL=C
export TZ LC_ALL
unset MXGATE_HOME

# data DIR - a data directory with the crafted mail_logs
data() {
	mkdir -p "$1/logs/mail_logs"
	cp "$FIX"/mail.* "$1/logs/mail_logs/"
}

# ---------------------------------------------------------------- transcripts
for in in "$FIX"/*.in; do
	name=$(basename "$in" .in)
	d=$(t_dir "grep_$name")
	data "$d/data"
	(cd "$d" && "$MXSH" -D data <"$in" >out 2>&1; echo "[exit $?]" >>out)
	if [ -n "${UPDATE:-}" ]; then
		cp "$d/out" "$FIX/$name.ref"
		t_pass "grep/$name (ref rewritten: review it)"
	elif diff -u "$FIX/$name.ref" "$d/out" >"$d/diff" 2>&1; then
		t_pass "grep/$name"
	else
		t_fail "grep/$name" "output differs from $name.ref"
		head -40 "$d/diff" | sed 's/^/    /'
	fi
done

# ---------------------------------------------------------------- follow
d=$(t_dir grep_follow)
data "$d/data"
L=$d/data/logs/mail_logs
T="Sun Nov 22 11:00:00 2026 Info:"
mkfifo "$d/in"
"$MXSH" -D "$d/data" -c 'grep -t "FOLLOW|TDC: DCID 2" mail_logs' <"$d/in" >"$d/out" 2>&1 &
pid=$!
T_PIDS="$T_PIDS $pid"
exec 3>"$d/in"	# the input stays open, silent: -t follows
sleep 0.6
if [ -s "$d/out" ]; then
	t_fail grep/follow_partial "an unfinished last line was printed: $(cat "$d/out")"
else
	t_pass grep/follow_partial
fi
printf '\n' >>"$L/mail.current"
t_check grep/follow_completed wait_for 5 grep -q "TDC: DCID 2 close" "$d/out"
printf '%s FOLLOW 1\n%s FOL' "$T" "$T" >>"$L/mail.current"
sleep 0.4
printf 'LOW 2 in two writes\n' >>"$L/mail.current"
t_check grep/follow_pieces wait_for 5 grep -q "FOLLOW 2 in two writes" "$d/out"
mv "$L/mail.current" "$L/mail.@20261122T110000.s"
printf '%s FOLLOW 4 new file\n' "$T" >"$L/mail.current"
sleep 0.5
printf '%s FOLLOW 3 late in the rolled file\n' "$T" >>"$L/mail.@20261122T110000.s"
t_check grep/follow_rollover wait_for 10 grep -q "FOLLOW 4 new file" "$d/out"
printf '%s FOLLOW 5\n' "$T" >>"$L/mail.current"
t_check grep/follow_after_rollover wait_for 5 grep -q "FOLLOW 5" "$d/out"
: >"$L/mail.current"
printf '%s FOLLOW 6\n' "$T" >>"$L/mail.current"
t_check grep/follow_truncated wait_for 5 grep -q "FOLLOW 6" "$d/out"
exec 3>&-	# the end of the input ends the follow
if wait_for 5 sh -c "! kill -0 $pid 2>/dev/null"; then
	wait $pid
	rc=$?
	printf '%s\n' "Sun Nov 22 10:00:08 2026 Info: TDC: DCID 2 close" "$T FOLLOW 1" \
	    "$T FOLLOW 2 in two writes" "$T FOLLOW 3 late in the rolled file" \
	    "$T FOLLOW 4 new file" "$T FOLLOW 5" "$T FOLLOW 6" >"$d/want"
	if [ "$rc" = 0 ] && cmp -s "$d/want" "$d/out"; then
		t_pass grep/follow_ends_with_input
	else
		t_fail grep/follow_ends_with_input "exit $rc; got: $(cat "$d/out")"
	fi
else
	kill "$pid" 2>/dev/null
	t_fail grep/follow_ends_with_input "mxsh still follows after its input closed"
fi
t0=$(date +%s)
"$MXSH" -D "$d/data" -c 'grep -t FOLLOW mail_logs' </dev/null >"$d/out2" 2>&1
rc=$?
if [ "$rc" = 0 ] && [ $(($(date +%s) - t0)) -le 2 ] && grep -q "FOLLOW 6" "$d/out2"; then
	t_pass grep/follow_batch_returns
else
	t_fail grep/follow_batch_returns "exit $rc after $(($(date +%s) - t0)) s: $(cat "$d/out2")"
fi

# ---------------------------------------------------------------- GNU grep
g=$(t_dir grep_gnu)
mkdir -p "$g/data/logs/mail_logs"
$PY "$GENLOG" --bytes 12M --roll 3M --seed 5 --out "$g/data/logs/mail_logs"
G=$g/data/logs/mail_logs
files="$(cd "$G" && ls mail.@*.s | sort) mail.current"
(cd "$G" && cat $files) >"$g/all"
n=0
bad=""
for spec in "|TDC:" "|Bounced: DCID [0-9]+" "-i|message-id" "-i|TDC: HARD" \
    "|MID [0-9]+ ICID [0-9]+ From: <[a-z]+@example\\.test>" "|^Sun Nov 22 0[0-9]:1[0-5]" \
    "|Delayed|pending till" "|[0-9]{6}\\.[0-9a-f]+@" "|close\$" "|[[:upper:]]{4}: [A-Z]" \
    "-i|^.{24} INFO: (start|message finished) MID [0-9]+0 " "|no such line anywhere"; do
	flags=${spec%%|*}
	expr=${spec#*|}
	n=$((n + 1))
	"$MXSH" -D "$g/data" -c "grep -f '*' $flags '$expr' mail_logs" >"$g/mx.$n" 2>&1
	grep -E $flags "$expr" "$g/all" >"$g/gnu.$n"
	[ -s "$g/gnu.$n" ] || echo "No results were found" >"$g/gnu.$n"
	cmp -s "$g/mx.$n" "$g/gnu.$n" || bad="$bad [$flags $expr]"
	"$MXSH" -D "$g/data" -c "grep -c -f '*' $flags '$expr' mail_logs" >"$g/mxc.$n" 2>&1
	grep -c -E $flags "$expr" "$g/all" >"$g/gnuc.$n"
	cmp -s "$g/mxc.$n" "$g/gnuc.$n" || bad="$bad [-c $flags $expr]"
done
if [ -z "$bad" ]; then t_pass grep/same_as_gnu; else t_fail grep/same_as_gnu "differ:$bad"; fi
# -C: groups per file, "--" between them and between files
: >"$g/gnuC"
for f in $files; do
	grep -E -C 2 "Bounced:|TDC: Hard" "$G/$f" >"$g/one" || continue
	[ -s "$g/gnuC" ] && echo "--" >>"$g/gnuC"
	cat "$g/one" >>"$g/gnuC"
done
"$MXSH" -D "$g/data" -c "grep -C 2 -f '*' 'Bounced:|TDC: Hard' mail_logs" >"$g/mxC" 2>&1
if cmp -s "$g/mxC" "$g/gnuC"; then
	t_pass grep/context_as_gnu_per_file
else
	t_fail grep/context_as_gnu_per_file "$(diff "$g/gnuC" "$g/mxC" | head -5)"
fi

# ---------------------------------------------------------------- memory
# peak RSS in KB of one command (GNU time, else /proc VmHWM polled)
peak() {
	if /usr/bin/time -f '%M' -o "$m/rss" true 2>/dev/null; then
		/usr/bin/time -f '%M' -o "$m/rss" "$@" >/dev/null 2>&1
		tail -1 "$m/rss"
	else
		"$@" >/dev/null 2>&1 &
		_p=$! _peak=0
		while kill -0 $_p 2>/dev/null; do
			_v=$(awk '/VmHWM/ {print $2}' /proc/$_p/status 2>/dev/null)
			[ -n "$_v" ] && [ "$_v" -gt "$_peak" ] && _peak=$_v
			sleep 0.01
		done
		echo "$_peak"
	fi
}
m=$(t_dir grep_memory)
# ASan keeps freed blocks in a quarantine (256 MB by default) that would
# count as growth: without it, an ASan build is measured like any other
ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}quarantine_size_mb=0:thread_local_quarantine_size_kb=0"
export ASAN_OPTIONS
mkdir -p "$m/small/logs/mail_logs" "$m/big/logs/mail_logs"
$PY "$GENLOG" --bytes 8M --seed 2 --out "$m/small/logs/mail_logs"
$PY "$GENLOG" --bytes 96M --seed 2 --out "$m/big/logs/mail_logs"
for q in "-c MID" "MID" "-C 3 TDC:"; do
	s=$(peak "$MXSH" -D "$m/small" -c "grep $q mail_logs")
	b=$(peak "$MXSH" -D "$m/big" -c "grep $q mail_logs")
	if [ -n "$s" ] && [ -n "$b" ] && [ $((b - s)) -lt 2048 ]; then
		t_pass "grep/memory_flat [$q] ($s KB on 8 MB, $b KB on 96 MB)"
	else
		t_fail "grep/memory_flat [$q]" "peak RSS $s KB on 8 MB, $b KB on 96 MB"
	fi
done

t_done
