#!/bin/sh
# suspend.sh - suspendlistener, resumelistener, suspenddel, resumedel,
# suspend and resume against a running mxgated: a session open when its
# listener is suspended finishes and its message is delivered, a new
# connection gets 421, resume accepts again; a suspended domain keeps its
# mail queued (deliverynow included) while another is delivered, resumedel
# delivers it once; the state survives a restart (a change made while
# mxgated was stopped is logged as such); status shows it; bad names are
# one line and change nothing; a redirected queue ([127.0.0.1]:PORT) is
# suspended by its name; held mail still expires after max_queue_time.
# Every "nothing was delivered" check follows a barrier: a later message
# to the other sink has arrived, so the held one had its chance.
. "$(dirname "$0")/lib.subr"

D=$(t_dir suspend)
P=$(free_port)
S1=$(free_port)
S2=$(free_port)
SINK1=$D.sink1
SINK2=$D.sink2
ML=$D/logs/mail_logs/mail.current

mxsh_do "$D" \
	"listenerconfig new IncomingMail ip=127.0.0.1 port=$P type=public domains=@example.test,@other.test" \
	"smtproutes new example.test 127.0.0.1:$S1" \
	"smtproutes new other.test 127.0.0.1:$S2" \
	"dnsconfig servers=127.0.0.1:$(dead_port)" \
	"deliveryconfig setup retry_initial=1 retry_max=2" \
	"commit e2e suspend" >"$D/setup.out" 2>&1 \
	|| t_fail setup "mxsh setup failed: $(cat "$D/setup.out")"
sink_start "$S1" "$SINK1" || t_fail sink1 "smtp-sink did not start"
sink_start "$S2" "$SINK2" || t_fail sink2 "smtp-sink did not start"
gw_start "$D"
if wait_port "$P" 10; then t_pass daemon_listens; else t_fail daemon_listens "port $P"; t_done; fi

# send TO [SUBJECT] - one message through the listener; prints the final reply code
send() {
	$PY - "$P" "$1" <<'PYEOF'
import smtplib, sys
try:
    s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), local_hostname="client.test", timeout=20)
    s.sendmail("s@outside.test", [sys.argv[2]], "Subject: suspend e2e\r\n\r\nbody\r\n")
    s.quit()
    print("250")
except smtplib.SMTPException as e:
    print("refused %s" % e)
except OSError as e:
    print("error %s" % e)
PYEOF
}

# banner - the first reply of a new connection
banner() {
	$PY - "$P" <<'PYEOF'
import socket, sys
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 10)
c.settimeout(10)
data = b""
while not data.endswith(b"\n"):
    b = c.recv(512)
    if not b:
        break
    data += b
print(data.decode(errors="replace").strip())
# closed by the server after the reply?
try:
    print("closed" if c.recv(512) == b"" else "open")
except OSError:
    print("closed")
PYEOF
}

# -- a session in progress finishes when its listener is suspended
$PY - "$P" "$D" <<'PYEOF' >"$D/session.out" 2>&1 &
import os, smtplib, sys, time
port, d = int(sys.argv[1]), sys.argv[2]
s = smtplib.SMTP("127.0.0.1", port, local_hostname="client.test", timeout=30)
s.ehlo()
s.mail("s@outside.test")
s.rcpt("early@example.test")
open(d + "/session.ready", "w").close()
end = time.time() + 30
while not os.path.exists(d + "/session.go") and time.time() < end:
    time.sleep(0.05)
