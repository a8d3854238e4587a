#!/bin/sh
# sdr_mail.sh - Sender Domain Reputation, message and content filters and
# quarantines on the mail path of a real mxgated (issue 10):
#   dnsmasq serves a DNS domain blocklist zone (dbl.test) and a DNS list of
#   client IPs (ip.test); tests/e2e/sdr_servers.py serves RDAP (domain ages)
#   and a TAXII 2.1 collection; tests/e2e/intake.py is the Threat Defense
#   intake (STARTTLS, a test CA made here); smtp-sink takes delivered mail.
# Cases: the seed's rule drops an Awful sender (blocklist) and mail_logs
# shows its verdict; a young domain (RDAP) is quarantined by sdr-age,
# survives kill -9, is released, delivered and journaled; a Weak domain
# (local table) gets a warning tag in its subject from a content filter;
# a domain on the global exception list passes untouched, and with
# "match on envelope-from only" the same message does not; a per-rule
# exception list; a TAXII-fed domain gets its verdict after sdrupdate;
# dnslist(); an unscannable message; no journal copy for dropped or
# quarantined mail; findevent -m shows the SDR lines of a message.
. "$(dirname "$0")/lib.subr"

D=$(t_dir sdr_mail)
K=$D.keys
P=$(free_port)
S=$(free_port)
I=$(free_port)
H=$(free_port)
SINK=$D.sink
IN=$D.intake
SRV=$D.servers
mkdir -p "$K" "$IN" "$SRV"
LOG=$D/logs/mail_logs/mail.current

# ---------------------------------------------------------------- DNS
dnsmasq=/usr/sbin/dnsmasq
[ -x "$dnsmasq" ] || { t_fail setup "$dnsmasq missing (apt-get install dnsmasq-base)"; t_done; }
dns_start() {	# PORT
	"$dnsmasq" --conf-file=/dev/null --keep-in-foreground --no-resolv --no-hosts \
		--no-poll --pid-file= --log-facility=- --bind-interfaces \
		--listen-address=127.0.0.1 --local=/test/ --port="$1" \
		--host-record=awful.test.dbl.test,127.0.1.2 \
		--host-record=poor.test.dbl.test,127.0.1.3 \
		--host-record=partner.test.dbl.test,127.0.1.2 \
		--host-record=refused.test.dbl.test,127.255.255.254 \
		--host-record=1.0.0.127.ip.test,127.0.0.2 \
		>"$D.dnsmasq.log" 2>&1 &
	DNSPID=$!
}
DNSPORT=
for attempt in 1 2 3 4 5; do
	p=$(free_port)
	dns_start "$p"
	if wait_for 10 sh -c "kill -0 $DNSPID && grep -q 'started' '$D.dnsmasq.log'"; then
		DNSPORT=$p
		T_PIDS="$T_PIDS $DNSPID"
		break
	fi
	kill "$DNSPID" 2>/dev/null
	wait "$DNSPID" 2>/dev/null
done
[ -n "$DNSPORT" ] || { t_fail setup "dnsmasq did not start: $(tail -3 "$D.dnsmasq.log")"; t_done; }

# ---------------------------------------------------------------- RDAP, TAXII
echo '[]' >"$SRV/collection-c1.json"
$PY "$(dirname "$0")/sdr_servers.py" --port "$H" --dir "$SRV" >"$D.servers.out" 2>&1 &
T_PIDS="$T_PIDS $!"
wait_port "$H" 10 || { t_fail setup "sdr_servers.py did not start: $(cat "$D.servers.out")"; t_done; }

# ---------------------------------------------------------------- intake
t_ca "$K" && t_cert "$K" intake.test "DNS:intake.test,IP:127.0.0.1" ||
	{ t_fail setup "openssl could not make the test CA"; t_done; }
echo '{"mode": "accept"}' >"$D.control.json"
$PY "$(dirname "$0")/intake.py" --port "$I" --cert "$K/intake.test.pem" \
	--key "$K/intake.test.key" --dir "$IN" --control "$D.control.json" --events "$D.events" \
	>"$D.intake.out" 2>&1 &
