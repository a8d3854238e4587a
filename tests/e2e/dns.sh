#!/bin/sh
# dns.sh - end to end: net/dns.c, through $BUILD/tests/dnstool, against a
# real DNS server: Debian's dnsmasq on a random loopback port, started
# and always stopped here. Authoritative for "test" (--local=/test/), so
# unknown names are NXDOMAIN and nothing is forwarded; no packet leaves
# 127.0.0.1 (and ::1 when the loopback has it).
#
# Prints "PASS e2e/dns/NAME" or "FAIL e2e/dns/NAME: why" per case.
BUILD=${BUILD:-build}
tool=$BUILD/tests/dnstool
dnsmasq=/usr/sbin/dnsmasq
T=e2e/dns
pid=
mkdir -p "${TEST_OUT:-/tmp}" 2>/dev/null
tmp=$(mktemp -d "${TEST_OUT:-/tmp}/dns.XXXXXX") || exit 2

cleanup() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

if [ ! -x "$tool" ]; then
	echo "FAIL $T/setup: $tool not built (make)"
	exit 1
fi
if [ ! -x "$dnsmasq" ]; then
	echo "FAIL $T/setup: $dnsmasq missing (apt-get install dnsmasq-base)"
	exit 1
fi

# ::1 too, when the loopback has IPv6
listen=127.0.0.1
if grep -q '^00000000000000000000000000000001 ' /proc/net/if_inet6 2>/dev/null; then
	listen=127.0.0.1,::1
fi

# start PORT - dnsmasq with the test zone in the background
start() {
	"$dnsmasq" --conf-file=/dev/null --keep-in-foreground --no-resolv --no-hosts \
		--no-poll --pid-file= --log-facility=- --bind-interfaces \
		--listen-address="$listen" --local=/test/ --port="$1" \
		--mx-host=a.test,mx2.a.test,20 --mx-host=a.test,mx1.a.test,10 \
		--mx-host=a.test,mx0.a.test,5 \
		--host-record=mx0.a.test,2001:db8::5 \
		--host-record=mx1.a.test,192.0.2.1,2001:db8::1 \
		--host-record=mx2.a.test,192.0.2.2 \
		--mx-host=eq.test,e1.eq.test,10 --mx-host=eq.test,e2.eq.test,10 \
		--mx-host=eq.test,e3.eq.test,10 --mx-host=eq.test,e4.eq.test,10 \
		--host-record=e1.eq.test,192.0.2.11 --host-record=e2.eq.test,192.0.2.12 \
		--host-record=e3.eq.test,192.0.2.13 --host-record=e4.eq.test,192.0.2.14 \
		--host-record=nomx.test,192.0.2.9,2001:db8::9 \
		--txt-record=txt.test,hello \
		--mx-host=null.test,.,0 \
		--mx-host=part.test,missing.test,10 --mx-host=part.test,192.0.2.77,20 \
		--mx-host=part.test,mx2.a.test,30 \
		>"$tmp/dnsmasq.log" 2>&1 &
	pid=$!
}

# find a free port: a few random ones, each checked by a real query
port=
for attempt in 1 2 3 4 5; do
	p=$(( $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 20000 + 40000 ))
	start "$p"
	i=0
	while [ $i -lt 50 ] && kill -0 "$pid" 2>/dev/null; do
		"$tool" -t 100 -r 1 "127.0.0.1:$p" addr probe.test >/dev/null 2>&1
		if [ $? = 1 ]; then	# NXDOMAIN: the server answers
			port=$p
			break
		fi
		sleep 0.1
		i=$((i + 1))
	done
	[ -n "$port" ] && break
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	pid=
done
if [ -z "$port" ]; then
	echo "FAIL $T/setup: dnsmasq did not start: $(tail -3 "$tmp/dnsmasq.log" | tr '\n' ' ')"
	exit 1
fi
S=127.0.0.1:$port

# Lookups that expect an answer: the timeout is only a ceiling (dnsmasq
# answers; a busy machine only makes it slower), never a margin.
A="-t 10000 -r 2"

