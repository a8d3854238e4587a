#!/bin/sh
# tls.sh - STARTTLS end to end against the real mxgated, inbound and
# outbound, with key material made at test time by openssl (a test CA; a
# certificate for gw.test, the gateway's listener; one for intake.test,
# localhost and IP 127.0.0.1, the outbound hops; one signed by the same CA
# for other.test). Nothing leaves 127.0.0.1.
#
# Inbound (listener tls=preferred on $P, tls=required on $PR):
#   openssl s_client verifies the gw.test certificate over TLS >= 1.2, and
#   TLS 1.1 is refused; swaks --tls is accepted, the message reaches
#   smtp-sink with "with ESMTPS" in mxgated's Received header, mail_logs has
#   "ICID n TLS success protocol ... cipher ..."; tls=required answers MAIL
#   before STARTTLS with 530 and accepts it after; plaintext pipelined in
#   the same packet as STARTTLS is discarded (CVE-2011-0411); the session
#   is reset by STARTTLS (EHLO needed again); EHLO over TLS no longer offers
#   STARTTLS and a second STARTTLS gets 503.
# Outbound (tests/e2e/intake.py as the TLS next hop):
#   example.test tls=required_verify -> intake with the intake certificate,
#     told to answer the first final dot with 451: deferred once, then
#     delivered over TLS 1.2/1.3, "DCID n TLS success protocol ..." logged;
#   verify.test tls=required_verify -> intake serving other.test (right CA,
#     wrong name): not delivered, "certificate verify failed", 4.7.5 deferral;
#   old.test tls=required -> intake limited to TLS 1.1 (which it really
#     speaks, checked with openssl s_client -tls1_1): not delivered;
#   plain.test tls=preferred -> smtp-sink (no STARTTLS): delivered in clear;
#   req.test tls=required -> smtp-sink: deferred 4.7.4, not delivered.
# Then SIGTERM (clean exit, no sanitizer report), and last, on a restarted
# daemon, QUIT over TLS (221 expected, swaks exits 0, mxgated lives on).
#
# The QUIT case is last because it once crashed mxgated: session_free()
# ran inside close_after_output() while process() still used the session
# (the 221 was lost; ASan: heap-use-after-free). Earlier TLS sessions end
# without QUIT (swaks --drop-after dot, smtpc just closes).
#
# Needs: openssl, swaks with Net::SSLeay (libnet-ssleay-perl), postfix's
# smtp-sink, /usr/bin/python3 (tests/e2e/intake.py). Run alone with
#   NO_FUZZ=1 TESTS=e2e/tls sh tests/run.sh build
# Prints "PASS tls/name" / "FAIL tls/name: why"; exits 1 if any failed.
. "$(dirname "$0")/lib.subr"
HERE=$(cd "$(dirname "$0")" && pwd)
INTAKE=$HERE/intake.py

D=$(t_dir tls)
K=$D/keys
mkdir -p "$K"

# show FILE... - the evidence of a failure, indented
show() {
	for f in "$@"; do
		[ -f "$f" ] && sed "s|^|    $(basename "$f"): |" "$f" | tail -15
	done
}
# check NAME COMMAND... - like t_check, with the evidence in $EVID on failure
check() {
	n=$1
	shift
	if "$@" >/dev/null 2>&1; then t_pass "$n"; else t_fail "$n" "$*"; show $EVID; fi
}

