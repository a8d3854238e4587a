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

# 3. the default dnsconfig: /etc/resolv.conf's resolver, refused and
# recorded wherever it is: off loopback (as on most hosts), or on loopback
# (systemd-resolved's 127.0.0.53 on CI runners), a stub that forwards the
# query off this machine. With no nameserver line nothing is recorded.
D2=$D/default G=$D/provoked.default
setup "$D2" "dnsconfig servers="
ns=$(awk '$1 == "nameserver" { sub(/%.*/, "", $2); print $2; exit }' /etc/resolv.conf 2>/dev/null)
start_provoked "$D2" "$G"
send x@dns.test
case "$ns" in
"")
	wait_for 20 grep -q "DNS.*looking up dns.test" "$D2/logs/mail_logs/mail.current"
	if [ -s "$G" ]; then t_fail "$T/default_dns" "no resolver in resolv.conf, yet: $(cat "$G")"
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

# 7. a nameserver of resolv.conf on loopback (a stub that forwards off
# this machine), through MXGATE_NETGUARD_SELFTEST_RESOLV_CONF: its port 53
# refused (IPv4, IPv6 and IPv4-mapped), its other ports and 127.0.0.1:53
# pass; a lookup of a name not in /etc/hosts, or of an address neither
# loopback nor in /etc/hosts, is refused by every lookup function; names
# in /etc/hosts, literal addresses and loopback reverse lookups pass
G=$D/provoked.stub
rm -f "$G"
printf '# a local stub\nnameserver 127.0.0.53\nnameserver ::1\noptions edns0\n' >"$D/resolv.conf"
MXGATE_NETGUARD=$G MXGATE_NETGUARD_SELFTEST_RESOLV_CONF=$D/resolv.conf \
	$PY - "$DEAD" >"$D/stub.out" 2>&1 <<'PYEOF'
import ctypes, errno, socket, struct, sys
dead = int(sys.argv[1])
def refused(f):
    try:
        f()
    except OSError as e:
        return e.errno == errno.ENETUNREACH
    return False
def passes(f):
    try:
        f()
    except OSError:
        return False
    return True
def herror(f):
    try:
        f()
    except socket.herror as e:
        return e.errno == 2     # TRY_AGAIN
    return False
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
print("stub_sendto", refused(lambda: u.sendto(b"q", ("127.0.0.53", 53))))
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
print("stub_connect", refused(lambda: t.connect(("127.0.0.53", 53))))
def udp(af, host, port):   # a UDP connect: no packet sent
    socket.socket(af, socket.SOCK_DGRAM).connect((host, port))
print("stub_other_port", passes(lambda: udp(socket.AF_INET, "127.0.0.53", dead)))
print("other_loopback_53", passes(lambda: udp(socket.AF_INET, "127.0.0.1", 53)))
libc = ctypes.CDLL(None, use_errno=True)
try:
    s6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    print("stub6_connect", refused(lambda: s6.connect(("::1", 53))))
    print("stub_mapped", refused(lambda: s6.connect(("::ffff:127.0.0.53", 53))))
    print("stub6_other_port", passes(lambda: udp(socket.AF_INET6, "::1", dead)))
    # a 24-byte sockaddr_in6 (no sin6_scope_id), which the kernel takes
    sa = struct.pack("!HH", 0, 53) + b"\0" * 4 + socket.inet_pton(socket.AF_INET6, "2001:db8::1")
    sa = struct.pack("=H", socket.AF_INET6) + sa[2:]
    s24 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    rc = libc.connect(s24.fileno(), ctypes.c_char_p(sa), 24)
    print("sin6_24", rc == -1 and ctypes.get_errno() == errno.ENETUNREACH)
    print("ipv6 True")
except OSError:
    # no IPv6 here
    print("stub6_connect True\nstub_mapped True\nstub6_other_port True\nsin6_24 True")
print("gai_refused", refused(lambda: socket.getaddrinfo("name.invalid", 25)))
print("gai_hosts", passes(lambda: socket.getaddrinfo("localhost", 25)))
print("gai_numeric", passes(lambda: socket.getaddrinfo("192.0.2.1", 25)))
print("gethostbyaddr_r_refused", herror(lambda: socket.gethostbyaddr("192.0.2.9")))
print("gethostbyaddr_r_loopback", passes(lambda: socket.gethostbyaddr("127.0.0.1")))
print("getnameinfo_refused", refused(lambda: socket.getnameinfo(("192.0.2.9", 25), 0)))
print("getnameinfo_numeric",
      passes(lambda: socket.getnameinfo(("192.0.2.9", 25), socket.NI_NUMERICHOST)))