code, _ = s.data("Subject: in progress\r\n\r\nbody\r\n")
print("data %d" % code)
s.quit()
PYEOF
SESSION=$!
T_PIDS="$T_PIDS $SESSION"
wait_for 15 test -e "$D/session.ready" || t_fail session_ready "the session did not start"
"$MXSH" -D "$D" -c 'suspendlistener IncomingMail' >"$D/sl.out" 2>&1
t_check suspendlistener_ok grep -qx "Receiving suspended for IncomingMail." "$D/sl.out"
banner >"$D/banner1.out" 2>&1
t_check new_session_421 grep -q "^421 4.3.2 .* Service suspended, try again later" "$D/banner1.out"
t_check new_session_closed grep -qx closed "$D/banner1.out"
touch "$D/session.go"
wait "$SESSION"
t_check session_in_progress_finished grep -qx "data 250" "$D/session.out"
if wait_sink 15 "$SINK1" 0; then t_pass session_message_delivered
else t_fail session_message_delivered "nothing arrived at sink 1"; fi
t_check log_listener_suspended grep -q "Listener IncomingMail suspended by suspendlistener" "$ML"
t_check log_tcprefuse grep -q "TCPREFUSE: listener IncomingMail is suspended" "$ML"
"$MXSH" -D "$D" -c status >"$D/status1.out" 2>&1
t_check status_receiving_suspended grep -Eq "^System status: +Receiving suspended$" "$D/status1.out"
t_check status_listener_named grep -Eq "^  Receiving suspended for: +IncomingMail$" "$D/status1.out"

# -- resumelistener: accepted again
"$MXSH" -D "$D" -c 'resumelistener incomingmail' >"$D/rl.out" 2>&1
t_check resumelistener_ok grep -qx "Receiving resumed for IncomingMail." "$D/rl.out"
t_check accepted_after_resume test "$(send first@other.test)" = 250
if wait_sink 15 "$SINK2" 0; then t_pass other_delivered; else t_fail other_delivered "sink 2"; fi
t_check log_listener_resumed grep -q "Listener IncomingMail resumed by resumelistener" "$ML"

# -- suspenddel: example.test stays queued, other.test is delivered
"$MXSH" -D "$D" -c 'suspenddel example.test' >"$D/sd.out" 2>&1
t_check suspenddel_ok grep -qx "Mail delivery suspended for example.test." "$D/sd.out"
t_check log_delivery_suspended grep -q "Delivery suspended for example.test by suspenddel" "$ML"
t_check held_accepted test "$(send held@example.test)" = 250
t_check second_other_accepted test "$(send second@other.test)" = 250
if wait_sink 15 "$SINK2" 1; then t_pass other_still_delivered; else t_fail other_still_delivered "sink 2"; fi
"$MXSH" -D "$D" -c 'deliverynow example.test' >"$D/dn.out" 2>&1
t_check deliverynow_says_suspended grep -qx "Delivery to example.test is suspended (resumedel): messages stay queued." "$D/dn.out"
t_check deliverynow_taken wait_for 10 grep -q "Delivery now requested for example.test" "$ML"
# barrier: a message sent after deliverynow reaches sink 2
t_check barrier_other_accepted test "$(send barrier@other.test)" = 250
if wait_sink 15 "$SINK2" 2; then t_pass barrier_delivered; else t_fail barrier_delivered "sink 2"; fi
"$MXSH" -D "$D" -c 'tophosts active_rcpts' >"$D/top1.out" 2>&1
t_check tophosts_held grep -Eq "^ +[0-9]+ +example.test +1 " "$D/top1.out"
t_check tophosts_held_note grep -qx "Delivery suspended: example.test (resumedel)" "$D/top1.out"
"$MXSH" -D "$D" -c 'hoststatus example.test' >"$D/hs1.out" 2>&1
t_check hoststatus_held grep -Eq "^Delivery: +suspended \(resumedel\)$" "$D/hs1.out"
t_check nothing_reached_sink1 test "$(sink_count "$SINK1")" -eq 1
held_mid=$(grep -o "MID [0-9]* ICID [0-9]* RID 0 To: <held@example.test>" "$ML" | awk '{print $2}')
t_check held_mid_known test -n "$held_mid"
t_check held_no_delivery_start sh -c "! grep -q 'Delivery start DCID [0-9]* MID $held_mid ' '$ML'"
"$MXSH" -D "$D" -c status >"$D/status2.out" 2>&1
t_check status_online_with_domain grep -Eq "^System status: +Online$" "$D/status2.out"
t_check status_domain_named grep -Eq "^  Delivery suspended for: +example.test$" "$D/status2.out"

