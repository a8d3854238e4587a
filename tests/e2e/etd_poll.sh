#!/bin/sh
# etd_poll.sh - Email Threat Defense API polling end to end (issue 12):
# mxgated journals messages (the journaled rows in queue.db), polls a
# local ETD stand-in (tests/helpers/etd_standin.py, HTTPS with a test CA
# made here) and turns each verdict of the configured kinds into a
# remediation request, once.
#
# Cases: the token and search requests have the documented shape (the
# stand-in answers 400 and logs "BAD ..." otherwise); paging follows
# nextPageToken; a 401 on a search gets a new token and one more try; a
# 429 is waited out; verdicts not configured are never acted on; a
# verdict for a Message-ID not journaled here is logged and shown by
# remediationreport; kill -9 between two pages of a search, then a
# restart: every verdict acted on exactly once; a gateway whose
# tdc.polling_primary names another machine never searches. A
# Retry-After longer than the poll interval is waited out whole, even
# when the engine is woken meanwhile (an operator's remediate). SIGTERM
# while the stand-in holds an answer: mxgated exits within seconds, not
# after the request's time limit.
#
# No remediation profile is configured: a matched verdict ends in the
# action "no remediation profile serves mailbox ...", which is what is
# counted (remediation_imap.sh acts on real mailboxes).
. "$(dirname "$0")/lib.subr"

HELP=$(cd "$(dirname "$0")/../helpers" && pwd)
D=$(t_dir etd_poll)
K=$D.keys
P=$(free_port)
E=$(free_port)
DATA=$D.etd.json
SLOG=$D.etd.log
CTL=$D.etd.ctl
LOG=$D/logs/mail_logs/mail.current
mkdir -p "$K" "$CTL"
: >"$SLOG"

t_ca "$K" && t_cert "$K" etd.test "DNS:etd.test,IP:127.0.0.1" ||
	{ t_fail setup "openssl could not make the test CA"; t_done; }

# standin_start PORT LOG CTL - the ETD stand-in in pages of 2
standin_start() {
	$PY "$HELP/etd_standin.py" --port "$1" --data "$DATA" --log "$2" --ctl "$3" \
		--cert "$K/etd.test.pem" --key "$K/etd.test.key" --page 2 >>"$2.out" 2>&1 &
	T_PIDS="$T_PIDS $!"
	wait_port "$1" 10
}
# verdicts ID:MSGID:VERDICT:MAILBOX ... - the stand-in's messages, stamped now
verdicts() {
	$PY - "$DATA" "$@" <<'PYEOF'
import json, sys, time
now = int(time.time())
msgs = []
for a in sys.argv[2:]:
    i, mid, v, mb = a.split(":")
    if v.startswith("obj-"):
        v = {"category": v[4:], "confidence": "high"}
    msgs.append({"id": i, "internetMessageId": mid, "verdict": v, "mailboxes": [mb],
                 "timestamp": now - 5})
json.dump({"messages": msgs}, open(sys.argv[1] + ".tmp", "w"))
PYEOF
	mv "$DATA.tmp" "$DATA"
}
# send MSGID - one message to alice@example.com through the gateway; prints its MID
send() {
	swaks --server 127.0.0.1:$P --from sender@outside.test --to alice@example.com \
		--header "Subject: etd poll" --h-Message-Id "$1" >"$D/swaks.out" 2>&1
	sed -n 's/.*250 2.0.0 Ok: Message \([0-9]*\) accepted.*/\1/p' "$D/swaks.out" | head -1
}
searches() { grep -c '"path": "/v1/messages/search", "status": 200' "$1" || true; }
# acted MID - lines saying what remediation did for a message
acted() { grep -c "TDC: MID $1 remediation [0-9]*: no remediation profile serves mailbox alice@example.com (ETD verdict" "$LOG" || true; }
bad() { grep '^BAD' "$SLOG" "$D.etd2.log" 2>/dev/null | head -3; }

