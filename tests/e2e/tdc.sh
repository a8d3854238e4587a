#!/bin/sh
# tdc.sh - the Threat Defense Connector end to end: mxgated journals
# incoming mail to a real STARTTLS intake (tests/e2e/intake.py, with a
# test CA made here) through the.tdc.queue, while the original goes on to
# smtp-sink. Cases: the issue's "done when" (copy as message/rfc822 with
# X-IronPort-RemoteIP, attached original byte for byte, tophosts, TDC:
# lines); one case per row of seed 002's retry table, asserting the
# attempts the intake saw and the final log line; per-policy settings;
# at least 3 connections for 100 queued copies and none left open after;
# expiry on a stalling intake; and the original never delayed or bounced
# by any of it.
. "$(dirname "$0")/lib.subr"

D=$(t_dir tdc)
K=$D.keys
P=$(free_port)
S=$(free_port)
I=$(free_port)
SINK=$D.sink
IN=$D.intake
CTL=$D.control.json
EV=$D.events
mkdir -p "$K" "$IN"

# ---------------------------------------------------------------- keys
gen_cert() {	# NAME SAN: a key and a certificate signed by the test CA
	openssl req -newkey rsa:2048 -nodes -subj "/CN=$1" -keyout "$K/$1.key" \
		-out "$K/$1.csr" >/dev/null 2>&1 &&
	printf 'subjectAltName=%s\n' "$2" >"$K/$1.ext" &&
	openssl x509 -req -in "$K/$1.csr" -CA "$K/ca.pem" -CAkey "$K/ca.key" \
		-CAcreateserial -days 2 -extfile "$K/$1.ext" -out "$K/$1.pem" >/dev/null 2>&1
}
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=mxgate-test-CA -days 2 \
	-keyout "$K/ca.key" -out "$K/ca.pem" >/dev/null 2>&1 &&
	gen_cert intake.test "DNS:intake.test,DNS:localhost,IP:127.0.0.1" &&
	gen_cert other.test "DNS:other.test" || { t_fail setup "openssl could not make the test CA"; t_done; }

# ---------------------------------------------------------------- intake
control() {	# JSON: the intake's behaviour from the next connection on
	printf '%s\n' "$1" >"$CTL.tmp" && mv "$CTL.tmp" "$CTL"
}
intake_start() {
	$PY "$(dirname "$0")/intake.py" --port "$I" --cert "$K/intake.test.pem" \
		--key "$K/intake.test.key" --dir "$IN" --control "$CTL" --events "$EV" \
		>"$D.intake.out" 2>&1 &
	echo $! >"$D.intake.pid"
	T_PIDS="$T_PIDS $!"
	wait_port "$I" 10
}
intake_stop() {
	kill "$(cat "$D.intake.pid")" 2>/dev/null
	wait "$(cat "$D.intake.pid")" 2>/dev/null
}
# events KIND - how many events of this kind since the last reset_events
# (the file is only appended to: a reset remembers where it stood)
MARK=0
events() { tail -n +$((MARK + 1)) "$EV" 2>/dev/null | grep -c "\"ev\": *\"$1\"" || true; }
# reset_events - once every connection to the intake has closed (idle ones
# close 2 s after their last message): a new case starts on new connections,
# which read the new control file
reset_events() {
	wait_for 10 sh -c "[ \$(grep -c '\"ev\": *\"connect\"' '$EV') = \$(grep -c '\"ev\": *\"close\"' '$EV') ]"
	MARK=$(wc -l <"$EV" 2>/dev/null || echo 0)
}
saved() { find "$IN" -name 'msg.*.eml' | wc -l; }

