#!/bin/sh
# rdns.sh - the client's reverse DNS host, looked up at connection time
# when Sender Domain Reputation is on (AsyncOS: "New SMTP ICID ... reverse
# dns host NAME verified yes"), and what SDR makes of it (issue 10):
#   dnsmasq (--log-queries) serves the PTR of 127.0.0.1 (mail.sender.test,
#   which resolves back: verified yes), of 127.0.0.2 (liar.sender.test,
#   which does not: verified no) and none for 127.0.0.3 (unknown); clients
#   take those source addresses (swaks --local-interface: a connection to
#   127.0.0.1 comes from 127.0.0.1 otherwise). A blocklist zone lists
#   both names: only the verified one reaches SDR, and its verdict is Awful.
# Cases: SDR off asks no DNS at all; the three connection lines; the SDR
# Domains line and verdict; then DNS servers that never answer (a Python
# UDP socket that reads and keeps silent, three of them so that c-ares
# alone would wait 3 x 2 x 2 s): the greeting waits no longer than the
# DNS timeout, a client that leaves while its lookup is pending and a
# daemon stopped while one is pending are both safe (under ASan too).
. "$(dirname "$0")/lib.subr"

D=$(t_dir rdns)
P=$(free_port)
S=$(free_port)
SINK=$D.sink
LOG=$D/logs/mail_logs/mail.current

# ---------------------------------------------------------------- DNS
dnsmasq=/usr/sbin/dnsmasq
[ -x "$dnsmasq" ] || { t_fail setup "$dnsmasq missing (apt-get install dnsmasq-base)"; t_done; }
dns_start() {	# PORT
	"$dnsmasq" --conf-file=/dev/null --keep-in-foreground --no-resolv --no-hosts \
		--no-poll --pid-file= --log-facility=- --log-queries --bind-interfaces \
		--listen-address=127.0.0.1 --local=/test/ --local=/0.0.127.in-addr.arpa/ \
		--port="$1" \
		--ptr-record=1.0.0.127.in-addr.arpa,mail.sender.test \
		--host-record=mail.sender.test,127.0.0.1 \
		--ptr-record=2.0.0.127.in-addr.arpa,liar.sender.test \
		--host-record=liar.sender.test,127.0.0.9 \
		--host-record=mail.sender.test.dbl.test,127.0.1.2 \
		--host-record=liar.sender.test.dbl.test,127.0.1.2 \
		>"$D.dnsmasq.log" 2>&1 &
	DNSPID=$!
}
DNSPORT=
for attempt in 1 2 3 4 5; do
	p=$(free_port)
	dns_start "$p"
	if wait_for 10 sh -c "kill -0 $DNSPID && grep -q 'started' '$D.dnsmasq.log'"; then
		DNSPORT=$p
		T_PIDS="$T_PIDS $DNSPID"
		break
	fi
	kill "$DNSPID" 2>/dev/null
	wait "$DNSPID" 2>/dev/null
done
[ -n "$DNSPORT" ] || { t_fail setup "dnsmasq did not start: $(tail -3 "$D.dnsmasq.log")"; t_done; }
queries() { grep -c 'query\[' "$D.dnsmasq.log"; }

# ---------------------------------------------------------------- silent DNS servers
# three UDP sockets that read queries (one line each in $D.hole.log) and never answer
$PY - "$D.hole.ports" "$D.hole.log" >"$D.hole.out" 2>&1 <<'PYEOF' &
import select, socket, sys
socks = []
for _ in range(3):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    socks.append(s)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(",".join("127.0.0.1:%d" % s.getsockname()[1] for s in socks) + "\n")
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
log = open(sys.argv[2], "a")
while True:
    for s in select.select(socks, [], [])[0]:
        data, peer = s.recvfrom(4096)
        log.write("query %d bytes\n" % len(data))
        log.flush()
PYEOF
T_PIDS="$T_PIDS $!"
wait_for 10 test -s "$D.hole.ports" || { t_fail setup "silent DNS servers did not start: $(cat "$D.hole.out")"; t_done; }
HOLES=$(cat "$D.hole.ports")
: >"$D.hole.log"
hole_queries() { wc -l <"$D.hole.log"; }