verdicts
standin_start "$E" "$SLOG" "$CTL" || { t_fail setup "stand-in: $(cat "$SLOG.out")"; t_done; }
mxsh_do "$D" \
	"listenerconfig new IncomingMail ip=127.0.0.1 port=$P type=public domains=@example.com" \
	"smtproutes new example.com 127.0.0.1:$(dead_port)" \
	"smtproutes new intake.test 127.0.0.1:$(dead_port)" \
	"dnsconfig servers=127.0.0.1:$(dead_port) timeout=1" \
	"certconfig cafile $K/ca.pem" \
	"tdcconfig setup enable=yes intake_address=journal@intake.test api=yes client_id=etd-client client_secret=etd-secret-1 api_key=etd-key-1 api_region=https://127.0.0.1:$E action=delete polling=yes" \
	"interfaceconfig api http=no https=no" \
	"supportconfig tdc.poll_interval=5 tdc.poll_lag=0 tdc.poll_overlap=600" \
	"policyconfig incoming edit DEFAULT tdc=global" \
	"commit e2e etd poll" >"$D/setup.out" 2>&1 ||
	{ t_fail setup "mxsh setup failed: $(cat "$D/setup.out")"; t_done; }

# ---------------------------------------------------------------- a gateway that is not the primary
# D2 is configured to poll (it becomes the primary: its own serial), and
# D3 runs with a copy of D2's configuration: another machine, whose serial
# is not the primary's, as when a configuration is moved to a new gateway.
# D3 is started first and runs beside all the cases; at the end the first
# gateway has searched many times meanwhile (its searches are the clock:
# three of its intervals at least) and D3 never once.
D2=$(t_dir etd_poll2)
D3=$(t_dir etd_poll3)
E2=$(free_port)
P2=$(free_port)
mkdir -p "$CTL.2"
: >"$D.etd2.log"
standin_start "$E2" "$D.etd2.log" "$CTL.2" || t_fail setup2 "second stand-in did not start"
mxsh_do "$D2" \
	"listenerconfig new IncomingMail ip=127.0.0.1 port=$P2 type=public domains=@example.com" \
	"dnsconfig servers=127.0.0.1:$(dead_port) timeout=1" \
	"certconfig cafile $K/ca.pem" \
	"tdcconfig setup enable=yes intake_address=journal@intake.test api=yes client_id=etd-client client_secret=etd-secret-1 api_key=etd-key-1 api_region=https://127.0.0.1:$E2 action=delete polling=yes" \
	"interfaceconfig api http=no https=no" \
	"supportconfig tdc.poll_interval=5 tdc.poll_lag=0" \
	"commit e2e primary elsewhere" >"$D2/setup.out" 2>&1 ||
	t_fail setup2 "mxsh setup failed: $(cat "$D2/setup.out")"
sqlite3 "$D2/config.db" ".backup '$D3/config.db'" && cp -p "$D2/secret.key" "$D3/" &&
	chmod 700 "$D3" || t_fail setup2 "cannot copy the configuration"
gw_start "$D3"
wait_port "$P2" 10 || t_fail setup2 "the copy's mxgated did not listen: $(tail -3 "$D3/mxgated.out")"
N3=$(searches "$SLOG")

gw_start "$D"
wait_port "$P" 10 || { t_fail setup "mxgated did not listen: $(cat "$D/mxgated.out")"; t_done; }

# ---------------------------------------------------------------- first window
M1=$(send "<m1@etd.test>")
M2=$(send "<m2@etd.test>")
M3=$(send "<m3@etd.test>")
M4=$(send "<m4@etd.test>")
[ -n "$M1" ] && [ -n "$M4" ] || { t_fail setup "messages not accepted: $(cat "$D/swaks.out")"; t_done; }
t_check polling_started wait_for 30 grep -q "TDC: Email Threat Defense API polling started (every 5 seconds, verdicts malicious,phishing,bec,scam)" "$LOG"
# the first search after these verdicts appear: it expires its token (401) first
echo 1 >"$CTL/search_401"
verdicts u-1:"<m1@etd.test>":phishing:alice@example.com \
	u-2:"<m2@etd.test>":malicious:Alice@Example.com \
	u-3:"<m3@etd.test>":spam:alice@example.com \
	u-4:"<m4@etd.test>":obj-bec:alice@example.com \
	u-5:"<nope@etd.test>":phishing:alice@example.com
