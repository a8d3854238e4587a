#!/bin/sh
# run.sh SECONDS [NAME...] - build the libFuzzer harnesses and run each for
# SECONDS seconds (0: replay the corpus and seeds only).
#
# NAME is a harness, tests/fuzz/NAME.c (fuzz_argv, or a path such as
# build/fuzz/fuzz_argv); without names every tests/fuzz/fuzz_*.c runs.
# As many harnesses run at once as there are processors. Each harness
# works on its corpus build/fuzz/corpus/NAME, seeded from the
# checked-in inputs tests/fuzz/seeds/NAME/ (read, never written), with
# inputs of at most 4096 bytes. Crashes, leaks, timeouts and UBSan errors
# leave an artifact in build/fuzz/artifacts/NAME/ and a log in
# build/fuzz/NAME.log.
#
# Prints "PASS fuzz/NAME" or "FAIL fuzz/NAME: crash (artifact)" per
# harness; exits 1 on any failure, 2 on a usage error. Reproduce a failure
# with: build/fuzz/NAME build/fuzz/artifacts/NAME/crash-...
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2

secs=${1:-10}
case $secs in
'' | *[!0-9]*)
	echo "usage: sh tests/fuzz/run.sh SECONDS [NAME...]" >&2
	exit 2
	;;
esac
[ $# -gt 0 ] && shift

names=
if [ $# -gt 0 ]; then
	for a in "$@"; do
		n=$(basename "$a" .c)
		[ -f "tests/fuzz/$n.c" ] || { echo "run.sh: no harness tests/fuzz/$n.c" >&2; exit 2; }
		names="$names $n"
	done
else
	for f in tests/fuzz/fuzz_*.c; do
		[ -f "$f" ] && names="$names $(basename "$f" .c)"
	done
fi
[ -n "$names" ] || { echo "run.sh: no harnesses in tests/fuzz" >&2; exit 2; }

# Build quietly; show the end of the log only when it fails.
mkdir -p build/fuzz
jobs=$(nproc 2>/dev/null || echo 2)
if ! make --no-print-directory -j"$jobs" fuzz-build >build/fuzz/build.log 2>&1; then
	echo "FAIL fuzz/build: make fuzz-build failed (build/fuzz/build.log)"
	tail -20 build/fuzz/build.log | sed 's/^/    /'
	exit 1
fi

# one NAME - run one harness; prints its PASS or FAIL lines, returns 1 on a failure
one() {
	n=$1
	bin=build/fuzz/$n
	corpus=build/fuzz/corpus/$n
	art=build/fuzz/artifacts/$n
	log=build/fuzz/$n.log
	if [ ! -x "$bin" ]; then
		echo "FAIL fuzz/$n: $bin was not built"
		return 1
	fi
	mkdir -p "$corpus" "$art"
	# artifacts of earlier runs were reported then; keep them apart
	for f in "$art"/*; do
		[ -f "$f" ] && mkdir -p "$art/old" && mv "$f" "$art/old/"
	done
	set -- "$corpus"
	[ -d "tests/fuzz/seeds/$n" ] && set -- "$@" "tests/fuzz/seeds/$n"
	# SECONDS 0: only replay the corpus and seeds (libFuzzer's 0 means forever)
	limit=-max_total_time=$secs
	[ "$secs" -eq 0 ] && limit=-runs=0
	"$bin" -max_len=4096 "$limit" -timeout=25 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$art/" "$@" >"$log" 2>&1
	rc=$?
	found=
	for f in "$art"/*; do
		[ -f "$f" ] && found=$f
	done
	if [ "$rc" = 0 ] && [ -z "$found" ]; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
		echo "PASS fuzz/$n"
		echo "    $n: ${runs:-?} runs in ${secs}s, corpus $(ls "$corpus" | wc -l) inputs"
		return 0
	fi
	if [ -n "$found" ]; then
		kind=$(basename "$found" | sed 's/-.*//')
		echo "FAIL fuzz/$n: $kind ($found)"
	else
		echo "FAIL fuzz/$n: exited $rc without an artifact ($log)"
	fi
	# what went wrong, for the test log
	grep -E '^(fuzz_|==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$log" | head -8 |
		sed 's/^/    /'
	return 1
}

# as many harnesses at once as there are processors (each is one busy
# process with its own corpus), their lines printed in name order
running=0
for n in $names; do
	one "$n" >"build/fuzz/$n.result" 2>&1 &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait
		running=0
	fi
done
wait
failed=0
for n in $names; do
	cat "build/fuzz/$n.result"
	grep -q '^FAIL ' "build/fuzz/$n.result" && failed=1
done
exit $failed