# ---------------------------------------------------------------- gateway
control '{"mode": "accept"}'
intake_start || t_fail setup "intake.py did not start: $(cat "$D.intake.out")"
sink_start "$S" "$SINK" || t_fail setup "smtp-sink did not start"
mxsh_do "$D" \
	"listenerconfig new IncomingMail ip=127.0.0.1 port=$P type=public domains=@example.test,@sales.example.test,@vip.example.test,@quiet.example.test" \
	"smtproutes new example.test 127.0.0.1:$S" \
	"smtproutes new .example.test 127.0.0.1:$S" \
	"smtproutes new intake.test 127.0.0.1:$I" \
	"certconfig cafile $K/ca.pem" \
	"deliveryconfig setup retry_initial=1 retry_max=2" \
	"supportconfig tdc.retry_delay=1 tdc.max_queue_time=120" \
	"tdcconfig setup enable=yes intake_address=journal@intake.test" \
	"policyconfig incoming edit DEFAULT tdc=global" \
	"commit e2e tdc" >"$D/setup.out" 2>&1 \
	|| { t_fail setup "mxsh setup failed: $(cat "$D/setup.out")"; t_done; }
gw_start "$D"
wait_port "$P" 10 || { t_fail setup "mxgated did not listen: $(cat "$D/mxgated.out")"; t_done; }
LOG=$D/logs/mail_logs/mail.current

# send TO [FILE] - one message through the gateway; prints the original's MID
send() {
	swaks --server 127.0.0.1:$P --from sender@outside.test --to "$1" \
		--header "Subject: tdc e2e" ${2:+--data "$2"} >"$D/swaks.out" 2>&1
	sed -n 's/.*250 2.0.0 Ok: Message \([0-9]*\) accepted.*/\1/p' "$D/swaks.out" | head -1
}
# copy_of MID [N] - the MID of the Nth journal copy of a message
copy_of() {
	wait_for 5 grep -q "TDC: MID [0-9]* was generated based on MID $1 " "$LOG"
	sed -n "s/.*TDC: MID \([0-9]*\) was generated based on MID $1 .*/\1/p" "$LOG" | sed -n "${2:-1}p"
}
# finished MID - wait until a copy is finished (delivered or failed)
finished() { wait_for "${2:-20}" grep -q "Message finished MID $1 done" "$LOG"; }
has() { grep -Eq "$1" "$LOG"; }

# ---------------------------------------------------------------- done when
reset_events
printf 'From: a <sender@outside.test>\r\nTo: x@example.test\r\nSubject: byte for byte\r\nMessage-ID: <e2e.1@outside.test>\r\n\r\nline one\r\n..leading dot\r\n\tUTF-8: \303\251t\303\251\r\n' >"$D/orig.eml"
$PY - "$P" "$D/orig.eml" >"$D/smtplib.out" 2>&1 <<'PYEOF'
import smtplib, sys
data = open(sys.argv[2], "rb").read()
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10, local_hostname="localhost")
s.ehlo("client.outside.test")
code, text = s.docmd("MAIL FROM:<sender@outside.test> BODY=8BITMIME")
s.rcpt("x@example.test")
# smtplib dot-stuffs: what travels is "...leading dot" and arrives as "..leading dot"
code, text = s.data(data)
print(code, text.decode())
s.quit()
PYEOF
MID=$(sed -n 's/^250 .*Message \([0-9]*\) accepted.*/\1/p' "$D/smtplib.out")
if [ -n "$MID" ]; then t_pass accepted; else t_fail accepted "$(cat "$D/smtplib.out")"; fi
C=$(copy_of "$MID")
finished "$C"
t_check original_delivered wait_sink 10 "$SINK" 0
t_check copy_delivered test "$(saved)" -ge 1
t_check log_generated has "TDC: MID $C was generated based on MID $MID for policy DEFAULT"
t_check log_queued has "TDC: MID $C with Message-ID '<e2e.1@outside.test>' enqueued for delivery to Message Intake Address journal@intake.test"
t_check log_new_dcid has "TDC: New SMTP DCID [0-9]+ interface 127.0.0.1 address 127.0.0.1 port $I"
t_check log_tls has "DCID [0-9]+ TLS success protocol TLSv1\.[23] cipher "
t_check log_start has "TDC: Delivery start DCID [0-9]+ MID $C\$"
t_check log_success has "TDC: MID $C successfully delivered for scanning with Cisco Secure Email Threat Defense"
t_check log_finished has "Message finished MID $C done"
ENV=$(ls "$IN"/msg.*.env | head -1)
EML=${ENV%.env}.eml
if $PY - "$ENV" "$EML" "$D/orig.eml" "$MID" >"$D/mime.out" 2>&1 <<'PYEOF'
import email, email.policy, json, sys
env = json.load(open(sys.argv[1]))
raw = open(sys.argv[2], "rb").read()
orig = open(sys.argv[3], "rb").read()
mid = sys.argv[4]
problems = []
def need(cond, what):
    if not cond:
        problems.append(what)