# ---------------------------------------------------------------- gateway
sink_start "$S" "$SINK" || { t_fail setup "smtp-sink did not start"; t_done; }
mxsh_do "$D" \
	"listenerconfig new IncomingMail ip=127.0.0.1 port=$P type=public domains=@example.test" \
	"smtproutes new example.test 127.0.0.1:$S" \
	"dnsconfig servers=127.0.0.1:$DNSPORT" \
	"sdradvancedconfig blocklist new dbl.test codes=127.0.1.2:Awful/Spam" \
	"commit e2e rdns" >"$D/setup.out" 2>&1 ||
	{ t_fail setup "mxsh setup failed: $(cat "$D/setup.out")"; t_done; }
gw_start "$D"
wait_port "$P" 10 || { t_fail setup "mxgated did not listen: $(cat "$D/mxgated.out")"; t_done; }

# send FROM-IP SUBJECT - one message from that source address; prints its MID
N=0
send() {
	N=$((N + 1))
	swaks --server 127.0.0.1:$P --local-interface "$1" --from someone@clean.test \
		--to user@example.test --helo client.example.net --header "Subject: $2" \
		>"$D/swaks.$N" 2>&1
	sed -n 's/.*250 2.0.0 Ok: Message \([0-9]*\) accepted.*/\1/p' "$D/swaks.$N" | head -1
}
has() { grep -Eq "$1" "$LOG"; }
settled() { wait_for 30 grep -Eq "MID $1 (queued for delivery|Dropped by|quarantined to)" "$LOG"; }
icid_of() {	# ADDRESS - the ICID of the last connection from it
	sed -n "s/.*New SMTP ICID \([0-9]*\) interface IncomingMail (127.0.0.1) address $1 .*/\1/p" \
		"$LOG" | tail -1
}

# ------------------------------------------------ SDR off: no lookup, no DNS at all
M0=$(send 127.0.0.1 "sdr off")
settled "$M0"
t_check off_line has "New SMTP ICID [0-9]+ interface IncomingMail \(127.0.0.1\) address 127.0.0.1 reverse dns host unknown verified no\$"
t_check off_no_dns test "$(queries)" -eq 0
t_check off_no_sdr sh -c "! grep -q 'MID $M0 SDR:' '$LOG'"

# ------------------------------------------------ SDR on
mxsh_do "$D" "sdrconfig domainreputation enable" "commit sdr on" >"$D/sdr.out" 2>&1 ||
	t_fail sdr_on "$(cat "$D/sdr.out")"
wait_for 10 grep -q "Configuration changed" "$LOG"

# verified: the PTR name resolves back to the client
M1=$(send 127.0.0.1 "verified")
settled "$M1"
t_check verified_line has "New SMTP ICID [0-9]+ interface IncomingMail \(127.0.0.1\) address 127.0.0.1 reverse dns host mail.sender.test verified yes\$"
t_check verified_ptr_asked grep -q 'query\[PTR\] 1.0.0.127.in-addr.arpa' "$D.dnsmasq.log"
t_check verified_sdr_domains has "MID $M1 SDR: Domains for which SDR is requested: reverse DNS host: mail.sender.test, helo: client.example.net, env-from: clean.test, header-from: clean.test, reply-to: Not Present\$"
t_check verified_verdict has "MID $M1 SDR: Consolidated Sender Reputation: Awful, Threat Category: Spam, Suspected Domain\(s\) : mail.sender.test\."
# the line comes before the greeting, the rest of the connection after it
I1=$(icid_of 127.0.0.1)
t_check verified_order sh -c "grep -n 'ICID $I1 ' '$LOG' | head -1 | grep -q 'New SMTP ICID $I1 '"

