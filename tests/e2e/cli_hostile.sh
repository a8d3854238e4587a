#!/bin/sh
# cli_hostile.sh - command lines a script or a careless paste can hold
# (issue 9, item 6): a NUL byte refuses the line instead of running the
# part before it; control characters are refused and never echoed raw
# (an escape sequence in an error would reach the operator's terminal);
# staging thousands of routes in one script is not quadratic; a FIFO
# named as a file to read is refused, not waited on (issue 10).
. "$(dirname "$0")/lib.subr"

D=$(t_dir cli_hostile)
export HOME="$D/home"
mkdir -p "$HOME"

# no_raw_controls FILE - FILE holds no control byte but newline and tab
no_raw_controls() { ! tr -d '\n\t' <"$1" | LC_ALL=C grep -q '[[:cntrl:]]'; }

# --- a NUL byte: the whole line is refused, nothing is staged
printf 'sethostname a\000b.test\nshowchanges\n' | "$MXSH" -D "$D/a" >"$D/nul.out" 2>"$D/nul.err"
rc=$?
if [ "$rc" = 1 ] && grep -q 'NUL byte; nothing was done' "$D/nul.err" &&
    [ "$(wc -l <"$D/nul.err")" = 1 ] && grep -q 'No changes' "$D/nul.out"; then
	t_pass cli_hostile/nul_line_refused
else
	t_fail cli_hostile/nul_line_refused "rc=$rc: $(cat "$D/nul.err" "$D/nul.out" | head -3)"
fi

# --- a NUL byte in a dialogue's answer: in a script the command is
# abandoned (taking the next line for this question would shift every
# answer after it), nothing is staged, and the next line is a command again
printf 'sethostname\na\000b.test\ngw.example.com\nshowchanges\n' |
	"$MXSH" -D "$D/a" >"$D/nula.out" 2>"$D/nula.err"
if grep -q 'answer contains a NUL byte. The command is abandoned.' "$D/nula.err" &&
    grep -q "Unknown command: 'gw.example.com'" "$D/nula.err" &&
    grep -q 'No changes' "$D/nula.out"; then
	t_pass cli_hostile/nul_answer_abandons
else
	t_fail cli_hostile/nul_answer_abandons "$(cat "$D/nula.err" "$D/nula.out" | head -4)"
fi

# --- control characters in a command line: refused, shown as \ooo
printf 'frob\033[2J\033]0;owned\007x\nsethostname gw\001.example.com\nshowchanges\n' |
	"$MXSH" -D "$D/a" >"$D/ctl.out" 2>"$D/ctl.err"
rc=$?
if [ "$rc" = 1 ] && grep -q 'control character (\\033); nothing was done' "$D/ctl.err" &&
    grep -q 'control character (\\001); nothing was done' "$D/ctl.err" &&
    no_raw_controls "$D/ctl.err" && no_raw_controls "$D/ctl.out" &&
    grep -q 'No changes' "$D/ctl.out"; then
	t_pass cli_hostile/control_line_refused_escaped
else
	t_fail cli_hostile/control_line_refused_escaped "rc=$rc: $(od -c "$D/ctl.err" | head -4)"
fi

# --- the same from -c, and in an answer: never raw on the terminal side
"$MXSH" -D "$D/a" -c "$(printf 'smtproutes new ex\033[31m.test 127.0.0.1:25')" \
	>"$D/c.out" 2>"$D/c.err"
rc=$?
printf 'sethostname\nx\033[31my\ngw.example.com\n' | "$MXSH" -D "$D/a" >"$D/ans.out" 2>"$D/ans.err"
# a C1 control written in UTF-8 (0xc2 0x9b is CSI) is refused too; other UTF-8 reaches the check
printf 'sethostname a\302\233b.test\nsethostname caf\303\251.test\n' |
	"$MXSH" -D "$D/a" >"$D/c1.out" 2>"$D/c1.err"
if [ "$rc" = 1 ] && grep -q '\\033' "$D/c.err" && no_raw_controls "$D/c.err" &&
    grep -q 'answer contains a control character (\\033)' "$D/ans.err" &&
    no_raw_controls "$D/ans.err" &&
    grep -q 'control character (\\233); nothing was done' "$D/c1.err" &&
    ! LC_ALL=C grep -q "$(printf '\302\233')" "$D/c1.err" &&
    grep -q 'A hostname must contain only' "$D/c1.err"; then
	t_pass cli_hostile/control_escaped_everywhere
else
	t_fail cli_hostile/control_escaped_everywhere "$(od -c "$D/c.err" "$D/ans.err" | head -4)"
fi