need(env["mail_from"] == "", "envelope sender is %r, not <>" % env["mail_from"])
need(env["rcpt_to"] == ["journal@intake.test"], "rcpt_to %r" % env["rcpt_to"])
need(env["tls_version"] in ("TLSv1.2", "TLSv1.3"), "tls %r" % env["tls_version"])
m = email.message_from_bytes(raw, policy=email.policy.compat32)
need(m.get_content_type() == "multipart/mixed", "type %s" % m.get_content_type())
need(m["X-IronPort-RemoteIP"] == "127.0.0.1", "copy header %r" % m["X-IronPort-RemoteIP"])
need(m["To"] == "<journal@intake.test>", "To %r" % m["To"])
parts = m.get_payload()
need(len(parts) == 2, "%d parts" % len(parts))
need(parts[0].get_content_type() == "text/plain", "part 1 %s" % parts[0].get_content_type())
text = parts[0].get_payload(decode=True).decode()
for want in ("Sender: sender@outside.test", "Recipient: x@example.test", "MID: " + mid,
             "Client-IP: 127.0.0.1", "Policy: DEFAULT"):
    need(want in text, "envelope part lacks %r" % want)
need(parts[1].get_content_type() == "message/rfc822", "part 2 %s" % parts[1].get_content_type())
# the attached original, as bytes: between the part's header and the closing boundary
b = m.get_boundary().encode()
seg = raw.split(b"--" + b)[2]
att = seg.split(b"\r\n\r\n", 1)[1]
att = att[:-2] if att.endswith(b"\r\n") else att      # the CRLF that belongs to the delimiter
need(att.startswith(b"X-IronPort-RemoteIP: 127.0.0.1\r\nReceived: from client.outside.test"),
     "attached original starts %r" % att[:80])
need(att.endswith(orig), "attached original does not end with the client's bytes")
hdr_end = att.index(b"\r\n", att.index(b";\r\n ") + 3) + 2   # Received: is 3 lines
need(att[hdr_end:] == orig, "between Received: and the original: %r" % att[hdr_end:hdr_end + 60])
if problems:
    print("\n".join(problems))
    sys.exit(1)
PYEOF
then t_pass copy_mime_and_bytes; else t_fail copy_mime_and_bytes "$(cat "$D/mime.out")"; fi
wait_for 5 sh -c "'$MXSH' -D '$D' -c 'tophosts deliv_rcpts' | grep -Eq 'the.tdc.queue +0 +[0-9]+ +1 '"
"$MXSH" -D "$D" -c 'tophosts deliv_rcpts' >"$D/top.out" 2>&1
t_check tophosts_tdc_queue grep -Eq "^ +[0-9]+ +the.tdc.queue +0 +[0-9]+ +1 +0 +0$" "$D/top.out"
"$MXSH" -D "$D" -c 'hoststatus the.tdc.queue' >"$D/hs.out" 2>&1
t_check hoststatus_tdc_queue grep -Eq "Delivered Recipients +1 +1" "$D/hs.out"
"$MXSH" -D "$D" -c tdcstatus >"$D/tdcstatus.out" 2>&1
t_check tdcstatus_counts grep -Eq "^  Delivered +1 +1$" "$D/tdcstatus.out"
t_check tdcstatus_queued grep -Eq "^  Queued +1 +1$" "$D/tdcstatus.out"

