#!/bin/bash
# api.sh BUILD - the same message-tracking query asked of the gateway's
# API (curl, GET /esa/api/v2.0/message-tracking/messages) and of the shell
# (mxsh -c "findevent -f ..."), over one mail_logs of N messages written by
# tests/bench/genlog.py. Both use findevent's index (warmed first); the API
# also reads each listed message's lines for its attributes (one page of
# limit=1000). The API call carries a jwtToken from one login (Basic would
# add a password hash to each call). Prints both times (best of 5, ms) and
# their ratio.
#
# mxgated runs as the account mxgate (setpriv), so its account keeper makes
# no system account for the API operator; mxsh runs as mxgate too, so both
# share the index. BENCH_QUICK=1: a 20 MB log; BENCH_API_BYTES: another size.
# Nothing leaves this machine: both run under the tests' network guard.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
B=${1:-build}
case "$B" in /*) ;; *) B=$top/$B ;; esac
MXSH=$B/mxsh
MXGATED=$B/mxgated
PY=/usr/bin/python3
NETGUARD=$B/tests/netguard.so
export LC_ALL=C TZ=UTC
[ -f "$NETGUARD" ] || { echo "bench api: no $NETGUARD (make all)"; exit 1; }
getent passwd mxgate >/dev/null || { echo "bench api: no account mxgate (sh daemon/account.sh)"; exit 1; }
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
SIZE=${BENCH_API_BYTES:-200M}
[ -n "${BENCH_QUICK:-}" ] && SIZE=20M
W=$(mktemp -d /tmp/mxgate-bench-api.XXXXXX)
chmod 755 "$W"
D=$W/gw
NG=$W/netguard
GPID=
cleanup() {
	rc=$?
	[ -n "$GPID" ] && { kill "$GPID" 2>/dev/null; wait "$GPID" 2>/dev/null; }
	if [ -s "$NG" ]; then
		echo "bench api: FAIL netguard:"; sed 's/^/  /' "$NG"; rc=1
	fi
	rm -rf "$W"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
ms() { echo $(($(date +%s%N) / 1000000)); }
as_mx() { setpriv --reuid=mxgate --regid=mxgate --clear-groups env LD_PRELOAD="$NETGUARD" MXGATE_NETGUARD="$NG" "$@"; }

H=$(port)
PW=Bench-Api-Pass-1
LD_PRELOAD=$NETGUARD MXGATE_NETGUARD=$NG "$MXSH" -D "$D" -e \
	-c "interfaceconfig api http=yes http_port=$H address=127.0.0.1" \
	-c "userconfig new benchapi role=operator fullname=Bench password=$PW" \
	-c "commit bench api" >"$W/setup.out" 2>&1 || { echo "bench api: mxsh setup failed:"; cat "$W/setup.out"; exit 1; }
$PY "$top/tests/bench/genlog.py" --bytes "$SIZE" --seed 1 --out "$D/logs/mail_logs" >/dev/null ||
	{ echo "bench api: genlog.py failed"; exit 1; }
N=$(grep -c ' Start MID [0-9]* ICID [1-9]' "$D/logs/mail_logs/mail.current")
chown -R mxgate:mxgate "$D"
as_mx "$MXGATED" -D "$D" -f >"$W/gw.out" 2>&1 &
GPID=$!
$PY -c 'import socket,sys,time
e=time.time()+30
while time.time()<e:
    try: socket.create_connection(("127.0.0.1",int(sys.argv[1])),0.2).close(); sys.exit(0)
    except OSError: time.sleep(0.05)
sys.exit(1)' "$H" || { echo "bench api: the API did not listen"; cat "$W/gw.out"; exit 1; }

WHO=trent@outside.test
URL="http://127.0.0.1:$H/esa/api/v2.0/message-tracking/messages?startDate=2000-01-01T00:00:00Z&endDate=2100-01-01T00:00:00Z&limit=1000&envelopeSenderfilterOperator=is&envelopeSenderfilterValue=trent%40outside.test"
# a token from one login: Basic would add an Argon2id hash to every call
TOK=$(curl -s -d "{\"data\":{\"userName\":\"$(printf benchapi | base64)\",\"passphrase\":\"$(printf %s "$PW" | base64)\"}}" \
	"http://127.0.0.1:$H/esa/api/v2.0/login" | $PY -c 'import json,sys; print(json.load(sys.stdin)["data"]["jwtToken"])') ||
	{ echo "bench api: the API login failed"; exit 1; }
api() { curl -s -H "jwtToken: $TOK" -o "$W/api.json" -w '%{http_code}' "$URL" >"$W/api.st"; }
cli() { as_mx "$MXSH" -D "$D" -c "findevent -f ^trent@outside\\.test\$ mail_logs" >"$W/cli.out" 2>&1; }
# best CMD - the best of 5 runs in ms (one run first warms the index)
best() {
	"$@"
	b=
	for _ in 1 2 3 4 5; do
		t0=$(ms); "$@"; t=$(($(ms) - t0))
		[ -z "$b" ] || [ "$t" -lt "$b" ] && b=$t
	done
	echo "$b"
}
ta=$(best api)
tc=$(best cli)
[ "$(cat "$W/api.st")" = 200 ] || { echo "bench api: the API answered $(cat "$W/api.st"): $(head -c 300 "$W/api.json")"; exit 1; }
na=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["meta"]["totalCount"])' "$W/api.json")
nc=$(grep -c '^MID ' "$W/cli.out")
echo "== message tracking: API (curl) against mxsh findevent, $N messages ($SIZE of mail_logs), sender $WHO"
printf "%-34s %10s %10s\n" "" "ms (best)" "messages"
printf "%-34s %10s %10s\n" "API message-tracking/messages" "$ta" "$na"
printf "%-34s %10s %10s\n" "mxsh findevent -f" "$tc" "$nc"
echo "ratio API/findevent: $($PY -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print('%.2f' % (a/b) if b else 'n/a')" "$ta" "$tc")"
[ "$na" = "$nc" ] || echo "bench api: the API found $na messages, findevent $nc"