# ---------------------------------------------------------------- keys
command -v openssl >/dev/null || { t_fail tls/setup "openssl not installed"; t_done; }
gen() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	    -subj "/CN=mxgate test CA" -keyout "$K/ca.key" -out "$K/ca.pem" \
	    -addext basicConstraints=critical,CA:TRUE \
	    -addext keyUsage=critical,keyCertSign,cRLSign || return 1
	for n in gw intake other; do
		case $n in
		gw) san=DNS:gw.test ;;
		intake) san=DNS:intake.test,DNS:localhost,IP:127.0.0.1 ;;
		other) san=DNS:other.test ;;
		esac
		printf '%s\n' "subjectAltName=$san" basicConstraints=CA:FALSE \
		    keyUsage=digitalSignature,keyEncipherment extendedKeyUsage=serverAuth \
		    >"$K/$n.ext"
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		    -subj "/CN=$n.test" -keyout "$K/$n.key" -out "$K/$n.csr" &&
		openssl x509 -req -in "$K/$n.csr" -CA "$K/ca.pem" -CAkey "$K/ca.key" \
		    -CAcreateserial -days 2 -extfile "$K/$n.ext" -out "$K/$n.pem" || return 1
	done
}
if ! gen >"$D/openssl.log" 2>&1; then
	t_fail tls/setup "openssl could not make the test keys"
	show "$D/openssl.log"
	t_done
fi

# ---------------------------------------------------------------- helpers
# smtpc PORT OUT STEP... - a scripted SMTP client; transcript in OUT:
# ">> line" sent, "<< line" received, "!! what" for events. Steps:
#   ehlo | cmd:LINE | raw:TEXT (\r\n escapes, no reply read) | read |
#   tls (STARTTLS, then the handshake, verifying gw.test against the CA) |
#   handshake (the handshake alone) | silence:SEC (nothing may arrive) |
#   msg:FROM:TO:SUBJECT (a whole transaction) | quit
cat >"$D/smtpc.py" <<'PYEOF'
import os, socket, ssl, sys
port, out, steps = int(sys.argv[1]), open(sys.argv[2], "w"), sys.argv[3:]
ctx = ssl.create_default_context(cafile=os.environ["SMTPC_CA"])
s = socket.create_connection(("127.0.0.1", port), 10)
s.settimeout(10)
buf = b""
def log(*a):
    print(*a, file=out, flush=True)
def recv_line():
    global buf
    while b"\n" not in buf:
        d = s.recv(65536)
        if not d:
            raise EOFError("connection closed")
        buf += d
    line, _, buf = buf.partition(b"\n")
    return line.rstrip(b"\r").decode("utf-8", "replace")
def reply():
    while True:
        line = recv_line()
        log("<<", line)
        if len(line) < 4 or line[3] != "-":
            return line
def send(line):
    log(">>", line)
    s.sendall(line.encode() + b"\r\n")
def handshake():
    global s
    s = ctx.wrap_socket(s, server_hostname="gw.test")
    log("!! tls", s.version(), s.cipher()[0])
try:
    reply()
    for st in steps:
        verb, _, arg = st.partition(":")
        if verb == "ehlo":
            send("EHLO client.test"); reply()
        elif verb == "cmd":
            send(arg); reply()
        elif verb == "raw":
            data = arg.replace("\\r", "\r").replace("\\n", "\n").encode()
            log(">> (raw)", repr(data)); s.sendall(data)
        elif verb == "read":
            reply()
        elif verb == "tls":
            send("STARTTLS")
            if reply().startswith("220"):
                handshake()
        elif verb == "handshake":
            handshake()
        elif verb == "silence":
            s.settimeout(float(arg))
            try:
                d = buf or s.recv(65536)
                log("!! unexpected", repr(d))
            except socket.timeout:
                log("!! silence")
            s.settimeout(10)
        elif verb == "msg":
            frm, to, subj = arg.split(":", 2)
            send("MAIL FROM:<%s>" % frm)
            if not reply().startswith("250"):
                continue
            send("RCPT TO:<%s>" % to)
            if not reply().startswith("250"):
                continue
            send("DATA")
            if not reply().startswith("354"):
                continue
            body = "From: <%s>\r\nTo: <%s>\r\nSubject: %s\r\n\r\nbody of %s\r\n.\r\n" % (
                frm, to, subj, subj)
            log(">> (message)", subj); s.sendall(body.encode())
            reply()
        elif verb == "quit":
            send("QUIT"); reply()
except (OSError, EOFError, ssl.SSLError) as e:
    log("!! error", e.__class__.__name__, e)