T_PIDS="$T_PIDS $!"
wait_port "$I" 10 || { t_fail setup "intake.py did not start: $(cat "$D.intake.out")"; t_done; }
sink_start "$S" "$SINK" || { t_fail setup "smtp-sink did not start"; t_done; }

# ---------------------------------------------------------------- gateway
cat >"$D/filters.txt" <<'EOF'
sdr_block: if sdr-reputation(['awful', 'poor'], "") { log-entry("SDR_Verdict_matched_Awful_Poor"); drop(); }
sdr_young: if sdr-age("days", <=, 5, "") { quarantine("Policy"); }
sdr_none: if sdr-unscannable("") { log-entry("SDR unscannable"); }
listed_ip: if dnslist('ip.test') AND subject == "dnslist" { log-entry("client listed in ip.test"); }
keepcopy: if subject == "^keep copy$" { duplicate-quarantine("Policy"); }
EOF
cat >"$D/cfilter.txt" <<'EOF'
sdr_warn: if sdr-reputation(['tainted', 'weak'], "") { edit-header-text('Subject', '(.*)', '[SUSPICIOUS SENDER] \1'); log-entry("SDR weak sender tagged"); }
.
EOF
mxsh_do "$D" \
	"listenerconfig new IncomingMail ip=127.0.0.1 port=$P type=public domains=@example.test" \
	"smtproutes new example.test 127.0.0.1:$S" \
	"smtproutes new intake.test 127.0.0.1:$I" \
	"dnsconfig servers=127.0.0.1:$DNSPORT" \
	"certconfig cafile $K/ca.pem" \
	"tdcconfig setup enable=yes intake_address=journal@intake.test" \
	"policyconfig incoming edit DEFAULT tdc=global" \
	"sdrconfig domainreputation enable" \
	"sdradvancedconfig timeout=2" \
	"sdradvancedconfig blocklist new dbl.test codes=127.0.1.2:Awful/Spam,127.0.1.3:Poor/Malware" \
	"sdradvancedconfig rdap_url=http://127.0.0.1:$H/rdap/" \
	"sdradvancedconfig feed new feed1 url=http://127.0.0.1:$H/api/collections/c1/objects/" \
	"sdradvancedconfig local add weak.test Weak/Spam" \
	"addresslistconfig new trusted domains=@partner.test" \
	"sdradvancedconfig exception_list=trusted" \
	"filters import $D/filters.txt" \
	"commit e2e sdr" >"$D/setup.out" 2>&1 ||
	{ t_fail setup "mxsh setup failed: $(cat "$D/setup.out")"; t_done; }
"$MXSH" -D "$D" -e -c "contentfilters new" -c "policyconfig incoming edit DEFAULT content_filters=sdr_warn" \
	-c "commit e2e content filter" <"$D/cfilter.txt" >"$D/setup2.out" 2>&1 ||
	{ t_fail setup "content filter setup failed: $(cat "$D/setup2.out")"; t_done; }
gw_start "$D"
wait_port "$P" 10 || { t_fail setup "mxgated did not listen: $(cat "$D/mxgated.out")"; t_done; }

