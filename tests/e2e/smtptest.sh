#!/bin/sh
# smtptest.sh - the operator's network diagnostics against loopback
# servers: smtptest, tlsverify, telnet, ping, traceroute (mxsh only; no
# mxgated is needed). Key material is made now by openssl: a test CA (made
# the certconfig CA bundle and committed), a certificate for 127.0.0.1
# signed by it, one for other.test signed by it, a self-signed one.
#
# tests/e2e/intake.py is the SMTP server (STARTTLS, a control file picks
# the certificate or turns STARTTLS off, "stall" never greets); a small
# Python server below answers lines (telnet) or breaks the TLS handshake
# (answers STARTTLS with 220, then plain text).
#
# Cases: good certificate (verification OK, name matches; smtptest and
# tlsverify succeed); a certificate for another name (verification OK,
# name does not match: tlsverify fails); self-signed (verification fails
# with OpenSSL's reason); no STARTTLS with tls=yes (one line, status 1)
# and without tls= (plain session, status 0); a closed port (refused, one
# line); a server that never greets (timed out after 10 s, one line); a
# broken handshake (one line); telnet both ways in batch; ping 127.0.0.1
# count=1; traceroute 127.0.0.1; bad hosts and ports (one line each, and
# "-c" never reaches ping or traceroute).
#
# Run alone: NO_FUZZ=1 TESTS=e2e/smtptest sh tests/run.sh build
. "$(dirname "$0")/lib.subr"
HERE=$(cd "$(dirname "$0")" && pwd)
N=smtptest

D=$(t_dir smtptest)
K=$D/keys
DATA=$D/data
CTL=$D/control.json
mkdir -p "$K" "$DATA"

# ---------------------------------------------------------------- keys
gen() {
	t_ca "$K" &&
	t_cert "$K" good "DNS:good.test,IP:127.0.0.1" &&
	t_cert "$K" other "DNS:other.test" &&
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=self.test \
	    -addext subjectAltName=IP:127.0.0.1 -keyout "$K/self.key" -out "$K/self.pem"
}
gen >"$D/openssl.log" 2>&1 || { t_fail $N/setup "openssl could not make the test keys"; t_done; }

# ---------------------------------------------------------------- servers
control() { printf '%s\n' "$1" >"$CTL.tmp" && mv "$CTL.tmp" "$CTL"; }
P=$(free_port)
control '{"mode": "accept"}'
$PY "$HERE/intake.py" --port "$P" --cert "$K/good.pem" --key "$K/good.key" \
	--dir "$D/in" --control "$CTL" >"$D/intake.out" 2>&1 &
T_PIDS="$T_PIDS $!"
wait_port "$P" 10 || { t_fail $N/setup "intake.py did not start: $(cat "$D/intake.out")"; t_done; }

L=$(free_port)
cat >"$D/lines.py" <<'PYEOF'
import socket, sys, threading
port = int(sys.argv[1])
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(8)
def serve(c):
    f = c.makefile("rb")
    c.sendall(b"220 lines.test ready\r\n")
    for raw in f:
        line = raw.rstrip(b"\r\n")
        if line.upper().startswith(b"EHLO"):
            c.sendall(b"250-lines.test\r\n250 STARTTLS\r\n")
        elif line.upper() == b"STARTTLS":
            c.sendall(b"220 go ahead\r\nthis is not TLS at all\r\n")
        elif line == b"quit":
            c.sendall(b"bye\r\n")
            break
        else:
            c.sendall(b"echo: " + line + b"\r\n")
    c.close()
while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PYEOF
$PY "$D/lines.py" "$L" >"$D/lines.out" 2>&1 &
T_PIDS="$T_PIDS $!"
wait_port "$L" 10 || { t_fail $N/setup "lines.py did not start"; t_done; }

mxsh_do "$DATA" "certconfig cafile $K/ca.pem" "commit test CA" >"$D/setup.out" 2>&1 ||
	{ t_fail $N/setup "certconfig: $(cat "$D/setup.out")"; t_done; }

# run NAME LINE... - mxsh -c LINE... in batch: NAME.out, NAME.err, NAME.rc
run() {
	_n=$1
	shift
	for l in "$@"; do set -- "$@" -c "$l"; shift; done
	"$MXSH" -D "$DATA" "$@" </dev/null >"$D/$_n.out" 2>"$D/$_n.err"
	echo $? >"$D/$_n.rc"
}
has() { grep -qF -- "$2" "$D/$1.out"; }
rc() { [ "$(cat "$D/$1.rc")" = "$2" ]; }
# err1 NAME TEXT - standard error is exactly one line, this one
err1() { [ "$(wc -l <"$D/$1.err")" = 1 ] && grep -qxF -- "$2" "$D/$1.err"; }
# verdict NAME WHY COND... - PASS/FAIL with the transcript on failure
verdict() {
	_n=$1 _w=$2
	shift 2
	if "$@"; then
		t_pass "$N/$_n"
	else
		t_fail "$N/$_n" "$_w"
		sed 's/^/    out: /' "$D/$_n.out" | tail -25
		sed 's/^/    err: /' "$D/$_n.err" | tail -5
		echo "    rc: $(cat "$D/$_n.rc")"
	fi
}