PYEOF
smtpc() {
	_p=$1 _o=$2
	shift 2
	SMTPC_CA=$K/ca.pem $PY "$D/smtpc.py" "$_p" "$_o" "$@" 2>>"$_o.err"
}

# intake_start NAME PORT CERT KEY [CONTROL-JSON] - tests/e2e/intake.py in $D/NAME
intake_start() {
	_d=$D/$1
	mkdir -p "$_d/out"
	[ -n "${5:-}" ] && printf '%s\n' "$5" >"$_d/control.json"
	$PY "$INTAKE" --port "$2" --cert "$3" --key "$4" --dir "$_d/out" \
	    --control "$_d/control.json" --events "$_d/events" --hostname "$1.intake.test" \
	    >"$_d/stdout" 2>"$_d/stderr" &
	echo $! >"$_d/pid"
	T_PIDS="$T_PIDS $!"
	wait_for 5 grep -q '^ready$' "$_d/stdout"
}
# events NAME EV - how many events EV intake NAME logged
events() { grep -c "\"ev\": \"$2\"" "$D/$1/events" 2>/dev/null || true; }
# saved NAME - how many messages intake NAME saved
saved() { find "$D/$1/out" -name 'msg.*.env' | wc -l; }
# mid_of FILE - the MID in a "250 2.0.0 Ok: Message N accepted" reply
mid_of() { sed -n 's/.*250 2.0.0 Ok: Message \([0-9]*\) accepted.*/\1/p' "$1" | head -1; }
# dcid_of MID - the DCID of the first delivery attempt of a message
dcid_of() {
	maillog "$D" | sed -n "s/.*Delivery start DCID \([0-9]*\) MID $1 to.*/\1/p" | head -1
}
# log_has ERE - mail_logs holds a line matching ERE
log_has() { maillog "$D" | grep -Eq "$1"; }

# ---------------------------------------------------------------- set-up
P=$(free_port)      # listener tls=preferred
PR=$(free_port)     # listener tls=required
S=$(free_port)      # smtp-sink (no STARTTLS)
I1=$(free_port)     # intake: intake.test certificate
I2=$(free_port)     # intake: other.test certificate (same CA)
I3=$(free_port)     # intake: TLS 1.1 at most
SINK=$D.sink
DOMS=@sink.test,@example.test,@verify.test,@old.test,@plain.test,@req.test

mxsh_do "$D" \
	"certconfig server cert=$K/gw.pem key=$K/gw.key" \
	"certconfig cafile $K/ca.pem" \
	"listenerconfig new TLSIn ip=127.0.0.1 port=$P type=public domains=$DOMS tls=preferred" \
	"listenerconfig new TLSOnly ip=127.0.0.1 port=$PR type=public domains=@sink.test tls=required" \
	"smtproutes new sink.test 127.0.0.1:$S" \
	"smtproutes new plain.test 127.0.0.1:$S" \
	"smtproutes new req.test 127.0.0.1:$S" \
	"smtproutes new example.test 127.0.0.1:$I1" \
	"smtproutes new verify.test 127.0.0.1:$I2" \
	"smtproutes new old.test 127.0.0.1:$I3" \
	"destconfig new example.test tls=required_verify" \
	"destconfig new verify.test tls=required_verify" \
	"destconfig new old.test tls=required" \
	"destconfig new plain.test tls=preferred" \
	"destconfig new req.test tls=required" \
	"deliveryconfig setup retry_initial=1 retry_max=2" \
	"commit e2e tls" >"$D/setup.out" 2>&1 \
	|| { t_fail tls/setup "mxsh setup failed"; show "$D/setup.out"; t_done; }
sink_start "$S" "$SINK" || t_fail tls/sink "smtp-sink did not start"
# i1 answers the first final dot with 451 (intake.py's reply_count), then accepts
intake_start i1 "$I1" "$K/intake.pem" "$K/intake.key" \
    '{"reply": "451 4.3.0 try later", "reply_at": "eod", "reply_count": 1}' ||
	{ t_fail tls/intake "intake.py did not start"; show "$D/i1/stderr"; }
