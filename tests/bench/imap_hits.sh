#!/bin/bash
# imap_hits.sh BUILD - the volume case of tests/e2e/mailbox_imap.sh, moved
# here from `make test` (it took most of that test's time): a mailbox on a
# private Dovecot (tests/helpers/dovecot.subr) holds 10,001 decoys whose
# Message-IDs each hold "<x2@y.test>" and the message itself, 10,002 hits
# for Dovecot's substring SEARCH HEADER. `mbxtool delete` (net/mailbox.c,
# Dovecot's master login over IMAPS, the test CA checked) must refuse with
# one clear line and exit 1, and the mailbox must still hold all 10,002
# messages: more hits than net/mailbox.c checks are an error, not a miss
# and never a delete. Prints the time mbxtool took.
#
# Prints "PASS imap_hits/NAME" or "FAIL imap_hits/NAME: why" and exits
# non-zero on a wrong result. BENCH_KEEP=1 keeps the scratch directory.
# Nothing leaves this machine: everything runs under the tests' network
# guard (BUILD/tests/netguard.so); a record fails the benchmark.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
B=${1:-build}
case "$B" in /*) ;; *) B=$top/$B ;; esac
MBX=$B/tests/mbxtool
NDECOYS=10001
[ -x "$MBX" ] || { echo "FAIL imap_hits/setup: no $MBX (make all)"; exit 1; }
[ -f "$B/tests/netguard.so" ] || { echo "FAIL imap_hits/setup: no $B/tests/netguard.so (make all)"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "FAIL imap_hits/setup: needs root (Dovecot's master process)"; exit 1; }
command -v dovecot >/dev/null && command -v doveadm >/dev/null ||
	{ echo "FAIL imap_hits/setup: no dovecot/doveadm (make test-deps)"; exit 1; }

W=$(mktemp -d /tmp/mxgate-bench-hits.XXXXXX)
chmod 755 "$W"
# lib.subr: the network guard (LD_PRELOAD, exported), t_ca, t_cert,
# wait_port, wait_for, which dovecot.subr uses
MXSH=$B/mxsh MXGATED=$B/mxgated TEST_OUT=$W MXGATE_NETGUARD=$W/netguard
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
. "$top/tests/e2e/lib.subr"
. "$top/tests/helpers/dovecot.subr"
DOVECOT_USERS="$DOVECOT_USERS dave@example.com:dave-pw-1"
cleanup() {
	rc=$?
	dovecot_stop
	if [ -s "$MXGATE_NETGUARD" ]; then
		echo "FAIL imap_hits/netguard: sent off this machine:"
		sed 's/^/  /' "$MXGATE_NETGUARD"
		rc=1
	fi
	if [ -n "${BENCH_KEEP:-}" ]; then echo "bench imap_hits: kept $W"; else rm -rf "$W"; fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM	# then cleanup, once, on the way out

IP=$(free_port)
dovecot_start "$W/dv" "$IP" >"$W/dv.why" 2>&1 ||
	{ echo "FAIL imap_hits/setup: $(cat "$W/dv.why")"; exit 1; }
CA=$W/dv/ca/ca.pem
U=dave@example.com

# msg FILE MESSAGE-ID SUBJECT - a small message
msg() {
	printf 'From: sender@outside.test\r\nTo: user@example.com\r\nSubject: %s\r\nMessage-ID: %s\r\nDate: Mon, 7 Dec 2026 01:00:00 +0000\r\n\r\nthe body of %s\r\n' \
		"$3" "$2" "$3" >"$1"
}
# the decoys straight into the maildir (doveadm save takes ~0.1 s each)
md=$W/dv/mail/$U/Maildir
mkdir -p "$md/cur" "$md/new" "$md/tmp"
i=1
while [ "$i" -le "$NDECOYS" ]; do
	msg "$md/new/1700000000.M${i}P$$.mxtest" "<d$i<x2@y.test>>" "decoy $i"
	i=$((i + 1))
done
chown -R nobody:nogroup "$W/dv/mail/$U"
msg "$W/target" '<x2@y.test>' phish
dovecot_deliver $U "$W/target"
n=$(dovecot_count $U)
[ "$n" = $((NDECOYS + 1)) ] || { echo "FAIL imap_hits/setup: $n messages in the mailbox, not $((NDECOYS + 1))"; exit 1; }

t0=$(date +%s.%N)
"$MBX" -s "imaps://127.0.0.1:$IP" -u mxgate -p master-pw-1 -c "$CA" delete $U '<x2@y.test>' \
	>"$W/bound.out" 2>"$W/bound.err"
rc=$?
t1=$(date +%s.%N)
fail=0
if [ "$rc" = 1 ] && [ "$(wc -l <"$W/bound.err")" = 1 ] &&
	grep -qx "mbxtool: IMAP search in mailbox $U: $((NDECOYS + 1)) messages have a Message-ID holding <x2@y.test>, more than the 10000 that are checked for it; nothing was done" "$W/bound.err"; then
	echo "PASS imap_hits/too_many_hits_refused"
else
	echo "FAIL imap_hits/too_many_hits_refused: rc $rc: $(cat "$W/bound.out" "$W/bound.err" | head -3)"
	fail=1
fi
n=$(dovecot_count $U)
if [ "$n" = $((NDECOYS + 1)) ] && dovecot_has $U '<x2@y.test>'; then
	echo "PASS imap_hits/nothing_deleted"
else
	echo "FAIL imap_hits/nothing_deleted: $n messages left of $((NDECOYS + 1))"
	fail=1
fi
if grep -q 'Sanitizer\|runtime error' "$W/bound.out" "$W/bound.err"; then
	echo "FAIL imap_hits/sanitizer_clean: $(grep -h 'Sanitizer\|runtime error' "$W/bound.err" | head -2)"
	fail=1
fi
awk -v n=$((NDECOYS + 1)) -v a="$t0" -v b="$t1" 'BEGIN { printf "mbxtool answered %d hits in %.2f s\n", n, b - a }'
exit $fail
