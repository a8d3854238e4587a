#!/bin/sh
# journaled_rows.sh - mailbox remediation's record of who received what
# (issue 12): every Threat Defense Connector journal copy leaves rows in
# queue.db's journaled table (the original's MID, its Message-ID exactly
# as in its header, <> kept and white space trimmed, one row per
# recipient), written in the copy's own durable transaction. Cases: two
# messages to two recipients each; a folded Message-ID; a message without
# one; a message split between a journaled policy and one that is not;
# and kill -9 right after the 250 of a message: its rows are on disk, and
# still there when the daemon has started again and delivered it.
# The intake is an smtp-sink: what the copies go through is tdc.sh's.
. "$(dirname "$0")/lib.subr"

D=$(t_dir journaled_rows)
P=$(free_port)
S=$(free_port)
SINK=$D.sink
DB=$D/queue.db

sink_start "$S" "$SINK" || t_fail setup "smtp-sink did not start"
mxsh_do "$D" \
	"listenerconfig new IncomingMail ip=127.0.0.1 port=$P type=public domains=@example.test,@quiet.example.test" \
	"smtproutes new example.test 127.0.0.1:$S" \
	"smtproutes new .example.test 127.0.0.1:$S" \
	"smtproutes new intake.test 127.0.0.1:$S" \
	"tdcconfig setup enable=yes intake_address=journal@intake.test" \
	"policyconfig incoming new quiet recipients=@quiet.example.test" \
	"policyconfig incoming edit quiet tdc=no" \
	"policyconfig incoming edit DEFAULT tdc=global" \
	"commit e2e journaled rows" >"$D/setup.out" 2>&1 \
	|| { t_fail setup "mxsh setup failed: $(cat "$D/setup.out")"; t_done; }
gw_start "$D"
wait_port "$P" 10 || { t_fail setup "mxgated did not listen: $(cat "$D/mxgated.out")"; t_done; }
LOG=$D/logs/mail_logs/mail.current

# send FILE RCPT... - the file's bytes as one message; prints the first 250's MID
# (KILL=1: mxgated is killed with SIGKILL the moment the 250 is read, before QUIT)
send() {
	$PY - "$P" "$D/gw.pid" "${KILL:-0}" "$@" 2>"$D/send.err" <<'PYEOF'
import os, re, signal, smtplib, sys
port, pidfile, kill, path, rcpts = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
s = smtplib.SMTP("127.0.0.1", port, timeout=20, local_hostname="client.outside.test")
s.ehlo("client.outside.test")
s.mail("sender@outside.test")
for r in rcpts:
    code, text = s.rcpt(r)
    if code != 250:
        sys.exit("RCPT %s: %d %s" % (r, code, text.decode()))
code, text = s.data(open(path, "rb").read())
if kill == "1":
    os.kill(int(open(pidfile).read()), signal.SIGKILL)
m = re.search(rb"Message (\d+) accepted", text)
print(m.group(1).decode() if code == 250 and m else "refused %d %s" % (code, text.decode()))
if kill != "1":
    s.quit()
PYEOF
}
# rows SQL - one answer from queue.db (sqlite3's CLI; the daemon may be running)
rows() { sqlite3 -cmd ".timeout 10000" "$DB" "$1" 2>>"$D/sqlite.err"; }
# rcpts MID - the journaled recipients of a MID, sorted, one line
rcpts() { rows "SELECT group_concat(rcpt, ' ') FROM (SELECT rcpt FROM journaled WHERE orig_mid = $1 ORDER BY rcpt)"; }
# msgids MID - the distinct Message-IDs journaled for a MID, one a line
msgids() { rows "SELECT DISTINCT message_id FROM journaled WHERE orig_mid = $1"; }
# journaled MID - wait until the log says the copy of MID was queued
journaled() { wait_for 10 grep -q "TDC: MID [0-9]* was generated based on MID $1 " "$LOG"; }
is_mid() { case "$1" in '' | *[!0-9]*) return 1 ;; esac; }