t_check verdict_phishing wait_for 60 sh -c "[ \$(grep -c 'TDC: MID $M1 remediation [0-9]*: no remediation profile serves mailbox alice@example.com (ETD verdict phishing)' '$LOG') -ge 1 ]"
t_check verdict_malicious wait_for 30 grep -q "TDC: MID $M2 remediation [0-9]*: no remediation profile serves mailbox alice@example.com (ETD verdict malicious)" "$LOG"
t_check verdict_object wait_for 30 grep -q "TDC: MID $M4 remediation [0-9]*: no remediation profile serves mailbox alice@example.com (ETD verdict bec)" "$LOG"
t_check unmatched_logged wait_for 30 grep -q "TDC: remediation [0-9]*: ETD verdict phishing for Message-ID '<nope@etd.test>' (ETD id u-5) matches no message journaled here" "$LOG"
"$MXSH" -D "$D" -c "remediationreport" >"$D/report.out" 2>&1
t_check unmatched_reported grep -q "nope@etd.test" "$D/report.out"
t_check spam_not_asked sh -c "! grep -q '\"spam\"' '$SLOG'"
t_check spam_not_acted test "$(acted "$M3")" = 0
t_check refresh_401 $PY - "$SLOG" <<'PYEOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
seq = [(r["path"].rsplit("/", 1)[1], r["status"]) for r in rows]
# a search answered 401, then a new token, then the same search answered 200
for i, s in enumerate(seq):
    if s == ("search", 401):
        sys.exit(0 if seq[i + 1:i + 3] == [("token", 200), ("search", 200)] else 1)
sys.exit(1)
PYEOF
t_check paged grep -q pageToken "$SLOG"
t_check body_shape $PY - "$SLOG" <<'PYEOF'
import json, re, sys
iso = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$")
n = 0
for l in open(sys.argv[1]):
    if not l.startswith("{"):
        continue
    r = json.loads(l)
    if r["path"] != "/v1/messages/search" or r["status"] != 200:
        continue
    b = json.loads(r["body"])
    assert all(iso.match(t) for t in b["timestamp"]), b
    assert b["verdicts"] == ["malicious", "phishing", "bec", "scam"], b
    assert b["pageSize"] == 100, b
    n += 1
sys.exit(0 if n else 1)
PYEOF

# ---------------------------------------------------------------- 429
echo 1 >"$CTL/search_429"
t_check backoff_429_logged wait_for 30 grep -q "TDC: Email Threat Defense API search failed: HTTP 429 (retrying in 1 seconds)" "$LOG"
n=$(searches "$SLOG")
t_check backoff_429_resumed wait_for 30 sh -c "[ \$(grep -c '\"path\": \"/v1/messages/search\", \"status\": 200' '$SLOG') -gt $n ]"

# ---------------------------------------------------------------- a Retry-After longer than the interval
# 9 s: the poll interval (5, the least tdc.poll_interval allows) would
# search again well before it
echo 9 >"$CTL/retry_after"
echo 1 >"$CTL/search_429"
if wait_for 30 grep -q '"status": 429' "$SLOG" &&
	wait_for 30 grep -q "TDC: Email Threat Defense API search failed: HTTP 429 (retrying in 9 seconds)" "$LOG"; then
	# woken meanwhile: an operator's request (remd_wake) must not cut the back-off
	"$MXSH" -D "$D" -c "remediate $M3 action=delete" >"$D/wake.out" 2>&1
	n=$(searches "$SLOG")
	wait_for 60 sh -c "[ \$(grep -c '\"path\": \"/v1/messages/search\", \"status\": 200' '$SLOG') -gt $n ]"
	t_check backoff_long_kept $PY - "$SLOG" <<'PYEOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
t429 = [r["t"] for r in rows if r["status"] == 429][-1]
after = [r["t"] for r in rows if r["path"].endswith("/search") and r["t"] > t429]
assert after, "no search after the 429"
assert after[0] - t429 >= 8, "searched again %.1f s after Retry-After: 9" % (after[0] - t429)
PYEOF
else
	t_fail backoff_long_kept "no 429 answered or logged: $(grep 'TDC: Email' "$LOG" | tail -2)"