# -- bad names: one line, nothing changes
"$MXSH" -D "$D" -c 'suspendlistener Nope' >"$D/bad1.out" 2>&1
t_check bad_listener_fails test $? -ne 0
t_check bad_listener_one_line test "$(wc -l <"$D/bad1.out")" -eq 1
t_check bad_listener_text grep -q "Unknown listener 'Nope': choose IncomingMail or ALL." "$D/bad1.out"
"$MXSH" -D "$D" -c 'suspenddel other.test,bad..test' >"$D/bad2.out" 2>&1
t_check bad_domain_fails test $? -ne 0
t_check bad_domain_one_line test "$(wc -l <"$D/bad2.out")" -eq 1
"$MXSH" -D "$D" -c 'resumedel nothere.test' >"$D/bad3.out" 2>&1
t_check resume_unsuspended_fails test $? -ne 0
t_check resume_unsuspended_text grep -qx "Delivery is not suspended for nothere.test." "$D/bad3.out"
"$MXSH" -D "$D" -c status >"$D/status3.out" 2>&1
t_check bad_names_changed_nothing grep -Eq "^  Delivery suspended for: +example.test$" "$D/status3.out"
t_check bad_names_listener_unchanged sh -c "! grep -q 'Receiving suspended' '$D/status3.out'"

# -- the state survives a restart (and the listener's too)
"$MXSH" -D "$D" -c 'suspendlistener ALL' >"$D/sl2.out" 2>&1
t_check suspendlistener_all grep -qx "Receiving suspended." "$D/sl2.out"
if gw_stop "$D"; then t_pass stopped; else t_fail stopped "exit status"; fi
"$MXSH" -D "$D" -c 'suspenddel the.tdc.queue' >"$D/nr.out" 2>&1
t_check not_running_said grep -q "mxgated is not running: the state is saved" "$D/nr.out"
gw_start "$D"
wait_port "$P" 10 || t_fail restarted "port $P"
wait_for 10 grep -q "kept from before the start" "$ML"
t_check log_kept_delivery grep -q "Delivery suspended for example.test,the.tdc.queue (kept from before the start)" "$ML"
t_check log_kept_listeners grep -q "Receiving suspended for all listeners (kept from before the start)" "$ML"
t_check log_replayed_while_stopped wait_for 10 grep -q "Delivery suspended for the.tdc.queue by suspenddel (.*) (while mxgated was stopped)" "$ML"
t_check log_live_not_marked sh -c "! grep -q 'Delivery suspended for example.test by suspenddel .*while mxgated was stopped' '$ML'"
banner >"$D/banner2.out" 2>&1
t_check restart_listener_still_421 grep -q "^421 4.3.2" "$D/banner2.out"
"$MXSH" -D "$D" -c status >"$D/status4.out" 2>&1
t_check status_after_restart grep -Eq "^System status: +Receiving suspended$" "$D/status4.out"
t_check status_domains_after_restart grep -Eq "^  Delivery suspended for: +example.test, the.tdc.queue$" "$D/status4.out"
# barrier: receive again, a message to other.test arrives, the held one has not
"$MXSH" -D "$D" -c 'resumelistener ALL' >"$D/rl2.out" 2>&1
t_check resumelistener_all grep -qx "Receiving resumed." "$D/rl2.out"
t_check restart_barrier_accepted test "$(send afterrestart@other.test)" = 250
if wait_sink 15 "$SINK2" 3; then t_pass restart_barrier_delivered
else t_fail restart_barrier_delivered "sink 2"; fi
t_check still_held_after_restart test "$(sink_count "$SINK1")" -eq 1
t_check no_delivery_start_after_restart sh -c "! grep -q 'Delivery start DCID [0-9]* MID $held_mid ' '$ML'"

