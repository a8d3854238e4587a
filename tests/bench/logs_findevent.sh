#!/bin/bash
# logs_findevent.sh BUILD - findevent on 1 GB of mail_logs: the index cold
# and warm, against a full scan and against GNU grep.
#
# The log is written by tests/bench/genlog.py (seed 1, rolled every
# 100000000 bytes: ten rolled files and the current one) into a data
# directory cached under /tmp/mxgate-bench-logs, keyed by size, seed, roll
# size and the generator's checksum, so later runs reuse it
# (logs_grep.sh caches its unrolled log beside it). The files are read
# once first: every figure is with a warm page cache.
#
# Figures, each the best of 5 runs unless said:
#   -m cold    findevent -m MID with no index: the first run builds it
#              for every file (one run)
#   -m warm    the same MID again, and a MID in the newest rolled file
#   -m scan    the same MID with the index impossible (DIR/.index a plain
#              file in a directory of symlinks to the same files)
#   -f warm    findevent -f REGEX, the index walking its From: values
#   -f scan    the same by a full scan
#   grep -c    GNU grep -c -E over the same files for the same From: lines
#              (LC_ALL=C), the baseline a full scan cannot beat by much
# and the ratios; the outputs of index and scan are compared (a ratio of
# two different answers would mean nothing), and the index's size.
# The targets (issue 5): -m warm under 100 ms; -f warm well under grep -c.
#
# BENCH_QUICK=1: a 50 MB log rolled every 5000000 bytes (a smoke test).
# BENCH_SEED=N: another log.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
B=${1:-build}
case "$B" in /*) ;; *) B=$top/$B ;; esac
MXSH=$B/mxsh
PY=/usr/bin/python3
GEN=$top/tests/bench/genlog.py
export LC_ALL=C TZ=UTC

[ -x "$MXSH" ] || { echo "logs_findevent: no $MXSH (make first)"; exit 1; }
if [ -n "${BENCH_QUICK:-}" ]; then
	SIZE=$((50 << 20)) ROLL=5000000
else
	SIZE=$((1 << 30)) ROLL=100000000
fi
SEED=${BENCH_SEED:-1}
sum=$(md5sum "$GEN" | cut -c1-8)
CACHE=/tmp/mxgate-bench-logs
D=$CACHE/mail-$SIZE-$SEED-roll$ROLL-$sum
L=$D/logs/mail_logs

if [ ! -s "$L/mail.current" ]; then
	echo "logs_findevent: writing a $((SIZE >> 20)) MB mail_logs (genlog.py --seed $SEED --roll $ROLL) into $D"
	mkdir -p "$CACHE"
	rm -rf "$D.tmp"
	t0=$(date +%s)
	$PY "$GEN" --bytes "$SIZE" --seed "$SEED" --roll "$ROLL" --out "$D.tmp/logs/mail_logs" || exit 1
	mv "$D.tmp" "$D"
	echo "logs_findevent: written in $(($(date +%s) - t0)) s"
fi
cat "$L"/mail.* >/dev/null	# warm the page cache

W=$(mktemp -d /dev/shm/mxgate-findevent.XXXXXX 2>/dev/null || mktemp -d /tmp/mxgate-findevent.XXXXXX)
trap 'rm -rf "$W"' EXIT INT TERM
# the scan's data directory: the same files, an index that cannot be made
mkdir -p "$W/scan/logs/mail_logs"
for f in "$L"/mail.*; do ln -s "$f" "$W/scan/logs/mail_logs/"; done
touch "$W/scan/logs/mail_logs/.index"

ms() { echo $(($(date +%s%N) / 1000000)); }

# once OUT CMD... - one run in ms, its output in OUT
once() {
	out=$1
	shift
	t0=$(ms)
	"$@" >"$out" 2>&1
	echo $(($(ms) - t0))
}

# best N OUT CMD... - the best of N runs in ms; output of the last in OUT
best() {
	n=$1 out=$2
	shift 2
	b=""
	for _ in $(seq "$n"); do
		d=$(once "$out" "$@")
		[ -z "$b" ] || [ "$d" -lt "$b" ] && b=$d
	done
	echo "$b"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b <= 0) b = 1; printf "%.3f", a / b }'; }

files=("$L"/mail.@*.s)
nfiles=$(($(ls "$L"/mail.* | wc -l)))
total=$(cat "$L"/mail.* | wc -c)
# a message in the middle file that was split (so journaled and perhaps
# bounced too), and one in the newest rolled file
mid_file=${files[$((${#files[@]} / 2))]}
last_file=${files[$((${#files[@]} - 1))]}
MID=$(grep -m1 -o 'MID [0-9]* was split creating' "$mid_file" | awk '{print $2}')
MID2=$(grep -m1 -o 'MID [0-9]* was generated for bounce of MID [0-9]*' "$last_file" | awk '{print $NF}')
[ -n "$MID" ] && [ -n "$MID2" ] || { echo "logs_findevent: no split or bounce found"; exit 1; }
REGEX='^mallory@bulk\.'
GREPRE='MID [0-9]+ ICID [1-9][0-9]* From: <mallory@bulk\.'

echo "== findevent: $((total >> 20)) MB of mail_logs in $nfiles files ($L)"
rm -rf "$L/.index"
t_cold=$(once "$W/cold.out" "$MXSH" -D "$D" -c "findevent -m $MID mail_logs")
t_warm=$(best 5 "$W/warm.out" "$MXSH" -D "$D" -c "findevent -m $MID mail_logs")
t_warm2=$(best 5 "$W/warm2.out" "$MXSH" -D "$D" -c "findevent -m $MID2 mail_logs")
t_scan=$(best 3 "$W/scan.out" "$MXSH" -D "$W/scan" -c "findevent -m $MID mail_logs")
t_scan2=$(best 3 "$W/scan2.out" "$MXSH" -D "$W/scan" -c "findevent -m $MID2 mail_logs")
t_fw=$(best 5 "$W/fw.out" "$MXSH" -D "$D" -c "findevent -f '$REGEX' mail_logs")
t_fs=$(best 3 "$W/fs.out" "$MXSH" -D "$W/scan" -c "findevent -f '$REGEX' mail_logs")
t_grep=$(best 5 "$W/grep.out" grep -c -E "$GREPRE" "$L"/mail.*)
t_sw=$(best 5 "$W/sw.out" "$MXSH" -D "$D" -c "findevent -i -s 'urgent.*invoice' mail_logs")
t_tw=$(best 5 "$W/tw.out" "$MXSH" -D "$D" -c "findevent -t '^(hr|it)@example' mail_logs")
idx=$(du -sk "$L/.index" | cut -f1)

same() { if cmp -s "$1" "$2"; then echo same; else echo DIFFERENT; fi; }
hits=$(wc -l <"$W/fw.out")
greps=$(awk -F: '{ s += $NF } END { print s }' "$W/grep.out")
printf '%-44s %8s ms\n' "findevent -m $MID, index cold (builds it)" "$t_cold"
printf '%-44s %8s ms  (%d lines; target < 100 ms)\n' "findevent -m $MID, index warm" "$t_warm" \
	"$(wc -l <"$W/warm.out")"
printf '%-44s %8s ms  (%d lines)\n' "findevent -m $MID2, index warm" "$t_warm2" "$(wc -l <"$W/warm2.out")"
printf '%-44s %8s ms  (output %s)\n' "findevent -m $MID, full scan" "$t_scan" "$(same "$W/warm.out" "$W/scan.out")"
printf '%-44s %8s ms  (output %s)\n' "findevent -m $MID2, full scan" "$t_scan2" "$(same "$W/warm2.out" "$W/scan2.out")"
printf '%-44s %8s ms  (%d messages)\n' "findevent -f '$REGEX', index warm" "$t_fw" "$hits"
printf '%-44s %8s ms  (output %s)\n' "findevent -f '$REGEX', full scan" "$t_fs" "$(same "$W/fw.out" "$W/fs.out")"
printf '%-44s %8s ms  (%d lines)\n' "GNU grep -c -E over the files" "$t_grep" "$greps"
printf '%-44s %8s ms  (%d messages)\n' "findevent -i -s 'urgent.*invoice', warm" "$t_sw" "$(wc -l <"$W/sw.out")"
printf '%-44s %8s ms  (%d messages)\n' "findevent -t '^(hr|it)@example', warm" "$t_tw" "$(wc -l <"$W/tw.out")"
echo "ratios:"
echo "  -m warm / -m full scan        $(ratio "$t_warm" "$t_scan")"
echo "  -m warm / GNU grep -c         $(ratio "$t_warm" "$t_grep")"
echo "  -f warm / GNU grep -c         $(ratio "$t_fw" "$t_grep")"
echo "  -f warm / -f full scan        $(ratio "$t_fw" "$t_fs")"
echo "  -f full scan / GNU grep -c    $(ratio "$t_fs" "$t_grep")"
echo "index: $((idx >> 10)) MB for $((total >> 20)) MB of logs ($(ratio "$((idx * 1024))" "$total") of the size)"