print("getnameinfo_loopback", passes(lambda: socket.getnameinfo(("127.0.0.1", 25), 0)))
# the C functions Python does not call
libc.gethostbyname.restype = ctypes.c_void_p
libc.gethostbyname2.restype = ctypes.c_void_p
libc.gethostbyaddr.restype = ctypes.c_void_p
print("gethostbyname", not libc.gethostbyname(b"name.invalid"))
print("gethostbyname_hosts", bool(libc.gethostbyname(b"localhost")))
print("gethostbyname2", not libc.gethostbyname2(b"name2.invalid", socket.AF_INET6))
def r_call(f, *args):   # a _r function: (its return, result pointer, h_errno)
    he, buf = ctypes.create_string_buffer(64), ctypes.create_string_buffer(8192)
    res, herr = ctypes.c_void_p(1), ctypes.c_int(0)
    rc = f(*args, he, buf, 8192, ctypes.byref(res), ctypes.byref(herr))
    return rc, res.value, herr.value
REFUSED = (errno.ENETUNREACH, None, 2)     # TRY_AGAIN
print("gethostbyname_r", r_call(libc.gethostbyname_r, b"name-r.invalid") == REFUSED)
print("gethostbyname2_r",
      r_call(libc.gethostbyname2_r, b"name2-r.invalid", socket.AF_INET) == REFUSED)
a = socket.inet_aton("198.51.100.4")
print("gethostbyaddr", not libc.gethostbyaddr(a, 4, socket.AF_INET))
print("gethostbyaddr_r", r_call(libc.gethostbyaddr_r, a, 4, socket.AF_INET) == REFUSED)
rc, res, _ = r_call(libc.gethostbyaddr_r, socket.inet_aton("127.0.0.1"), 4, socket.AF_INET)
print("gethostbyaddr_r_hosts", rc == 0 and bool(res))
PYEOF
for c in stub_sendto stub_connect stub_other_port other_loopback_53 stub6_connect stub_mapped \
    stub6_other_port sin6_24 gai_refused gai_hosts gai_numeric gethostbyaddr_r_refused \
    gethostbyaddr_r_loopback getnameinfo_refused getnameinfo_numeric getnameinfo_loopback \
    gethostbyname gethostbyname_hosts gethostbyname2 gethostbyname_r gethostbyname2_r \
    gethostbyaddr gethostbyaddr_r gethostbyaddr_r_hosts; do
	t_check "$T/ns_$c" grep -qx "$c True" "$D/stub.out"
done
while read -r n r; do
	t_check "$T/stub_recorded_$n" guard_has "$G" " python3 $r 127.0.0.53:53"
done <<EOF
sendto sendto
connect connect
getaddrinfo getaddrinfo(name.invalid)
gethostbyaddr_r_py gethostbyaddr_r(192.0.2.9)
getnameinfo getnameinfo(192.0.2.9)
gethostbyname gethostbyname(name.invalid)
gethostbyname2 gethostbyname2(name2.invalid)
gethostbyname_r gethostbyname_r(name-r.invalid)
gethostbyname2_r gethostbyname2_r(name2-r.invalid)
gethostbyaddr gethostbyaddr(198.51.100.4)
gethostbyaddr_r gethostbyaddr_r(198.51.100.4)
EOF
if grep -qx "ipv6 True" "$D/stub.out"; then
	t_check "$T/stub_recorded_connect6" guard_has "$G" " python3 connect [::1]:53"
	t_check "$T/stub_recorded_mapped" guard_has "$G" " python3 connect [::ffff:127.0.0.53]:53"
	t_check "$T/stub_recorded_sin6_24" guard_has "$G" " python3 connect [2001:db8::1]:53"
fi
t_check "$T/stub_no_other_record" sh -c "! grep -Eq '127\.0\.0\.1|localhost|:$DEAD' '$G'"

# 8. the guard file is writable by a program run as another user: created
# by the guard as root (umask 022) it is made mode 0666, and a process
# setpriv'd to mxgate records in it; run.sh and lib.subr create theirs so
G=$D/provoked.setpriv
rm -f "$G"
(umask 022 && MXGATE_NETGUARD=$G $PY -c 'pass')
t_check "$T/guard_file_0666" test "$(stat -c %a "$G" 2>/dev/null)" = 666
t_check "$T/test_guard_file_0666" test "$(stat -c %a "$MXGATE_NETGUARD" 2>/dev/null)" = 666
if getent passwd mxgate >/dev/null && [ "$(id -u)" = 0 ]; then
	chmod 755 "$D"
	MXGATE_NETGUARD=$G setpriv --reuid=mxgate --regid=mxgate --clear-groups \
		$PY -c 'import socket; socket.socket().connect(("192.0.2.1", 25))' >/dev/null 2>&1
	t_check "$T/setpriv_recorded" grep -Eq "^[0-9]+ python3 connect 192\.0\.2\.1:25$" "$G"
fi

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
