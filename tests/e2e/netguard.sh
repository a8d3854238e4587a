#!/bin/sh
# netguard.sh - the tests' network guard (tests/helpers/netguard.c) works:
# a guarded mxgated that asks a resolver off this machine, or relays to
# 192.0.2.1, is refused (ENETUNREACH: the daemon logs the failure at once)
# and the guard records "PID mxgated connect ADDRESS:PORT"; a run that
# stays on loopback records nothing; a test script whose programs were
# refused FAILs through lib.subr's t_done.
#
# The provoked daemons write to their own guard files ($D/provoked.*,
# not *.netguard), read here and removed, so that tests/run.sh's sweep
# of TEST_OUT stays clean.
. "$(dirname "$0")/lib.subr"

T=e2e/netguard
D=$(t_dir netguard)
P=$(free_port)
S=$(free_port)
DEAD=$(dead_port)
SINK=$D.sink

# guard_has FILE TEXT - the guard recorded a line containing TEXT
guard_has() { grep -qF -- "$2" "$1" 2>/dev/null; }

# setup DIR DNSCONFIG - a data directory of its own for each case (a
# message still queued from one case would be retried in the next)
setup() {
	mkdir -p "$1" &&
	mxsh_do "$1" \
		"listenerconfig new in ip=127.0.0.1 port=$P type=public domains=@relay.test,@dns.test,@local.test" \
		"smtproutes new relay.test 192.0.2.1:25" \
		"smtproutes new local.test 127.0.0.1:$S" \
		"$2" \
		"deliveryconfig setup retry_initial=60 retry_max=60" \
		"commit netguard test" >"$1/setup.out" 2>&1 ||
	{ t_fail "$T/setup" "$(cat "$1/setup.out")"; t_done; }
}

# start_provoked DIR GUARDFILE - mxgated on DIR under the guard, recording in GUARDFILE
start_provoked() {
	rm -f "$2"
	MXGATE_NETGUARD=$2 "$MXGATED" -D "$1" -f >>"$1/mxgated.out" 2>&1 &
	echo $! >"$1/gw.pid"
	T_PIDS="$T_PIDS $!"
	wait_port "$P" 10 || { t_fail "$T/start" "mxgated did not listen on $1"; t_done; }
}

# stop_provoked DIR - SIGTERM and wait, without reporting the provoked records
stop_provoked() {
	p=$(cat "$1/gw.pid")
	kill "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	rm -f "$1/gw.pid"
}

# send RCPT - one message through the listener; 0 if mxgated accepted it
send() {
	swaks --server 127.0.0.1:$P --to "$1" --from s@outside.test >>"$D/swaks.out" 2>&1
}

sink_start "$S" "$SINK" || { t_fail "$T/setup" "smtp-sink did not start"; t_done; }

# 1. relay to 192.0.2.1: the connection is refused and recorded
D1=$D/relay G=$D/provoked.relay
setup "$D1" "dnsconfig servers=192.0.2.53 timeout=2"
start_provoked "$D1" "$G"
if send r@relay.test; then t_pass "$T/relay_accepted"; else t_fail "$T/relay_accepted" "$(tail -3 "$D/swaks.out")"; fi
if wait_for 20 guard_has "$G" " mxgated connect 192.0.2.1:25"; then
	t_pass "$T/relay_recorded"
else
	t_fail "$T/relay_recorded" "no 'mxgated connect 192.0.2.1:25' in the guard file: $(cat "$G" 2>/dev/null)"
fi
if wait_for 20 grep -q "Delayed: DCID [0-9]* MID [0-9]* to RID 0 - 4.4.1 .*Network is unreachable" "$D1/logs/mail_logs/mail.current"; then
	t_pass "$T/relay_refused"
else
	t_fail "$T/relay_refused" "no 'Network is unreachable' delay in mail_logs"
fi
t_check "$T/relay_record_shape" grep -Eq "^[0-9]+ mxgated connect 192\.0\.2\.1:25$" "$G"

# 2. DNS to a resolver off this machine (dnsconfig servers=192.0.2.53)
if send d@dns.test; then t_pass "$T/dns_accepted"; else t_fail "$T/dns_accepted" "$(tail -3 "$D/swaks.out")"; fi
if wait_for 20 guard_has "$G" " mxgated connect 192.0.2.53:53"; then
	t_pass "$T/dns_recorded"
else
	t_fail "$T/dns_recorded" "no 'mxgated connect 192.0.2.53:53' in the guard file: $(cat "$G" 2>/dev/null)"
fi
# refused: a temporary DNS failure
if wait_for 20 grep -q "Delayed: DCID [0-9]* MID [0-9]* to RID 0 - 4.4.3 .*DNS Temporary Failure looking up dns.test" "$D1/logs/mail_logs/mail.current"; then
	t_pass "$T/dns_refused"
else
	t_fail "$T/dns_refused" "no 'DNS Temporary Failure' delay in mail_logs"
fi
stop_provoked "$D1"

