#!/bin/sh
# mailbox_graph.sh - net/mailbox.c's Microsoft Graph backend against the
# stand-in tests/helpers/graph_standin.py (HTTPS, the test CA), through
# tests/helpers/mbxtool: the client-credentials token (asked once per
# session, a new one after a 401), find by internetMessageId with paging,
# delete, move, forward, fetch; 429 and 503 waited out (Retry-After);
# a bad client secret is one clear line and touches nothing. The stand-in
# refuses (400, "BAD" in its log) any request not of the documented
# shape: one such line fails the test.
. "$(dirname "$0")/lib.subr"

T=$(t_dir mailbox_graph)
MBX=$BUILD/tests/mbxtool
TOP=$(cd "$(dirname "$0")/../.." && pwd)
S=$T/standin
mkdir -p "$S"
t_ca "$T/ca" && t_cert "$T/ca" graph.test "DNS:graph.test,IP:127.0.0.1" ||
	{ t_fail setup "cannot make the test certificate"; t_done; }
GP=$(free_port)
$PY "$TOP/tests/helpers/graph_standin.py" "$GP" "$T/ca/graph.test.pem" "$T/ca/graph.test.key" "$S" \
	>"$T/standin.out" 2>&1 &
T_PIDS="$T_PIDS $!"
wait_port "$GP" 20 || { t_fail setup "the stand-in does not listen: $(cat "$T/standin.out")"; t_done; }
A=alice@example.com
LOG=$S/requests.log

cat >"$S/messages.json" <<'EOF'
{"alice@example.com": [
 {"id": "AAMk-1", "internetMessageId": "<g1@x.test>", "folder": "inbox"},
 {"id": "AAMk-2", "internetMessageId": "<evil-<g1@x.test>>", "folder": "inbox"},
 {"id": "AAMk-3", "internetMessageId": "<o'neil@x.test>", "folder": "inbox"},
 {"id": "AAMk/4+=", "internetMessageId": "<dup@x.test>", "folder": "inbox"},
 {"id": "AAMk-5", "internetMessageId": "<dup@x.test>", "folder": "inbox"},
 {"id": "AAMk-6", "internetMessageId": "<dup@x.test>", "folder": "inbox"},
 {"id": "AAMk-7", "internetMessageId": "<fw@x.test>", "folder": "inbox",
  "mime": "Message-ID: <fw@x.test>\r\nSubject: fw\r\n\r\nforward me\r\n"},
 {"id": "AAMk-8", "internetMessageId": "<mv@x.test>", "folder": "inbox"}
]}
EOF

# graph ARGS... - mbxtool with the stand-in's profile
graph() {
	"$MBX" -b graph -s "https://127.0.0.1:$GP/v1.0" -u client-1 -p "${SECRET:-secret-1}" \
		-T "https://127.0.0.1:$GP/tenant-1/oauth2/v2.0/token" -c "$T/ca/ca.pem" "$@"
}
# since - the log lines written after mark was called
mark() { MARK=$(wc -l <"$LOG" 2>/dev/null || echo 0); }
since() { sed -n "$((MARK + 1)),\$p" "$LOG"; }
# folder ID - the folder of message ID in the stand-in ("" when gone)
folder() {
	$PY -c 'import json,sys; m=json.load(open(sys.argv[1]))["alice@example.com"]; print("".join(x["folder"] for x in m if x["id"]==sys.argv[2]))' \
		"$S/messages.json" "$1"
}

mark
graph find $A '<g1@x.test>' >"$T/f1.out" 2>&1
if grep -qx 'found 1' "$T/f1.out" && grep -qx 'AAMk-1' "$T/f1.out"; then t_pass find
else t_fail find "$(cat "$T/f1.out")"; fi
if sed -n 1p "$LOG" | grep -q 'POST /tenant-1/oauth2/v2.0/token -> 200$' &&
	sed -n 2p "$LOG" | grep -qF 'GET /v1.0/users/alice%40example.com/messages?$filter=internetMessageId%20eq%20%27%3Cg1%40x.test%3E%27&$select=id -> 200'; then
	t_pass find_token_then_search
else t_fail find_token_then_search "$(head -2 "$LOG" | tr '\n' ';')"; fi
graph find $A 'g1@x.test' >"$T/f2.out" 2>&1
t_check substring_not_found grep -qx 'found 0' "$T/f2.out"
graph find $A "<o'neil@x.test>" >"$T/f3.out" 2>&1
t_check quote_doubled grep -qx 'found 1' "$T/f3.out"
graph find $A '<nope@x.test>' >"$T/f4.out" 2>&1
t_check unknown_found_0 grep -qx 'found 0' "$T/f4.out"
graph find nobody@example.com '<g1@x.test>' >"$T/f5.out" 2>"$T/f5.err"
t_check unknown_user grep -q '^mbxtool: Graph search in mailbox nobody@example.com failed: HTTP 404 ErrorInvalidUser' "$T/f5.err"