# ---------------------------------------------------------------- retry table
# case NAME CONTROL MAILS FINAL [SAVED] - one copy against an intake told to
# misbehave: the MAIL commands the intake saw, and the copy's last line
case_run() {
	name=$1 ctl=$2 want_mails=$3 final=$4 want_saved=${5:-0}
	reset_events
	control "$ctl"
	before=$(saved)
	before_sink=$(sink_count "$SINK")
	m=$(send "r-$name@example.test")
	c=$(copy_of "$m")
	if [ -z "$c" ]; then t_fail "retry/$name" "no copy of MID '$m'"; return; fi
	finished "$c" 20 || { t_fail "retry/$name" "copy $c not finished"; return; }
	mails=$(events mail)
	got=$(($(saved) - before))
	if ! has "TDC: MID $c $final"; then
		t_fail "retry/$name" "no line 'TDC: MID $c $final'; $(grep "MID $c" "$LOG" | tail -3)"
	elif [ "$want_mails" != - ] && [ "$mails" != "$want_mails" ]; then
		t_fail "retry/$name" "the intake saw $mails MAIL commands, not $want_mails"
	elif [ "$got" != "$want_saved" ]; then
		t_fail "retry/$name" "the intake saved $got copies, not $want_saved"
	elif ! wait_sink 10 "$SINK" "$before_sink"; then
		t_fail "retry/$name" "the original did not reach the sink"
	else
		t_pass "retry/$name"
	fi
}
FAILED="delivery failed to Cisco Secure Email Threat Defense:"
case_run smtp_550 '{"reply": "550 5.7.1 not for you", "reply_at": "rcpt"}' 1 "$FAILED Hard Bounced\\."
t_check retry/smtp_550_logged has "TDC: Hard bounced - 5\.7\.1 - Recipient rejected \('550', 'not for you'\)"
case_run smtp_554_eod '{"reply": "554 5.6.0 content refused", "reply_at": "eod"}' 1 "$FAILED Hard Bounced\\."
case_run smtp_451 '{"reply": "451 4.3.0 try later", "reply_at": "eod"}' 2 "$FAILED Retries Exhausted\\."
t_check retry/smtp_451_delayed has "TDC: Delayed: DCID [0-9]+ MID $c - 4\.3\.0 - Message deferred \('451', \['try later'\]\) - retry 1 of 1 in 1 seconds"
case_run smtp_451_once '{"reply": "451 4.3.0 try later", "reply_at": "eod", "reply_count": 1}' 2 "successfully delivered for scanning" 1
case_run smtp_503 '{"reply": "503 5.5.1 bad sequence", "reply_at": "mail"}' 2 "$FAILED Retries Exhausted\\."
case_run smtp_552 '{"reply": "552 5.3.4 too big", "reply_at": "eod"}' 2 "$FAILED Retries Exhausted\\."
case_run smtp_552_once '{"reply": "552 5.3.4 too big", "reply_at": "rcpt", "reply_count": 1}' 2 "successfully delivered for scanning" 1
case_run tls_1_1 '{"tls_max": "1.1"}' 0 "$FAILED TLS Error\\."
case_run tls_other_name "{\"cert\": \"$K/other.test.pem\", \"key\": \"$K/other.test.key\"}" 0 "$FAILED TLS Error\\."
case_run tls_not_offered '{"starttls": false, "require_tls": false}' 0 "$FAILED TLS Error\\."
t_check retry/tls_no_delay sh -c "! grep -q 'TDC: Delayed: DCID [0-9]* MID $c ' '$LOG'"
case_run net_close '{"mode": "close"}' 0 "$FAILED Retries Exhausted\\."
t_check retry/net_close_logged has "TDC: Connection Error: DCID [0-9]+ domain: the.tdc.queue IP: 127.0.0.1 port: $I details: "
reset_events
intake_stop
case_run net_down '{"mode": "accept"}' 0 "$FAILED Retries Exhausted\\."
t_check retry/net_down_refused has "TDC: Connection Error: DCID [0-9]+ domain: the.tdc.queue IP: 127.0.0.1 port: $I details: 111-Connection refused"
intake_start || t_fail setup "intake.py did not restart"
control '{"mode": "accept"}'

