#!/bin/sh
# remediation_retry.sh - remediation through a mailbox server outage and
# after a crash (issue 12, tests/helpers/dovecot.subr for the mailboxes):
#
#   retry_pending    (RETRY_OUTAGE=1 only, see below) an operator's
#                    forward_delete while Dovecot is down
#                    (connection refused: a passing failure) leaves the
#                    request pending, logged "trying again in 1 minute",
#                    with no failed action recorded
#   retry_done       Dovecot started again: the retry forwards the message
#                    once and deletes it, and the request is done
#   forward_once     a crash after the forward was durable but before the
#                    delete (simulated: the message put back, the request
#                    pending again and its final action row removed, with
#                    mxgated stopped): the rerun deletes without sending
#                    the forward a second time
#
# The outage case waits out the engine's first retry step, a fixed minute
# (daemon/remd.c retry_steps): it runs only with RETRY_OUTAGE=1, which
# `make bench` sets (tests/bench/slow_cases.sh). Without it the request
# whose crash forward_once simulates is an operator's forward_delete with
# Dovecot up, done at once (remediated, forwarded, logged).
. "$(dirname "$0")/lib.subr"
. "$(dirname "$0")/../helpers/dovecot.subr"

D=$(t_dir remediation_retry)
cleanup() {
	dovecot_stop
	bridge_stop
	gw_stop "$D" >/dev/null 2>&1
}
trap cleanup EXIT
if [ "$(id -u)" != 0 ]; then
	t_fail setup "runs as root (Dovecot's master process)"
	t_done
fi
IP=$(free_port)
BP=$(free_port)
P=$(free_port)
S=$(free_port)
SINK=$D.soc
LOG=$D/logs/mail_logs/mail.current

dovecot_start "$D.dv" "$IP" >"$D.dv.why" 2>&1 || { t_fail setup "$(cat "$D.dv.why")"; t_done; }
K=$D.dv/ca
bridge_start "$BP" || { t_fail setup "the bridge does not listen"; t_done; }
sink_start "$S" "$SINK" || { t_fail setup "smtp-sink did not start"; t_done; }
mxsh_do "$D" \
	"listenerconfig new IncomingMail ip=127.0.0.1 port=$P type=public domains=@example.com" \
	"smtproutes new example.com 127.0.0.1:$BP" \
	"smtproutes new soc.test 127.0.0.1:$S" \
	"smtproutes new intake.test 127.0.0.1:$(dead_port)" \
	"dnsconfig servers=127.0.0.1:$(dead_port) timeout=1" \
	"certconfig cafile $K/ca.pem" \
	"tdcconfig setup enable=yes intake_address=journal@intake.test api=yes client_id=etd-client client_secret=etd-secret-1 api_key=etd-key-1 api_region=https://127.0.0.1:$(dead_port) action=forward_delete forward_to=soc@soc.test polling=no" \
	"interfaceconfig api http=no https=no" \
	"policyconfig incoming edit DEFAULT tdc=global" \
	"remediationconfig new dovecot backend=imap server=imaps://127.0.0.1:$IP auth=master user=mxgate password=master-pw-1 domains=example.com" \
	"commit e2e remediation retry" >"$D/setup.out" 2>&1 ||
	{ t_fail setup "mxsh setup failed: $(cat "$D/setup.out")"; t_done; }
gw_start "$D"
wait_port "$P" 10 || { t_fail setup "mxgated did not listen: $(cat "$D/mxgated.out")"; t_done; }

swaks --server 127.0.0.1:$P --from sender@outside.test --to alice@example.com \
	--h-Message-Id "<retry.1@outside.test>" --header "Subject: outage" >"$D/swaks.out" 2>&1
M=$(sed -n 's/.*250 2.0.0 Ok: Message \([0-9]*\) accepted.*/\1/p' "$D/swaks.out" | head -1)
[ -n "$M" ] || { t_fail setup "not accepted: $(cat "$D/swaks.out")"; t_done; }
wait_for 60 dovecot_has alice@example.com "<retry.1@outside.test>" ||
	{ t_fail setup "not delivered to Dovecot"; t_done; }
wait_for 30 grep -q "TDC: MID [0-9]* with Message-ID '<retry.1@outside.test>' enqueued" "$LOG" ||
	{ t_fail setup "not journaled"; t_done; }

# sq SQL - queue.db, waiting on the daemon's locks
sq() { sqlite3 "$D/queue.db" "PRAGMA busy_timeout = 10000; $1" | tail -1; }
gone() { ! dovecot_has alice@example.com "<retry.1@outside.test>"; }