# ---------------------------------------------------------------- smtptest / tlsverify
run good "smtptest 127.0.0.1:$P tls=yes"
verify_good() {
	rc good 0 && has good "Connecting to 127.0.0.1 port $P..." &&
	has good "<- 220 intake.test ESMTP intake" && has good "-> EHLO " &&
	has good "<- 250-STARTTLS" && has good "-> STARTTLS" &&
	grep -q '^TLS connection established: protocol TLSv1\.[23], cipher ' "$D/good.out" &&
	has good " 0 subject: CN = good" && has good "   issuer:  CN = mxgate-test-CA" &&
	grep -q '^   valid:   .* to .*GMT$' "$D/good.out" &&
	has good "Certificate verification: OK" && has good "Certificate name: matches 127.0.0.1." &&
	has good "-> QUIT" && has good "<- 221 " && [ ! -s "$D/good.err" ]
}
verdict good "every step shown, verification OK, name matches, status 0" verify_good

run goodv "tlsverify 127.0.0.1:$P"
verdict goodv "tlsverify: OK, no SMTP dialogue, status 0" sh -c "
	grep -qxF 'TLS verification of 127.0.0.1 port $P succeeded.' '$D/goodv.out' &&
	grep -qxF 'Certificate verification: OK' '$D/goodv.out' &&
	! grep -q '^<- \|^-> ' '$D/goodv.out' && [ \"\$(cat '$D/goodv.rc')\" = 0 ]"

control "{\"cert\": \"$K/other.pem\", \"key\": \"$K/other.key\"}"
run other "tlsverify 127.0.0.1:$P"
verdict other "other name: verification OK, name mismatch, one error line, status 1" sh -c "
	grep -qxF 'Certificate verification: OK' '$D/other.out' &&
	grep -qxF 'Certificate name: does not match 127.0.0.1.' '$D/other.out' &&
	[ \"\$(wc -l <'$D/other.err')\" = 1 ] &&
	grep -qxF 'TLS verification of 127.0.0.1 port $P failed: the certificate does not name the host.' '$D/other.err' &&
	[ \"\$(cat '$D/other.rc')\" = 1 ]"

control "{\"cert\": \"$K/self.pem\", \"key\": \"$K/self.key\"}"
run self "smtptest 127.0.0.1:$P tls=yes"
verdict self "self-signed: the reason shown, smtptest itself succeeds" sh -c "
	grep -qxF 'Certificate verification failed: self-signed certificate.' '$D/self.out' &&
	grep -qxF 'Certificate name: matches 127.0.0.1.' '$D/self.out' &&
	[ \"\$(cat '$D/self.rc')\" = 0 ]"
run selfv "tlsverify 127.0.0.1:$P"
verdict selfv "self-signed: tlsverify fails with the reason" sh -c "
	grep -qxF 'TLS verification of 127.0.0.1 port $P failed: self-signed certificate.' '$D/selfv.err' &&
	[ \"\$(cat '$D/selfv.rc')\" = 1 ]"

control '{"starttls": false, "require_tls": false}'
run nostarttls "smtptest 127.0.0.1:$P tls=yes"
verdict nostarttls "no STARTTLS with tls=yes: one line, status 1, QUIT sent" sh -c "
	grep -qxF 'The server does not offer STARTTLS.' '$D/nostarttls.err' &&
	[ \"\$(wc -l <'$D/nostarttls.err')\" = 1 ] &&
	grep -qxF -- '-> QUIT' '$D/nostarttls.out' && [ \"\$(cat '$D/nostarttls.rc')\" = 1 ]"
run plain "smtptest 127.0.0.1:$P"
verdict plain "no STARTTLS, tls= absent: plain session, status 0" sh -c "
	grep -qxF 'The server does not offer STARTTLS.' '$D/plain.out' &&
	! grep -q '^TLS connection' '$D/plain.out' &&
	grep -qxF 'SMTP test of 127.0.0.1 port $P finished.' '$D/plain.out' &&
	[ ! -s '$D/plain.err' ] && [ \"\$(cat '$D/plain.rc')\" = 0 ]"
control '{"mode": "accept"}'
run notls "smtptest 127.0.0.1:$P tls=no"
verdict notls "tls=no: STARTTLS offered but never sent" sh -c "
	grep -qxF '<- 250-STARTTLS' '$D/notls.out' && ! grep -qxF -- '-> STARTTLS' '$D/notls.out' &&
	[ \"\$(cat '$D/notls.rc')\" = 0 ]"

C=$(dead_port)
run refused "smtptest 127.0.0.1:$C"
verdict refused "closed port: one line, status 1" sh -c "
	grep -qxF 'Cannot connect to 127.0.0.1 port $C: connection refused.' '$D/refused.err' &&
	[ \"\$(wc -l <'$D/refused.err')\" = 1 ] && [ \"\$(cat '$D/refused.rc')\" = 1 ]"
run refusedv "tlsverify 127.0.0.1:$C"
verdict refusedv "tlsverify, closed port: one line, status 1" sh -c "
	grep -qxF 'Cannot connect to 127.0.0.1 port $C: connection refused.' '$D/refusedv.err' &&
	[ \"\$(cat '$D/refusedv.rc')\" = 1 ]"

control '{"mode": "stall"}'
t0=$(date +%s)
run stall "smtptest 127.0.0.1:$P"
t1=$(date +%s)
verdict stall "no banner: timed out after 10 s, one line" sh -c "
	grep -qxF \"Timed out after 10 seconds waiting for the server's reply.\" '$D/stall.err' &&
	[ \"\$(cat '$D/stall.rc')\" = 1 ] && [ $((t1 - t0)) -ge 9 ] && [ $((t1 - t0)) -le 30 ]"
control '{"mode": "accept"}'

run badtls "smtptest 127.0.0.1:$L tls=yes"
verdict badtls "broken handshake: one line starting 'TLS handshake failed', status 1" sh -c "
	[ \"\$(wc -l <'$D/badtls.err')\" = 1 ] && grep -q '^TLS handshake failed: ' '$D/badtls.err' &&
	[ \"\$(cat '$D/badtls.rc')\" = 1 ]"

# ---------------------------------------------------------------- names
# A name is resolved through dnsconfig's servers (net/dns.c, as mxgated
# and dig do), not getaddrinfo and /etc/resolv.conf: dnsmasq maps
# probe.test to 127.0.0.1 and two.test to 127.0.0.2 then 127.0.0.1; at
# 127.0.0.2:P a listener whose accept queue is full drops the SYN, so that
# address times out and the next one is tried. A server that never
# answers ends the lookup in a bounded time with one line.
dnsmasq=/usr/sbin/dnsmasq
if [ -x "$dnsmasq" ]; then
	DP=$($PY -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
	"$dnsmasq" --conf-file=/dev/null --keep-in-foreground --no-resolv --no-hosts \
		--no-poll --pid-file= --log-facility=- --bind-interfaces \
		--listen-address=127.0.0.1 --local=/test/ --port="$DP" --local-ttl=600 \
		--host-record=probe.test,127.0.0.1 \
		--host-record=two.test,127.0.0.2 --host-record=two.test,127.0.0.1 \
		>>"$D/dnsmasq.log" 2>&1 &
	T_PIDS="$T_PIDS $!"
	mxsh_do "$DATA" "dnsconfig servers=127.0.0.1:$DP timeout=1" "commit dns" >"$D/dns.out" 2>&1 ||
		t_fail $N/dns_setup "dnsconfig: $(cat "$D/dns.out")"
	wait_for 20 sh -c "'$MXSH' -D '$DATA' -c 'dig probe.test' 2>&1 | grep -q 127.0.0.1" ||
		t_fail $N/dns_setup "dnsmasq did not answer: $(cat "$D/dnsmasq.log")"
	run byname "smtptest probe.test:$P tls=no"
	verdict byname "a name from dnsconfig's servers: connected to its address" sh -c "
		grep -qxF 'Connecting to 127.0.0.1 port $P...' '$D/byname.out' &&
		grep -qxF 'SMTP test of probe.test port $P finished.' '$D/byname.out' &&
		[ \"\$(cat '$D/byname.rc')\" = 0 ]"
	cat >"$D/full.py" <<'PYEOF'
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.2", int(sys.argv[1])))
s.listen(0)
held = []
for i in range(2):  # fill the accept queue: later SYNs are dropped
    c = socket.socket()
    c.setblocking(False)
    c.connect_ex(("127.0.0.2", int(sys.argv[1])))
    held.append(c)
time.sleep(0.5)
print("ready", flush=True)
time.sleep(600)
PYEOF
	$PY "$D/full.py" "$P" >"$D/full.out" 2>&1 &
	T_PIDS="$T_PIDS $!"
	wait_for 10 grep -q ready "$D/full.out"
	run twoaddr "smtptest two.test:$P tls=no"
	verdict twoaddr "first address times out: reported, the next one is tried" sh -c "
		grep -qxF 'Connection to 127.0.0.2 port $P failed: timed out after 10 seconds.' '$D/twoaddr.out' &&
		grep -qxF 'Connected to 127.0.0.1 port $P.' '$D/twoaddr.out' &&
		grep -qxF 'SMTP test of two.test port $P finished.' '$D/twoaddr.out' &&
		[ \"\$(cat '$D/twoaddr.rc')\" = 0 ]"
	# a DNS server that never answers
	$PY -c 'import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
time.sleep(600)' >"$D/mute.port" 2>&1 &
	T_PIDS="$T_PIDS $!"
	wait_for 10 grep -q . "$D/mute.port"
	mxsh_do "$DATA" "dnsconfig servers=127.0.0.1:$(cat "$D/mute.port") timeout=1" "commit mute" \
		>"$D/dns2.out" 2>&1 || t_fail $N/dns_setup "dnsconfig: $(cat "$D/dns2.out")"
	t0=$(date +%s)
	run mutedns "smtptest probe.test:$P"
	t1=$(date +%s)
	verdict mutedns "a DNS server that never answers: one bounded 'timed out' line" sh -c "
		[ \"\$(wc -l <'$D/mutedns.err')\" = 1 ] &&
		grep -qxF 'Cannot resolve probe.test: the DNS servers timed out or failed (2 tries of 1 s each).' '$D/mutedns.err' &&
		[ \"\$(cat '$D/mutedns.rc')\" = 1 ] && [ $((t1 - t0)) -le 15 ]"
	mxsh_do "$DATA" "dnsconfig servers=127.0.0.1:$DP" "commit dns back" >/dev/null 2>&1
else
	t_fail $N/dns_setup "$dnsmasq missing (apt-get install dnsmasq-base)"
fi

# ---------------------------------------------------------------- telnet
printf 'hello there\nquit\n' | "$MXSH" -D "$DATA" -c "telnet 127.0.0.1 $L" >"$D/telnet.out" 2>"$D/telnet.err"
echo $? >"$D/telnet.rc"
verdict telnet "batch telnet: input sent, replies shown until the server closes" sh -c "
	grep -qxF '220 lines.test ready' '$D/telnet.out' &&
	grep -qxF 'echo: hello there' '$D/telnet.out' && grep -qxF 'bye' '$D/telnet.out' &&
	grep -qxF 'Connection closed by foreign host.' '$D/telnet.out' &&
	[ \"\$(cat '$D/telnet.rc')\" = 0 ]"

# ---------------------------------------------------------------- ping / traceroute
run ping "ping 127.0.0.1 count=1"
verdict ping "ping 127.0.0.1 count=1: one reply, status 0" sh -c "
	grep -q '1 packets transmitted, 1 received' '$D/ping.out' && [ \"\$(cat '$D/ping.rc')\" = 0 ]"
run trace "traceroute 127.0.0.1"
verdict trace "traceroute 127.0.0.1: the hop shown, status 0" sh -c "
	grep -q '^traceroute to 127.0.0.1' '$D/trace.out' && grep -q '^ 1  .*127\.0\.0\.1' '$D/trace.out' &&
	[ \"\$(cat '$D/trace.rc')\" = 0 ]"

# ---------------------------------------------------------------- bad input
run bad1 "smtptest bad_host!:25"
verdict bad1 "bad host: one line" err1 bad1 "'bad_host!' is not a host name or IP address."
run bad2 "smtptest 127.0.0.1:99999"
verdict bad2 "bad port: one line" err1 bad2 "'99999' is not a port (1-65535)."
run bad3 "telnet 127.0.0.1 0"
verdict bad3 "telnet bad port: one line" err1 bad3 "'0' is not a port (1-65535)."
run bad4 "telnet -x 25"
verdict bad4 "telnet bad host: one line" err1 bad4 "'-x' is not a host name or IP address."
run dashc "ping -c"
verdict dashc "ping -c refused before ping runs" sh -c "
	grep -qxF \"'-c' is not a host name or IP address.\" '$D/dashc.err' &&
	[ \"\$(wc -l <'$D/dashc.err')\" = 1 ] && [ ! -s '$D/dashc.out' ] && [ \"\$(cat '$D/dashc.rc')\" = 1 ]"
run dashm "traceroute -m"
verdict dashm "traceroute -m refused" err1 dashm "'-m' is not a host name or IP address."
run badcount "ping 127.0.0.1 count=0"
verdict badcount "ping count=0: one line" err1 badcount "Invalid count '0': enter a number from 1 to 100."
run badtls2 "smtptest 127.0.0.1:$P tls=maybe"
verdict badtls2 "tls=maybe: usage error, nothing run" sh -c "
	[ \"\$(cat '$D/badtls2.rc')\" = 1 ] && ! grep -q Connecting '$D/badtls2.out' &&
	grep -q '^Invalid arguments when processing: tls=maybe\\.' '$D/badtls2.err'"

t_done
