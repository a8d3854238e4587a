#!/bin/sh
# dig.sh - `dig` and `dnsflush` against a real DNS server: Debian's
# dnsmasq on a free loopback port, authoritative for "test" (nothing is
# forwarded, nothing leaves 127.0.0.1).
#   - dig asks the committed dnsconfig servers (or @SERVER) and prints
#     A, AAAA, MX, TXT and PTR answers with their TTLs, owner names in
#     the case received, the server that answered, the type before or
#     after the name or after -t (BIND, AsyncOS's "dig -t mx NAME");
#     NXDOMAIN as dig's status; past 64 records the count and "first 64
#     shown"; a server that never answers is asked DNS_TRIES (2) times,
#     as mxgated asks it; a timeout and bad input are one line;
#   - dnsflush: mxgated reuses a route host's resolved address for five
#     minutes; after dnsmasq is restarted with a new address, mail still
#     goes to the old one until dnsflush, and to the new one right after;
#     mxgated stopping while dnsflush waits ends the wait in one line.
# Every wait is for an event, with a generous ceiling.
. "$(dirname "$0")/lib.subr"

D=$(t_dir dig)
P=$(free_port)
S=$(free_port)
LOG=$D/logs/mail_logs/mail.current
dnsmasq=/usr/sbin/dnsmasq
DNSPID=

[ -x "$dnsmasq" ] || { t_fail dig/setup "$dnsmasq missing (apt-get install dnsmasq-base)"; t_done; }

# dns_start PORT HOPADDR - dnsmasq with the test zone; hop.test is HOPADDR
dns_start() {
	"$dnsmasq" --conf-file=/dev/null --keep-in-foreground --no-resolv --no-hosts \
		--no-poll --pid-file= --log-facility=- --bind-interfaces \
		--listen-address=127.0.0.1 --local=/test/ --port="$1" --local-ttl=600 \
		--mx-host=a.test,mx1.a.test,10 \
		--host-record=mx1.a.test,192.0.2.1,2001:db8::1 \
		--txt-record=txt.test,"v=spf1 -all" \
		--ptr-record=1.2.0.192.in-addr.arpa,mx1.a.test \
		--host-record=hop.test,"$2" \
		$(i=1; while [ $i -le 70 ]; do printf ' --txt-record=many.test,r%d' $i; i=$((i + 1)); done) \
		>>"$D/dnsmasq.log" 2>&1 &
	DNSPID=$!
	T_PIDS="$T_PIDS $DNSPID"
}

dns_stop() {
	kill "$DNSPID" 2>/dev/null
	wait "$DNSPID" 2>/dev/null
}

# dig ARGS - mxsh's dig, stdout and stderr together
dig() { "$MXSH" -D "$D" -c "dig $*" </dev/null 2>&1; }