# check NAME RC EXPECTED CMD... - CMD exits RC and prints EXPECTED
check() {
	name=$1 want_rc=$2 want=$3
	shift 3
	out=$("$@" 2>"$tmp/err")
	rc=$?
	if [ "$rc" != "$want_rc" ]; then
		echo "FAIL $T/$name: exit $rc, expected $want_rc:" \
			"$(head -c 300 "$tmp/err" | tr '\n' ' ')"
	elif [ "$out" != "$want" ]; then
		echo "FAIL $T/$name: got '$(printf '%s' "$out" | tr '\n' '|')'," \
			"expected '$(printf '%s' "$want" | tr '\n' '|')'"
	else
		echo "PASS $T/$name"
	fi
}

nl='
'
check mail_order 0 "5 mx0.a.test 2001:db8::5${nl}10 mx1.a.test 192.0.2.1 2001:db8::1${nl}\
20 mx2.a.test 192.0.2.2" "$tool" $A "$S" mail a.test
check mx_order 0 "5 mx0.a.test${nl}10 mx1.a.test${nl}20 mx2.a.test" "$tool" $A "$S" mx A.TEST.
check implicit_mx 0 "0 nomx.test 192.0.2.9 2001:db8::9" "$tool" $A "$S" mail nomx.test
check nxdomain 1 NXDOMAIN "$tool" $A "$S" mail nx.test
check nodata 2 NODATA "$tool" $A "$S" mail txt.test
check null_mx 4 NULLMX "$tool" $A "$S" mail null.test
check mx_skip_bad 0 "30 mx2.a.test 192.0.2.2" "$tool" $A "$S" mail part.test
check badname 5 BADNAME "$tool" $A "$S" mail "a..test"
check addr 0 "192.0.2.1${nl}2001:db8::1" "$tool" $A "$S" addr mx1.a.test
check addr_nxdomain 1 NXDOMAIN "$tool" $A "$S" addr nx.test
check addr_literal 0 "2001:db8::1" "$tool" "127.0.0.1:1" addr "[IPv6:2001:db8::1]"
check parse 0 "192.0.2.1,[::1]:5353" "$tool" " 192.0.2.1:53 , [::1]:5353 " parse
check parse_resolv_conf 0 "" "$tool" "" parse
check parse_bad_port 65 "" "$tool" "1.2.3.4:0" parse
check parse_bad_addr 65 "" "$tool" "abc" parse
check parse_big_port 65 "" "$tool" "1.2.3.4:99999" parse

# equal preferences: every host every time, in more than one order
orders=$tmp/orders
: >"$orders"
ok=1
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
	out=$("$tool" $A "$S" mx eq.test) || ok=0
	[ "$(printf '%s\n' "$out" | sort | tr '\n' ' ')" = \
		"10 e1.eq.test 10 e2.eq.test 10 e3.eq.test 10 e4.eq.test " ] || ok=0
	printf '%s\n' "$out" | tr '\n' ' ' >>"$orders"
	echo >>"$orders"
done
n=$(sort -u "$orders" | wc -l)
if [ $ok = 1 ] && [ "$n" -ge 2 ]; then
	echo "PASS $T/mx_shuffle"
else
	echo "FAIL $T/mx_shuffle: hosts lost or one order only ($n orders)"
fi

# a port nobody listens on: TEMPFAIL at once (refused), not after
# timeout x tries; both are long, so a busy machine cannot blur the two
dead=$(( port == 65535 ? port - 1 : port + 1 ))
t0=$(date +%s%N)
check server_down 3 TEMPFAIL "$tool" -t 10000 -r 2 "127.0.0.1:$dead" mail a.test
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
if [ "$ms" -lt 10000 ]; then
	echo "PASS $T/server_down_fast"
else
	echo "FAIL $T/server_down_fast: took $ms ms (waiting for the timeouts takes 20000)"
fi

# the first server is down: the second answers
check fallback 0 "5 mx0.a.test${nl}10 mx1.a.test${nl}20 mx2.a.test" \
	"$tool" -t 10000 -r 1 "127.0.0.1:$dead,$S" mx a.test

if [ "$listen" != 127.0.0.1 ]; then
	check ipv6_server 0 "0 nomx.test 192.0.2.9 2001:db8::9" "$tool" $A "[::1]:$port" mail nomx.test
fi
exit 0