# 3. the default dnsconfig: /etc/resolv.conf's resolver. Off loopback (as
# on most hosts and CI runners) it is refused and recorded; on loopback
# (a local stub) nothing may be recorded.
D2=$D/default G=$D/provoked.default
setup "$D2" "dnsconfig servers="
ns=$(awk '$1 == "nameserver" { print $2; exit }' /etc/resolv.conf 2>/dev/null)
start_provoked "$D2" "$G"
send x@dns.test
case "$ns" in
"" | 127.* | ::1)
	wait_for 20 grep -q "DNS.*looking up dns.test" "$D2/logs/mail_logs/mail.current"
	if [ -s "$G" ]; then t_fail "$T/default_dns" "resolver $ns is local, yet: $(cat "$G")"
	else t_pass "$T/default_dns"; fi
	;;
*:*)
	if wait_for 20 guard_has "$G" " mxgated connect [$ns]:53"; then t_pass "$T/default_dns"
	else t_fail "$T/default_dns" "no 'mxgated connect [$ns]:53' recorded: $(cat "$G" 2>/dev/null)"; fi
	;;
*)
	if wait_for 20 guard_has "$G" " mxgated connect $ns:53"; then t_pass "$T/default_dns"
	else t_fail "$T/default_dns" "no 'mxgated connect $ns:53' recorded: $(cat "$G" 2>/dev/null)"; fi
	;;
esac
stop_provoked "$D2"

# 4. on loopback only: a local route, a dead local resolver; delivered,
# and nothing recorded
D3=$D/loopback G=$D/provoked.loopback
setup "$D3" "dnsconfig servers=127.0.0.1:$DEAD timeout=2"
start_provoked "$D3" "$G"
send l@local.test
if wait_sink 20 "$SINK" 0; then t_pass "$T/loopback_delivered"; else t_fail "$T/loopback_delivered" "nothing at the sink"; fi
send y@dns.test
if wait_for 20 grep -q "DNS Temporary Failure looking up dns.test" "$D3/logs/mail_logs/mail.current"; then
	t_pass "$T/loopback_dns_failed"
else
	t_fail "$T/loopback_dns_failed" "no DNS failure for dns.test from the dead local resolver"
fi
stop_provoked "$D3"
if [ -s "$G" ]; then t_fail "$T/loopback_clean" "recorded: $(cat "$G")"; else t_pass "$T/loopback_clean"; fi

# 5. the library on its own, in Python: connect, sendto and sendmsg off
# loopback refused with ENETUNREACH and recorded; loopback, IPv4-mapped
# loopback and AF_UNIX pass
G=$D/provoked.py
rm -f "$G"
MXGATE_NETGUARD=$G $PY - "$D/unix.sock" >"$D/py.out" 2>&1 <<'PYEOF'
import errno, socket, sys
def refused(f):
    try:
        f()
    except OSError as e:
        return e.errno == errno.ENETUNREACH
    return False
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
print("sendto", refused(lambda: u.sendto(b"q", ("192.0.2.7", 53))))
print("sendmsg", refused(lambda: u.sendmsg([b"q"], [], 0, ("198.51.100.9", 53))))
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
print("connect", refused(lambda: t.connect(("203.0.113.5", 25))))
try:
    s6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    print("connect6", refused(lambda: s6.connect(("2001:db8::1", 53))))
    print("mapped_loopback", not refused(lambda: s6.connect(("::ffff:127.0.0.1", 9))))
except OSError:
    print("connect6 True\nmapped_loopback True")   # no IPv6 here
print("loopback", not refused(lambda: u.connect(("127.0.0.2", 9))))
x = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
x.bind(sys.argv[1])
print("unix", x.sendto(b"q", sys.argv[1]) == 1)
PYEOF
for c in sendto sendmsg connect connect6 mapped_loopback loopback unix; do
	t_check "$T/py_$c" grep -qx "$c True" "$D/py.out"
done
t_check "$T/py_recorded_sendto" guard_has "$G" " python3 sendto 192.0.2.7:53"
t_check "$T/py_recorded_sendmsg" guard_has "$G" " python3 sendmsg 198.51.100.9:53"
t_check "$T/py_recorded_connect" guard_has "$G" " python3 connect 203.0.113.5:25"
t_check "$T/py_no_loopback_record" sh -c "! grep -q '127\.' '$G'"

# 6. t_done turns a record into a FAIL and a non-zero exit
G=$D/provoked.script
rm -f "$G"
cat >"$D/child.sh" <<EOF
. "$(cd "$(dirname "$0")" && pwd)/lib.subr"
$PY -c 'import socket; socket.socket().connect(("192.0.2.1", 25))' 2>/dev/null
t_done
EOF
MXGATE_NETGUARD=$G sh "$D/child.sh" >"$D/child.out" 2>&1
rc=$?
t_check "$T/t_done_fails" grep -Eq "^FAIL e2e/child/netguard: sent off this machine: [0-9]+ python3 connect 192\.0\.2\.1:25$" "$D/child.out"
t_check "$T/t_done_exit" test "$rc" != 0

rm -f "$D"/provoked.*
t_done
