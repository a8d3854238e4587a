#!/bin/sh
# api_https.sh - the gateway's HTTP(S) API (issue 12) with curl against a
# real mxgated: interfaceconfig turns HTTP and HTTPS on (the certconfig
# certificate, signed by a test CA made here); messages go through the
# gateway (swaks) to smtp-sink. Cases: login over HTTPS verified against
# the test CA, the token on later calls, Basic over HTTP, privileges by
# role, a tracking search finding the messages sent (filters, paging),
# details, a remediation POST (202; the request then shows in tracking),
# readonly refused remediation (403), technician refused (403), every
# error answer as JSON (400, 401, 404, 405), a 2 MB body refused with 413
# and the daemon still serving, the audit log (no password or token in
# it), and the HTTP port closed by a commit turning it off.
#
# The operators have passwords, so the account keeper makes their system
# accounts while the daemon runs as root: names start with mxapi1 (no
# machine has them by accident) and the trap removes them.
. "$(dirname "$0")/lib.subr"

D=$(t_dir api_https)
K=$D.keys
P=$(free_port)
S=$(free_port)
H=$(free_port)
T=$(free_port)
SINK=$D.sink
A=mxapi1adm
R=mxapi1ro
X=mxapi1tec
PW=Api-Test-Pass-7
URL=https://127.0.0.1:$T/esa/api/v2.0
HURL=http://127.0.0.1:$H/esa/api/v2.0

cleanup() {
	gw_stop "$D" >/dev/null 2>&1
	for u in $A $R $X; do
		case $(getent passwd "$u" | cut -d: -f5) in
		"mxgate operator"*) userdel -f "$u" >/dev/null 2>&1 ;;	# -f: other mxgate processes share the uid; no -r, no home removed
		esac
	done
	t_done
}
trap cleanup EXIT INT TERM

command -v curl >/dev/null || { t_fail setup "curl is not installed"; exit 1; }
mkdir -p "$K"
t_ca "$K" && t_cert "$K" gw "DNS:localhost,IP:127.0.0.1" ||
	{ t_fail setup "openssl could not make the test CA"; exit 1; }
sink_start "$S" "$SINK" || t_fail setup "smtp-sink did not start"
mxsh_do "$D" \
	"listenerconfig new IncomingMail ip=127.0.0.1 port=$P type=public domains=@example.test" \
	"smtproutes new example.test 127.0.0.1:$S" \
	"certconfig server cert=$K/gw.pem key=$K/gw.key" \
	"interfaceconfig api http=yes http_port=$H https=yes https_port=$T address=127.0.0.1" \
	"userconfig new $A role=admin fullname=\"API admin\" password=$PW" \
	"userconfig new $R role=readonly fullname=\"API reader\" password=$PW" \
	"userconfig new $X role=technician fullname=\"API tech\" password=$PW" \
	"commit e2e api" >"$D/setup.out" 2>&1 ||
	{ t_fail setup "mxsh setup failed: $(cat "$D/setup.out")"; exit 1; }
gw_start "$D"
wait_port "$P" 10 || { t_fail setup "mxgated did not listen: $(cat "$D/mxgated.out")"; exit 1; }
wait_port "$T" 10 || { t_fail setup "the API did not listen on HTTPS: $(cat "$D/mxgated.out")"; exit 1; }

