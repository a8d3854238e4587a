#!/bin/sh
# remediation_imap.sh - the issue's "done when" for IMAP mailboxes: mail
# goes through mxgated into a real Dovecot (tests/helpers/dovecot.subr:
# smtproutes example.com -> the SMTP-to-Dovecot bridge) and is journaled;
# the ETD stand-in (tests/helpers/etd_standin.py) then gives one message
# a phishing verdict. With polling on and action forward_delete, that
# message is forwarded (by the gateway: fetched over IMAP, wrapped, queued
# to forward_to, which is an smtp-sink here) and deleted from both
# recipients' mailboxes; the other message stays; remediationreport and
# findevent -m show what was done. An operator's remediate of a message
# whose mailbox has no profile fails with the reason, and touches nothing;
# one for a message never journaled finds it through the mail log. The
# HTTPS API's message tracking (curl, as a readonly operator) finds the
# remediated message with its remediation.
. "$(dirname "$0")/lib.subr"
. "$(dirname "$0")/../helpers/dovecot.subr"

HELP=$(cd "$(dirname "$0")/../helpers" && pwd)
D=$(t_dir remediation_imap)
AU=mxremapi1
APW=Remed-Api-Pass-7
# the readonly operator's system account (made by the account keeper) goes too
cleanup() {
	dovecot_stop
	bridge_stop
	gw_stop "$D" >/dev/null 2>&1
	case $(getent passwd "$AU" | cut -d: -f5) in
	"mxgate operator"*) userdel -f "$AU" >/dev/null 2>&1 ;;
	esac
}
trap cleanup EXIT
if [ "$(id -u)" != 0 ]; then
	t_fail setup "runs as root (Dovecot's master process)"
	t_done
fi
IP=$(free_port)
BP=$(free_port)
P=$(free_port)
E=$(free_port)
S=$(free_port)
AP=$(free_port)
SINK=$D.soc
DATA=$D.etd.json
SLOG=$D.etd.log
CTL=$D.etd.ctl
LOG=$D/logs/mail_logs/mail.current
mkdir -p "$CTL"
: >"$SLOG"
printf '{"messages": []}\n' >"$DATA"

dovecot_start "$D.dv" "$IP" >"$D.dv.why" 2>&1 || { t_fail setup "$(cat "$D.dv.why")"; t_done; }
K=$D.dv/ca
t_cert "$K" etd.test "DNS:etd.test,IP:127.0.0.1" && t_cert "$K" gw "DNS:localhost,IP:127.0.0.1" ||
	{ t_fail setup "no stand-in or gateway certificate"; t_done; }
$PY "$HELP/etd_standin.py" --port "$E" --data "$DATA" --log "$SLOG" --ctl "$CTL" \
	--cert "$K/etd.test.pem" --key "$K/etd.test.key" >"$SLOG.out" 2>&1 &
T_PIDS="$T_PIDS $!"
wait_port "$E" 10 || { t_fail setup "stand-in: $(cat "$SLOG.out")"; t_done; }
bridge_start "$BP" || { t_fail setup "the bridge does not listen"; t_done; }
sink_start "$S" "$SINK" || { t_fail setup "smtp-sink did not start"; t_done; }

mxsh_do "$D" \
	"listenerconfig new IncomingMail ip=127.0.0.1 port=$P type=public domains=@example.com,@other.test" \
	"smtproutes new example.com 127.0.0.1:$BP" \
	"smtproutes new soc.test 127.0.0.1:$S" \
	"smtproutes new other.test 127.0.0.1:$S" \
	"smtproutes new intake.test 127.0.0.1:$(dead_port)" \
	"dnsconfig servers=127.0.0.1:$(dead_port) timeout=1" \
	"certconfig cafile $K/ca.pem" \
	"tdcconfig setup enable=yes intake_address=journal@intake.test api=yes client_id=etd-client client_secret=etd-secret-1 api_key=etd-key-1 api_region=https://127.0.0.1:$E action=forward_delete forward_to=soc@soc.test polling=yes" \
	"certconfig server cert=$K/gw.pem key=$K/gw.key" \
	"interfaceconfig api http=no https=yes https_port=$AP address=127.0.0.1" \
	"userconfig new $AU role=readonly fullname=\"Remediation reader\" password=$APW" \
	"supportconfig tdc.poll_interval=5 tdc.poll_lag=0 tdc.poll_overlap=600" \
	"policyconfig incoming edit DEFAULT tdc=global" \
	"remediationconfig new dovecot backend=imap server=imaps://127.0.0.1:$IP auth=master user=mxgate password=master-pw-1 domains=example.com" \
	"commit e2e remediation imap" >"$D/setup.out" 2>&1 ||
	{ t_fail setup "mxsh setup failed: $(cat "$D/setup.out")"; t_done; }