intake_start i2 "$I2" "$K/other.pem" "$K/other.key" '{}' ||
	{ t_fail tls/intake "intake.py did not start"; show "$D/i2/stderr"; }
intake_start i3 "$I3" "$K/intake.pem" "$K/intake.key" '{"tls_max": "1.1"}' ||
	{ t_fail tls/intake "intake.py did not start"; show "$D/i3/stderr"; }
gw_start "$D"
if wait_port "$P" 10 && wait_port "$PR" 5; then t_pass tls/daemon_listens
else t_fail tls/daemon_listens "ports $P $PR"; show "$D/mxgated.out"; t_done; fi

# ---------------------------------------------------------------- inbound
# the handshake: TLS >= 1.2, the gw.test certificate, verified against the CA
openssl s_client -starttls smtp -connect 127.0.0.1:$P -CAfile "$K/ca.pem" \
    -verify_return_error -verify_hostname gw.test </dev/null >"$D/sclient.out" 2>&1
EVID=$D/sclient.out
check tls/inbound_handshake_verified grep -q 'Verify return code: 0 (ok)' "$D/sclient.out"
check tls/inbound_protocol_1.2+ grep -Eq '^New, TLSv1\.[23], Cipher is [A-Z0-9_-]+$' "$D/sclient.out"
check tls/inbound_gw_certificate grep -q '^subject=CN = gw.test$' "$D/sclient.out"
openssl s_client -starttls smtp -connect 127.0.0.1:$P -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' \
    </dev/null >"$D/sclient11.out" 2>&1
EVID=$D/sclient11.out
if ! grep -q '^CONNECTED(' "$D/sclient11.out"; then
	t_fail tls/inbound_refuses_tls1.1 "openssl s_client -tls1_1 did not connect"; show "$EVID"
elif grep -Eq 'Cipher is [A-Z0-9]' "$D/sclient11.out"; then
	t_fail tls/inbound_refuses_tls1.1 "the listener negotiated TLS 1.1"; show "$EVID"
else
	t_pass tls/inbound_refuses_tls1.1
fi

# swaks --tls: accepted over TLS, delivered to smtp-sink with ESMTPS. It
# drops the connection after the final reply: QUIT over TLS is tried at the
# very end (see inbound_quit_221_over_tls)
if perl -MNet::SSLeay -e 1 2>/dev/null; then
	timeout 20 swaks --tls --server 127.0.0.1:$P --to x@sink.test --from s@outside.test \
	    --header "Subject: swaks over tls" --drop-after dot </dev/null >"$D/swaks.out" 2>&1
	EVID=$D/swaks.out
	if grep -q '^=== TLS started with cipher TLSv1\.[23]' "$D/swaks.out" &&
	    grep -q '^<~  250 2.0.0 Ok: Message [0-9]* accepted' "$D/swaks.out"; then
		t_pass tls/inbound_swaks_tls_accepted
	else
		t_fail tls/inbound_swaks_tls_accepted "swaks --tls not accepted over TLS"
		show "$D/swaks.out"
	fi
	MID1=$(mid_of "$D/swaks.out")
else
	t_fail tls/inbound_swaks_tls_accepted \
	    "swaks cannot do TLS here: Net::SSLeay missing (Debian libnet-ssleay-perl)"
	smtpc $P "$D/swaks.out" ehlo tls ehlo "msg:s@outside.test:x@sink.test:swaks over tls"
	MID1=$(mid_of "$D/swaks.out")
fi
if wait_sink 10 "$SINK" 0; then t_pass tls/inbound_delivered_to_sink
else t_fail tls/inbound_delivered_to_sink "nothing arrived at smtp-sink"; fi
EVID=
check tls/inbound_received_esmtps grep -rq "^ by .* with ESMTPS id ${MID1:-[0-9]}" "$SINK"
ICID1=$(maillog "$D" | sed -n "s/.*Start MID ${MID1:-x} ICID \([0-9]*\)$/\1/p" | head -1)
check tls/inbound_log_tls_success \
    log_has "ICID ${ICID1:-x} TLS success protocol TLSv1\.[23] cipher [A-Z0-9_-]+$"
