#!/bin/sh
# csn.sh - Cisco Success Network telemetry end to end (issue 14, seed
# 004): mxgated sends the payload of `cloudserviceconfig csn print` to a
# local stand-in of the Cisco Cloud Service (tests/helpers/cloud_standin.py,
# HTTPS with a test CA made here, which checks every request's shape and
# credentials and logs each one), and nothing at all while CSN is off.
#
# Two gateways, both registered, cloud.csn_interval 60 s and
# cloud.csn_retry 5 s (hidden settings):
#   A has cloud.csn committed but cloud.enabled not: `csn send` is refused
#     by mxsh, a raw "csnsend" request put straight into queue.db is
#     refused by mxgated itself, and its stand-in receives no request at
#     all after the registration, over a window of more than three retry
#     periods that ends on B's third retry (no bare sleep).
#   B enables CSN and commits: the stand-in receives the payload within
#     seconds, the very bytes `csn print` shows (sha256); `csn send` sends
#     one more; restarted, it sends nothing by itself (the plan stands) and
#     a `csn send` after the restart is the only one more; deregistered,
#     `csn send` is refused and nothing is sent; registered with a stand-in
#     answering 500: logged and tried again every cloud.csn_retry;
#     registered with a stand-in slow to answer: a commit disabling CSN
#     while a send is in flight ends it, and the request queued behind it
#     is refused instead of sent; enabled again: exactly one send, and
#     stopping mxgated during it does not wait for the slow answer.
. "$(dirname "$0")/lib.subr"

HELP=$(cd "$(dirname "$0")/../helpers" && pwd)
DA=$(t_dir csn_a)
DB=$(t_dir csn_b)
K=$DB.keys
PA=$(free_port)
P1=$(free_port)
P2=$(free_port)
P3=$(free_port)
LA=$DA.cloud.log
L1=$DB.cloud1.log
L2=$DB.cloud2.log
L3=$DB.cloud3.log
LOGB=$DB/logs/mail_logs/mail.current
DELAY=12	# the slow stand-in's answer, far longer than anything awaited below
mkdir -p "$K"
: >"$LA"
: >"$L1"
: >"$L2"
: >"$L3"

t_ca "$K" && t_cert "$K" cloud.test "DNS:cloud.test,IP:127.0.0.1" ||
	{ t_fail setup "openssl could not make the test CA"; t_done; }
# the platform's keys the registration answers with (the module's business, not ours)
$PY - "$K/jwks.json" <<'PYEOF' || { t_fail setup "cannot make the JWKS"; t_done; }
import base64, json, sys
from cryptography.hazmat.primitives.asymmetric import rsa
n = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key().public_numbers()
b64 = lambda i: base64.urlsafe_b64encode(i.to_bytes((i.bit_length() + 7) // 8, "big")).rstrip(b"=").decode()
json.dump({"keys": [{"kty": "RSA", "kid": "k1", "alg": "RS256", "use": "sig",
                     "n": b64(n.n), "e": b64(n.e)}]}, open(sys.argv[1], "w"))
PYEOF

# standin PORT LOG TOKEN [--csn-status N] [--csn-delay S] - a stand-in, up once it listens
standin() {
	_p=$1 _l=$2 _t=$3
	shift 3
	$PY "$HELP/cloud_standin.py" --port "$_p" --cert "$K/cloud.test.pem" \
		--key "$K/cloud.test.key" --token "$_t" --jwks "$K/jwks.json" --log "$_l" "$@" \
		>>"$_l.out" 2>&1 &
	T_PIDS="$T_PIDS $!"
	wait_port "$_p" 10
}
# posts LOG - telemetry requests a stand-in answered (or tried to)
posts() { grep -c '"path": "/v1/telemetry/csn"' "$1"; }
# requests LOG - every request a stand-in received: logged, refused as BAD, or arrived
requests() { grep -c '^{\|^BAD\|^ARRIVED' "$1"; }
arrived() { grep -c '^ARRIVED' "$1"; }
posts_atleast() { [ "$(posts "$1")" -ge "$2" ]; }
arrived_atleast() { [ "$(arrived "$1")" -ge "$2" ]; }
bad() { grep -h '^BAD' "$LA" "$L1" "$L2" "$L3" 2>/dev/null | head -3; }
# setup DIR - the settings both gateways run with
setup() {
	mxsh_do "$1" \
		"dnsconfig servers=127.0.0.1:$(dead_port) timeout=1" \
		"certconfig cafile $K/ca.pem" \
		"cloudserviceconfig enable" \
		"supportconfig cloud.csn_interval=60 cloud.csn_retry=5" \
		"commit e2e csn" >"$1/setup.out" 2>&1
}
# started DIR - mxgated has started on DIR
started() { grep -q "mxgated .* starting on" "$1/logs/mail_logs/mail.current"; }
# starts DIR - how many times mxgated started on DIR
starts() { grep -c "mxgated .* starting on" "$1/logs/mail_logs/mail.current"; }
starts_atleast() { [ "$(starts "$1")" -ge "$2" ]; }
# state DIR NAME - a queue_state row of DIR's queue.db ("" when absent)
state() {
	$PY - "$1/queue.db" "$2" <<'PYEOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=10)
r = db.execute("SELECT value FROM state WHERE name = ?", (sys.argv[2],)).fetchone()
print(r[0] if r else "")
PYEOF
}
has_state() { [ -n "$(state "$1" "$2")" ]; }
# raw_request DIR VERB ARG - a request row exactly as queue_request_add writes it
raw_request() {
	$PY - "$1/queue.db" "$2" "$3" <<'PYEOF'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], timeout=10)
db.execute("INSERT INTO requests (verb, arg, created) VALUES (?, ?, ?)",
           (sys.argv[2], sys.argv[3], int(time.time())))
db.commit()
PYEOF
}
# csn_send DIR OUT - `csn send`, its output in OUT, its exit status in OUT.rc
csn_send() {
	"$MXSH" -D "$1" -c "cloudserviceconfig csn send" >"$2" 2>&1
	echo $? >"$2.rc"
}