fi
rm -f "$CTL/retry_after"
t_check once_each sh -c "[ $(acted "$M1") = 1 ] && [ $(acted "$M2") = 1 ] && [ $(acted "$M4") = 1 ]"
t_check unmatched_once test "$(grep -c "(ETD id u-5) matches no message" "$LOG")" = 1

# ---------------------------------------------------------------- kill -9 between pages
M6=$(send "<m6@etd.test>")
M7=$(send "<m7@etd.test>")
M8=$(send "<m8@etd.test>")
echo u-8 >"$CTL/page_hold"
verdicts u-6:"<m6@etd.test>":phishing:alice@example.com \
	u-7:"<m7@etd.test>":phishing:alice@example.com \
	u-8:"<m8@etd.test>":scam:alice@example.com \
	u-9:"<m9@etd.test>":scam:nobody@example.com
if wait_for 60 grep -q '^HOLD' "$SLOG"; then
	kill -9 "$(cat "$D/gw.pid")"
	wait "$(cat "$D/gw.pid")" 2>/dev/null
	rm -f "$D/gw.pid" "$CTL/page_hold"
	t_pass killed_between_pages
else
	t_fail killed_between_pages "no page after the first was asked for"
	rm -f "$CTL/page_hold"
fi
gw_start "$D"
wait_port "$P" 10 || t_fail restart "mxgated did not listen again: $(tail -3 "$D/mxgated.out")"
for m in "$M6" "$M7" "$M8"; do
	wait_for 60 sh -c "[ \$(grep -c 'TDC: MID $m remediation [0-9]*: no remediation profile' '$LOG') -ge 1 ]"
done
wait_for 30 grep -q "(ETD id u-9) matches no message" "$LOG"
n=$(searches "$SLOG")
wait_for 30 sh -c "[ \$(grep -c '\"path\": \"/v1/messages/search\", \"status\": 200' '$SLOG') -gt $((n + 1)) ]"
t_check restart_once_each sh -c "[ $(acted "$M6") = 1 ] && [ $(acted "$M7") = 1 ] && [ $(acted "$M8") = 1 ]"
t_check restart_unmatched_once test "$(grep -c "(ETD id u-9) matches no message" "$LOG")" = 1
t_check restart_old_not_repeated sh -c "[ $(acted "$M1") = 1 ] && [ $(acted "$M2") = 1 ]"

# ---------------------------------------------------------------- a gateway that is not the primary
# (D3 has run since the start, beside everything above)
wait_for 60 sh -c "[ \$(grep -c '\"path\": \"/v1/messages/search\", \"status\": 200' '$SLOG') -ge $((N3 + 3)) ]"
t_check non_primary_never_searches sh -c "! grep -q 'search' '$D.etd2.log'"
t_check non_primary_no_polling sh -c "! grep -q 'polling started' '$D3/logs/mail_logs/mail.current'"
gw_stop "$D3"

# ---------------------------------------------------------------- SIGTERM while a search waits
M10=$(send "<m10@etd.test>")
M11=$(send "<m11@etd.test>")
M12=$(send "<m12@etd.test>")
echo u-12 >"$CTL/page_hold"
verdicts u-10:"<m10@etd.test>":phishing:alice@example.com \
	u-11:"<m11@etd.test>":phishing:alice@example.com \
	u-12:"<m12@etd.test>":phishing:alice@example.com
if wait_for 60 sh -c "[ \$(grep -c '^HOLD' '$SLOG') -ge 2 ]"; then
	p=$(cat "$D/gw.pid")
	kill -TERM "$p"
	gwgone() { ! kill -0 "$p" 2>/dev/null; }
	if wait_for 8 gwgone; then
		t_pass sigterm_while_held
	else
		t_fail sigterm_while_held "mxgated still running 8 s after SIGTERM"
	fi
	rm -f "$CTL/page_hold"
	wait "$p"
	rc=$?
	rm -f "$D/gw.pid"
	t_netguard
	t_check sigterm_clean_exit test "$rc" = 0
else
	t_fail sigterm_while_held "the stand-in held no page"
	rm -f "$CTL/page_hold"
	gw_stop "$D"
fi

t_check standin_no_bad sh -c "[ -z \"\$(grep '^BAD' '$SLOG' '$D.etd2.log')\" ]"
[ -z "$(bad)" ] || echo "# stand-in: $(bad)"
t_done