if [ -n "${RETRY_OUTAGE:-}" ]; then
	# ---------------------------------------------------------------- an outage
	dovecot_stop
	# (it waits for the outcome: in the background, the retry takes a minute)
	"$MXSH" -D "$D" -c "remediate $M action=forward_delete forward_to=soc@soc.test" >"$D/op.out" 2>&1 &
	T_PIDS="$T_PIDS $!"
	if wait_for 60 grep -q "TDC: MID $M remediation [0-9]*: forward in mailbox alice@example.com failed: .*trying again in 1 minute)" "$LOG"; then
		R=$(sed -n "s/.*TDC: MID $M remediation \([0-9]*\): forward in mailbox.*/\1/p" "$LOG" | head -1)
		t_check retry_pending sh -c "[ \"\$(sqlite3 '$D/queue.db' 'PRAGMA busy_timeout = 10000; SELECT state FROM remed_request WHERE id = $R' | tail -1)\" = 1 ] &&
			[ \"\$(sqlite3 '$D/queue.db' 'PRAGMA busy_timeout = 10000; SELECT count(*) FROM remed_action WHERE request = $R' | tail -1)\" = 0 ]"
	else
		t_fail retry_pending "$(grep "TDC: MID $M" "$LOG" | tail -2)"
		R=$(sq "SELECT max(id) FROM remed_request")
	fi
	dovecot_start "$D.dv" "$IP" >"$D.dv.why" 2>&1 || t_fail retry_done "Dovecot did not start again: $(cat "$D.dv.why")"
	if wait_for 150 gone; then
		t_check retry_done test "$(sq "SELECT state FROM remed_request WHERE id = $R")" = 2
	else
		t_fail retry_done "still in the mailbox: $(grep "TDC: MID $M" "$LOG" | tail -2)"
	fi
	wait_sink 60 "$SINK" 0
	t_check retry_forwarded test "$(sink_count "$SINK")" = 1
	t_check retry_logged grep -q "TDC: MID $M remediation $R: deleted from mailbox alice@example.com (operator " "$LOG"
else
	# ------------------------------------------------------------ Dovecot up: done at once
	# (mxsh waits for the outcome)
	"$MXSH" -D "$D" -c "remediate $M action=forward_delete forward_to=soc@soc.test" >"$D/op.out" 2>&1
	wait_for 30 grep -q "TDC: MID $M remediation [0-9]*: deleted from mailbox alice@example.com" "$LOG"
	R=$(sed -n "s/.*TDC: MID $M remediation \([0-9]*\): deleted from mailbox.*/\1/p" "$LOG" | head -1)
	if [ -n "$R" ] && wait_for 30 gone; then
		t_check remediated test "$(sq "SELECT state FROM remed_request WHERE id = $R")" = 2
	else
		t_fail remediated "$(cat "$D/op.out") $(grep "TDC: MID $M" "$LOG" | tail -2)"
		R=$(sq "SELECT max(id) FROM remed_request")
	fi
	wait_sink 60 "$SINK" 0
	t_check forwarded test "$(sink_count "$SINK")" = 1
	t_check logged grep -q "TDC: MID $M remediation $R: deleted from mailbox alice@example.com (operator " "$LOG"
fi

# ---------------------------------------------------------------- a crash between forward and delete
gw_stop "$D" || t_fail clean_exit "mxgated exited non-zero"
cat >"$D/again.eml" <<EOM
From: sender@outside.test
To: alice@example.com
Subject: outage
Message-Id: <retry.1@outside.test>

put back as before the delete
EOM
dovecot_deliver alice@example.com "$D/again.eml"
sq "UPDATE remed_request SET state = 1, finished = 0 WHERE id = $R; DELETE FROM remed_action WHERE request = $R AND action = 3" >/dev/null
n=$(sink_count "$SINK")
gw_start "$D"
wait_port "$P" 10 || t_fail forward_once "mxgated did not listen again: $(tail -3 "$D/mxgated.out")"
if wait_for 60 gone; then
	# a forward is logged when queued, before the delete that follows it
	t_check forward_once test "$(grep -c "was generated based on MID $M by remediation $R" "$LOG")" = 1
	t_check forward_once_sink test "$(sink_count "$SINK")" = 1
else
	t_fail forward_once "not deleted on the rerun: $(grep "TDC: MID $M" "$LOG" | tail -2)"
fi
gw_stop "$D" || t_fail clean_exit "mxgated exited non-zero"
t_done