# ---------------------------------------------------------------- two messages, two recipients
printf 'From: <sender@outside.test>\r\nTo: alice@example.test\r\nSubject: one\r\nMessage-ID: <j1.2@outside.test>\r\n\r\nbody one\r\n' >"$D/m1.eml"
printf 'From: <sender@outside.test>\r\nTo: carol@example.test\r\nSubject: two\r\nMessage-ID:\r\n   <j2.folded@outside.test>  \r\n\r\nbody two\r\n' >"$D/m2.eml"
M1=$(send "$D/m1.eml" alice@example.test bob@example.test)
M2=$(send "$D/m2.eml" carol@example.test dave@example.test)
if is_mid "$M1" && is_mid "$M2"; then t_pass accepted
else t_fail accepted "$M1 / $M2: $(cat "$D/send.err")"; t_done; fi
journaled "$M1"
journaled "$M2"
t_check two_rcpts_first test "$(rcpts "$M1")" = "alice@example.test bob@example.test"
t_check two_rcpts_second test "$(rcpts "$M2")" = "carol@example.test dave@example.test"
t_check message_id_as_in_header test "$(msgids "$M1")" = "<j1.2@outside.test>"
t_check message_id_unfolded_trimmed test "$(msgids "$M2")" = "<j2.folded@outside.test>"
t_check by_message_id test "$(rows "SELECT count(*) FROM journaled WHERE message_id = '<j1.2@outside.test>' AND orig_mid = $M1")" = 2
t_check row_time_now test "$(rows "SELECT count(*) FROM journaled WHERE orig_mid = $M1 AND t BETWEEN strftime('%s','now') - 300 AND strftime('%s','now') + 5")" = 2
# the copies are not originals: nothing is journaled under their MIDs
C1=$(sed -n "s/.*TDC: MID \([0-9]*\) was generated based on MID $M1 .*/\1/p" "$LOG" | head -1)
t_check copy_has_no_rows test "$(rows "SELECT count(*) FROM journaled WHERE orig_mid = $C1")" = 0

# ---------------------------------------------------------------- no Message-ID
printf 'From: <sender@outside.test>\r\nTo: erin@example.test\r\nSubject: no id\r\n\r\nbody three\r\n' >"$D/m3.eml"
M3=$(send "$D/m3.eml" erin@example.test)
is_mid "$M3" && journaled "$M3"
t_check no_message_id_rows test "$(rcpts "$M3")" = "erin@example.test"
t_check no_message_id_empty test "$(rows "SELECT count(*) FROM journaled WHERE orig_mid = $M3 AND message_id = ''")" = 1

# ---------------------------------------------------------------- split: a part not journaled has no rows
printf 'From: <sender@outside.test>\r\nTo: frank@example.test\r\nSubject: split\r\nMessage-ID: <j4.split@outside.test>\r\n\r\nbody four\r\n' >"$D/m4.eml"
M4=$(send "$D/m4.eml" frank@example.test quinn@quiet.example.test)
is_mid "$M4" && journaled "$M4"
t_check split_journaled_part test "$(rows "SELECT group_concat(rcpt) FROM journaled WHERE message_id = '<j4.split@outside.test>'")" = "frank@example.test"
t_check split_quiet_part_none test "$(rows "SELECT count(*) FROM journaled WHERE rcpt = 'quinn@quiet.example.test'")" = 0

# ---------------------------------------------------------------- kill -9 right after the 250
# the work queue paused: nothing of it is delivered before the kill
wait_sink 10 "$SINK" 0
mxsh_do "$D" "workqueue pause" >/dev/null 2>&1
wait_for 10 grep -q 'Work queue paused' "$LOG"
printf 'From: <sender@outside.test>\r\nTo: gina@example.test\r\nSubject: crash\r\nMessage-ID: <j5.crash@outside.test>\r\n\r\nbody five\r\n' >"$D/m5.eml"
M5=$(KILL=1 send "$D/m5.eml" gina@example.test hank@example.test)
GW=$(cat "$D/gw.pid")
wait "$GW" 2>/dev/null
rm -f "$D/gw.pid"
if is_mid "$M5"; then t_pass crash/accepted; else t_fail crash/accepted "$M5: $(cat "$D/send.err")"; fi
t_check crash/daemon_dead sh -c "! kill -0 $GW"
t_check crash/rows_survive test "$(rcpts "$M5")" = "gina@example.test hank@example.test"
t_check crash/message_id test "$(msgids "$M5")" = "<j5.crash@outside.test>"
# the copy that carries them survived too, and the restarted daemon delivers the original
t_check crash/copy_queued test "$(rows "SELECT count(*) FROM messages WHERE parent_mid = $M5 AND kind = 2")" = 1
gw_start "$D"
wait_port "$P" 10 || t_fail crash/restart "mxgated did not start again: $(tail -3 "$D/mxgated.out")"
mxsh_do "$D" "workqueue resume" >/dev/null 2>&1
t_check crash/original_delivered wait_for 20 grep -q "Message finished MID $M5 done" "$LOG"
t_check crash/rows_after_restart test "$(rcpts "$M5")" = "gina@example.test hank@example.test"
t_check crash/no_duplicates test "$(rows "SELECT count(*) FROM journaled WHERE orig_mid = $M5")" = 2
t_check sqlite_quiet test ! -s "$D/sqlite.err"

if gw_stop "$D"; then t_pass sigterm_clean_exit; else t_fail sigterm_clean_exit "exit status; $(tail -5 "$D/mxgated.out")"; fi
t_check no_sanitizer_report sh -c "! grep -q 'Sanitizer\|runtime error' '$D/mxgated.out'"
t_done