standin "$PA" "$LA" tok-a && standin "$P1" "$L1" tok-one &&
	standin "$P2" "$L2" tok-two --csn-status 500 &&
	standin "$P3" "$L3" tok-three --csn-delay "$DELAY" ||
	{ t_fail setup "a stand-in did not start: $(cat "$LA.out" "$L1.out" "$L2.out" "$L3.out")"; t_done; }
setup "$DA" && setup "$DB" ||
	{ t_fail setup "mxsh setup failed: $(cat "$DA/setup.out" "$DB/setup.out")"; t_done; }
# A: registered, then CSN on but the cloud service off (committed before mxgated starts)
mxsh_do "$DA" "cloudserviceconfig register token=tok-a server=https://127.0.0.1:$PA" \
	"cloudserviceconfig disable" "cloudserviceconfig csn enable" "commit e2e a" \
	>"$DA/reg.out" 2>&1 &&
	mxsh_do "$DB" "cloudserviceconfig register token=tok-one server=https://127.0.0.1:$P1" \
	>"$DB/reg.out" 2>&1 ||
	{ t_fail setup "register failed: $(cat "$DA/reg.out" "$DB/reg.out")"; t_done; }
NA=$(requests "$LA")
t_check a_registered [ "$NA" -eq 1 ]
gw_start "$DA"
TA=$(date +%s)
gw_start "$DB"
wait_for 20 started "$DA" && wait_for 20 started "$DB" ||
	{ t_fail setup "mxgated did not start: $(tail -3 "$DA/mxgated.out" "$DB/mxgated.out")"; t_done; }

# ---------------------------------------------------------------- A: refused by mxsh and by mxgated
if "$MXSH" -D "$DA" -c "cloudserviceconfig csn send" >"$DA/send.out" 2>&1; then
	t_fail a_send_refused "csn send succeeded: $(cat "$DA/send.out")"
elif grep -q "Telemetry not sent: the Cisco Cloud Service is not enabled" "$DA/send.out"; then
	t_pass a_send_refused
else
	t_fail a_send_refused "$(cat "$DA/send.out")"
fi
# mxsh refuses before asking: mxgated's own refusal needs the request put in directly
raw_request "$DA" csnsend 4242 || t_fail a_raw_request "cannot add the request"
if wait_for 20 has_state "$DA" csn.answer.4242; then
	ANS=$(state "$DA" csn.answer.4242)
	[ "$ANS" = "error=the Cisco Cloud Service is not enabled" ] &&
		t_pass a_daemon_refused || t_fail a_daemon_refused "answer: $ANS"
