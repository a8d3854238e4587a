#!/bin/sh
# logsub.sh - log subscriptions with the real daemon: a mail_logs-type
# subscription "mail_debug" at level Debug, max_size=2000 and keep=2 is
# created with logconfig and committed; mxgated opens it by itself and
# writes every mail line there (and the Debug lines only there); it rolls
# over by size into time-stamped files, pruned to 2; rollovernow rolls it
# by name; tail prints its last lines and follows it across a rollover;
# once deleted and committed the daemon stops writing it; a cli_logs-type
# subscription gets the shell's command lines; mail_logs keeps working
# throughout.
#
# Env: MXSH, MXGATED (tests/run.sh), TEST_OUT. Prints "PASS logsub/name"
# / "FAIL logsub/name: why"; exits 1 if any failed.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/e2e/lib.subr"

D=$(t_dir logsub)
P=$(free_port)
S=$(free_port)
SINK=$D.sink
L=$D/logs/mail_debug
M=$D/logs/mail_logs/mail.current
SENT=0

# ck NAME CMD... - t_check with the test's prefix
ck() {
	_n=$1
	shift
	t_check "logsub/$_n" "$@"
}
# send N - N messages through the gateway, each its own connection
send() {
	_i=0
	while [ "$_i" -lt "$1" ]; do
		swaks --server 127.0.0.1:$P --to "r$SENT@example.test" --from s@outside.test \
			--header "Subject: logsub $SENT" >>"$D/swaks.out" 2>&1
		SENT=$((SENT + 1))
		_i=$((_i + 1))
	done
}
# finished - messages mail_logs saw finished
finished() { grep -c 'Message finished MID' "$M" 2>/dev/null || echo 0; }
# wait_finished N - until mail_logs has N finished messages
wait_finished() { wait_for 20 sh -c "[ \$(grep -c 'Message finished MID' '$M') -ge $1 ]"; }
# rolled - the rolled files of mail_debug
rolled() { ls "$L" 2>/dev/null | grep -E '^mail\.@[0-9]{8}T[0-9]{6}(\.[0-9]{2})?\.s$'; }
nrolled() { rolled | wc -l | tr -d ' '; }

mxsh_do "$D" \
	"listenerconfig new IncomingMail ip=127.0.0.1 port=$P type=public domains=@example.test" \
	"smtproutes new example.test 127.0.0.1:$S" \
	"commit e2e logsub" >"$D/setup.out" 2>&1 ||
	t_fail logsub/setup "mxsh setup failed: $(cat "$D/setup.out")"
sink_start "$S" "$SINK" || t_fail logsub/sink "smtp-sink did not start"
gw_start "$D"
if wait_port "$P" 10; then t_pass logsub/daemon_listens; else
	t_fail logsub/daemon_listens "port $P"
	t_done
fi
send 1
wait_finished 1
ck mail_logs_before grep -q 'Message finished MID' "$M"

# a new subscription, committed: the daemon opens it by itself
mxsh_do "$D" "logconfig new mail_debug type=mail_logs level=Debug max_size=2000 keep=2" \
	"commit mail_debug" >"$D/new.out" 2>&1
ck new_committed grep -q 'Changes committed' "$D/new.out"
"$MXSH" -D "$D" -c 'logconfig print' >"$D/print.out" 2>&1
ck print_row grep -Eq '^mail_debug +mail_logs +Debug +2000 +0 +2$' "$D/print.out"
if wait_for 5 test -s "$L/mail.current"; then t_pass logsub/daemon_opened
else t_fail logsub/daemon_opened "no $L/mail.current"; fi
ck change_logged_there grep -q 'Configuration changed: now commit' "$L/mail.current"

# mail lines at its level: the Debug lines only there
send 8
wait_finished 9
cat "$L"/mail.* >"$D/debug.all" 2>/dev/null
ck mail_lines_in_sub grep -Eq 'Info: Start MID [0-9]+ ICID [0-9]+$' "$D/debug.all"
ck finished_in_sub grep -q 'Message finished MID' "$D/debug.all"
ck debug_lines_in_sub grep -Eq 'Debug: ICID [0-9]+ SMTP command (EHLO|MAIL|RCPT|DATA|QUIT)$' \
	"$D/debug.all"
ck no_debug_in_mail_logs sh -c "! grep -q ' Debug: ' '$M'"
ck mail_logs_kept_working test "$(finished)" -ge 9