# DNS: an intake domain without a route, resolved through a dead DNS server
# (temporary failure: one retry) - then back to the routed domain
DEADDNS=$(free_port)
mxsh_do "$D" "dnsconfig servers=127.0.0.1:$DEADDNS timeout=1" \
	"tdcconfig setup enable=yes intake_address=journal@unrouted.test" "commit dns case" >"$D/dns.out" 2>&1 \
	|| t_fail retry/dns_setup "$(cat "$D/dns.out")"
sleep 2	# mxgated follows a commit within a second
case_run dns_tempfail '{"mode": "accept"}' 0 "$FAILED Retries Exhausted\\." 0
t_check retry/dns_logged has "TDC: Delayed: DCID 0 MID $c - 4\.4\.3 - Temporary DNS error"
mxsh_do "$D" "tdcconfig setup enable=yes intake_address=journal@intake.test" "commit back" >"$D/dns2.out" 2>&1
sleep 2

# ---------------------------------------------------------------- policies
# DEFAULT no: nothing is journaled; sales (default) follows DEFAULT;
# vip has its own address; quiet says no
mxsh_do "$D" "policyconfig incoming new sales recipients=@sales.example.test" \
	"policyconfig incoming new vip recipients=@vip.example.test" \
	"policyconfig incoming new quiet recipients=@quiet.example.test" \
	"policyconfig incoming edit vip tdc=custom:vip-journal@intake.test" \
	"policyconfig incoming edit quiet tdc=no" \
	"policyconfig incoming edit DEFAULT tdc=no" "commit policies" >"$D/pol.out" 2>&1 \
	|| t_fail policy/setup "$(cat "$D/pol.out")"
sleep 2
reset_events
m=$(send "a@example.test")
m2=$(send "b@sales.example.test")
m3=$(send "c@vip.example.test")
m4=$(send "d@quiet.example.test")
c3=$(copy_of "$m3")
finished "$c3"
sleep 1
t_check policy/default_no sh -c "! grep -q 'based on MID $m ' '$LOG'"
t_check policy/inherits_default_no sh -c "! grep -q 'based on MID $m2 ' '$LOG'"
t_check policy/custom_address has "TDC: MID $c3 with Message-ID .* enqueued for delivery to Message Intake Address vip-journal@intake.test"
t_check policy/custom_received grep -lq '"rcpt_to": \["vip-journal@intake.test"\]' $(ls "$IN"/msg.*.env)
t_check policy/no sh -c "! grep -q 'based on MID $m4 ' '$LOG'"
mxsh_do "$D" "policyconfig incoming edit DEFAULT tdc=global" "commit default global" >>"$D/pol.out" 2>&1
sleep 2
m=$(send "e@sales.example.test")
c=$(copy_of "$m")
t_check policy/inherits_default_global has "TDC: MID $c with Message-ID .* enqueued for delivery to Message Intake Address journal@intake.test"
# one message to two policies: a copy for each part, each to its address
swaks --server 127.0.0.1:$P --from s@outside.test --to f@sales.example.test,g@vip.example.test \
	>"$D/swaks.split" 2>&1
m=$(sed -n 's/.*Ok: Message \([0-9]*\) accepted.*/\1/p' "$D/swaks.split")
wait_for 5 grep -q "MID $m was split creating MID" "$LOG"
split=$(sed -n "s/.*MID $m was split creating MID \([0-9]*\) .*/\1/p" "$LOG")
wait_for 5 grep -q "based on MID $split " "$LOG"
t_check policy/split_copy_each sh -c "grep -q 'based on MID $m for policy sales' '$LOG' && grep -q 'based on MID $split for policy vip' '$LOG'"

