#!/bin/sh
# cloud_register.sh - registration with the Cisco Cloud Service end to
# end (issue 14): a running mxgated, mxsh's cloudserviceconfig, and the
# cloud stand-in (tests/helpers/cloud_standin.py, HTTPS with a test CA
# made here), which answers 400 and logs "BAD ..." for any request that
# breaks the (inferred) protocol.
#
# Cases: register is refused while the service is not enabled; a wrong
# token is one line, exit status non-zero, nothing stored; a dead port
# is "cannot reach", nothing stored; a registration shows in status
# (device ID, server, since); the client secret is in neither config.db
# (nor its WAL) nor cli_logs, and the token in no log; register again is
# refused (use reregister); reregister with a new token replaces the
# device ID; with a wrong token the old one stays; without a token it
# authenticates with Basic clientId:clientSecret; settrs is pending until
# commit; saveconfig's file holds nothing of the registration; disable +
# commit keeps the registration but refuses register/reregister; deregister
# DELETEs at the cloud and forgets; a deregister the cloud cannot hear
# keeps the registration unless forced.
. "$(dirname "$0")/lib.subr"

HELP=$(cd "$(dirname "$0")/../helpers" && pwd)
D=$(t_dir cloud_register)
K=$D.keys
P=$(free_port)
E=$(free_port)
DEAD=$(free_port)
SLOG=$D.cloud.log
SPID=""
mkdir -p "$K"
: >"$SLOG"
T1=tok-Alpha-7f3e91 T2=tok-Bravo-2c84d0 BADTOK=tok-Wrong-000000

t_ca "$K" && t_cert "$K" cloud.test "DNS:cloud.test,IP:127.0.0.1" ||
	{ t_fail setup "openssl could not make the test CA"; t_done; }
printf '%s\n' '{"keys":[{"kty":"RSA","kid":"k1","alg":"RS256","use":"sig","n":"AQAB","e":"AQAB"}]}' \
	>"$K/jwks.json"