# tls=required: MAIL before STARTTLS is refused, after it accepted
smtpc $PR "$D/req.out" ehlo "cmd:MAIL FROM:<s@outside.test>" tls ehlo \
    "msg:s@outside.test:y@sink.test:required listener"
EVID=$D/req.out
check tls/required_offers_starttls grep -q '^<< 250-STARTTLS$' "$D/req.out"
check tls/required_mail_before_starttls_530 \
    grep -q '^<< 530 5.7.0 Must issue a STARTTLS command first$' "$D/req.out"
check tls/required_accepted_after_starttls \
    grep -q '^<< 250 2.0.0 Ok: Message [0-9]* accepted$' "$D/req.out"
MID2=$(mid_of "$D/req.out")
wait_for 10 log_has "Message finished MID ${MID2:-x} done"
check tls/required_delivered log_has "Message finished MID ${MID2:-x} done"

# command injection: plaintext pipelined with STARTTLS in one write is dropped
smtpc $P "$D/inject.out" ehlo 'raw:STARTTLS\r\nNOOP\r\n' read handshake silence:1.5 \
    "cmd:MAIL FROM:<s@outside.test>" ehlo cmd:NOOP
EVID=$D/inject.out
check tls/inject_starttls_220 grep -q '^<< 220 2.0.0 Ready to start TLS$' "$D/inject.out"
check tls/inject_handshake grep -q '^!! tls TLSv1\.[23] ' "$D/inject.out"
check tls/inject_noop_not_answered grep -q '^!! silence$' "$D/inject.out"
# RFC 3207 4.2: the session starts over; EHLO is needed again
check tls/inject_state_reset grep -q '^<< 503 5.5.1 Error: send HELO/EHLO first$' "$D/inject.out"
check tls/inject_session_usable sh -c "grep -c '^<< 250 2.0.0 Ok$' '$D/inject.out' | grep -qx 1"

# EHLO after TLS offers no STARTTLS; a second STARTTLS is refused with 503
smtpc $P "$D/twice.out" ehlo tls ehlo cmd:STARTTLS cmd:NOOP
EVID=$D/twice.out
# before_tls / after_tls FILE - the transcript before / after the handshake
before_tls() { sed '/^!! tls/,$d' "$1"; }
after_tls() { sed -n '/^!! tls/,$p' "$1"; }
before_tls "$D/twice.out" >"$D/twice.before"
after_tls "$D/twice.out" >"$D/twice.after"
check tls/starttls_offered_in_clear grep -q '^<< 250-STARTTLS$' "$D/twice.before"
if grep -q '^<< 250 ENHANCEDSTATUSCODES$' "$D/twice.after" && ! grep -q '^<< 250-STARTTLS' "$D/twice.after"
then t_pass tls/ehlo_after_tls_no_starttls
else t_fail tls/ehlo_after_tls_no_starttls "EHLO over TLS still offers STARTTLS"; show "$D/twice.out"; fi
check tls/second_starttls_503 grep -q '^<< 503 5.5.1 Error: TLS already active$' "$D/twice.out"
check tls/second_starttls_session_alive grep -q '^<< 250 2.0.0 Ok$' "$D/twice.out"

# ---------------------------------------------------------------- outbound
smtpc $P "$D/out.out" ehlo tls ehlo \
    "msg:s@outside.test:a@example.test:to the verified intake" \
    "msg:s@outside.test:b@verify.test:to the wrong name" \
    "msg:s@outside.test:c@old.test:to tls 1.1" \
    "msg:s@outside.test:d@plain.test:preferred in clear" \
    "msg:s@outside.test:e@req.test:required without starttls"