# a free UDP port (dnsmasq answers on it once started)
DP=$($PY -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
dns_start "$DP" 127.0.0.2
mxsh_do "$D" "dnsconfig servers=127.0.0.1:$DP timeout=2" "commit e2e dig" >"$D/setup.out" 2>&1 ||
	{ t_fail dig/setup "mxsh setup failed: $(cat "$D/setup.out")"; t_done; }
wait_for 20 sh -c "'$MXSH' -D '$D' -c 'dig mx1.a.test' 2>&1 | grep -q 192.0.2.1" ||
	{ t_fail dig/setup "dnsmasq did not answer: $(cat "$D/dnsmasq.log")"; t_done; }

# ---------------------------------------------------------------- answers
out=$(dig mx1.a.test)
echo "$out" | grep -q "^mx1\.a\.test\.	600	IN	A	192\.0\.2\.1$" &&
	echo "$out" | grep -q "^;; SERVER: 127\.0\.0\.1#$DP$" &&
	echo "$out" | grep -q "^;; status: NOERROR" && t_pass dig/a || t_fail dig/a "got: $out"
out=$(dig mx1.a.test aaaa)
echo "$out" | grep -q "^mx1\.a\.test\.	600	IN	AAAA	2001:db8::1$" && t_pass dig/aaaa ||
	t_fail dig/aaaa "got: $out"
out=$(dig a.test MX)
echo "$out" | grep -q "^a\.test\.	600	IN	MX	10 mx1\.a\.test\.$" &&
	! echo "$out" | grep -q "AAAA" && t_pass dig/mx || t_fail dig/mx "got: $out"
# the type first, as BIND and AsyncOS take it: "dig mx NAME", "dig -t mx NAME"
for a in "mx a.test" "-t mx a.test" "-tMX a.test" "a.test -t mx" "@127.0.0.1:$DP -t mx a.test"; do
	n=$(echo "$a" | sed "s/@127.0.0.1:$DP/@DNS/" | tr ' ' _)
	out=$(dig "$a")
	echo "$out" | grep -q "^a\.test\.	600	IN	MX	10 mx1\.a\.test\.$" &&
		t_pass "dig/type_first($n)" || t_fail "dig/type_first($n)" "got: $a: $out"
done
out=$(dig -t a mx1.a.test)
echo "$out" | grep -q "^mx1\.a\.test\.	600	IN	A	192\.0\.2\.1$" && t_pass dig/t_a ||
	t_fail dig/t_a "got: $out"
# owner names as the server sent them (it echoes the question's case)
out=$(dig MX1.A.Test)
echo "$out" | grep -q "^MX1\.A\.Test\.	600	IN	A	192\.0\.2\.1$" && t_pass dig/owner_case ||
	t_fail dig/owner_case "got: $out"
# 70 TXT records (over TCP: too big for 512 bytes): the count, and the 64 shown
out=$(dig many.test TXT)
[ "$(echo "$out" | grep -c "^many\.test\.	600	IN	TXT	\"r[0-9]*\"$")" = 64 ] &&
	echo "$out" | grep -q "^;; status: NOERROR, question: many.test IN TXT, answers: 70 (first 64 shown)$" &&
	echo "$out" | grep -q "^;; SERVER: 127\.0\.0\.1#$DP$" &&
	t_pass dig/first_64 || t_fail dig/first_64 "got: $out"
out=$(dig txt.test TXT)
echo "$out" | grep -q '^txt\.test\.	600	IN	TXT	"v=spf1 -all"$' && t_pass dig/txt ||
	t_fail dig/txt "got: $out"
out=$(dig 192.0.2.1)
echo "$out" | grep -q "^1\.2\.0\.192\.in-addr\.arpa\.	600	IN	PTR	mx1\.a\.test\.$" &&
	t_pass dig/ptr || t_fail dig/ptr "got: $out"
out=$(dig a.test TXT)
echo "$out" | grep -qx "a.test has no TXT record." && t_pass dig/nodata || t_fail dig/nodata "got: $out"
out=$(dig nosuch.a.test); rc=$?
echo "$out" | grep -q "^;; status: NXDOMAIN, question: nosuch.a.test IN A, answers: 0$" &&
	[ "$(echo "$out" | grep -c "^nosuch.a.test does not exist (NXDOMAIN)\.$")" = 1 ] &&
	echo "$out" | grep -q "^;; SERVER: 127\.0\.0\.1#$DP$" && [ $rc = 0 ] &&
	t_pass dig/nxdomain || t_fail dig/nxdomain "status $rc, got: $out"

# @SERVER instead of dnsconfig's: a server that never answers times out in one line
# (it counts the questions it gets in mute.count)
cat >"$D/mute.py" <<'PYEOF'
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
n = 0
while True:
    s.recvfrom(4096)	# read and never answer
    n += 1
    open(sys.argv[2] + ".tmp", "w").write(str(n))
    os.rename(sys.argv[2] + ".tmp", sys.argv[2])
PYEOF
$PY "$D/mute.py" "$D/mute.port" "$D/mute.count" &
T_PIDS="$T_PIDS $!"
wait_for 10 test -s "$D/mute.port"
MP=$(cat "$D/mute.port")
out=$(dig "@127.0.0.1:$MP" a.test); rc=$?
case $out in
"dig a.test A: no answer from 127.0.0.1#$MP (timed out after "*" ms, 2 tries).") [ $rc != 0 ] && t_pass dig/timeout || t_fail dig/timeout "status 0" ;;
*) t_fail dig/timeout "got: $out" ;;
esac
# asked as often as mxgated asks (DNS_TRIES): twice, and no more
wait_for 10 grep -qx 2 "$D/mute.count" && t_pass dig/tries ||
	t_fail dig/tries "the silent server got $(cat "$D/mute.count" 2>/dev/null) question(s), not 2"