# a PTR name that does not resolve back: logged, unverified, no SDR input
M2=$(send 127.0.0.2 "liar")
settled "$M2"
t_check liar_line has "New SMTP ICID [0-9]+ interface IncomingMail \(127.0.0.1\) address 127.0.0.2 reverse dns host liar.sender.test verified no\$"
t_check liar_sdr_domains has "MID $M2 SDR: Domains for which SDR is requested: reverse DNS host: Not Present, helo: client.example.net"
t_check liar_verdict has "MID $M2 SDR: Consolidated Sender Reputation: "
t_check liar_not_listed sh -c "! grep -q 'MID $M2 SDR: Consolidated Sender Reputation: Awful' '$LOG'"
t_check liar_not_asked sh -c "! grep -q 'liar.sender.test.dbl.test' '$D.dnsmasq.log'"

# no PTR record
M3=$(send 127.0.0.3 "no ptr")
settled "$M3"
t_check unknown_line has "New SMTP ICID [0-9]+ interface IncomingMail \(127.0.0.1\) address 127.0.0.3 reverse dns host unknown verified no\$"
t_check unknown_sdr_domains has "MID $M3 SDR: Domains for which SDR is requested: reverse DNS host: Not Present,"
t_check delivered wait_sink 20 "$SINK" 3

# ------------------------------------------------ DNS that never answers
mxsh_do "$D" "dnsconfig servers=$HOLES timeout=2" "commit silent dns" >"$D/hole.out" 2>&1 ||
	t_fail silent_dns "$(cat "$D/hole.out")"
wait_for 10 sh -c "[ \$(grep -c 'Configuration changed' '$LOG') -ge 2 ]"

# a client that leaves while its lookup is pending
before=$(hole_queries)
$PY -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5)
s.close()' "$P"
t_check leaver_asked wait_for 10 sh -c "[ \$(wc -l <'$D.hole.log') -gt $before ]"
t_check leaver_logged wait_for 15 grep -Eq "New SMTP ICID [0-9]+ interface IncomingMail \(127.0.0.1\) address 127.0.0.1 reverse dns host unknown verified no\$" "$LOG"
IL=$(icid_of 127.0.0.1)
t_check leaver_closed wait_for 15 grep -q "ICID $IL close" "$LOG"
t_check leaver_survived kill -0 "$(cat "$D/gw.pid")"

# a client that waits: greeted at the DNS timeout (2 s), not after c-ares's 12 s
$PY - "$P" >"$D/wait.out" 2>&1 <<'PYEOF'
import socket, sys, time
t0 = time.monotonic()
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5)
s.settimeout(30)
banner = s.recv(1024).decode()
dt = time.monotonic() - t0
s.sendall(b"QUIT\r\n")
s.recv(1024)
s.close()
print("%s %.1f" % (banner.split()[0], dt))
sys.exit(0 if banner.startswith("220 ") and 1.8 <= dt < 8 else 1)
PYEOF
rc=$?
t_check waiter_greeted_at_timeout test "$rc" -eq 0
[ "$rc" -eq 0 ] || echo "    waiter: $(cat "$D/wait.out")"
IW=$(icid_of 127.0.0.1)
t_check waiter_line has "New SMTP ICID $IW interface IncomingMail \(127.0.0.1\) address 127.0.0.1 reverse dns host unknown verified no\$"

# the daemon stops while a lookup is pending: 421, never a greeting, a clean exit
before=$(hole_queries)
$PY - "$P" >"$D/stop.out" 2>&1 <<'PYEOF' &
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5)
s.settimeout(30)
got = b""
while True:
    d = s.recv(1024)
    if not d:
        break
    got += d
sys.stdout.write(got.decode())
PYEOF
CPID=$!
T_PIDS="$T_PIDS $CPID"
wait_for 10 sh -c "[ \$(wc -l <'$D.hole.log') -gt $before ]" || t_fail stopper_asked "no query reached the silent servers"
gw_stop "$D"
t_check stop_clean test $? -eq 0
wait "$CPID" 2>/dev/null
t_check stop_421 grep -q '^421 4.3.2 .* Service shutting down' "$D/stop.out"
t_check stop_no_greeting sh -c "! grep -q '^220 ' '$D/stop.out'"
IS=$(icid_of 127.0.0.1)
t_check stop_logged grep -q "ICID $IS close" "$LOG"
t_check stop_no_asan sh -c "! grep -q 'Sanitizer' '$D/mxgated.out'"
t_done