# -- resumedel: delivered at once, once
"$MXSH" -D "$D" -c 'resumedel example.test' >"$D/rd.out" 2>&1
t_check resumedel_ok grep -qx "Mail delivery resumed for example.test." "$D/rd.out"
if wait_sink 15 "$SINK1" 1; then t_pass delivered_after_resumedel
else t_fail delivered_after_resumedel "nothing arrived at sink 1"; fi
wait_for 10 grep -q "Message finished MID $held_mid done" "$ML"
t_check delivered_once test "$(sink_count "$SINK1")" -eq 2
t_check log_delivery_resumed grep -q "Delivery resumed for example.test by resumedel" "$ML"

# -- suspend and resume: both at once
"$MXSH" -D "$D" -c suspend >"$D/s.out" 2>&1
t_check suspend_both sh -c "grep -qx 'Receiving suspended.' '$D/s.out' && grep -qx 'Mail delivery suspended.' '$D/s.out'"
"$MXSH" -D "$D" -c status >"$D/status5.out" 2>&1
t_check status_both grep -Eq "^System status: +Receiving and delivery suspended$" "$D/status5.out"
t_check log_suspend_all grep -q "Delivery suspended for ALL by suspend" "$ML"
"$MXSH" -D "$D" -c resume >"$D/r.out" 2>&1
t_check resume_both sh -c "grep -qx 'Receiving resumed.' '$D/r.out' && grep -qx 'Mail delivery resumed.' '$D/r.out'"
"$MXSH" -D "$D" -c status >"$D/status6.out" 2>&1
t_check status_online grep -Eq "^System status: +Online$" "$D/status6.out"
t_check status_no_detail sh -c "! grep -q 'suspended for' '$D/status6.out'"
t_check accepted_after_resume_all test "$(send last@example.test)" = 250
if wait_sink 15 "$SINK1" 2; then t_pass delivered_after_resume
else t_fail delivered_after_resume "nothing arrived at sink 1"; fi

# -- a redirected queue is suspended by its name ([127.0.0.1]:PORT)
"$MXSH" -D "$D" -c "suspenddel [127.0.0.1]:$S2" >"$D/sdr.out" 2>&1
t_check suspend_redirected_ok grep -qx "Mail delivery suspended for \[127.0.0.1\]:$S2." "$D/sdr.out"
t_check log_redirected_suspended grep -qF "Delivery suspended for [127.0.0.1]:$S2 by suspenddel" "$ML"
"$MXSH" -D "$D" -c "resumedel [127.0.0.1]:$S2" >"$D/rdr.out" 2>&1
t_check resume_redirected_ok grep -qx "Mail delivery resumed for \[127.0.0.1\]:$S2." "$D/rdr.out"

# -- held mail still expires: max_queue_time at its minimum, example.test held
"$MXSH" -D "$D" -c 'deliveryconfig setup max_queue_time=60' -c 'commit expiry' >"$D/mqt.out" 2>&1
t_check max_queue_time_set grep -q "Changes committed" "$D/mqt.out"
"$MXSH" -D "$D" -c 'suspenddel example.test' >"$D/sd3.out" 2>&1
t_check suspenddel_again grep -qx "Mail delivery suspended for example.test." "$D/sd3.out"
t_check expiring_accepted test "$(send expiring@example.test)" = 250
exp_mid=$(grep -o "MID [0-9]* ICID [0-9]* RID 0 To: <expiring@example.test>" "$ML" | awk '{print $2}')
t_check expiring_mid_known test -n "$exp_mid"
# 60 s of age, then the next tick: a generous ceiling
t_check held_mail_expired wait_for 150 grep -q "Bounced: DCID [0-9]* MID $exp_mid .*5.4.7.*Delivery expired" "$ML"
t_check expired_not_delivered test "$(sink_count "$SINK1")" -eq 3

if gw_stop "$D"; then t_pass sigterm_clean_exit; else t_fail sigterm_clean_exit "exit status"; fi
sink_stop "$SINK1"
sink_stop "$SINK2"
t_done
