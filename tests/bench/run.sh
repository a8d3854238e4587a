#!/bin/bash
# run.sh BUILD - side-by-side benchmarks, one run, ratios printed.
#
# Mail path: Postfix's smtp-source sends N messages of SIZE bytes over C
# concurrent sessions into the gateway under test, which relays them to
# smtp-sink on loopback. Measured end to end: from the first connection to
# the last message counted by the sink. Both gateways fsync each accepted
# message before answering 250 (Postfix by default; mxgated's group
# commit). The same workload runs against mxgated and against Debian's
# Postfix configured under a private directory.
#
# Also: peak RSS of mxgated in each run, and its RSS with 1,000 idle
# SMTP connections open.
#
# BENCH_QUICK=1 runs small workloads (a smoke test of the script).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
B=${1:-build}
case "$B" in /*) ;; *) B=$top/$B ;; esac
MXSH=$B/mxsh
MXGATED=$B/mxgated
PY=/usr/bin/python3
W=$(mktemp -d /tmp/mxgate-bench.XXXXXX)
chmod 755 "$W"
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	[ -f "$W/pf/etc/main.cf" ] && postfix -c "$W/pf/etc" stop >/dev/null 2>&1
	sleep 0.5
	rm -rf "$W"
}
trap cleanup EXIT INT TERM

port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_port() {
	$PY -c 'import socket,sys,time
e=time.time()+20
while time.time()<e:
    try: socket.create_connection(("127.0.0.1",int(sys.argv[1])),0.2).close(); sys.exit(0)
    except OSError: time.sleep(0.05)
sys.exit(1)' "$1"
}
now() { $PY -c 'import time; print("%.3f" % time.time())'; }
hwm() { awk '/VmHWM/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

# sink_count FILE - messages counted so far: smtp-sink -c prints running
# "sess=N quit=N mesg=N" lines separated by carriage returns
sink_count() { tr '\r' '\n' <"$1" | sed -n 's/.*mesg=\([0-9]*\).*/\1/p' | tail -1; }

# run_one NAME PORT SINKPORT N SIZE SESSIONS - prints elapsed seconds
run_one() {
	name=$1 p=$2 sp=$3 n=$4 size=$5 sess=$6
	out=$W/sink.$name.$size.out
	/usr/sbin/smtp-sink -c -u "$(id -un)" 127.0.0.1:"$sp" 2000 >"$out" 2>&1 &
	spid=$!
	wait_port "$sp"
	t0=$(now)
	/usr/sbin/smtp-source -s "$sess" -m "$n" -l "$size" -f bench@source.test \
		-t rcpt@bench.test 127.0.0.1:"$p" >"$W/source.$name.$size.out" 2>&1
	# until the sink has counted every message (or 600 s pass)
	deadline=$(($(date +%s) + 600))
	while :; do
		c=$(sink_count "$out")
		[ "${c:-0}" -ge "$n" ] && break
		[ "$(date +%s)" -ge "$deadline" ] && { echo "TIMEOUT($c)"; kill $spid; return; }
		sleep 0.02
	done
	t1=$(now)
	kill $spid 2>/dev/null
	wait $spid 2>/dev/null
	$PY -c "print('%.3f' % ($t1 - $t0))"
}

N1=${BENCH_N1:-20000}
N2=${BENCH_N2:-2000}
[ -n "${BENCH_QUICK:-}" ] && { N1=500; N2=100; }

# ------------------------------------------------------------ mxgated
GP=$(port)
GS=$(port)
G=$W/gw
"$MXSH" -D "$G" -e \
	-c "listenerconfig new bench ip=127.0.0.1 port=$GP type=public domains=@bench.test max_conns=2000 max_size=20000000" \
	-c "smtproutes new bench.test 127.0.0.1:$GS" \
	-c "destconfig edit default tls=no" \
	-c "commit bench" >/dev/null || { echo "bench: mxsh setup failed"; exit 1; }
"$MXGATED" -D "$G" -f >"$W/gw.out" 2>&1 &
GPID=$!
PIDS="$PIDS $GPID"
wait_port "$GP" || { echo "bench: mxgated did not start"; cat "$W/gw.out"; exit 1; }