EVID=$D/out.out
check tls/outbound_all_accepted sh -c "grep -c '^<< 250 2.0.0 Ok: Message [0-9]* accepted$' '$D/out.out' | grep -qx 5"
set -- $(sed -n 's/^<< 250 2.0.0 Ok: Message \([0-9]*\) accepted$/\1/p' "$D/out.out") x x x x x
M_OK=$1 M_NAME=$2 M_OLD=$3 M_PLAIN=$4 M_REQ=$5

# required_verify with the right certificate: 451 once, then delivered over TLS
wait_for 15 sh -c "[ \$(find '$D/i1/out' -name 'msg.*.env' | wc -l) -ge 1 ]"
EVID="$D/i1/events"
check tls/out_verify_delivered test "$(saved i1)" = 1
check tls/out_verify_451_once sh -c "grep '\"ev\": \"data_reply\"' '$D/i1/events' | grep -c '\"code\": 451' | grep -qx 1"
check tls/out_verify_env_tls grep -Eq '"tls_version": "TLSv1\.[23]"' "$D"/i1/out/msg.1.env
check tls/out_verify_env_rcpt grep -q '"rcpt_to": \["a@example.test"\]' "$D"/i1/out/msg.1.env
check tls/out_verify_body grep -q '^Subject: to the verified intake' "$D"/i1/out/msg.1.eml
check tls/out_verify_received_esmtps grep -q "^ by .* with ESMTPS id $M_OK" "$D"/i1/out/msg.1.eml
DC=$(dcid_of "$M_OK")
EVID=
check tls/out_verify_log_tls_success \
    log_has "DCID ${DC:-x} TLS success protocol TLSv1\.[23] cipher [A-Z0-9_-]+$"
check tls/out_verify_log_deferred_451 \
    log_has "Delayed: DCID ${DC:-x} MID $M_OK to RID 0 - 4\.3\.0 .*try later"
check tls/out_verify_log_done log_has "Message done DCID [0-9]+ MID $M_OK to RID \[0\]"

# required_verify against other.test (right CA, wrong name): at least two
# attempts, each a TLS failure; nothing saved; the recipient stays queued
wait_for 15 sh -c "[ \$(grep -c '\"ev\": \"tls_error\"' '$D/i2/events') -ge 2 ]"
EVID="$D/i2/events"
check tls/out_wrong_name_tls_error test "$(events i2 tls_error)" -ge 2
check tls/out_wrong_name_no_tls_session test "$(events i2 tls)" = 0
check tls/out_wrong_name_not_saved test "$(saved i2)" = 0
EVID=
check tls/out_wrong_name_log_verify_failed \
    log_has "DCID [0-9]+ TLS failed: .*certificate verify failed"
check tls/out_wrong_name_deferred \
    log_has "Delayed: DCID [0-9]+ MID $M_NAME to RID 0 - 4\.7\.5 - TLS negotiation failed"
"$MXSH" -D "$D" -c 'hoststatus verify.test' >"$D/hs_verify.out" 2>&1
EVID=$D/hs_verify.out
check tls/out_wrong_name_still_queued grep -Eq '^ +Active Recipients +1$' "$D/hs_verify.out"
check tls/out_wrong_name_not_finished sh -c "! maillog '$D' | grep -q 'Message finished MID $M_NAME '"

# tls=required against an intake that speaks TLS 1.1 at most: the intake
# really negotiates 1.1 with a client that allows it, mxgated must refuse
openssl s_client -starttls smtp -connect 127.0.0.1:$I3 -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' \
    </dev/null >"$D/sclient_i3.out" 2>&1
EVID=$D/sclient_i3.out
check tls/intake_speaks_tls1.1 grep -Eq '^ *Protocol *: TLSv1\.1$' "$D/sclient_i3.out"
wait_for 15 sh -c "[ \$(grep -c '\"ev\": \"tls_error\"' '$D/i3/events') -ge 2 ]"
EVID="$D/i3/events"
check tls/out_tls1.1_refused test "$(events i3 tls_error)" -ge 2
check tls/out_tls1.1_no_tls_session test "$(events i3 tls)" = 1 # the s_client probe only
check tls/out_tls1.1_not_saved test "$(saved i3)" = 0
EVID=
check tls/out_tls1.1_deferred \
    log_has "Delayed: DCID [0-9]+ MID $M_OLD to RID 0 - 4\.7\.5 - TLS negotiation failed"
