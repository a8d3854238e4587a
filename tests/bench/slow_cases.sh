#!/bin/bash
# slow_cases.sh BUILD - end-to-end cases moved out of `make test` because
# they wait out a fixed timer of mxgated, run here by `make bench` with
# the switch their script takes, against the real daemon as in the tests:
#
#   remediation_retry  RETRY_OUTAGE=1 tests/e2e/remediation_retry.sh: an
#                      operator's forward_delete while Dovecot is down is
#                      kept pending and done by the retry a minute later
#                      (daemon/remd.c retry_steps), the forward sent once
#
# Prints each case's PASS/FAIL lines (and its time); exits non-zero when a
# case reported a failure or exited non-zero. The scripts run under the
# tests' network guard (tests/e2e/lib.subr sets it up): a record fails them.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
B=${1:-build}
case "$B" in /*) ;; *) B=$top/$B ;; esac
[ -x "$B/mxgated" ] && [ -f "$B/tests/netguard.so" ] ||
	{ echo "FAIL slow_cases/setup: no $B/mxgated or $B/tests/netguard.so (make all)"; exit 1; }
W=$(mktemp -d /tmp/mxgate-bench-slow.XXXXXX)
chmod 755 "$W"
export MXSH=$B/mxsh MXGATED=$B/mxgated BUILD=$B TEST_OUT=$W
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
rc=0
# slow NAME ENV=VALUE... - one script with its switch
slow() {
	name=$1
	shift
	t0=$(date +%s)
	env "$@" sh "$top/tests/e2e/$name.sh" >"$W/$name.log" 2>&1
	r=$?
	grep -E '^(PASS|FAIL) ' "$W/$name.log" | sed -E "s#^(PASS|FAIL) #&$name/#"
	if [ $r != 0 ] || grep -q '^FAIL ' "$W/$name.log"; then
		grep -q '^FAIL ' "$W/$name.log" || { echo "FAIL $name: exited $r"; tail -5 "$W/$name.log"; }
		rc=1
	fi
	echo "$name: $(($(date +%s) - t0)) s"
}
slow remediation_retry RETRY_OUTAGE=1
if [ -n "${BENCH_KEEP:-}" ] || [ $rc != 0 ]; then echo "bench slow_cases: kept $W"; else rm -rf "$W"; fi
exit $rc