gw_start "$D"
wait_port "$P" 10 || { t_fail setup "mxgated did not listen: $(cat "$D/mxgated.out")"; t_done; }
wait_port "$AP" 10 || { t_fail setup "the API did not listen on HTTPS: $(cat "$D/mxgated.out")"; t_done; }

# send MSGID SUBJECT RCPT... - through the gateway; prints the MID
send() {
	_s_id=$1 _s_subj=$2
	shift 2
	_s_to=$(echo "$@" | tr ' ' ',')
	swaks --server 127.0.0.1:$P --from sender@outside.test --to "$_s_to" \
		--h-Message-Id "$_s_id" --header "Subject: $_s_subj" >"$D/swaks.out" 2>&1
	sed -n 's/.*250 2.0.0 Ok: Message \([0-9]*\) accepted.*/\1/p' "$D/swaks.out" | head -1
}
BAD=$(send "<bad.1@outside.test>" "urgent invoice" alice@example.com bob@example.com)
GOOD=$(send "<good.1@outside.test>" "lunch" alice@example.com)
[ -n "$BAD" ] && [ -n "$GOOD" ] || { t_fail setup "not accepted: $(cat "$D/swaks.out")"; t_done; }
t_check delivered_alice wait_for 60 dovecot_has alice@example.com "<bad.1@outside.test>"
t_check delivered_bob wait_for 60 dovecot_has bob@example.com "<bad.1@outside.test>"
t_check delivered_good wait_for 60 dovecot_has alice@example.com "<good.1@outside.test>"

# the verdict: phishing for the bad one, seen in both mailboxes
$PY - "$DATA" <<'PYEOF'
import json, sys, time
json.dump({"messages": [{"id": "3f0c1d2e-0001", "internetMessageId": "<bad.1@outside.test>",
                         "verdict": "phishing", "timestamp": int(time.time()) - 2,
                         "mailboxes": ["alice@example.com", "bob@example.com"]}]},
          open(sys.argv[1] + ".tmp", "w"))
PYEOF
mv "$DATA.tmp" "$DATA"

gone() { ! dovecot_has alice@example.com "<bad.1@outside.test>" && ! dovecot_has bob@example.com "<bad.1@outside.test>"; }
if wait_for 60 gone; then
	t_pass deleted_from_both
else
	t_fail deleted_from_both "$(grep 'TDC: MID' "$LOG" | tail -3)"
fi
t_check other_untouched dovecot_has alice@example.com "<good.1@outside.test>"
t_check forwards_arrive wait_sink 60 "$SINK" 1
t_check log_forwarded grep -Eq "TDC: MID $BAD remediation [0-9]+: forwarded from mailbox alice@example.com to soc@soc.test as MID [0-9]+ \(ETD verdict phishing\)" "$LOG"
t_check log_deleted grep -Eq "TDC: MID $BAD remediation [0-9]+: deleted from mailbox bob@example.com \(ETD verdict phishing\)" "$LOG"
F=$(sed -n "s/.*TDC: MID $BAD remediation [0-9]*: forwarded from mailbox alice@example.com to soc@soc.test as MID \([0-9]*\) .*/\1/p" "$LOG" | head -1)
t_check log_generated grep -q "MID $F was generated based on MID $BAD by remediation" "$LOG"
# the forward: our explanation, and the original attached whole
if $PY - "$SINK" <<'PYEOF' >"$D/fwd.out" 2>&1; then t_pass forward_shape; else t_fail forward_shape "$(cat "$D/fwd.out")"; fi
import email, email.policy, os, sys
found = 0
for f in os.listdir(sys.argv[1]):
    m = email.message_from_bytes(open(os.path.join(sys.argv[1], f), "rb").read(),
                                 policy=email.policy.default)
    if not str(m["Subject"]).startswith("Remediated message: urgent invoice"):
        continue
    assert "soc@soc.test" in str(m["To"]), m["To"]
    assert m["Auto-Submitted"] == "auto-generated"
    parts = list(m.iter_parts())
    assert parts[0].get_content_type() == "text/plain", parts[0].get_content_type()
    text = parts[0].get_content()
    assert "Verdict: phishing" in text and "<bad.1@outside.test>" in text, text
    assert parts[1].get_content_type() == "message/rfc822"
    inner = parts[1].get_content()
    assert inner["Message-Id"] == "<bad.1@outside.test>", inner["Message-Id"]
    found += 1