# paging: one message a page, three pages
echo "page 1" >"$S/control"
mark
graph find $A '<dup@x.test>' >"$T/p.out" 2>&1
t_check paged_found_3 grep -qx 'found 3' "$T/p.out"
t_check paged_3_requests test "$(since | grep -c 'GET /v1.0/users/alice%40example.com/messages?')" = 3
t_check paged_id_kept grep -qxF 'AAMk/4+=' "$T/p.out"
: >"$S/control"

# fetch: the MIME content
graph fetch $A '<fw@x.test>' >"$T/fetch.out" 2>&1
t_check fetch grep -q '^forward me' "$T/fetch.out"

# forward: the server does it
graph forward $A '<fw@x.test>' soc@example.com 'Remediated: phishing' >"$T/fw.out" 2>&1
t_check forward grep -qx 'forwarded 1' "$T/fw.out"
t_check forward_body grep -qF '"mailbox": "alice@example.com", "id": "AAMk-7", "to": ["soc@example.com"], "comment": "Remediated: phishing"' "$S/forwards.log"

# move, then delete (three copies, one session: one token)
graph -f junkemail delete $A '<mv@x.test>' >"$T/mv.out" 2>&1
if grep -qx 'deleted 1' "$T/mv.out" && [ "$(folder AAMk-8)" = junkemail ]; then t_pass move
else t_fail move "$(cat "$T/mv.out") folder $(folder AAMk-8)"; fi
mark
graph delete $A '<dup@x.test>' >"$T/del.out" 2>&1
if grep -qx 'deleted 3' "$T/del.out" && [ -z "$(folder AAMk-5)" ] && [ -z "$(folder 'AAMk/4+=')" ]; then
	t_pass delete
else t_fail delete "$(cat "$T/del.out")"; fi
t_check delete_one_token test "$(since | grep -c 'oauth2/v2.0/token -> 200')" = 1
t_check delete_204s test "$(since | grep -c 'DELETE .* -> 204')" = 3

# an expired token: 401, a new token, the call again
echo "expire 1" >"$S/control"
mark
graph find $A '<g1@x.test>' >"$T/e.out" 2>&1
t_check expired_token_refreshed grep -qx 'found 1' "$T/e.out"
if since | awk '{print $2, $NF}' | tr '\n' ' ' | grep -q 'POST 200 GET 401 POST 200 GET 200'; then
	t_pass refresh_sequence
else t_fail refresh_sequence "$(since | tr '\n' ';')"; fi

# 429 and 503: Retry-After honoured, asked once more
for code in 429 503; do
	echo "$code 1" >"$S/control"
	mark
	graph find $A '<g1@x.test>' >"$T/r$code.out" 2>&1
	t_check "backoff_$code" grep -qx 'found 1' "$T/r$code.out"
	if since | awk -v c="$code" '$NF == c { t = $1 } $NF == 200 && t && $2 == "GET" { d = $1 - t } END { exit !(d >= 0.9) }'; then
		t_pass "retry_after_$code"
	else t_fail "retry_after_$code" "$(since | tr '\n' ';')"; fi
done

# a 503 that outlasts the one retry: a failure a later try may not have (exit 3)
echo "503 2" >"$S/control"
graph find $A '<g1@x.test>' >"$T/r503x.out" 2>"$T/r503x.err"
rc=$?
if [ "$rc" = 3 ] && grep -q 'HTTP 503' "$T/r503x.err"; then t_pass unavailable_passing
else t_fail unavailable_passing "rc $rc: $(cat "$T/r503x.err")"; fi

# a bad client secret: one line, nothing deleted
SECRET=not-the-secret graph delete $A '<g1@x.test>' >"$T/bad.out" 2>"$T/bad.err"
rc=$?
if [ "$rc" = 1 ] && [ "$(wc -l <"$T/bad.err")" = 1 ] &&
	grep -qxF "mbxtool: Graph token request for client client-1 failed: HTTP 401 invalid_client: AADSTS7000215: Invalid client secret provided. (check the tenant, client ID and client secret)" "$T/bad.err"; then
	t_pass bad_client_secret
else t_fail bad_client_secret "rc $rc: $(cat "$T/bad.err")"; fi
if grep -q not-the-secret "$T/bad.err"; then t_fail secret_not_shown "the secret is in the message"
else t_pass secret_not_shown; fi
t_check bad_secret_nothing_deleted test "$(folder AAMk-1)" = inbox

# the certificate is checked
"$MBX" -b graph -s "https://127.0.0.1:$GP/v1.0" -u client-1 -p secret-1 \
	-T "https://127.0.0.1:$GP/tenant-1/oauth2/v2.0/token" find $A '<g1@x.test>' >"$T/ca.out" 2>"$T/ca.err"
t_check certificate_checked grep -qi 'certificate' "$T/ca.err"

# every request was of the documented shape
if grep -q '^BAD' "$LOG"; then t_fail requests_well_formed "$(grep '^BAD' "$LOG" | head -3)"
else t_pass requests_well_formed; fi
# no sanitizer report from any mbxtool run (the ASan build)
if grep -l 'Sanitizer\|runtime error' "$T"/*.out "$T"/*.err 2>/dev/null | grep -q .; then
	t_fail sanitizer_clean "$(grep -l 'Sanitizer\|runtime error' "$T"/*.out "$T"/*.err)"
else t_pass sanitizer_clean; fi
t_done