# api NAME METHOD URL [curl args] - the status into $D/NAME.st, the body into $D/NAME.json
api() {
	_n=$1 _m=$2 _u=$3
	shift 3
	curl -s --cacert "$K/ca.pem" -X "$_m" -o "$D/$_n.json" -w '%{http_code}' "$@" "$_u" \
		>"$D/$_n.st" 2>"$D/$_n.err"
	echo "$?" >"$D/$_n.rc"
}
st() { cat "$D/$1.st"; }
# js NAME EXPR - a Python expression over the answer j
js() { $PY -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$D/$1.json" 2>/dev/null; }
# is_error NAME CODE - the status and the JSON error shape agree (one
# Python run: each costs much more than the request on a busy machine)
is_error() {
	[ "$(st "$1")" = "$2" ] &&
	[ "$(js "$1" "'%s %d' % (j['error']['code'], bool(j['error']['message'] and j['error']['explanation']))")" = "$2 1" ]
}
b64() { printf '%s' "$1" | base64 -w0; }
login_body() { printf '{"data":{"userName":"%s","passphrase":"%s"}}' "$(b64 "$1")" "$(b64 "$2")"; }

# ---------------------------------------------------------------- mail
send() {	# NAME TO SUBJECT: prints the MID
	swaks --server 127.0.0.1:$P --from "sender$1@outside.test" --to "$2" \
		--header "Subject: $3" --header "Message-Id: <api-$1.$$@outside.test>" \
		>"$D/swaks.$1" 2>&1
	sed -n 's/.*250 2.0.0 Ok: Message \([0-9]*\) accepted.*/\1/p' "$D/swaks.$1" | head -1
}
M1=$(send 1 alice@example.test "API quarterly report")
M2=$(send 2 bob@example.test "API lunch")
[ -n "$M1" ] && [ -n "$M2" ] || t_fail setup "swaks: $(cat "$D/swaks.1" "$D/swaks.2")"
wait_for 30 sh -c "grep -q 'Message finished MID $M2 ' '$D/logs/mail_logs/mail.current'" ||
	t_fail setup "MID $M2 was not delivered"

# ---------------------------------------------------------------- login
api login POST "$URL/login" -H 'Content-Type: application/json' -d "$(login_body $A $PW)"
TOK=$(js login "j['data']['jwtToken']")
t_check login_https [ "$(st login)" = 200 -a -n "$TOK" -a "$(js login "j['data']['role']")" = admin ]
api privs GET "$URL/login/privileges" -H "jwtToken: $TOK"
t_check privileges_token [ "$(st privs)" = 200 -a "$(js privs "j['data']['userName']")" = $A ]
api basic GET "$HURL/login/privileges" -u "$R:$PW"
t_check basic_http [ "$(st basic)" = 200 -a "$(js basic "j['data']['role']")" = readonly ]
api badpw POST "$URL/login" -d "$(login_body $A wrong-password)"
t_check login_bad_password is_error badpw 401
api tech POST "$URL/login" -d "$(login_body $X $PW)"
t_check technician_refused is_error tech 403

# ---------------------------------------------------------------- tracking
FROM=$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%S.000Z)
TO=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
Q="startDate=$FROM&endDate=$TO"
api all GET "$URL/message-tracking/messages?$Q" -H "jwtToken: $TOK"
t_check tracking_all [ "$(st all)" = 200 -a "$(js all "j['meta']['totalCount']")" = 2 ]
t_check tracking_newest_first [ "$(js all "j['data'][0]['attributes']['mid'][0]")" = "$M2" ]
api rcpt GET "$URL/message-tracking/messages?$Q&envelopeRecipientfilterOperator=is&envelopeRecipientfilterValue=alice%40example.test" -H "jwtToken: $TOK"
t_check tracking_recipient [ "$(st rcpt)" = 200 -a "$(js rcpt "[d['attributes']['mid'][0] for d in j['data']]")" = "[$M1]" ]
t_check tracking_attributes [ "$(js rcpt "'|'.join(j['data'][0]['attributes'][k] for k in ('subject', 'sender', 'senderIp'))")" = \
	"API quarterly report|sender1@outside.test|127.0.0.1" ]
api subj GET "$URL/message-tracking/messages?$Q&subjectfilterOperator=begins_with&subjectfilterValue=api+lu" -u "$R:$PW"
t_check tracking_subject_readonly [ "$(st subj)" = 200 -a "$(js subj "[d['attributes']['mid'][0] for d in j['data']]")" = "[$M2]" ]
api msgid GET "$URL/message-tracking/messages?$Q&messageIdHeader=%3Capi-1.$$%40outside.test%3E" -H "jwtToken: $TOK"
t_check tracking_message_id [ "$(js msgid "[d['attributes']['mid'][0] for d in j['data']]")" = "[$M1]" ]
api page GET "$URL/message-tracking/messages?$Q&offset=1&limit=1" -H "jwtToken: $TOK"
t_check tracking_page [ "$(js page "'%s %s' % ([d['attributes']['mid'][0] for d in j['data']], j['meta']['totalCount'])")" = "[$M1] 2" ]
api nodates GET "$URL/message-tracking/messages" -H "jwtToken: $TOK"
t_check tracking_dates_required is_error nodates 400
api det GET "$URL/message-tracking/details?mid=$M1" -H "jwtToken: $TOK"
t_check details [ "$(st det)" = 200 -a "$(js det "j['data']['messages']['attributes']['messageID']['$M1']")" = "<api-1.$$@outside.test>" ]
api det404 GET "$URL/message-tracking/details?mid=999999" -H "jwtToken: $TOK"
t_check details_unknown is_error det404 404