assert found == 2, "forwards found: %d" % found
PYEOF
"$MXSH" -D "$D" -c "remediationreport" >"$D/report.out" 2>&1
t_check report_alice grep -q "alice@example.com" "$D/report.out"
t_check report_bob grep -q "bob@example.com" "$D/report.out"
"$MXSH" -D "$D" -c "findevent -m $BAD mail_logs" >"$D/fe.out" 2>&1
t_check findevent_shows grep -q "remediation [0-9]*: deleted from mailbox alice@example.com" "$D/fe.out"

# the HTTPS API's message tracking finds it, with what was done to it
NOW=$(date -u +%s)
SD=$(date -u -d "@$((NOW - 3600))" +%Y-%m-%dT%H:%M:%S.000Z)
ED=$(date -u -d "@$((NOW + 3600))" +%Y-%m-%dT%H:%M:%S.000Z)
curl -s --cacert "$K/ca.pem" -u "$AU:$APW" -o "$D/track.json" -w '%{http_code}' \
	"https://127.0.0.1:$AP/esa/api/v2.0/message-tracking/messages?startDate=$SD&endDate=$ED&offset=0&limit=20&messageIdHeader=%3Cbad.1%40outside.test%3E" \
	>"$D/track.st" 2>"$D/track.err"
if $PY - "$D/track.json" "$BAD" <<'PYEOF' >"$D/track.out" 2>&1; then t_pass api_tracking_remediation; else t_fail api_tracking_remediation "HTTP $(cat "$D/track.st"): $(cat "$D/track.out" "$D/track.err")"; fi
import json, sys
j = json.load(open(sys.argv[1]))
bad = int(sys.argv[2])
hits = [m["attributes"] for m in j["data"] if bad in m["attributes"]["mid"]]
assert j["meta"]["totalCount"] == 1 and len(hits) == 1, j
a = hits[0]
assert a["messageID"][str(bad)] == "<bad.1@outside.test>", a["messageID"]
done = {(r["mailbox"], r["status"]) for r in a["remediation"]}
assert ("alice@example.com", "ok") in done and ("bob@example.com", "ok") in done, a["remediation"]
assert all(r["trigger"] == "ETD verdict" for r in a["remediation"]), a["remediation"]
PYEOF

# an operator's remediate of mail to a domain no profile serves
O=$(send "<other.1@outside.test>" "elsewhere" carol@other.test)
# journaled: the copy is durable, with its rows, once this line is written
wait_for 30 grep -q "TDC: MID [0-9]* with Message-ID '<other.1@outside.test>' enqueued" "$LOG"
"$MXSH" -D "$D" -c "remediate $O action=delete" >"$D/op.out" 2>&1
t_check operator_no_profile wait_for 30 grep -q "TDC: MID $O remediation [0-9]*: no remediation profile serves mailbox carol@other.test (operator " "$LOG"

# a message that was never journaled (journaling off for it): the engine
# finds its recipients and Message-ID in the mail log
mxsh_do "$D" "policyconfig incoming edit DEFAULT tdc=no" "commit no journal" >"$D/nojournal.out" 2>&1 ||
	t_fail nojournal_setup "$(cat "$D/nojournal.out")"
L=$(send "<late.1@outside.test>" "not journaled" alice@example.com)
t_check late_delivered wait_for 60 dovecot_has alice@example.com "<late.1@outside.test>"
t_check late_not_journaled sh -c "! grep -q \"Message-ID '<late.1@outside.test>' enqueued for delivery to Message Intake\" '$LOG'"
"$MXSH" -D "$D" -c "remediate $L action=delete" >"$D/op2.out" 2>&1
late_gone() { ! dovecot_has alice@example.com "<late.1@outside.test>"; }
t_check maillog_fallback_deleted wait_for 60 late_gone
t_check maillog_fallback_logged grep -q "TDC: MID $L remediation [0-9]*: deleted from mailbox alice@example.com (operator " "$LOG"
t_check good_still_there dovecot_has alice@example.com "<good.1@outside.test>"

t_check standin_no_bad sh -c "! grep -q '^BAD' '$SLOG'"
gw_stop "$D" || t_fail clean_exit "mxgated exited non-zero"
bridge_stop
dovecot_stop
t_done