# ---------------------------------------------------------------- connections
# 100 copies queued at once (the work queue held, then released): at least
# 3 connections open together; none open once the queue is empty
mxsh_do "$D" "workqueue pause" >/dev/null 2>&1
wait_for 5 grep -q "Work queue paused" "$LOG"
/usr/sbin/smtp-source -s 5 -m 100 -f s@outside.test -t h@sales.example.test 127.0.0.1:$P >"$D/source.out" 2>&1
reset_events
n0=$(saved)
mxsh_do "$D" "workqueue resume" >/dev/null 2>&1
wait_for 60 sh -c "[ \$(find '$IN' -name 'msg.*.eml' | wc -l) -ge $((n0 + 100)) ]"
t_check conns/all_copies_delivered test "$(saved)" -ge $((n0 + 100))
sleep 4
if $PY - "$EV" "$MARK" >"$D/conns.out" 2>&1 <<'PYEOF'
import json, sys
open_now, peak, opened, closed = 0, 0, 0, 0
for line in open(sys.argv[1]).readlines()[int(sys.argv[2]):]:
    e = json.loads(line)
    if e["ev"] == "connect":
        open_now += 1; opened += 1; peak = max(peak, open_now)
    elif e["ev"] == "close":
        open_now -= 1; closed += 1
print("peak %d opened %d closed %d" % (peak, opened, closed))
sys.exit(0 if peak >= 3 and opened == closed else 1)
PYEOF
then t_pass conns/at_least_3_then_none; else t_fail conns/at_least_3_then_none "$(cat "$D/conns.out")"; fi

# ---------------------------------------------------------------- expiry
mxsh_do "$D" "supportconfig tdc.max_queue_time=4" "commit short life" >/dev/null 2>&1
sleep 2
case_run expired_stall '{"mode": "stall"}' - "$FAILED Message expired after 4 seconds in the queue\\." 0
sleep 2
t_check expired/connections_closed sh -c "[ \$(grep -c '\"ev\": *\"connect\"' '$EV') = \$(grep -c '\"ev\": *\"close\"' '$EV') ]"
"$MXSH" -D "$D" -c tdcstatus >"$D/tdcstatus2.out" 2>&1
t_check tdcstatus_failed_reasons grep -Eq "^    Expired +1 +1$" "$D/tdcstatus2.out"

# ---------------------------------------------------------------- crash
# a copy is durable with its original: held by a paused work queue, the
# daemon killed -9 and started again, it is still delivered
mxsh_do "$D" "supportconfig tdc.max_queue_time=120" "commit long life" >/dev/null 2>&1
sleep 2
control '{"mode": "accept"}'
reset_events
mxsh_do "$D" "workqueue pause" >/dev/null 2>&1
wait_for 5 sh -c "grep -c 'Work queue paused' '$LOG' | grep -q 2"
n0=$(saved)
m=$(send "crash@example.test")
c=$(copy_of "$m")
kill -9 "$(cat "$D/gw.pid")"
wait "$(cat "$D/gw.pid")" 2>/dev/null
rm -f "$D/gw.pid"
gw_start "$D"
wait_port "$P" 10 || t_fail crash/restart "mxgated did not start again"
mxsh_do "$D" "workqueue resume" >/dev/null 2>&1
if finished "$c" 20 && [ "$(saved)" -gt "$n0" ]; then t_pass crash/copy_survives_kill
else t_fail crash/copy_survives_kill "copy $c of MID $m not delivered after kill -9 and restart"; fi

# nothing the copies went through touched the originals: no DSN, no bounce
t_check originals_never_bounced sh -c "! grep -q 'was generated for bounce' '$LOG'"
# a clean exit (under ASan+UBSan: no leak, no undefined behaviour on the way)
if gw_stop "$D"; then t_pass sigterm_clean_exit; else t_fail sigterm_clean_exit "exit status; $(tail -5 "$D/mxgated.out")"; fi
t_check no_sanitizer_report sh -c "! grep -q 'Sanitizer\|runtime error' '$D/mxgated.out'"
t_done
