#!/bin/sh
# store_damage.sh - mxgated refuses a damaged or lost store rather than
# lose or bounce the queue (issue 9, item 3), against the real daemon:
#   - a queue of held messages (the work queue paused; example.test routed
#     to an smtp-sink, DNS to a port where nobody answers) is made, and
#     mxgated stopped;
#   - each damage is made on a copy of that data directory: config.db
#     truncated to 0 bytes, removed, a directory, or holding no commit;
#     queue.db truncated to 0 bytes or a page in its middle overwritten
#     with garbage; the ID sequences set back to 1. mxgated must refuse at once
#     (exit 1), with one line naming the file on stderr and the same line
#     as Critical in mail_logs; the stores are byte for byte unchanged,
#     nothing was bounced and the sink got nothing;
#   - a recipient whose message row was deleted (sqlite3, mxgated stopped)
#     is removed with a Warning naming its MID and RID, and an alert;
#   - the undamaged copy still starts and delivers every message; after
#     that (an empty queue), sequences set back are still refused, from the
#     record of the last run;
#   - a full disk at start (a small tmpfs, filled up, in a mount namespace
#     of its own) is told in mail_logs, not only on stderr.
# Every wait is for an event, with a generous ceiling.
. "$(dirname "$0")/lib.subr"

D=$(t_dir store_damage)
P=$(free_port)		# the listener
S=$(free_port)		# the smtp-sink example.test is routed to
U=$(free_port)		# DNS: nobody answers there
SINK=$D/sink
N=12
ORIG=$D/orig

mxsh_do "$ORIG" \
	"listenerconfig new IncomingMail ip=127.0.0.1 port=$P type=public domains=@example.test" \
	"smtproutes new example.test 127.0.0.1:$S" \
	"dnsconfig servers=127.0.0.1:$U" \
	"commit e2e store_damage" >"$D/setup.out" 2>&1 &&
	"$MXSH" -D "$ORIG" -c 'workqueue pause store_damage holds the queue' >>"$D/setup.out" 2>&1 \
	|| { t_fail setup "mxsh setup failed: $(cat "$D/setup.out")"; t_done; }

# ---------------------------------------------------------------- a held queue
gw_start "$ORIG"
wait_port "$P" 20 || { t_fail setup "mxgated did not listen: $(cat "$ORIG/mxgated.out")"; t_done; }
$PY - "$P" "$N" >"$D/send.out" 2>&1 <<'PYEOF' || { t_fail setup "sending failed: $(cat "$D/send.out")"; t_done; }
import smtplib, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
s = smtplib.SMTP("127.0.0.1", port, timeout=30, local_hostname="localhost")
for i in range(n):
    # bodies big enough to spread the queue over many pages
    body = "Subject: held %d\r\n\r\n" % i + ("line %d of message %d\r\n" % (0, i)) * 150
    s.sendmail("s@outside.test", ["u%d@example.test" % i, "v%d@example.test" % i], body)
s.quit()
PYEOF
queued() { sqlite3 "$1/queue.db" 'SELECT count(*) FROM messages' 2>/dev/null; }
wait_for 30 sh -c "[ \"\$(sqlite3 '$ORIG/queue.db' 'SELECT count(*) FROM messages')\" = $N ]" ||
	t_fail setup "queue.db holds $(queued "$ORIG") messages, not $N"
gw_stop "$ORIG"
if [ -s "$ORIG/queue.db-wal" ] || [ "$(queued "$ORIG")" != "$N" ]; then
	t_fail setup "the stopped queue is not as expected: $(ls -l "$ORIG")"
	t_done
fi
rm -f "$ORIG/mxgated.out" "$ORIG/mxgated.pid"

sink_start "$S" "$SINK" || { t_fail setup "smtp-sink did not start"; t_done; }

# state DIR - every file of the data directory (not logs) with its checksum;
# not the pid file, whose lock a refused start takes before it looks at the stores
state() {
	(cd "$1" && for f in *; do
		[ -f "$f" ] && [ "$f" != mxgated.out ] && [ "$f" != mxgated.pid ] &&
			echo "$f $(cksum <"$f")"
	done)
}

