#!/bin/sh
# sdr_import_big.sh - `sdradvancedconfig local import` of the largest file
# the table allows: 100,000 domains, plus a later line for a domain already
# given (the last line wins, and it is no extra entry). The duplicate check
# was a scan of every earlier entry per line (about 29 s of CPU, a minute
# or more of wall clock); a hash table makes it linear (a few seconds of
# CPU, nearly all of it the staging).
#
# The 100,000 lines must finish within generous ceilings for a loaded
# machine (60 s of CPU time, user + system, which other load barely
# moves; 120 s of wall clock), and cost at most 8 times the CPU of 25,000
# lines: linear work costs about 4 times as much, the scan about 11 times
# (an ASan build is slower, but by the same factor for both). Both times
# are printed in the PASS line.
#
# Env: MXSH, TEST_OUT (tests/run.sh). Prints "PASS name" / "FAIL name:
# why"; exits 1 if any failed.
. "$(dirname "$0")/lib.subr"
N=$T_NAME
D=$(t_dir sdr_import_big)

# csv FILE N - N domains, then a later line for the first one
csv() {
	$PY - "$1" "$2" <<'PYEOF'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(1, int(sys.argv[2]) + 1):
        f.write("d%d.example.test,Poor,Spam\n" % i)
    f.write("D1.example.test,Awful,Malware\n")
PYEOF
}
csv "$D/small.csv" 25000
csv "$D/big.csv" 100000

# run_timed OUT ERR LINE... - mxsh -c LINE...; prints "RC WALL CPU"
run_timed() {
	$PY - "$MXSH" "$D/data" "$@" <<'PYEOF'
import resource, subprocess, sys, time
mxsh, data, out, err = sys.argv[1:5]
args = [mxsh, "-D", data]
for line in sys.argv[5:]:
    args += ["-c", line]
t0 = time.monotonic()
try:
    with open(out, "wb") as o, open(err, "wb") as e:
        rc = subprocess.run(args, stdin=subprocess.DEVNULL, stdout=o, stderr=e,
                            timeout=120).returncode
except subprocess.TimeoutExpired:
    rc = "timeout"
wall = time.monotonic() - t0
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print(rc, "%.2f" % wall, "%.2f" % (u.ru_utime + u.ru_stime))
PYEOF
}

set -- $(run_timed "$D/small.out" "$D/small.err" "sdradvancedconfig local import $D/small.csv" \
	"sdradvancedconfig local print")
src=$1 scpu=$3
set -- $(run_timed "$D/import.out" "$D/import.err" "sdradvancedconfig local import $D/big.csv" \
	"sdradvancedconfig local print")
rc=$1 wall=$2 cpu=$3
if [ "$src" = 0 ] && [ "$rc" = 0 ] &&
    [ "$($PY -c "print(int($cpu < 60 and $cpu < 8 * max($scpu, 0.05)))")" = 1 ] &&
    grep -qx "Imported 25000 entries from $D/small.csv: 25000 new, 0 changed, 0 unchanged." \
	"$D/small.out" &&
    grep -qx "Imported 100000 entries from $D/big.csv: 100000 new, 0 changed, 0 unchanged." \
	"$D/import.out" &&
    grep -Eq '^d1\.example\.test +Awful +Malware$' "$D/import.out" &&
    grep -Eq '^d100000\.example\.test +Poor +Spam$' "$D/import.out" &&
    [ "$(grep -c '\.example\.test ' "$D/import.out")" = 100000 ] &&
    grep -qx 'Warning: 100000 uncommitted changes discarded.' "$D/import.err"; then
	t_pass "$N/hundred_thousand_lines ($wall s wall, $cpu s CPU; 25,000 lines: $scpu s CPU)"
else
	t_fail "$N/hundred_thousand_lines" "exit $rc, $wall s wall, $cpu s CPU (25,000 lines: exit $src, $scpu s CPU): $(head -c 300 "$D/import.err")"
fi

t_done