# standin_start - the stand-in on port E, printing READY once it listens
standin_start() {
	$PY "$HELP/cloud_standin.py" --port "$E" --cert "$K/cloud.test.pem" \
		--key "$K/cloud.test.key" --token "$T1" --token "$T2" --jwks "$K/jwks.json" \
		--log "$SLOG" >"$SLOG.out" 2>&1 &
	SPID=$!
	T_PIDS="$T_PIDS $SPID"
	wait_for 10 grep -q READY "$SLOG.out"
}
csc() { "$MXSH" -D "$D" -c "cloudserviceconfig $*"; }
# run ARGS - cloudserviceconfig ARGS, its output in $D/out, its status in RC
run() { csc "$@" >"$D/out" 2>&1; RC=$?; }
said() { grep -q -e "$1" "$D/out"; }
status() { "$MXSH" -D "$D" -c "cloudserviceconfig status" 2>&1; }
field() { status | sed -n "s/^$1: *//p"; }
# reply_of N KEY - KEY of the Nth successful registration answer (1 = first)
reply_of() {
	$PY - "$SLOG" "$1" "$2" <<'PYEOF'
import json, sys
n = 0
for line in open(sys.argv[1]):
    if not line.startswith("{"):
        continue
    r = json.loads(line)
    if "reply" in r:
        n += 1
        if n == int(sys.argv[2]):
            print(r["reply"][sys.argv[3]])
PYEOF
}
# last_req FIELD - a field of the stand-in's last logged request
last_req() {
	$PY - "$SLOG" "$1" <<'PYEOF'
import json, sys
last = None
for line in open(sys.argv[1]):
    if line.startswith("{"):
        last = json.loads(line)
v = last
for k in sys.argv[2].split("."):
    v = v.get(k) if isinstance(v, dict) else None
print("none" if v is None else v)
PYEOF
}
in_store() { cat "$D/config.db" "$D/config.db-wal" 2>/dev/null | grep -caF "$1"; }
cli_has() { cat "$D"/logs/cli_logs/* 2>/dev/null | grep -cF "$1"; }

standin_start || { t_fail setup "stand-in did not start: $(cat "$SLOG.out")"; t_done; }
mxsh_do "$D" \
	"listenerconfig new IncomingMail ip=127.0.0.1 port=$P type=public domains=@example.com" \
	"dnsconfig servers=127.0.0.1:$(dead_port) timeout=1" \
	"certconfig cafile $K/ca.pem" \
	"interfaceconfig api http=no https=no" \
	"commit e2e cloud" >"$D/setup.out" 2>&1 ||
	{ t_fail setup "mxsh setup failed: $(cat "$D/setup.out")"; t_done; }
gw_start "$D"
wait_port "$P" 10 || { t_fail setup "mxgated did not listen: $(cat "$D/mxgated.out")"; t_done; }
URL=https://127.0.0.1:$E

# ---------------------------------------------------------------- not enabled
run "register token=$T1 server=$URL"
t_check refused_not_enabled sh -c "[ $RC -ne 0 ] && [ \"\$(cat '$D/out')\" = 'The Cisco Cloud Service is not enabled: run cloudserviceconfig enable, then commit.' ]"
mxsh_do "$D" "cloudserviceconfig enable" "commit cloud on" >/dev/null 2>&1 ||
	t_fail enable "cannot enable and commit"

# ---------------------------------------------------------------- refusals store nothing
run "register token=$BADTOK server=$URL"
t_check wrong_token_exit [ $RC -ne 0 ]
t_check wrong_token_one_line [ "$(wc -l <"$D/out")" -eq 1 ]
t_check wrong_token_said said '^Registration failed: the Cisco Cloud Service refused the token (HTTP 401: invalid token)'
t_check wrong_token_not_echoed sh -c "! grep -q '$BADTOK' '$D/out'"
t_check wrong_token_nothing_stored [ "$(field Registration)" = 'Not registered' ]

run "register token=$T1 server=https://127.0.0.1:$DEAD"
t_check dead_port_exit [ $RC -ne 0 ]
t_check dead_port_said said "^Registration failed: cannot reach https://127.0.0.1:$DEAD: "
t_check dead_port_nothing_stored [ "$(field Registration)" = 'Not registered' ]

# ---------------------------------------------------------------- register
run "register token=$T1 server=$URL"
DEV1=$(reply_of 1 deviceId)
SEC1=$(reply_of 1 clientSecret)
t_check register_ok [ $RC -eq 0 -a -n "$DEV1" -a \
	"$(cat "$D/out")" = "The appliance is registered with the Cisco Cloud Service portal ($URL) as device ID $DEV1." ]
t_check status_device [ "$(field 'Device ID')" = "$DEV1" ]
t_check status_server [ "$(field Server)" = "$URL" ]
SINCE1=$(field 'Registered since')
t_check status_since sh -c "echo '$SINCE1' | grep -q ' 20[0-9][0-9] '"
t_check request_shape sh -c "[ '$(last_req body.token)' = '$T1' ] && [ '$(last_req body.device.model)' = mxgate ] && [ '$(last_req auth)' = none ]"
t_check secret_known sh -c "[ -n '$SEC1' ]"
t_check device_in_store sh -c "[ $(in_store "$DEV1") -gt 0 ]"
t_check secret_not_in_store sh -c "[ $(in_store "$SEC1") -eq 0 ]"
t_check secret_not_in_cli_logs sh -c "[ $(cli_has "$SEC1") -eq 0 ]"
t_check token_not_in_cli_logs sh -c "[ $(cli_has "$T1") -eq 0 ] && [ $(cli_has "$BADTOK") -eq 0 ]"
t_check register_logged sh -c "[ $(cli_has "registered with $URL as device ID $DEV1") -eq 1 ]"

run "register token=$T1 server=$URL"
t_check register_twice_refused sh -c "[ $RC -ne 0 ] && grep -q 'use reregister' '$D/out'"

# ---------------------------------------------------------------- reregister
run "reregister token=$T2"
DEV2=$(reply_of 2 deviceId)
t_check reregister_token sh -c "[ $RC -eq 0 ] && [ -n '$DEV2' ] && [ '$DEV2' != '$DEV1' ] && [ '$(field 'Device ID')' = '$DEV2' ]"
t_check reregister_sent_old sh -c "[ '$(last_req body.deviceId)' = '$DEV1' ] && [ '$(last_req body.token)' = '$T2' ]"
t_check reregister_time sh -c "echo '$(field 'Last re-registration')' | grep -q ' 20[0-9][0-9] '"
t_check reregister_since_kept [ "$(field 'Registered since')" = "$SINCE1" ]

run "reregister token=$BADTOK"
t_check reregister_wrong_token sh -c "[ $RC -ne 0 ] && grep -q 'refused the token (HTTP 401: invalid token). The previous registration stays in force.' '$D/out'"
t_check reregister_wrong_keeps sh -c "[ '$(field 'Device ID')' = '$DEV2' ]"

CID2=$(reply_of 2 clientId)
run "reregister"
DEV3=$(reply_of 3 deviceId)
t_check reregister_basic sh -c "[ $RC -eq 0 ] && [ '$(last_req auth)' = 'basic:$CID2' ] && [ '$(last_req body.token)' = none ] && [ '$(last_req body.deviceId)' = '$DEV2' ]"
t_check reregister_basic_new sh -c "[ -n '$DEV3' ] && [ '$(field 'Device ID')' = '$DEV3' ]"
SEC3=$(reply_of 3 clientSecret)
t_check secret3_not_in_store sh -c "[ -n '$SEC3' ] && [ $(in_store "$SEC3") -eq 0 ]"

# ---------------------------------------------------------------- TLS, bad answers: no change
# side_start NAME CERTBASE [OPTION...] - another stand-in on a fresh port (SIDE_PORT), log $D.NAME.log
side_start() {
	_n=$1 _c=$2
	shift 2
	SIDE_PORT=$(free_port)
	: >"$D.$_n.log"
	$PY "$HELP/cloud_standin.py" --port "$SIDE_PORT" --cert "$_c.pem" --key "$_c.key" \
		--token "$T1" --token "$T2" --jwks "$K/jwks.json" --log "$D.$_n.log" "$@" \
		>"$D.$_n.out" 2>&1 &
	T_PIDS="$T_PIDS $!"
	echo $! >"$D.$_n.pid"
	wait_for 10 grep -q READY "$D.$_n.out"
}
# last_req_of LOG FIELD - last_req for another stand-in's log
last_req_of() { _s=$SLOG; SLOG=$1; last_req "$2"; SLOG=$_s; }
t_ca "$K/other" && t_cert "$K/other" cloud.test "DNS:cloud.test,IP:127.0.0.1" &&
	t_cert "$K" other.test "DNS:other.test" ||
	{ t_fail setup "openssl could not make the other certificates"; t_done; }
side_start untrusted "$K/other/cloud.test" || t_fail setup "untrusted stand-in did not start"
EU=$SIDE_PORT
side_start mismatch "$K/other.test" || t_fail setup "mismatch stand-in did not start"
EM=$SIDE_PORT
side_start nosecret "$K/cloud.test" --register-answer no-secret ||
	t_fail setup "no-secret stand-in did not start"
EB=$SIDE_PORT
side_start huge "$K/cloud.test" --register-answer huge || t_fail setup "huge stand-in did not start"
EH=$SIDE_PORT
BEFORE=$(status | grep -v '^Last error:')
# unchanged - status as before (but its last error), the output one line
unchanged() { [ "$(status | grep -v '^Last error:')" = "$BEFORE" ] && [ "$(wc -l <"$D/out")" -eq 1 ]; }

run "reregister token=$T1 server=https://127.0.0.1:$EU"
t_check tls_untrusted_ca sh -c "[ $RC -ne 0 ] && grep -q '^Re-registration failed: cannot reach https://127.0.0.1:$EU: .*The previous registration stays in force\.\$' '$D/out' && [ ! -s '$D.untrusted.log' ]"
t_check tls_untrusted_unchanged unchanged
run "reregister token=$T1 server=https://127.0.0.1:$EM"
t_check tls_name_mismatch sh -c "[ $RC -ne 0 ] && grep -q '^Re-registration failed: cannot reach https://127.0.0.1:$EM: .*The previous registration stays in force\.\$' '$D/out' && [ ! -s '$D.mismatch.log' ]"
t_check tls_mismatch_unchanged unchanged
status >"$D/status.out"
t_check last_error_recorded grep -q "^Last error: *cannot reach https://127.0.0.1:$EM: " "$D/status.out"
run "reregister token=$T1 server=https://127.0.0.1:$EB"
t_check malformed_answer sh -c "[ $RC -ne 0 ] && [ \"\$(cat '$D/out')\" = 'Re-registration failed: the answer of https://127.0.0.1:$EB is malformed: the answer has no usable clientSecret. The previous registration stays in force.' ]"
t_check malformed_unchanged unchanged
# the credentials go only to the server that issued them
N=$(wc -l <"$D.nosecret.log")
run "reregister server=https://127.0.0.1:$EB"
t_check other_server_needs_token sh -c "[ $RC -ne 0 ] && [ \"\$(cat '$D/out')\" = 'Re-registering with another server than $URL needs token=TOKEN.' ] && [ $(wc -l <"$D.nosecret.log") -eq $N ]"
t_check other_server_unchanged unchanged
# an answer too big came after the request was carried out: say so
run "reregister token=$T1 server=https://127.0.0.1:$EH"
t_check too_big_maybe_replaced sh -c "[ $RC -ne 0 ] && [ \"\$(cat '$D/out')\" = 'Re-registration failed: the answer of https://127.0.0.1:$EH is larger than 262144 bytes. The Cisco Cloud Service may have replaced the registration: run reregister token=TOKEN with a new token.' ]"
t_check too_big_unchanged unchanged
t_check too_big_not_unreachable sh -c "! grep -q 'cannot reach' '$D/out'"

# ---------------------------------------------------------------- settrs
"$MXSH" -D "$D" -c "cloudserviceconfig settrs server=eu" -c "cloudserviceconfig status" \
	-c "commit trs eu" >"$D/out" 2>&1
t_check settrs_pending said 'Europe (https://visibility.eu.amp.cisco.com) (pending until commit)'
t_check settrs_not_yet said '^Threat response server: *NAM (https://visibility.amp.cisco.com) (a change is pending commit)'

t_check settrs_committed sh -c "[ '$(field 'Threat response server')' = 'Europe (https://visibility.eu.amp.cisco.com)' ]"

# ---------------------------------------------------------------- saveconfig
"$MXSH" -D "$D" -c "saveconfig encrypt passphrase=e2e-cloud-passphrase" >"$D/save.out" 2>&1
SAVED=$(ls "$D"/configuration/*.json 2>/dev/null | head -1)
t_check saveconfig_made sh -c "[ -n '$SAVED' ] && [ -s '$SAVED' ]"
t_check saveconfig_no_registration sh -c "! grep -qF -e '$DEV3' -e '$SEC3' -e '$CID2' -e cloud_registration '$SAVED'"
"$MXSH" -D "$D" -c "saveconfig mask" >"$D/save.out" 2>&1
"$MXSH" -D "$D" -c "saveconfig" </dev/null >>"$D/save.out" 2>&1
t_check saveconfig_all_made [ "$(ls "$D"/configuration/*.json 2>/dev/null | wc -l)" -ge 2 ]
t_check saveconfig_none_has_secret sh -c "! cat '$D'/configuration/*.json | grep -qF -e '$SEC3' -e '$SEC1' -e '$T1' -e '$T2'"

# ---------------------------------------------------------------- disabled
mxsh_do "$D" "cloudserviceconfig disable" "commit cloud off" >/dev/null 2>&1
t_check disable_keeps sh -c "[ '$(field 'Device ID')' = '$DEV3' ] && [ '$(field 'Cisco Cloud Service')' = Disabled ]"
run "reregister token=$T1"
t_check disabled_refuses sh -c "[ $RC -ne 0 ] && grep -q 'not enabled' '$D/out'"
N=$(grep -c '^{' "$SLOG")
run "register token=$T1 server=$URL"
t_check disabled_register_refused sh -c "[ $RC -ne 0 ] && grep -q 'not enabled' '$D/out'"
run "deregister"
t_check disabled_no_call sh -c "[ $RC -ne 0 ] && [ $(grep -c '^{' "$SLOG") -eq $N ]"
mxsh_do "$D" "cloudserviceconfig enable" "commit cloud on" >/dev/null 2>&1

# ---------------------------------------------------------------- deregister
run "deregister"
t_check deregister_ok sh -c "[ $RC -eq 0 ] && [ '$(last_req method)' = DELETE ] && [ '$(last_req path)' = '/v1/devices/registration/$DEV3' ] && [ '$(last_req status)' = 204 ]"
t_check deregister_forgotten sh -c "[ '$(field Registration)' = 'Not registered' ]"

# a deregister the cloud cannot hear keeps the registration; force forgets it
csc "register token=$T1 server=$URL" >/dev/null 2>&1
DEV4=$(reply_of 4 deviceId)
kill "$SPID" 2>/dev/null
wait "$SPID" 2>/dev/null
run "deregister"
t_check deregister_unreachable sh -c "[ $RC -ne 0 ] && grep -q '^Deregistration failed: cannot reach $URL: ' '$D/out' && [ '$(field 'Device ID')' = '$DEV4' ]"
run "deregister force"
t_check deregister_force sh -c "[ $RC -eq 0 ] && [ -n '$DEV4' ] && [ '$(field Registration)' = 'Not registered' ]"

# ---------------------------------------------------------------- credentials unreadable
# secret.key replaced: the registration still shows, and token= or force replaces or forgets it
side_start late "$K/cloud.test" || t_fail setup "late stand-in did not start"
LATE=https://127.0.0.1:$SIDE_PORT
run "register token=$T1 server=$LATE"
t_check late_register [ $RC -eq 0 ]
DEV5=$(field 'Device ID')
head -c 32 /dev/urandom >"$D/secret.key"
status >"$D/status.out" 2>&1
t_check unreadable_status sh -c "grep -q '^Credentials: *Unreadable (run reregister token=TOKEN or deregister force)\$' '$D/status.out' && grep -q '^Device ID: *$DEV5\$' '$D/status.out'"
N=$(wc -l <"$D.late.log")
run "reregister"
t_check unreadable_reregister_refused sh -c "[ $RC -ne 0 ] && [ \"\$(cat '$D/out')\" = 'Re-registration failed: the appliance'\"'\"'s credentials cannot be read: give token=. The previous registration stays in force.' ] && [ $(wc -l <"$D.late.log") -eq $N ]"
run "deregister"
t_check unreadable_deregister_refused sh -c "[ $RC -ne 0 ] && grep -q 'credentials cannot be read. The registration stays in force' '$D/out' && [ $(wc -l <"$D.late.log") -eq $N ]"
run "reregister token=$T2"
status >"$D/status.out" 2>&1
t_check unreadable_replaced_by_token sh -c "[ $RC -eq 0 ] && [ -n '$DEV5' ] && ! grep -q '^Credentials:' '$D/status.out' && ! grep -q '^Device ID: *$DEV5\$' '$D/status.out'"
# the REREGISTER dialogue asks the server first, the current one by default, then the token
DEV6=$(field 'Device ID')
N=$(wc -l <"$D.late.log")
printf 'cloudserviceconfig\nREREGISTER\n\n\n%s\n' "$T1" | "$MXSH" -D "$D" >"$D/out" 2>&1
RC=$?
t_check dialog_reregister_default_server sh -c "[ $RC -eq 0 ] && [ $(wc -l <"$D.late.log") -eq $((N + 1)) ] && [ '$(last_req_of "$D.late.log" body.deviceId)' = '$DEV6' ] && [ '$(last_req_of "$D.late.log" body.token)' = '$T1' ] && [ '$(field Server)' = '$LATE' ]"
t_check dialog_server_before_token sh -c "grep -n 'portal to register with' '$D/out' | head -1 | grep -q . && [ \$(grep -n 'portal to register with' '$D/out' | head -1 | cut -d: -f1) -lt \$(grep -n 'registration token' '$D/out' | head -1 | cut -d: -f1) ]"
t_check dialog_token_not_echoed sh -c "! grep -qF '$T1' '$D/out'"
# the DEREGISTER dialogue offers to forget here when the cloud cannot be reached
LPID=$(cat "$D.late.pid")
kill "$LPID" 2>/dev/null
wait "$LPID" 2>/dev/null
printf 'cloudserviceconfig\nDEREGISTER\nY\nY\n' | "$MXSH" -D "$D" >"$D/out" 2>&1
t_check dialog_forget_asked grep -q 'Forget the registration on this appliance only?' "$D/out"
t_check dialog_forgotten [ "$(field Registration)" = 'Not registered' ]

t_check standin_no_bad sh -c "! grep -q '^BAD' '$SLOG' '$D.late.log'"
gw_stop "$D" || t_fail gw_stop "mxgated exit status"
t_done