# refused NAME DIR PATTERN - mxgated on DIR exits 1 at once with one line
# matching PATTERN (grep -E) on stderr and as Critical in mail_logs;
# nothing in DIR changed, nothing bounced, nothing delivered
refused() {
	name=$1 dir=$2 pat=$3 log=$2/logs/mail_logs/mail.current
	before=$(state "$dir")
	logsize=$(cat "$log" 2>/dev/null | wc -c)
	timeout 120 "$MXGATED" -D "$dir" -f >"$dir.stdout" 2>"$dir.stderr"
	rc=$?
	after=$(state "$dir")
	err=$(cat "$dir.stderr")
	tail -c +$((logsize + 1)) "$log" >"$dir.newlog" 2>/dev/null	# this run's lines
	crit=$(grep 'Critical: mxgated cannot start: ' "$dir.newlog")
	why=""
	if [ "$rc" != 1 ]; then
		why="exit $rc (want 1; 124: still running after 120 s): $(head -3 "$dir.stderr")"
	elif [ "$(wc -l <"$dir.stderr")" != 1 ] || ! echo "$err" | grep -Eq "^mxgated: $pat"; then
		why="stderr is not one line matching '$pat': $err"
	elif [ "$(echo "$crit" | wc -l)" != 1 ] ||
	    ! echo "$crit" | grep -Eq "Critical: mxgated cannot start: $pat" ||
	    [ "${crit#*cannot start: }" != "${err#mxgated: }" ]; then
		why="mail_logs has not the same line as Critical: '$crit'"
	elif [ "$before" != "$after" ]; then
		why="the data directory changed: before '$before' after '$after'"
	elif [ "$(wc -l <"$dir.newlog")" != 1 ]; then
		why="mxgated did more than refuse: $(head -3 "$dir.newlog")"
	elif [ "$(sink_count "$SINK")" != 0 ]; then
		why="the sink got $(sink_count "$SINK") messages"
	fi
	[ -z "$why" ] && t_pass "store_damage/$name" || t_fail "store_damage/$name" "$why"
}

# copy NAME - a copy of the held queue's data directory
copy() { rm -rf "$D/$1" && cp -a "$ORIG" "$D/$1" && echo "$D/$1"; }

# ---------------------------------------------------------------- config.db
C=$(copy config_empty)
: >"$C/config.db"
refused config_empty "$C" "$C/config\.db is empty \(0 bytes\): .*restore it from a backup"

C=$(copy config_missing)
rm -f "$C/config.db"
refused config_missing "$C" \
	"$C/config\.db does not exist, but $C/queue\.db holds $N messages for $((2 * N)) recipients: .*bounced; restore config\.db from a backup"

# not a file: one line, and no leak on the way out (the ASan build)
C=$(copy config_directory)
rm -f "$C/config.db"
mkdir "$C/config.db"
refused config_directory "$C" "$C/config\.db is a directory, not a database file"

C=$(copy config_uncommitted)
"$MXSH" -D "$D/fresh" -c 'showchanges' >/dev/null 2>&1	# config.db with its schema, no commit
cp "$D/fresh/config.db" "$C/config.db"
refused config_uncommitted "$C" \
	"$C/config\.db holds no committed configuration, but $C/queue\.db holds $N messages"

# ---------------------------------------------------------------- queue.db
C=$(copy queue_empty)
: >"$C/queue.db"
refused queue_empty "$C" "$C/queue\.db is empty \(0 bytes\): the mail queue it held is lost \(or its first start was cut short\)"

