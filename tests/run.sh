#!/bin/sh
# run.sh BUILD... - run every test against each build directory.
#
# Unit programs (BUILD/tests/test_*), CLI transcripts (tests/cli) and the
# end-to-end scripts (tests/e2e/*.sh) each print "PASS name" or
# "FAIL name: why" lines; a script that exits non-zero without a FAIL line
# counts as one failure. Brief fuzz runs follow (tests/fuzz). Ends with
# "N passed, N failed" and exits non-zero on any failure.
#
# TESTS=pattern limits the run to tests whose name contains pattern.
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
out=$top/tests/out
mkdir -p "$out"
passed=0
failed=0
failures=""

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

# run LABEL LOG CMD... - run one test program, echo its result lines
run() {
	label=$1 log=$2
	shift 2
	case "$label" in *"${TESTS:-}"*) ;; *) return ;; esac
	"$@" >"$log" 2>&1
	rc=$?
	grep -E '^(PASS|FAIL) ' "$log"
	count "$log" "$label" "$rc" "$bname"
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
	export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=99"
	export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=98"
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
done

if [ -f tests/fuzz/run.sh ] && [ -z "${NO_FUZZ:-}" ]; then
	echo "== brief fuzz runs"
	run fuzz "$out/fuzz.log" sh tests/fuzz/run.sh "${FUZZ_SECONDS:-10}"
fi

if [ -n "$failures" ]; then
	echo "== failures (logs in tests/out/):$failures"
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