# ---------------------------------------------------------------- remediation
api rem POST "$URL/remediation" -H "jwtToken: $TOK" -H 'Content-Type: application/json' \
	-d "{\"data\":{\"mids\":[$M1],\"action\":\"delete\"}}"
RID=$(js rem "j['data']['requests'][0]['id']")
t_check remediation_202 [ "$(st rem)" = 202 -a -n "$RID" ]
api after GET "$URL/message-tracking/messages?$Q&messageIdHeader=api-1.$$%40outside.test" -H "jwtToken: $TOK"
t_check remediation_in_tracking [ "$(js after "'%s %s' % tuple(j['data'][0]['attributes']['remediation'][0][k] for k in ('id', 'trigger'))")" = "$RID API" ]
api remro POST "$URL/remediation" -u "$R:$PW" -d "{\"data\":{\"mids\":[$M1],\"action\":\"delete\"}}"
t_check remediation_readonly_403 is_error remro 403
api rembad POST "$URL/remediation" -H "jwtToken: $TOK" -d '{"data":{"mids":[1],"action":"shred"}}'
t_check remediation_bad_action is_error rembad 400

# ---------------------------------------------------------------- errors
api noauth GET "$URL/login/privileges"
t_check no_credentials is_error noauth 401
api badtok GET "$URL/login/privileges" -H "jwtToken: ${TOK}x"
t_check bad_token is_error badtok 401
api badjson POST "$URL/login" -d '{"data":'
t_check bad_json is_error badjson 400
api nopath GET "$URL/nothing/here" -H "jwtToken: $TOK"
t_check unknown_path is_error nopath 404
api method DELETE "$URL/message-tracking/messages" -H "jwtToken: $TOK"
t_check wrong_method is_error method 405
head -c 2097152 /dev/zero | tr '\0' 'a' >"$D/big.body"
api big POST "$URL/remediation" -H "jwtToken: $TOK" --data-binary "@$D/big.body"
t_check body_2mb_413 [ "$(st big)" = 413 ]
api still GET "$URL/login/privileges" -H "jwtToken: $TOK"
t_check serving_after_413 [ "$(st still)" = 200 ]

# ---------------------------------------------------------------- audit log
AUD=$D/logs/api_logs/api.current
wait_for 10 grep -q "user $A GET /esa/api/v2.0/login/privileges status 200" "$AUD"
t_check audit_lines grep -q "user $A GET /esa/api/v2.0/login/privileges status 200" "$AUD"
t_check audit_no_secrets sh -c "! grep -qF -e '$PW' -e '$TOK' -e '$(b64 $PW)' '$AUD'"

# ---------------------------------------------------------------- HTTP off
mxsh_do "$D" "interfaceconfig api http=no" "commit e2e api http off" >"$D/off.out" 2>&1 ||
	t_fail http_off "mxsh: $(cat "$D/off.out")"
closed() { ! curl -s -o /dev/null "$HURL/login/privileges"; }
wait_for 10 closed
api off GET "$HURL/login/privileges" -u "$R:$PW"
t_check http_off_refused [ "$(cat "$D/off.rc")" = 7 ]
api on GET "$URL/login/privileges" -u "$R:$PW"
t_check https_still_on [ "$(st on)" = 200 ]

gw_stop "$D" || t_fail stop "mxgated exited with an error: $(tail -5 "$D/mxgated.out")"
