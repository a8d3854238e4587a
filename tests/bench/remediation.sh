#!/bin/bash
# remediation.sh BUILD - mailbox remediation side by side: mxgate's own
# IMAP code (net/mailbox.c, through BUILD/tests/mbxtool) against
# Dovecot's doveadm, on one private Dovecot (tests/helpers/dovecot.subr).
#
# Workload: N messages (BENCH_REMED_N, 200) with distinct Message-IDs are
# saved in alice@example.com's INBOX; then M of them (BENCH_REMED_M, 100,
# spread evenly over the N) are removed one Message-ID at a time:
#   mxgate   `mbxtool delete alice@example.com ID` over IMAPS (TLS 1.2+,
#            certificate checked against the test CA), Dovecot's master
#            login alice@example.com*mxgate: one process per message, each
#            a TLS handshake, a login, UID SEARCH HEADER Message-ID, a
#            FETCH of each hit's Message-ID (the exact match), then
#            \Deleted and UID EXPUNGE of that message
#   doveadm  `doveadm expunge -u alice@example.com mailbox INBOX header
#            Message-ID ID`: one process per message too, opening the
#            maildir directly (no network, no TLS, no login)
# Process start-up is included for both. Before each run the INBOX is
# emptied and filled again with the same N messages, so both start alike.
# After each run the INBOX must hold exactly the N-M messages not removed
# (every Message-ID listed by doveadm fetch): a run that removed the wrong
# mail, or left one, fails the benchmark. Prints msgs/s of each, ms per
# message, and the ratio mxgate/doveadm.
#
# Dovecot's header search is a substring match (mxgate checks each hit's
# Message-ID for equality): the IDs here are "<rb-NNNNN.PID@bench.test>",
# none a substring of another, so both remove the same messages.
#
# BENCH_QUICK=1: 20 of 40 messages; BENCH_KEEP=1 keeps the scratch
# directory (Dovecot's log and configuration).
#
# Nothing leaves this machine: everything runs under the tests' network
# guard (BUILD/tests/netguard.so); a record fails the benchmark.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
B=${1:-build}
case "$B" in /*) ;; *) B=$top/$B ;; esac
MBX=$B/tests/mbxtool
N=${BENCH_REMED_N:-200}
M=${BENCH_REMED_M:-100}
[ -n "${BENCH_QUICK:-}" ] && { N=${BENCH_REMED_N:-40}; M=${BENCH_REMED_M:-20}; }
case "$N$M" in *[!0-9]*|"") echo "bench remediation: BENCH_REMED_N and BENCH_REMED_M must be numbers"; exit 1 ;; esac
if [ "$N" -lt 1 ] || [ "$M" -lt 1 ] || [ "$M" -gt "$N" ]; then
	echo "bench remediation: needs 1 <= BENCH_REMED_M ($M) <= BENCH_REMED_N ($N)"; exit 1
fi
[ -x "$MBX" ] || { echo "bench remediation: no $MBX (make all)"; exit 1; }
[ -f "$B/tests/netguard.so" ] || { echo "bench remediation: no $B/tests/netguard.so (make all)"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "bench remediation: needs root (Dovecot's master process)"; exit 1; }
command -v dovecot >/dev/null && command -v doveadm >/dev/null ||
	{ echo "bench remediation: no dovecot/doveadm (make test-deps)"; exit 1; }

W=$(mktemp -d /tmp/mxgate-bench-remed.XXXXXX)
chmod 755 "$W"
# lib.subr: the network guard (LD_PRELOAD, exported), t_ca, t_cert,
# wait_port, wait_for, which dovecot.subr uses
MXSH=$B/mxsh MXGATED=$B/mxgated TEST_OUT=$W MXGATE_NETGUARD=$W/netguard
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
. "$top/tests/e2e/lib.subr"
. "$top/tests/helpers/dovecot.subr"
cleanup() {
	rc=$?
	dovecot_stop
	if [ -s "$MXGATE_NETGUARD" ]; then
		echo "bench remediation: FAIL netguard: sent off this machine:"
		sed 's/^/  /' "$MXGATE_NETGUARD"
		rc=1
	fi
	if [ -n "${BENCH_KEEP:-}" ]; then echo "bench remediation: kept $W"; else rm -rf "$W"; fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM	# then cleanup, once, on the way out

A=alice@example.com
IP=$(free_port)
dovecot_start "$W/dv" "$IP" >"$W/dv.why" 2>&1 ||
	{ echo "bench remediation: $(cat "$W/dv.why")"; exit 1; }
CA=$W/dv/ca/ca.pem

# the messages: msgs/NNNNN, ids.all (every Message-ID), ids.gone (the M
# to remove, spread evenly), ids.kept (the others); about 2 KB each
mkdir -p "$W/msgs"
: >"$W/ids.all"
: >"$W/ids.gone"
: >"$W/ids.kept"
body=$(for _ in $(seq 24); do printf 'The quarterly figures are attached; please review them before Friday.\r\n'; done)
i=1
while [ "$i" -le "$N" ]; do
	id=$(printf '<rb-%05d.%d@bench.test>' "$i" $$)
	printf 'From: sender%d@outside.test\r\nTo: %s\r\nSubject: remediation bench %d\r\nMessage-ID: %s\r\nDate: Mon, 7 Dec 2026 01:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n%s\r\n' \
		"$i" "$A" "$i" "$id" "$body" >"$W/msgs/$(printf %05d "$i")"
	echo "$id" >>"$W/ids.all"
	if [ $((i * M / N)) -gt $(((i - 1) * M / N)) ]; then echo "$id" >>"$W/ids.gone"
	else echo "$id" >>"$W/ids.kept"; fi
	i=$((i + 1))
done
sort -o "$W/ids.kept" "$W/ids.kept"
[ "$(wc -l <"$W/ids.gone")" = "$M" ] || { echo "bench remediation: chose $(wc -l <"$W/ids.gone") of $M messages"; exit 1; }

# fill - an empty INBOX, then the N messages; 1 (and why) if it does not hold them
fill() {
	doveadm_do expunge -u "$A" mailbox INBOX all 2>"$W/fill.err"
	for f in "$W"/msgs/*; do
		dovecot_deliver "$A" "$f" 2>>"$W/fill.err" || { echo "doveadm save failed: $(tail -1 "$W/fill.err")"; return 1; }
	done
	dovecot_ids "$A" | sort >"$W/ids.now"
	sort "$W/ids.all" | cmp -s - "$W/ids.now" ||
		{ echo "the INBOX holds $(wc -l <"$W/ids.now") messages, not the $N saved"; return 1; }
}

# check NAME - the INBOX holds exactly ids.kept: prints nothing, or what is wrong
check() {
	dovecot_ids "$A" | sort >"$W/ids.after.$1"
	cmp -s "$W/ids.kept" "$W/ids.after.$1" && return 0
	left=$(comm -12 "$W/ids.after.$1" <(sort "$W/ids.gone") | wc -l)
	lost=$(comm -23 "$W/ids.kept" "$W/ids.after.$1" | wc -l)
	echo "WRONG($left of the $M still there, $lost of the $((N - M)) others gone)"
}

# run NAME CMD... - CMD ID for each Message-ID of ids.gone, timed; prints
# the seconds, or FAILED(...) / WRONG(...)
run() {
	name=$1
	shift
	why=$(fill) || { echo "FAILED(filling the INBOX: $why)"; return; }
	t0=$(date +%s%N)
	while read -r id; do
		if ! "$@" "$id" >"$W/$name.out" 2>"$W/$name.err"; then
			echo "FAILED($id: $(head -1 "$W/$name.err"))"; return
		fi
		if [ "$name" = mxgate ] && ! grep -qx 'deleted 1' "$W/$name.out"; then
			echo "FAILED($id: mbxtool said '$(head -1 "$W/$name.out")')"; return
		fi
	done <"$W/ids.gone"
	t1=$(date +%s%N)
	why=$(check "$name")
	[ -n "$why" ] && { echo "$why"; return; }
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) / 1e9 }'
}

mbx() { "$MBX" -s "imaps://127.0.0.1:$IP" -u mxgate -p master-pw-1 -c "$CA" delete "$A" "$1"; }
dva() { doveadm_do expunge -u "$A" mailbox INBOX header Message-ID "$1"; }

tm=$(run mxgate mbx)
td=$(run doveadm dva)

rate() { case "$1" in [0-9]*) awk -v n="$M" -v t="$1" 'BEGIN { printf "%.0f", n / t }' ;; *) echo failed ;; esac; }
per() { case "$1" in [0-9]*) awk -v n="$M" -v t="$1" 'BEGIN { printf "%.1f", t * 1000 / n }' ;; *) echo - ;; esac; }
sec() { case "$1" in [0-9]*) echo "$1" ;; *) echo - ;; esac; }
rm_=$(rate "$tm")
rd=$(rate "$td")
echo "== mailbox remediation: $M of $N messages (~2 KB) removed from one Dovecot INBOX, one Message-ID per process"
echo "   (process start-up included for both; mxgate over IMAPS with the master login, doveadm on the maildir)"
printf '%-52s %10s %10s %8s\n' "run" "msgs/s" "ms/msg" "seconds"
printf '%-52s %10s %10s %8s\n' "mxgate (mbxtool delete, net/mailbox.c)" "$rm_" "$(per "$tm")" "$(sec "$tm")"
printf '%-52s %10s %10s %8s\n' "doveadm expunge ... header Message-ID ID" "$rd" "$(per "$td")" "$(sec "$td")"
case "$tm$td" in
*[!0-9.]*)
	echo "bench remediation: FAIL: mxgate $tm, doveadm $td"
	exit 1 ;;
esac
awk -v a="$rm_" -v b="$rd" 'BEGIN { if (b > 0) printf "mxgate/doveadm (msgs/s): %.2f\n", a / b }'
echo "  each run verified: the $M removed are gone, the other $((N - M)) remain"