# --- an error that quotes a value echoes its control bytes escaped
# (a tab is allowed in a line and reaches the value check, which quotes it)
printf 'sethostname a\tb\n' | "$MXSH" -D "$D/a" >/dev/null 2>"$D/tab.err"
if grep -q 'hostname' "$D/tab.err" && [ "$(wc -l <"$D/tab.err")" = 1 ]; then
	t_pass cli_hostile/tab_value_one_line
else
	t_fail cli_hostile/tab_value_one_line "$(cat "$D/tab.err")"
fi

# --- a FIFO named as a file to read (root's mxsh in root's data directory
# opens it itself, with no opener): refused at once as not a regular file,
# never left waiting for a writer; a directory likewise. timeout's 124 is
# the hang this guards against.
mkfifo "$D/fifo"
timeout 60 "$MXSH" -D "$D/f" -c "filters import $D/fifo" \
	-c "certconfig server cert=$D/fifo key=$D/fifo" \
	-c "sdradvancedconfig local import $D/fifo" \
	-c "sdradvancedconfig rdap_bootstrap=$D/fifo" -c "contentfilters import $D" \
	-c showchanges >"$D/fifo.out" 2>"$D/fifo.err"
rc=$?
if [ "$rc" = 1 ] && [ "$(wc -l <"$D/fifo.err")" = 5 ] &&
    [ "$(grep -cx "Cannot read the file $D/fifo: not a regular file." "$D/fifo.err")" = 2 ] &&
    grep -qx "Cannot read the certificate file $D/fifo: not a regular file." "$D/fifo.err" &&
    grep -qx "Invalid rdap_bootstrap '$D/fifo': not a regular file." "$D/fifo.err" &&
    grep -qx "Cannot read the file $D: not a regular file." "$D/fifo.err" &&
    grep -q 'No changes' "$D/fifo.out"; then
	t_pass cli_hostile/fifo_refused_not_waited_for
else
	t_fail cli_hostile/fifo_refused_not_waited_for "rc=$rc: $(cat "$D/fifo.err" | head -5)"
fi

# --- staging cost grows with the lines, not with their square: the CPU
# time (user + system, which a loaded machine barely moves, unlike the
# wall clock) of 10,000 route lines against 2,500. Linear staging costs
# about 4 times as much; HEAD read the whole table once a line (16 times).
# cpu_of N DIR - CPU seconds of one mxsh staging N routes (no commit)
cpu_of() {
	$PY - "$MXSH" "$1" "$2" <<'PYEOF'
import resource, subprocess, sys
mxsh, n, d = sys.argv[1], int(sys.argv[2]), sys.argv[3]
lines = "".join("smtproutes new d%d.example.test 127.0.0.1:25\n" % i for i in range(n))
r = subprocess.run([mxsh, "-D", d], input=lines.encode(), stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)
u = resource.getrusage(resource.RUSAGE_CHILDREN)
if r.returncode != 0 or r.stderr.count(b"\n") != 1:	# only "uncommitted changes discarded"
    sys.exit("mxsh failed: %r" % r.stderr[:200])
print("%.3f" % (u.ru_utime + u.ru_stime))
PYEOF
}
small=$(cpu_of 2500 "$D/s") && big=$(cpu_of 10000 "$D/b")
if [ -n "$small" ] && [ -n "$big" ] &&
    $PY -c "import sys; s,b=float(sys.argv[1]),float(sys.argv[2]); sys.exit(0 if b < 8*max(s,0.05) else 1)" "$small" "$big"; then
	t_pass cli_hostile/staging_linear
else
	t_fail cli_hostile/staging_linear "CPU ${small:-?} s for 2,500 routes, ${big:-?} s for 10,000 (limit 8x)"
fi

# --- 20,000 route lines and a commit: the first 10,000 are staged, the
# rest refused at the table's maximum, and the commit takes them all.
i=1
while [ "$i" -le 20000 ]; do
	echo "smtproutes new d$i.example.test 127.0.0.1:25"
	i=$((i + 1))
done >"$D/routes.in"
echo "commit twenty thousand lines" >>"$D/routes.in"
"$MXSH" -D "$D/r" <"$D/routes.in" >"$D/routes.out" 2>"$D/routes.err"
n=$(sqlite3 "$D/r/config.db" "SELECT count(*) FROM config WHERE section='smtproutes'")
m=$(grep -c 'There is a maximum of 10000 routes.' "$D/routes.err")
if [ "$n" = 10000 ] && [ "$m" = 10000 ] && grep -q 'Changes committed' "$D/routes.out"; then
	t_pass cli_hostile/staging_20000_routes
else
	t_fail cli_hostile/staging_20000_routes "committed $n routes, $m refusals"
fi

t_done