# a page in the middle of the file, overwritten with garbage where a table
# or index of the queue lives (dbstat), as a bad sector or a stray write would
C=$(copy queue_page)
psize=$(sqlite3 "$C/queue.db" 'PRAGMA page_size')
page=$(sqlite3 "$C/queue.db" "SELECT pageno FROM dbstat WHERE name IN ('messages', 'recipients')
	ORDER BY pageno LIMIT 1 OFFSET (SELECT count(*) / 2 FROM dbstat WHERE name IN ('messages', 'recipients'))")
if [ -n "$psize" ] && [ -n "$page" ] && [ "$page" -gt 2 ]; then
	head -c "$psize" /dev/urandom >"$D/garbage"
	dd if="$D/garbage" of="$C/queue.db" bs="$psize" seek=$((page - 1)) count=1 conv=notrunc 2>/dev/null
	refused queue_page "$C" "$C/queue\.db is damaged \(PRAGMA quick_check: .*\); the mail queue in it cannot be trusted"
else
	t_fail store_damage/queue_page "no page to overwrite (page size '$psize', page '$page')"
fi

# the ID sequences set back, as a damaged ids table
C=$(copy ids_behind)
sqlite3 "$C/queue.db" "UPDATE ids SET next = 1"
refused ids_behind "$C" \
	"$C/queue\.db: the ICID sequence is behind the IDs in use \(next ICID 1, but the queue holds ICID [0-9]+\).*UPDATE ids SET next = [0-9]+ WHERE name = 'icid'"
sqlite3 "$C/queue.db" "UPDATE ids SET next = 1000000 WHERE name = 'icid'"
refused ids_behind_mid "$C" \
	"$C/queue\.db: the MID sequence is behind the IDs in use \(next MID 1, but the queue holds MID [0-9]+\)"

# ---------------------------------------------------------------- a recipient without its message
C=$(copy orphan)
omid=$(sqlite3 "$C/queue.db" 'SELECT min(mid) FROM messages')
sqlite3 "$C/queue.db" "DELETE FROM messages WHERE mid = $omid"
OLOG=$C/logs/mail_logs/mail.current
gw_start "$C"
if wait_for 30 sh -c "[ \$(grep -c 'Warning: MID $omid RID \[[01]\] To: <[uv][0-9]*@example.test> removed from the queue: the message is missing from queue.db' '$OLOG') = 2 ]"; then
	t_pass store_damage/orphan_logged
else
	t_fail store_damage/orphan_logged "$(grep -E "MID $omid|Critical" "$OLOG" | tail -3)"
fi
if wait_for 30 sh -c "[ \"\$(sqlite3 '$C/queue.db' 'SELECT count(*) FROM recipients WHERE mid = $omid')\" = 0 ]"; then
	t_pass store_damage/orphan_removed
else
	t_fail store_damage/orphan_removed "recipients of MID $omid are still queued"
fi
if grep -q "Queue loaded: $((N - 1)) messages, $((2 * (N - 1))) recipients" "$OLOG" &&
    [ "$(sqlite3 "$C/queue.db" "SELECT count(*) FROM alerts WHERE text LIKE '2 queued recipients had no message%'")" = 1 ]; then
	t_pass store_damage/orphan_alert_rest_kept
else
	t_fail store_damage/orphan_alert_rest_kept "$(grep -E 'Queue loaded|queued recipients' "$OLOG")"
fi
gw_stop "$C"

# ---------------------------------------------------------------- the undamaged copy
C=$(copy good)
GLOG=$C/logs/mail_logs/mail.current
gw_start "$C"
wait_port "$P" 20 || t_fail store_damage/good_starts "$(cat "$C/mxgated.out")"
"$MXSH" -D "$C" -c 'workqueue resume' >"$D/resume.out" 2>&1
if wait_sink 60 "$SINK" $((N - 1)) && grep -q "Queue loaded: $N messages, $((2 * N)) recipients" "$GLOG"; then
	t_pass store_damage/good_delivers
else
	t_fail store_damage/good_delivers "sink has $(sink_count "$SINK") of $N; $(cat "$D/resume.out"; tail -3 "$GLOG")"
fi
# the last IDs handed out are recorded (once a second): DCIDs are nowhere else
wait_for 30 sh -c "sqlite3 '$C/queue.db' \"SELECT value FROM state WHERE name = 'ids.last'\" | grep -Eq '^[1-9][0-9]* [0-9]+ [1-9][0-9]*$'" ||
	t_fail store_damage/good_ids_recorded "$(sqlite3 "$C/queue.db" "SELECT value FROM state WHERE name = 'ids.last'")"
wait_for 30 sh -c "[ \"\$(sqlite3 '$C/queue.db' 'SELECT count(*) FROM recipients')\" = 0 ]"
gw_stop "$C"

# with the queue empty, only the record of the last run knows the IDs used
rm -rf "$SINK"/*
sqlite3 "$C/queue.db" "UPDATE ids SET next = 1"
refused ids_behind_last_run "$C" \
	"$C/queue\.db: the ICID sequence is behind the IDs in use \(next ICID 1, but the record of mxgated's last run holds ICID [0-9]+\)"

# ---------------------------------------------------------------- a full disk at start
# In a mount namespace of its own: the tmpfs goes away with it, whatever happens.
F=$D/full
mkdir -p "$F"
cat >"$D/full.sh" <<EOF
mount -t tmpfs -o size=2m,mode=0755 mxgate-test "$F" || { echo "mount refused"; exit 3; }
"$MXSH" -D "$F/data" -e -c "dnsconfig servers=127.0.0.1:$U" -c "commit full disk" >/dev/null || exit 4
"$MXGATED" -D "$F/data" -f >"$D/full.first" 2>&1 &
pid=\$!
# a request taken: the loop runs, so SIGTERM is a clean stop
i=0
until "$MXSH" -D "$F/data" -c 'workqueue resume' >/dev/null 2>&1 &&
    grep -q 'Work queue resumed' "$F/data/logs/mail_logs/mail.current" || [ \$i -ge 300 ]; do
	sleep 0.1
	i=\$((i + 1))
done
kill \$pid
wait \$pid || exit 5
dd if=/dev/zero of="$F/fill" bs=4096 2>/dev/null
timeout 120 "$MXGATED" -D "$F/data" -f 2>"$D/full.stderr"
echo "rc=\$?"
df -k "$F" | tail -1
cp "$F/data/logs/mail_logs/mail.current" "$D/full.log"
EOF
if ! unshare -m --propagation private sh "$D/full.sh" >"$D/full.out" 2>&1; then
	t_fail store_damage/disk_full_told "the tmpfs could not be set up: $(cat "$D/full.out"; tail -5 "$D/full.first" 2>/dev/null)"
elif grep -q '^rc=1$' "$D/full.out" &&
    grep -Eq 'Critical: mxgated cannot start: .*(No space left on device|database or disk is full)' "$D/full.log" &&
    grep -Eq 'No space left on device|database or disk is full' "$D/full.stderr"; then
	t_pass store_damage/disk_full_told
else
	t_fail store_damage/disk_full_told "$(cat "$D/full.out" "$D/full.stderr"; tail -2 "$D/full.log")"
fi

sink_stop "$SINK"
t_done