# two servers, the first silent: SERVER is the one that answered
mxsh_do "$D" "dnsconfig servers=127.0.0.1:$MP,127.0.0.1:$DP" "commit e2e dig two" >"$D/setup.out" 2>&1 ||
	t_fail dig/setup "mxsh setup failed: $(cat "$D/setup.out")"
out=$(dig mx1.a.test)
echo "$out" | grep -q "	IN	A	192\.0\.2\.1$" && echo "$out" | grep -qx ";; SERVER: 127\.0\.0\.1#$DP" &&
	t_pass dig/server_that_answered || t_fail dig/server_that_answered "got: $out"
mxsh_do "$D" "dnsconfig servers=127.0.0.1:$DP" "commit e2e dig one" >"$D/setup.out" 2>&1 ||
	t_fail dig/setup "mxsh setup failed: $(cat "$D/setup.out")"
out=$(dig "@127.0.0.1:$DP" a.test MX)
echo "$out" | grep -q "IN	MX	10 mx1" && t_pass dig/at_server || t_fail dig/at_server "got: $out"

# bad input: one line, a failure, nothing asked
for c in "a.test SRV|Invalid record type 'SRV': use A, AAAA, MX, TXT or PTR." \
	"bad..name|Invalid name 'bad..name': enter a domain name or an IP address." \
	"192.0.2.1 MX|'192.0.2.1' is an IP address: only its PTR record can be asked." \
	"@300.1.1.1 a.test|Invalid DNS server '300.1.1.1': enter an IPv4 address or an IPv6 address in brackets, each optionally followed by :port." \
	"-t srv a.test|Invalid record type 'srv': use A, AAAA, MX, TXT or PTR." \
	"ns a.test|Invalid record type 'ns': use A, AAAA, MX, TXT or PTR." \
	"-t mx a.test MX|Invalid arguments when processing: dig. Usage: dig [@SERVER[:PORT]] [-t TYPE] NAME [TYPE]" \
	"a.test MX extra|Invalid arguments when processing: dig. Usage: dig [@SERVER[:PORT]] [-t TYPE] NAME [TYPE]"; do
	args=${c%%|*} want=${c#*|}
	out=$(dig "$args"); rc=$?
	if [ "$out" = "$want" ] && [ $rc != 0 ]; then
		t_pass "dig/bad($args)"
	else
		t_fail "dig/bad($args)" "status $rc, got: $out"
	fi
done

# ---------------------------------------------------------------- dnsflush
out=$("$MXSH" -D "$D" -c dnsflush </dev/null 2>&1); rc=$?
[ "$out" = "mxgated is not running: it has no DNS cache to flush." ] && [ $rc != 0 ] &&
	t_pass dnsflush/not_running || t_fail dnsflush/not_running "status $rc, got: $out"

# two sinks on the same port: 127.0.0.2 (hop.test now) and 127.0.0.1 (later)
mkdir -p "$D/sink1" "$D/sink2"
(cd "$D/sink2" && exec /usr/sbin/smtp-sink -u "$(id -un)" -d "%M." 127.0.0.2:"$S" 1000) >"$D/sink2.log" 2>&1 &
T_PIDS="$T_PIDS $!"
(cd "$D/sink1" && exec /usr/sbin/smtp-sink -u "$(id -un)" -d "%M." 127.0.0.1:"$S" 1000) >"$D/sink1.log" 2>&1 &
T_PIDS="$T_PIDS $!"
wait_port "$S" 5 || t_fail dnsflush/setup "smtp-sink did not start"
mxsh_do "$D" \
	"listenerconfig new IncomingMail ip=127.0.0.1 port=$P type=public domains=@flush.test" \
	"smtproutes new flush.test hop.test:$S" \
	"commit e2e dnsflush" >"$D/setup2.out" 2>&1 ||
	{ t_fail dnsflush/setup "mxsh setup failed: $(cat "$D/setup2.out")"; t_done; }
gw_start "$D"
wait_port "$P" 10 || { t_fail dnsflush/setup "mxgated did not listen: $(cat "$D/mxgated.out")"; t_done; }

# send SUBJECT - one message to user@flush.test
send() {
	$PY - "$P" "$1" >>"$D/send.out" 2>&1 <<'PYEOF'
import smtplib, sys
msg = "Subject: %s\r\nFrom: a@src.test\r\n\r\nbody\r\n" % sys.argv[2]
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=30)
s.sendmail("a@src.test", ["user@flush.test"], msg)
s.quit()
PYEOF
}