# send FROM SUBJECT [HELO] - one message (From: is FROM too); prints its MID
N=0
send() {
	N=$((N + 1))
	swaks --server 127.0.0.1:$P --from "$1" --to "user@example.test" --helo "${3:-client.example.net}" \
		--header "Subject: $2" >"$D/swaks.$N" 2>&1
	sed -n 's/.*250 2.0.0 Ok: Message \([0-9]*\) accepted.*/\1/p' "$D/swaks.$N" | head -1
}
has() { grep -Eq "$1" "$LOG"; }
delivered() { grep -l "Subject: .*$1" "$SINK"/* 2>/dev/null | head -1; }
journaled() { grep -l "Subject: .*$1" "$IN"/msg.*.eml 2>/dev/null | head -1; }
# settled MID - every line of the message's fate is in the log
settled() {
	wait_for 30 grep -Eq "MID $1 (queued for delivery|Dropped by|quarantined to)" "$LOG"
}

# ------------------------------------------------ the seed's example: an Awful sender
M1=$(send someone@awful.test "seed example")
settled "$M1"
t_check awful_domains_line has "MID $M1 SDR: Domains for which SDR is requested: reverse DNS host: Not Present, helo: client.example.net, env-from: awful.test, header-from: awful.test, reply-to: Not Present"
t_check awful_verdict has "MID $M1 SDR: Consolidated Sender Reputation: Awful, Threat Category: Spam, Suspected Domain\(s\) : awful.test. Youngest Domain Age: unknown for domain: awful.test\$"
t_check awful_tracker has "MID $M1 SDR: Tracker Header : [A-Za-z0-9_-]+"
t_check awful_custom_log has "MID $M1 Custom Log Entry: SDR_Verdict_matched_Awful_Poor"
t_check awful_dropped has "MID $M1 Dropped by filter 'sdr_block'"
"$MXSH" -D "$D" -c 'grep "SDR: Consolidated Sender Reputation: Awful" mail_logs' >"$D/grep.out" 2>&1
t_check awful_grep grep -q "MID $M1 SDR: Consolidated Sender Reputation: Awful" "$D/grep.out"
"$MXSH" -D "$D" -c "findevent -m $M1 mail_logs" >"$D/findevent.out" 2>&1
t_check findevent_sdr grep -q "MID $M1 SDR: Tracker Header" "$D/findevent.out"
t_check findevent_dropped grep -q "MID $M1 Dropped by filter 'sdr_block'" "$D/findevent.out"
# the tracker token decodes to what the blocklist said
TOKEN=$(sed -n "s/.*MID $M1 SDR: Tracker Header : //p" "$LOG" | head -1)
"$MXSH" -D "$D" -c "sdrdiagnostics decode $TOKEN" >"$D/decode.out" 2>&1
t_check tracker_decodes grep -q "127.0.1.2" "$D/decode.out"

M2=$(send someone@poor.test "poor sender")
settled "$M2"
t_check poor_verdict has "MID $M2 SDR: Consolidated Sender Reputation: Poor, Threat Category: Malware"
t_check poor_dropped has "MID $M2 Dropped by filter 'sdr_block'"

# a refusal code of the list is no listing
M3=$(send someone@refused.test "refused code")
settled "$M3"
t_check refused_not_listed sh -c "! grep -q 'MID $M3 Dropped' '$LOG'"
t_check refused_delivered wait_for 20 sh -c "grep -q 'Subject: refused code' '$SINK'/*"

# ------------------------------------------------ a young domain: quarantined, kill -9, released
M4=$(send someone@young.test "young domain")
settled "$M4"
t_check young_verdict has "MID $M4 SDR: Consolidated Sender Reputation: [A-Za-z]+, .*Youngest Domain Age: 3 days for domain: young.test"
t_check young_quarantined has "MID $M4 quarantined to \"Policy\" \(message filter:sdr_young\)\$"
"$MXSH" -D "$D" -c "showquarantine Policy" >"$D/showq.out" 2>&1
t_check young_listed grep -q "^$M4 .*someone@young.test.*young domain" "$D/showq.out"
"$MXSH" -D "$D" -c status >"$D/status.out" 2>&1
t_check status_counts_quarantine grep -Eq "Messages In Quarantine +1$" "$D/status.out"
# kill -9: the quarantined message is durable
kill -9 "$(cat "$D/gw.pid")" 2>/dev/null
wait "$(cat "$D/gw.pid")" 2>/dev/null
rm -f "$D/gw.pid"
gw_start "$D"
wait_port "$P" 10 || t_fail restart "mxgated did not listen again: $(tail -3 "$D/mxgated.out")"
"$MXSH" -D "$D" -c "showquarantine Policy" >"$D/showq2.out" 2>&1
t_check young_survives_kill9 grep -q "^$M4 .*young domain" "$D/showq2.out"
t_check young_not_delivered sh -c "! grep -qs 'Subject: young domain' '$SINK'/*"
t_check young_not_journaled sh -c "! grep -qs 'young domain' '$IN'/msg.*.eml"
"$MXSH" -D "$D" -c "releasequarantine Policy $M4" >"$D/release.out" 2>&1
t_check release_says grep -q "MID $M4 released from quarantine \"Policy\"" "$D/release.out"
t_check released_delivered wait_for 20 sh -c "grep -qs 'Subject: young domain' '$SINK'/*"
t_check released_journaled wait_for 20 sh -c "grep -qs 'young domain' '$IN'/msg.*.eml"
t_check release_logged has "MID $M4 released from quarantine \"Policy\" \(manual release\)\$"
t_check release_logged_all has "MID $M4 released from all quarantines\$"
"$MXSH" -D "$D" -c "showquarantine Policy" >"$D/showq3.out" 2>&1
t_check release_empties sh -c "! grep -q '^$M4 ' '$D/showq3.out'"

# ------------------------------------------------ a Weak domain (local table): tagged by a content filter
M5=$(send someone@weak.test "weak sender")
settled "$M5"
t_check weak_verdict has "MID $M5 SDR: Consolidated Sender Reputation: Weak, Threat Category: Spam"
t_check weak_tagged wait_for 20 sh -c "grep -qsx 'Subject: \[SUSPICIOUS SENDER\] weak sender' '$SINK'/*"
t_check weak_logged has "MID $M5 Custom Log Entry: SDR weak sender tagged"

# ------------------------------------------------ exception lists
# partner.test is listed Awful, but is on the global exception list: untouched
M6=$(send someone@partner.test "partner mail")
settled "$M6"
t_check exception_skips has "MID $M6 SDR: skipped: a domain of the message is on the domain exception list trusted"
t_check exception_delivered wait_for 20 sh -c "grep -qs 'Subject: partner mail' '$SINK'/*"
t_check exception_untouched sh -c "! grep -q 'MID $M6 SDR: Consolidated' '$LOG'"
# any of the domains matches by default: the HELO is the partner's, the sender awful
M7=$(send someone@awful.test "helo partner" partner.test)
settled "$M7"
t_check exception_any_domain sh -c "! grep -q 'MID $M7 Dropped' '$LOG'"
# with envelope-from only, the HELO no longer counts: dropped
mxsh_do "$D" "sdradvancedconfig exception_envfrom_only=yes" "commit envfrom only" >/dev/null 2>&1
wait_for 10 grep -q "Configuration changed" "$LOG"
M8=$(send someone@awful.test "helo partner again" partner.test)
settled "$M8"
t_check exception_envfrom_only has "MID $M8 Dropped by filter 'sdr_block'"

# ------------------------------------------------ a TAXII-fed domain after sdrupdate
M9=$(send someone@feed.test "before feed")
settled "$M9"
t_check feed_before sh -c "! grep -q 'MID $M9 Dropped' '$LOG'"
cat >"$SRV/collection-c1.json" <<EOF
[{"date_added": "2026-01-01T00:00:00.000Z", "object": {"type": "indicator", "spec_version": "2.1",
  "id": "indicator--7a4d6a35-3f2b-4a63-9c1a-0d1e2f3a4b5c", "created": "2026-01-01T00:00:00.000Z",
  "modified": "2026-01-01T00:00:00.000Z", "indicator_types": ["malicious-activity"],
  "pattern": "[domain-name:value = 'feed.test']", "pattern_type": "stix",
  "valid_from": "2026-01-01T00:00:00Z", "confidence": 90}}]
EOF
"$MXSH" -D "$D" -c "sdrupdate" >"$D/sdrupdate.out" 2>&1
t_check sdrupdate_says grep -q "Requesting update of the external threat feeds." "$D/sdrupdate.out"
t_check feed_polled wait_for 20 grep -q "SDR: external threat feed feed1: 1 indicators added" "$LOG"
M10=$(send someone@feed.test "after feed")
settled "$M10"
t_check feed_verdict has "MID $M10 SDR: Consolidated Sender Reputation: Awful"
t_check feed_dropped has "MID $M10 Dropped by filter 'sdr_block'"

# ------------------------------------------------ dnslist() on the client's address
M11=$(send someone@old.test "dnslist")
settled "$M11"
t_check dnslist_listed has "MID $M11 Custom Log Entry: client listed in ip.test"

# ------------------------------------------------ unscannable: RDAP too slow, DNS not answering
mxsh_do "$D" "dnsconfig servers=127.0.0.1:$(dead_port)" "commit no dns" >/dev/null 2>&1
wait_for 10 sh -c "[ \$(grep -c 'Configuration changed' '$LOG') -ge 2 ]"
# (a HELO of its own: the earlier answers about client.example.net are cached)
M12=$(send someone@slow9.test "unscannable" slow9.test)
settled "$M12"
t_check unscannable_line has "MID $M12 SDR: Unscannable"
t_check unscannable_rule has "MID $M12 Custom Log Entry: SDR unscannable"
t_check unscannable_delivered wait_for 20 sh -c "grep -qs 'Subject: unscannable' '$SINK'/*"

# a client that leaves while its message waits for the lookups: nothing is queued
$PY - "$P" >"$D/leave.out" 2>&1 <<'PYEOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 10)
f = s.makefile("rb")
def rd():
    while True:
        l = f.readline()
        if l[3:4] != b"-":
            return l
rd()
for c in (b"EHLO slow9.test", b"MAIL FROM:<leaver@slow9.test>", b"RCPT TO:<user@example.test>", b"DATA"):
    s.sendall(c + b"\r\n"); rd()
s.sendall(b"Subject: left early\r\nFrom: leaver@slow9.test\r\n\r\nbye\r\n.\r\n")
s.close()
PYEOF
t_check leaver_aborted wait_for 20 grep -q "Message aborted MID [0-9]* Receiving aborted: the client left while its reputation was looked up" "$LOG"
t_check leaver_not_queued sh -c "! grep -q 'accepted, but the client left before the reply' '$LOG'"

# ------------------------------------------------ a duplicate kept: its release is not journaled again
M13=$(send someone@old.test "keep copy" old.test)
settled "$M13"
DUP=$(sed -n 's/.*MID \([0-9]*\) quarantined to "Policy" (message filter:keepcopy)$/\1/p' "$LOG" | head -1)
t_check dup_original_journaled wait_for 20 sh -c "grep -qs 'Subject: keep copy' '$IN'/msg.*.eml"
"$MXSH" -D "$D" -c "releasequarantine Policy $DUP" >"$D/release2.out" 2>&1
t_check dup_released wait_for 20 sh -c "[ \$(grep -ls '^Subject: keep copy' '$SINK'/* | wc -l) -eq 2 ]"
wait_for 10 grep -q "MID $DUP queued for delivery" "$LOG"
t_check dup_not_journaled_twice sh -c "! grep -q 'TDC: MID [0-9]* was generated based on MID $DUP ' '$LOG'"

# ------------------------------------------------ journaling: only mail still to be delivered
# journaled: refused code, released young, weak, partner, helo partner, before feed, dnslist,
# unscannable, keep copy (once)
wait_for 30 sh -c "[ \$(ls '$IN'/msg.*.eml 2>/dev/null | wc -l) -ge 9 ]"
for subj in "seed example" "poor sender" "helo partner again" "after feed"; do
	t_check "not_journaled_$(echo "$subj" | tr ' ' _)" sh -c "! grep -qs 'Subject: $subj' '$IN'/msg.*.eml"
done
t_check journal_count test "$(ls "$IN"/msg.*.eml | wc -l)" -eq 9

gw_stop "$D" || t_fail stop "mxgated did not stop cleanly: $(tail -3 "$D/mxgated.out")"
t_done