else
	t_fail a_daemon_refused "mxgated did not answer the raw request"
fi
"$MXSH" -D "$DA" -c "cloudserviceconfig csn print" >"$DA/print.out" 2>&1 ||
	t_fail a_print "$(cat "$DA/print.out")"

# ---------------------------------------------------------------- B enabled: sent at once, print's bytes
mxsh_do "$DB" "cloudserviceconfig csn enable" "commit e2e csn on" >"$DB/on.out" 2>&1 ||
	t_fail enable "$(cat "$DB/on.out")"
t_check first_send_soon wait_for 20 posts_atleast "$L1" 1
"$MXSH" -D "$DB" -c "cloudserviceconfig csn print" >"$DB/print.out" 2>"$DB/print.err" ||
	t_fail print "$(cat "$DB/print.err")"
# print is one line; without its newline it is the body received, byte for byte
PSHA=$(head -c -1 "$DB/print.out" | sha256sum | cut -d' ' -f1)
if $PY - "$L1" "$DB/print.out" "$PSHA" <<'PYEOF'; then t_pass payload_equals_print; else t_fail payload_equals_print "see $DB/print.out and $L1"; fi
import json, sys
got = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
got = [g for g in got if g["path"] == "/v1/telemetry/csn"]
printed = open(sys.argv[2]).read()
ok = (len(got) == 1 and got[0]["status"] == 202 and got[0]["auth"].startswith("basic:")
      and printed.endswith("\n") and printed.count("\n") == 1
      and got[0]["sha256"] == sys.argv[3]
      and got[0]["body"]["sIVAN"] == "va-mxgate"
      and {"name": "Cisco Success Network", "enabled": True, "status": "active"}.items()
          <= next(f for f in got[0]["body"]["features"] if f["name"] == "Cisco Success Network").items())
sys.exit(0 if ok else 1)
PYEOF
N=$(($(wc -c <"$DB/print.out") - 1))
t_check sent_logged wait_for 10 grep -q "CSN: telemetry sent to https://127.0.0.1:$P1/v1/telemetry/csn ($N bytes)" "$LOGB"

# ---------------------------------------------------------------- csn send: one more
"$MXSH" -D "$DB" -c "cloudserviceconfig csn send" >"$DB/send.out" 2>&1 &&
	grep -q "Telemetry sent to https://127.0.0.1:$P1/v1/telemetry/csn ($N bytes)." "$DB/send.out" &&
	t_pass send_now || t_fail send_now "$(cat "$DB/send.out")"
t_check send_now_one_more [ "$(posts "$L1")" -eq 2 ]
"$MXSH" -D "$DB" -c "cloudserviceconfig status" >"$DB/status.out" 2>&1
t_check status_last_send grep -q "^Last telemetry sent: *[A-Z][a-z][a-z] .* UTC$" "$DB/status.out"
t_check status_next_send grep -q "^Next telemetry send: *[A-Z][a-z][a-z] .* UTC$" "$DB/status.out"

# ---------------------------------------------------------------- restarted with CSN on: the plan stands
gw_stop "$DB"
gw_start "$DB"
wait_for 20 starts_atleast "$DB" 2 || t_fail restart "mxgated did not start again"
# the answer proves the thread took its configuration (a send due at start comes first)
"$MXSH" -D "$DB" -c "cloudserviceconfig csn send" >"$DB/send1b.out" 2>&1 ||
	t_fail restart_send "$(cat "$DB/send1b.out")"
t_check restart_sends_nothing_itself [ "$(posts "$L1")" -eq 3 ]

# ---------------------------------------------------------------- not registered: refused, nothing sent
mxsh_do "$DB" "cloudserviceconfig deregister" >"$DB/dereg.out" 2>&1 ||
	t_fail deregister "$(cat "$DB/dereg.out")"
if "$MXSH" -D "$DB" -c "cloudserviceconfig csn send" >"$DB/send2.out" 2>&1; then
	t_fail unregistered_refused "csn send succeeded: $(cat "$DB/send2.out")"
elif grep -q "Telemetry not sent: the appliance is not registered" "$DB/send2.out"; then
	t_pass unregistered_refused
else
	t_fail unregistered_refused "$(cat "$DB/send2.out")"
fi
t_check unregistered_nothing_sent [ "$(posts "$L1")" -eq 3 ]