send one
wait_sink 30 "$D/sink2" 0 && t_pass dnsflush/first_to_old ||
	t_fail dnsflush/first_to_old "sink2 got nothing: $(tail -5 "$LOG")"
# hop.test moves to 127.0.0.1; mxgated still holds 127.0.0.2 (DL_HOPS_TTL)
dns_stop
dns_start "$DP" 127.0.0.1
wait_for 20 sh -c "'$MXSH' -D '$D' -c 'dig hop.test' 2>&1 | grep -q 'IN	A	127.0.0.1$'" ||
	t_fail dnsflush/setup "dnsmasq did not come back: $(tail -3 "$D/dnsmasq.log")"
# the first connection closes when idle: the next one is made from the kept hop
wait_for 30 grep -q "DCID 1 close" "$LOG" || t_fail dnsflush/setup "DCID 1 stayed open"
send two
wait_sink 30 "$D/sink2" 1 && [ "$(sink_count "$D/sink1")" = 0 ] && t_pass dnsflush/cached_before ||
	t_fail dnsflush/cached_before "sink1 $(sink_count "$D/sink1"), sink2 $(sink_count "$D/sink2")"

out=$("$MXSH" -D "$D" -c dnsflush </dev/null 2>&1); rc=$?
[ "$out" = "DNS cache flushed." ] && [ $rc = 0 ] && t_pass dnsflush/reply ||
	t_fail dnsflush/reply "status $rc, got: $out"
grep -Eq "Info: DNS cache flushed by dnsflush \([^)]+\)$" "$LOG" && t_pass dnsflush/logged ||
	t_fail dnsflush/logged "$(grep -i flush "$LOG")"
send three	# at once: no idle connection to the old hop may take it either
wait_sink 30 "$D/sink1" 0 && [ "$(sink_count "$D/sink2")" = 2 ] && t_pass dnsflush/new_hop_used ||
	t_fail dnsflush/new_hop_used "sink1 $(sink_count "$D/sink1"), sink2 $(sink_count "$D/sink2"): $(tail -5 "$LOG")"

# mxgated stops between the request and its taking: dnsflush says so at once
# (the daemon is held with SIGSTOP until the request is in queue.db, then killed)
GWPID=$(cat "$D/gw.pid")
kill -STOP "$GWPID"
"$MXSH" -D "$D" -c dnsflush </dev/null >"$D/flush.out" 2>&1 &
FPID=$!
wait_for 30 $PY -c "import sqlite3, sys; sys.exit(0 if sqlite3.connect('file:$D/queue.db?mode=ro', uri=True).execute(\"SELECT count(*) FROM requests WHERE verb = 'dnsflush'\").fetchone()[0] else 1)" ||
	t_fail dnsflush/stopped "no request appeared in queue.db"
kill -KILL "$GWPID"
wait "$GWPID" 2>/dev/null
rm -f "$D/gw.pid"
wait "$FPID"; rc=$?	# the event: dnsflush ends
out=$(cat "$D/flush.out")
[ "$out" = "mxgated stopped before it flushed its DNS cache: it starts again with none." ] &&
	[ $rc != 0 ] && t_pass dnsflush/stopped || t_fail dnsflush/stopped "status $rc, got: $out"

gw_stop "$D"
dns_stop
t_done