# rolled over by size, named with their time, pruned to keep=2
ck rolled_by_size test "$(nrolled)" -eq 2
big=$(for f in "$L"/mail.*; do wc -c <"$f"; done | sort -n | tail -1)
ck files_within_max_size test "$big" -le 2000
ck rolled_name_is_a_time sh -c "ls '$L' | grep -Eq '^mail\.@20[0-9]{6}T[0-9]{6}(\.[0-9]{2})?\.s\$'"
ck nothing_else_in_dir test "$(ls "$L" | wc -l)" -eq 3

# tail: the last lines, as the file has them
"$MXSH" -D "$D" -c 'tail -n 3 mail_debug' >"$D/tail3.out" 2>&1
tail -n 3 "$L/mail.current" >"$D/tail3.ref"
ck tail_last_3 cmp -s "$D/tail3.out" "$D/tail3.ref"
"$MXSH" -D "$D" -c 'tail mail_debug' </dev/null >"$D/tail10.out" 2>&1
ck tail_default_10 test "$(wc -l <"$D/tail10.out")" -eq "$(tail -n 10 "$L/mail.current" | wc -l)"
"$MXSH" -D "$D" -c 'tail -n 2 nosuchlog' >"$D/tail_bad.out" 2>&1
ck tail_unknown_log_fails test $? -eq 1
ck tail_unknown_log_line grep -q "^Unknown log 'nosuchlog': the logs are mail_logs, cli_logs, mail_debug.$" \
	"$D/tail_bad.out"

# rollovernow by name: a new current file, still 2 rolled files
before=$(rolled | tail -1)
sleep 1	# a new second: a new stamp
"$MXSH" -D "$D" -c 'rollovernow mail_debug' >"$D/roll.out" 2>&1
ck rollovernow_ok grep -q '^Log mail_debug rolled over.$' "$D/roll.out"
ck rollovernow_new_stamp test "$(rolled | tail -1)" != "$before"
ck rollovernow_pruned test "$(nrolled)" -eq 2
# a fresh current file: nothing in it but mxgated saying it followed
ck rollovernow_current_fresh sh -c "! grep -qv 'Log mail_debug rolled over by rollovernow' '$L/mail.current'"

# tail follows across a rollover (batch -f: until its input ends)
(sleep 9) | "$MXSH" -D "$D" -c 'tail -f -n 0 mail_debug' >"$D/follow.out" 2>&1 &
TP=$!
sleep 1
send 1
wait_finished 10
"$MXSH" -D "$D" -c 'rollovernow mail_debug' >/dev/null 2>&1
send 1
wait_finished 11
wait_for 8 grep -q "r$((SENT - 1))@example.test" "$D/follow.out"
wait "$TP"
ck follow_before_roll grep -q "To: <r$((SENT - 2))@example.test>" "$D/follow.out"
ck follow_after_roll grep -q "To: <r$((SENT - 1))@example.test>" "$D/follow.out"
ck follow_new_file_written grep -q "To: <r$((SENT - 1))@example.test>" "$L/mail.current"

# a cli_logs-type subscription gets the shell's lines
mxsh_do "$D" "logconfig new audit type=cli_logs" "commit audit" "tophosts" >"$D/audit.out" 2>&1
ck cli_sub_same_session grep -q "entered 'tophosts'" "$D/logs/audit/cli.current"
"$MXSH" -D "$D" -c 'status' >/dev/null 2>&1
ck cli_sub_next_session grep -q "entered 'status'" "$D/logs/audit/cli.current"
ck cli_logs_still grep -q "entered 'status'" "$D/logs/cli_logs/cli.current"

# deleted: the daemon stops writing it; mail_logs goes on
mxsh_do "$D" "logconfig delete mail_debug" "commit no more debug" >"$D/del.out" 2>&1
ck delete_committed grep -q 'Changes committed' "$D/del.out"
n=$(grep -c 'Configuration changed' "$M")
wait_for 5 sh -c "[ \$(grep -c 'Configuration changed' '$M') -gt $n ]" ||
	sleep 2	# the change of the audit commit may already have been counted
size=$(cat "$L"/mail.* | wc -c)
send 2
wait_finished 13
sleep 1
ck deleted_not_written test "$(cat "$L"/mail.* | wc -c)" -eq "$size"
ck mail_logs_after_delete grep -q "To: <r$((SENT - 1))@example.test>" "$M"
ck mail_logs_all_finished test "$(finished)" -eq "$SENT"
"$MXSH" -D "$D" -c 'tail -n 1 mail_debug' >/dev/null 2>&1
ck deleted_unknown_to_tail test $? -eq 1

if gw_stop "$D"; then t_pass logsub/clean_exit; else t_fail logsub/clean_exit "exit status"; fi
sink_stop "$SINK"
t_done