# ---------------------------------------------------------------- an endpoint answering 500: logged, retried
mxsh_do "$DB" "cloudserviceconfig register token=tok-two server=https://127.0.0.1:$P2" \
	>"$DB/reg2.out" 2>&1 || t_fail register2 "$(cat "$DB/reg2.out")"
if "$MXSH" -D "$DB" -c "cloudserviceconfig csn send" >"$DB/send3.out" 2>&1; then
	t_fail failed_send_reported "csn send succeeded: $(cat "$DB/send3.out")"
elif grep -q "Telemetry not sent: .*500" "$DB/send3.out"; then
	t_pass failed_send_reported
else
	t_fail failed_send_reported "$(cat "$DB/send3.out")"
fi
t_check failure_logged grep -q "CSN: telemetry not sent: .*500.*; next try in 5 seconds" "$LOGB"
# the manual try and three retries: more than three retry periods have passed for A too
t_check retried wait_for 40 posts_atleast "$L2" 4
t_check a_quiet_three_retries [ $(($(date +%s) - TA)) -ge 15 ]
t_check old_endpoint_untouched [ "$(posts "$L1")" -eq 3 ]
"$MXSH" -D "$DB" -c "cloudserviceconfig status" >"$DB/status2.out" 2>&1
t_check status_last_error grep -q "^Last telemetry error: .*HTTP 500 (.* UTC)$" "$DB/status2.out"

# ---------------------------------------------------------------- A: nothing at all reached its cloud
t_check a_no_request [ "$(requests "$LA")" -eq "$NA" ]
t_check a_quiet_in_log sh -c "! grep -q 'CSN: telemetry' '$DA/logs/mail_logs/mail.current'"
gw_stop "$DA"

# ---------------------------------------------------------------- a commit disabling CSN during a send
mxsh_do "$DB" "cloudserviceconfig deregister" \
	"cloudserviceconfig register token=tok-three server=https://127.0.0.1:$P3" \
	>"$DB/reg3.out" 2>&1 || t_fail register3 "$(cat "$DB/reg3.out")"
N2=$(posts "$L2")
# two requests queued together: the first in flight at the slow stand-in, the second behind it
csn_send "$DB" "$DB/send4.out" &
S4=$!
csn_send "$DB" "$DB/send5.out" &
S5=$!
t_check inflight_arrived wait_for 20 arrived_atleast "$L3" 1
T0=$(date +%s)
mxsh_do "$DB" "cloudserviceconfig csn disable" "commit e2e csn off" >"$DB/off.out" 2>&1 ||
	t_fail disable "$(cat "$DB/off.out")"
wait "$S4" "$S5"
T1=$(date +%s)
t_check inflight_ended_early [ $((T1 - T0)) -lt "$DELAY" ]
for f in send4 send5; do
	if [ "$(cat "$DB/$f.out.rc")" != 0 ] &&
		grep -q "Telemetry not sent: Cisco Success Network telemetry is not enabled" "$DB/$f.out"; then
		t_pass "disabled_during_send_$f"
	else
		t_fail "disabled_during_send_$f" "$(cat "$DB/$f.out")"
	fi
done
t_check stopped_logged wait_for 20 grep -q "CSN: Cisco Success Network telemetry stopped" "$LOGB"
t_check no_retry_after_disable [ "$(posts "$L2")" -eq "$N2" ]
# the window ends on an event: enabled again, exactly one send arrives (none came before it)
mxsh_do "$DB" "cloudserviceconfig csn enable" "commit e2e csn on again" >"$DB/on2.out" 2>&1 ||
	t_fail enable_again "$(cat "$DB/on2.out")"
t_check enabled_again_sends wait_for 20 arrived_atleast "$L3" 2
t_check nothing_between [ "$(requests "$L3")" -eq "$(($(grep -c '^{' "$L3") + 2))" ]
t_check register3_only [ "$(grep -c '^{' "$L3")" -eq 1 ]
# stopping mxgated ends the send in flight instead of waiting for the slow answer
T0=$(date +%s)
gw_stop "$DB"
T1=$(date +%s)
t_check stop_does_not_wait [ $((T1 - T0)) -lt "$DELAY" ]
B=$(bad)
[ -z "$B" ] && t_pass requests_shape || t_fail requests_shape "$B"
t_done