check tls/out_tls1.1_not_finished sh -c "! maillog '$D' | grep -q 'Message finished MID $M_OLD '"
"$MXSH" -D "$D" -c 'hoststatus old.test' >"$D/hs_old.out" 2>&1
EVID=$D/hs_old.out
check tls/out_tls1.1_still_queued grep -Eq '^ +Active Recipients +1$' "$D/hs_old.out"

# tls=preferred to smtp-sink, which offers no STARTTLS: delivered in clear
wait_for 10 log_has "Message finished MID $M_PLAIN done"
check tls/out_preferred_delivered log_has "Message finished MID $M_PLAIN done"
DC=$(dcid_of "$M_PLAIN")
check tls/out_preferred_in_clear sh -c "[ -n '$DC' ] && ! maillog '$D' | grep -q 'DCID $DC TLS'"
check tls/out_preferred_at_sink grep -rq '^Subject: preferred in clear' "$SINK"

# tls=required to smtp-sink: deferred 4.7.4, never delivered
wait_for 10 log_has "Delayed: DCID [0-9]+ MID $M_REQ to RID 0 - 4\.7\.4"
check tls/out_required_no_starttls_deferred \
    log_has "Delayed: DCID [0-9]+ MID $M_REQ to RID 0 - 4\.7\.4 - TLS required \('000', \['TLS was required but the remote host did not offer STARTTLS'\]\)"
check tls/out_required_not_at_sink sh -c "! grep -rq '^Subject: required without starttls' '$SINK'"

# ---------------------------------------------------------------- the end
if gw_stop "$D"; then t_pass tls/sigterm_clean_exit
else t_fail tls/sigterm_clean_exit "mxgated exit status"; show "$D/mxgated.out"; fi
if grep -Eq 'ERROR: AddressSanitizer|runtime error:|LeakSanitizer' "$D/mxgated.out"; then
	t_fail tls/sanitizer_clean "a sanitizer report in mxgated.out"; show "$D/mxgated.out"
else
	t_pass tls/sanitizer_clean
fi

# Last, on a fresh start of the daemon: QUIT over TLS must get its 221
# before the close (swaks then exits 0), and mxgated must live on.
gw_start "$D"
if wait_port "$P" 10; then
	smtpc $P "$D/quit.out" ehlo tls ehlo quit
	timeout 20 swaks --tls --server 127.0.0.1:$P --to q@sink.test --from s@outside.test \
	    </dev/null >"$D/swaks_quit.out" 2>&1
	src=$?
	sleep 0.2
	alive=no
	kill -0 "$(cat "$D/gw.pid")" 2>/dev/null && alive=yes
	if grep -q '^<< 221 ' "$D/quit.out" && [ "$src" = 0 ] && [ $alive = yes ]; then
		t_pass tls/inbound_quit_221_over_tls
	else
		why="QUIT over TLS: no 221 before the close (swaks exit $src), mxgated alive: $alive"
		grep -q 'heap-use-after-free' "$D/mxgated.out" &&
		    why="$why; ASan: heap-use-after-free in process() on the session freed by close_after_output()"
		t_fail tls/inbound_quit_221_over_tls "$why"
	fi
else
	t_fail tls/restart "mxgated did not listen again"; show "$D/mxgated.out"
fi
gw_stop "$D"

for n in i1 i2 i3; do
	kill "$(cat "$D/$n/pid")" 2>/dev/null
	wait "$(cat "$D/$n/pid")" 2>/dev/null
	rc=$?
	[ "$rc" = 0 ] || { t_fail tls/intake_exit "intake $n exited $rc"; show "$D/$n/stderr"; }
	[ -s "$D/$n/stderr" ] && { t_fail tls/intake_stderr "intake $n wrote to stderr"; show "$D/$n/stderr"; }
done
t_done