# ------------------------------------------------------------ Postfix
PP=$(port)
PS=$(port)
mkdir -p "$W/pf/etc" "$W/pf/spool" "$W/pf/data"
cat >"$W/pf/etc/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $W/pf/spool
data_directory = $W/pf/data
mail_owner = postfix
setgid_group = postdrop
myhostname = postfix.bench.test
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mydestination =
mynetworks = 127.0.0.0/8
relay_domains = bench.test
transport_maps = inline:{ bench.test=smtp:[127.0.0.1]:$PS }
smtp_tls_security_level = none
smtpd_tls_security_level = none
maillog_file = $W/pf/maillog
maillog_file_prefixes = $W
default_process_limit = 100
smtp_destination_concurrency_limit = 50
default_destination_concurrency_limit = 50
smtpd_client_connection_count_limit = 0
biff = no
CF
cat >"$W/pf/etc/master.cf" <<CF
127.0.0.1:$PP inet n - n - - smtpd
pickup    unix n - n 60 1 pickup
cleanup   unix n - n - 0 cleanup
qmgr      unix n - n 300 1 qmgr
tlsmgr    unix - - n 1000? 1 tlsmgr
rewrite   unix - - n - - trivial-rewrite
bounce    unix - - n - 0 bounce
defer     unix - - n - 0 bounce
trace     unix - - n - 0 bounce
verify    unix - - n - 1 verify
flush     unix n - n 1000? 0 flush
proxymap  unix - - n - - proxymap
smtp      unix - - n - - smtp
relay     unix - - n - - smtp
showq     unix n - n - - showq
error     unix - - n - - error
retry     unix - - n - - error
discard   unix - - n - - discard
local     unix - n n - - local
lmtp      unix - - n - - lmtp
anvil     unix - - n - 1 anvil
scache    unix - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
CF
postfix -c "$W/pf/etc" set-permissions >/dev/null 2>&1
chown postfix "$W/pf/data"	# master.lock; set-permissions leaves it to root
postfix -c "$W/pf/etc" check >"$W/pf/check.out" 2>&1
if ! postfix -c "$W/pf/etc" start >"$W/pf/start.out" 2>&1 || ! wait_port "$PP"; then
	echo "bench: Postfix did not start:"; cat "$W/pf/check.out" "$W/pf/start.out"
	tail -5 "$W/pf/maillog" 2>/dev/null
	PF=0
else
	PF=1
fi

ratio() { $PY -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print('%.2f' % (a/b) if b>0 else 'n/a')" "$1" "$2"; }
rate() { $PY -c "import sys; print('%.0f' % (float(sys.argv[1])/float(sys.argv[2])))" "$1" "$2"; }

echo "== mail path: smtp-source -> gateway -> smtp-sink, fsync before 250"
printf "%-34s %12s %12s %8s\n" "workload" "mxgated msg/s" "Postfix msg/s" "ratio"
for spec in "$N1 5120 20" "$N2 102400 20"; do
	set -- $spec
	tg=$(run_one mxgated "$GP" "$GS" "$1" "$2" "$3")
	rg=$(rate "$1" "$tg")
	if [ "$PF" = 1 ]; then
		tp=$(run_one postfix "$PP" "$PS" "$1" "$2" "$3")
		rp=$(rate "$1" "$tp")
	else
		rp=0
	fi
	printf "%-34s %12s %12s %8s\n" "$1 x $(($2 / 1024)) KB, $3 sessions" "$rg" "$rp" "$(ratio "$rg" "$rp")"
done
echo "mxgated peak RSS: $(( $(hwm "$GPID") / 1024 )) MB"

# ------------------------------------------------------------ idle connections
$PY - "$GP" "$GPID" <<'PYEOF'
import socket, sys, time
port, pid = int(sys.argv[1]), sys.argv[2]
def rss():
    for l in open("/proc/%s/status" % pid):
        if l.startswith("VmRSS"):
            return int(l.split()[1])
    return 0
base = rss()
socks = []
for i in range(1000):
    s = socket.create_connection(("127.0.0.1", port))
    socks.append(s)
for s in socks:
    s.settimeout(10)
    s.recv(512)          # the greeting: the session really exists
time.sleep(1)
print("mxgated RSS with 1000 idle SMTP connections: %.1f MB (%.1f MB before)" % (rss() / 1024.0, base / 1024.0))
for s in socks:
    s.close()
PYEOF
