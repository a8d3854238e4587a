#!/bin/sh
# run.sh BUILD... - run every test against each build directory.
#
# Unit programs (BUILD/tests/test_*), CLI transcripts (tests/cli) and the
# end-to-end scripts (tests/e2e/*.sh) each print "PASS name" or
# "FAIL name: why" lines; a script that exits non-zero without a FAIL line
# counts as one failure. Brief fuzz runs follow (tests/fuzz). Ends with
# "slowest: LABEL SECSs, ..." (the ten test programs that took longest)
# and "N passed, N failed", and exits non-zero on any failure. Each
# program's wall time is also in tests/out/BUILDNAME.times ("SECS LABEL").
#
# TESTS=pattern limits the run to tests whose name contains pattern.
#
# Nothing a test runs may reach past this machine: every test program runs
# with BUILD/tests/netguard.so preloaded (tests/helpers/netguard.c), which
# refuses any connection or datagram to an address outside 127.0.0.0/8 and
# ::1 or to port 53 of a nameserver of /etc/resolv.conf (and any lookup
# of a name that would be asked of one) and records it in the test's
# guard file, TEST_OUT/NAME.netguard. Each recorded line is a FAIL of
# that test, and any guard file under TEST_OUT with lines fails the run,
# whoever started the program that wrote it.
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
out=$top/tests/out
mkdir -p "$out"
passed=0
failed=0
failures=""
# "SECS LABEL" of every test program run, for the ten slowest at the end;
# each build's own are in tests/out/BUILDNAME.times
timings=""
multi=""
[ $# -gt 1 ] && multi=1

# count LOG LABEL RC - tally the PASS/FAIL lines of one test program
count() {
	p=$(grep -c '^PASS ' "$1")
	f=$(grep -c '^FAIL ' "$1")
	if [ "$3" != 0 ] && [ "$f" = 0 ]; then
		echo "FAIL $2: exited $3 without reporting a failure" | tee -a "$1"
		tail -5 "$1" | sed 's/^/    /'
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	[ "$f" != 0 ] && failures="$failures
$(grep '^FAIL ' "$1" | sed "s|^|  [$4] |")"
}

# guard_fail NAME GUARD-FILE - a FAIL line per distinct record (ten at most)
guard_fail() {
	awk -v name="$1" -v file="$2" '
	!($0 in n) { o[++k] = $0 }
	{ n[$0]++ }
	END {
		for (i = 1; i <= k && i <= 10; i++)
			printf "FAIL %s: sent off this machine: %s%s\n", name, o[i],
			    (n[o[i]] > 1 ? " (" n[o[i]] " times)" : "")
		if (k > 10)
			printf "FAIL %s: and %d more in %s\n", name, k - 10, file
	}' "$2"
}

# run LABEL LOG CMD... - run one test program under the guard, echo its
# result lines; records in its guard file the test did not report
# itself (lib.subr's t_done does) become FAIL lines here
run() {
	label=$1 log=$2
	shift 2
	case "$label" in *"${TESTS:-}"*) ;; *) return ;; esac
	guard="$TEST_OUT/$(echo "$label" | tr / _).netguard"
	# mode 0666: programs a test runs as another user (setpriv) append too
	rm -f "$guard"
	(umask 0 && : >"$guard")
	t0=$(date +%s)
	LD_PRELOAD="$netguard${LD_PRELOAD:+ $LD_PRELOAD}" MXGATE_NETGUARD="$guard" \
		"$@" >"$log" 2>&1
	rc=$?
	secs=$(($(date +%s) - t0))
	echo "$secs $label" >>"$out/$bname.times"
	timings="$timings
$secs $label${multi:+ ($bname)}"
	if [ -s "$guard" ] && ! grep -q '^FAIL [^ ]*netguard: ' "$log"; then
		guard_fail "$label/netguard" "$guard" >>"$log"
	fi
	grep -E '^(PASS|FAIL) ' "$log"
	count "$log" "$label" "$rc" "$bname"
}

# guard_sweep LOG - FAIL every guard file under TEST_OUT with lines that
# no test reported: a program started with its own MXGATE_NETGUARD
guard_sweep() {
	: >"$1"
	find "$TEST_OUT" -name '*.netguard' -size +0 2>/dev/null | sort |
	while read -r g; do
		l=$out/$bname.$(basename "$g" .netguard).log
		[ -f "$l" ] && grep -q '^FAIL [^ ]*netguard: ' "$l" && continue
		guard_fail "netguard${g#"$TEST_OUT"}" "$g"
	done >>"$1"
	grep -E '^(PASS|FAIL) ' "$1"
	count "$1" guard 0 "$bname"
}

for b in "$@"; do
	bname=$(basename "$b")
	[ "$b" = build ] && bname=plain
	echo "== tests against $b"
	export MXSH="$top/$b/mxsh" MXGATED="$top/$b/mxgated" BUILD="$top/$b"
	export UNIT_TMP="$out/$bname.tmp" TEST_OUT="$out/$bname"
	# only this build's results: runs against other builds may be going on
	rm -rf "$out/$bname" "$out/$bname".*
	mkdir -p "$UNIT_TMP" "$TEST_OUT"
	# verify_asan_link_order=0: netguard.so comes before the ASan runtime
	export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=99:verify_asan_link_order=0"
	export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=98"
	netguard=$top/$b/tests/netguard.so
	if [ ! -f "$netguard" ]; then
		echo "FAIL guard: $b/tests/netguard.so not built (make BUILD=$b all)" |
			tee "$out/$bname.guard.log"
		count "$out/$bname.guard.log" guard 1 "$bname"
		continue
	fi
	for t in "$b"/tests/test_*; do
		[ -x "$t" ] || continue
		n=$(basename "$t")
		run "$n" "$out/$bname.$n.log" "$t"
	done
	for t in tests/cli/run.sh tests/e2e/*.sh; do
		[ -f "$t" ] || continue
		n=$(basename "$(dirname "$t")")/$(basename "$t" .sh)
		run "$n" "$out/$bname.$(echo "$n" | tr / _).log" sh "$t"
	done
	guard_sweep "$out/$bname.guard.log"
done

if [ -f tests/fuzz/run.sh ] && [ -z "${NO_FUZZ:-}" ]; then
	echo "== brief fuzz runs"
	run fuzz "$out/fuzz.log" sh tests/fuzz/run.sh "${FUZZ_SECONDS:-10}"
fi

if [ -n "$failures" ]; then
	echo "== failures (logs in tests/out/):$failures"
fi
if [ -n "$timings" ]; then
	echo "$timings" | sed '/^$/d' | sort -rn -k1,1 | head -10 |
		awk '{ s = $1; sub(/^[0-9]+ /, ""); o = o (NR > 1 ? ", " : "") $0 " " s "s" }
		END { print "slowest: " o }'
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
