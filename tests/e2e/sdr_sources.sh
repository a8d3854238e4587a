#!/bin/sh
# sdr_sources.sh - Sender Domain Reputation's sources end to end, through
# the real mxgated (daemon/sdrd.c) asked with `sdrstatus -d DOMAIN`
# (request sdrexplain) and `sdrupdate [force]`: a DNS blocklist zone
# served by dnsmasq (every verdict from the zone's codes, the error code
# and unmapped answers as no answer, NXDOMAIN as clean), RDAP for domain
# age from tests/e2e/sdr_servers.py (young, old, no registration event,
# 404, the registered domain of a subdomain, the bootstrap path), the
# cache (one query for two lookups, asked again after sdr.cache_ttl), the
# timeout (an unanswered DNS zone and a slow RDAP server: unscannable
# within sdr.timeout), and a TAXII 2.1 collection (scheduled and requested
# polls, paging, added_after, a revoked indicator, a forced poll, an
# indicator whose valid_from is still to come: no verdict until then, a
# verdict from then on without another poll). Every
# request sdr_servers.py saw is checked to have carried the right Accept.
# All on 127.0.0.1.
. "$(dirname "$0")/lib.subr"

D=$(t_dir sdr_sources)
SRV=$D.srv
HP=$(free_port)
DNSLOG=$D.dnsmasq.log
mkdir -p "$SRV"
BUILD=${BUILD:-$(cd "$(dirname "$MXGATED")" && pwd)}
DNSTOOL=$BUILD/tests/dnstool

# ---------------------------------------------------------------- servers
# a UDP port nobody answers on: dnsmasq forwards hole.test there
HOLE_PORT=$D.hole.port
$PY - "$HOLE_PORT" <<'PYEOF' &
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
open(sys.argv[1] + ".tmp", "w").write("%d\n" % s.getsockname()[1])
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(3600)
PYEOF
T_PIDS="$T_PIDS $!"
wait_for 10 test -s "$HOLE_PORT" || { t_fail setup "no blackhole port"; t_done; }
HOLE=$(cat "$HOLE_PORT")

# dnsmasq, authoritative for test (--local), on a free port checked by a real query
dns_start() {
	/usr/sbin/dnsmasq --conf-file=/dev/null --keep-in-foreground --no-resolv --no-hosts \
		--no-poll --pid-file= --log-queries --log-facility="$DNSLOG" --bind-interfaces \
		--listen-address=127.0.0.1 --local=/test/ --port="$1" \
		--server=/hole.test/127.0.0.1#"$HOLE" \
		--host-record=awful.test.dbl.test,127.0.1.2,300 \
		--host-record=poor.test.dbl.test,127.0.1.3,300 \
		--host-record=tainted.test.dbl.test,127.0.1.4,300 \
		--host-record=weak.test.dbl.test,127.0.1.5,300 \
		--host-record=neutral.test.dbl.test,127.0.1.6,300 \
		--host-record=good.test.dbl.test,127.0.1.7,300 \
		--host-record=multi.test.dbl.test,127.0.1.5,300 \
		--host-record=multi.test.dbl.test,127.0.1.2,300 \
		--host-record=refused.test.dbl.test,127.255.255.254,300 \
		--host-record=unmapped.test.dbl.test,127.0.1.99,300 \
		--host-record=cached.test.dbl.test,127.0.1.3,300 \
		>"$D.dnsmasq.out" 2>&1 &
	DNS_PID=$!
}
DP=
for attempt in 1 2 3 4 5; do
	p=$(( $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 20000 + 40000 ))
	dns_start "$p"
	if wait_for 5 sh -c "'$DNSTOOL' -t 100 -r 1 127.0.0.1:$p addr probe.test >/dev/null 2>&1; [ \$? = 1 ]"; then
		DP=$p
		T_PIDS="$T_PIDS $DNS_PID"
		break
	fi
	kill "$DNS_PID" 2>/dev/null
	wait "$DNS_PID" 2>/dev/null
done
[ -n "$DP" ] || { t_fail setup "dnsmasq did not start: $(tail -3 "$D.dnsmasq.out")"; t_done; }

echo '[]' >"$SRV/collection-c1.json"
$PY "$(dirname "$0")/sdr_servers.py" --port "$HP" --dir "$SRV" --page-size 2 >"$D.srv.out" 2>&1 &
T_PIDS="$T_PIDS $!"
wait_port "$HP" 10 || { t_fail setup "sdr_servers.py did not start: $(cat "$D.srv.out")"; t_done; }

# ---------------------------------------------------------------- gateway
CODES=127.0.1.2:Awful/Spam,127.0.1.3:Poor/Malware,127.0.1.4:Tainted/Phishing,127.0.1.5:Weak,127.0.1.6:Neutral,127.0.1.7:Good
mxsh_do "$D" \
	"dnsconfig servers=127.0.0.1:$DP timeout=15" \
	"sdradvancedconfig blocklist new dbl.test codes=$CODES" \
	"sdradvancedconfig rdap_url=http://127.0.0.1:$HP/rdap/" \
	"sdradvancedconfig timeout=2" \
	"sdradvancedconfig cache_ttl=10" \
	"sdradvancedconfig feed new f1 url=http://127.0.0.1:$HP/api/collections/c1/objects/" \
	"commit e2e sdr sources" >"$D/setup.out" 2>&1 \
	|| { t_fail setup "mxsh setup failed: $(cat "$D/setup.out")"; t_done; }
gw_start "$D"
LOG=$D/logs/mail_logs/mail.current
has() { grep -Fq -- "$1" "$LOG"; }
# the first poll comes by itself, shortly after the start
if wait_for 30 has "SDR: external threat feed f1: 0 indicators added, 0 removed"; then
	t_pass feed_first_poll
else
	t_fail feed_first_poll "no scheduled poll: $(grep SDR "$LOG" | tail -3) $(cat "$D/mxgated.out")"
fi

# explain DOMAIN - sdrstatus -d DOMAIN into $D/x.out
explain() { "$MXSH" -D "$D" -c "sdrstatus -d $1" >"$D/x.out" 2>&1; }
# says NAME TEXT - the last explanation holds the line TEXT (fixed string)
says() {
	if grep -Fqx -- "$2" "$D/x.out"; then t_pass "$1"
	else t_fail "$1" "no line '$2' in: $(tr '\n' '|' <"$D/x.out")"; fi
}
# saysre NAME ERE - the last explanation matches ERE
saysre() {
	if grep -Eq -- "$2" "$D/x.out"; then t_pass "$1"
	else t_fail "$1" "nothing like '$2' in: $(tr '\n' '|' <"$D/x.out")"; fi
}
# requests ERE - how many requests sdr_servers.py logged matching ERE
requests() { grep -Ec -- "$1" "$SRV/requests.log" 2>/dev/null || true; }
# queries NAME - how many A queries dnsmasq logged for NAME
queries() { grep -Fc "query[A] $1 from" "$DNSLOG" 2>/dev/null || true; }

# ---------------------------------------------------------------- blocklist
for v in Awful:Spam:2 Poor:Malware:3 Tainted:Phishing:4 Weak:N/A:5 Neutral:N/A:6 Good:N/A:7; do
	verdict=${v%%:*}
	rest=${v#*:}
	cat=${rest%%:*}
	code=${rest#*:}
	d=$(echo "$verdict" | tr 'A-Z' 'a-z').test
	explain "$d"
	says "blocklist_$verdict" "blocklist dbl.test: $verdict, Threat Category: $cat (127.0.1.$code)"
	saysre "consolidated_$verdict" "^SDR: Consolidated Sender Reputation: $verdict, "
done
explain multi.test
says blocklist_worst_code "blocklist dbl.test: Awful, Threat Category: Spam (127.0.1.2)"
explain refused.test
says blocklist_error_code "blocklist dbl.test: no answer: error code 127.255.255.254 (query refused)"
explain unmapped.test
says blocklist_unmapped "blocklist dbl.test: no answer: answer 127.0.1.99 is not in the zone's codes"
explain clean.test
says blocklist_nxdomain "blocklist dbl.test: not listed (NXDOMAIN)"
saysre nxdomain_neutral "^SDR: Consolidated Sender Reputation: Neutral, "

# ---------------------------------------------------------------- RDAP
explain unknown.test
saysre rdap_404 "^rdap unknown\.test: no registration date known \(HTTP 404\)\$"
explain young.test
saysre rdap_young "^rdap young\.test: registered [0-9]{4}-[0-9]{2}-[0-9]{2}, 3 days old\$"
saysre rdap_youngest "Youngest Domain Age: 3 days for domain: young\.test\$"
explain old.test
saysre rdap_old "^rdap old\.test: registered [0-9-]+, 10 years"
explain noage.test
says rdap_noage "rdap noage.test: no registration date known (no registration event)"
explain mail.young.test
saysre rdap_registered_domain "^rdap young\.test: registered $(date -u -d '3 days ago' +%Y-%m-%d), 3 days old"
t_check rdap_accept test "$(requests '^GET /rdap/domain/young\.test accept=application/rdap\+json status=200$')" -ge 1

# ---------------------------------------------------------------- cache
T0=$(date +%s)
explain cached.test
says cache_first_rdap "rdap cached.test: registered $(date -u -d '10 days ago' +%Y-%m-%d), 10 days old"
says cache_first_dns "blocklist dbl.test: Poor, Threat Category: Malware (127.0.1.3)"
explain cached.test
says cache_hit_rdap "rdap cached.test: registered $(date -u -d '10 days ago' +%Y-%m-%d), 10 days old (from the cache)"
says cache_hit_dns "blocklist dbl.test: Poor, Threat Category: Malware (127.0.1.3) (from the cache)"
t_check cache_one_rdap_request test "$(requests 'domain/cached\.test ')" = 1
t_check cache_one_dns_query test "$(queries cached.test.dbl.test)" = 1
# sdr.cache_ttl is 10 s (dnsmasq's TTL 300): asked again once it has passed
fresh() { explain cached.test && ! grep -q "rdap cached.test.*(from the cache)" "$D/x.out"; }
if wait_for 40 fresh; then
	T1=$(date +%s)
	t_check cache_expiry_after_ttl test $((T1 - T0)) -ge 9
	t_check cache_expiry_rdap_asked_again test "$(requests 'domain/cached\.test ')" = 2
	t_check cache_expiry_dns_asked_again test "$(queries cached.test.dbl.test)" = 2
else
	t_fail cache_expiry "still cached after 40 s: $(tr '\n' '|' <"$D/x.out")"
fi

# ---------------------------------------------------------------- TAXII
# indicator N DOMAIN DATE [extra JSON members [valid_from]] - one collection entry
indicator() {
	printf '{"date_added": "%s", "object": {"type": "indicator", "spec_version": "2.1", "id": "indicator--00000000-0000-4000-8000-00000000000%s", "created": "2024-01-01T00:00:00.000Z", "modified": "%s", "pattern": "[domain-name:value = '"'"'%s'"'"']", "pattern_type": "stix", "valid_from": "%s", "indicator_types": ["malicious-activity"], "labels": ["malware"], "confidence": 90%s}}' \
		"$3" "$1" "$3" "$2" "${5:-2024-01-01T00:00:00Z}" "${4:-}"
}
collection() {	# the entries given, as the collection c1 (rewritten atomically)
	{ printf '['; first=1; for e in "$@"; do [ $first = 1 ] || printf ','; printf '%s\n' "$e"; first=0; done; printf ']\n'; } \
		>"$SRV/c1.tmp" && mv "$SRV/c1.tmp" "$SRV/collection-c1.json"
}
E1=$(indicator 1 evil1.test 2024-01-01T00:00:01.000Z)
E2=$(indicator 2 evil2.test 2024-01-01T00:00:02.000Z)
ID3='{"date_added": "2024-01-01T00:00:03.000Z", "object": {"type": "identity", "spec_version": "2.1", "id": "identity--00000000-0000-4000-8000-000000000003", "name": "not an indicator"}}'
E4=$(indicator 4 evil4.test 2024-01-01T00:00:04.000Z)
E5=$(indicator 5 evil5.test 2024-01-01T00:00:05.000Z)
E6=$(indicator 6 evil6.test 2024-01-01T00:00:06.000Z)
collection "$E1" "$E2" "$ID3" "$E4" "$E5" "$E6"
MARK=$(wc -l <"$SRV/requests.log")
"$MXSH" -D "$D" -c sdrupdate >"$D/update.out" 2>&1 || t_fail sdrupdate "$(cat "$D/update.out")"
if wait_for 30 has "SDR: external threat feed f1: 5 indicators added, 0 removed"; then
	t_pass taxii_ingested
else
	t_fail taxii_ingested "$(grep 'SDR: ' "$LOG" | tail -3)"
fi
tail -n +$((MARK + 1)) "$SRV/requests.log" >"$D/poll1.log"
t_check taxii_three_pages test "$(grep -c '^GET /api/collections/c1/objects/' "$D/poll1.log")" = 3
t_check taxii_page1 grep -Fqx "GET /api/collections/c1/objects/?match%5Btype%5D=indicator accept=application/taxii+json;version=2.1 status=200" "$D/poll1.log"
t_check taxii_page2_next grep -Fq "objects/?match%5Btype%5D=indicator&next=2 accept=" "$D/poll1.log"
t_check taxii_page3_next grep -Fq "objects/?match%5Btype%5D=indicator&next=4 accept=" "$D/poll1.log"
explain evil1.test
says taxii_verdict "feed f1: Awful, Threat Category: Malware (indicator--00000000-0000-4000-8000-000000000001)"
saysre taxii_consolidated "^SDR: Consolidated Sender Reputation: Awful, Threat Category: Malware, Suspected Domain\(s\) : evil1\.test\."
explain evil6.test
says taxii_last_page "feed f1: Awful, Threat Category: Malware (indicator--00000000-0000-4000-8000-000000000006)"

# a new version of indicator 2, revoked: asked with added_after, and removed
E2R=$(indicator 2 evil2.test 2024-01-01T00:00:07.000Z ', "revoked": true')
collection "$E1" "$E2" "$ID3" "$E4" "$E5" "$E6" "$E2R"
MARK=$(wc -l <"$SRV/requests.log")
"$MXSH" -D "$D" -c sdrupdate >"$D/update.out" 2>&1 || t_fail sdrupdate2 "$(cat "$D/update.out")"
if wait_for 30 has "SDR: external threat feed f1: 0 indicators added, 1 removed"; then
	t_pass taxii_revoked_removed
else
	t_fail taxii_revoked_removed "$(grep 'SDR: ' "$LOG" | tail -3)"
fi
tail -n +$((MARK + 1)) "$SRV/requests.log" >"$D/poll2.log"
t_check taxii_added_after grep -Fq "objects/?match%5Btype%5D=indicator&added_after=2024-01-01T00%3A00%3A06.000Z accept=application/taxii+json;version=2.1 status=200" "$D/poll2.log"
t_check taxii_one_page test "$(grep -c '^GET /api/collections/c1/objects/' "$D/poll2.log")" = 1
explain evil2.test
says taxii_revoked_not_listed "feed f1: not listed"
explain evil1.test
says taxii_others_kept "feed f1: Awful, Threat Category: Malware (indicator--00000000-0000-4000-8000-000000000001)"

# forced: from the start (no added_after), the outcome unchanged
MARK=$(wc -l <"$SRV/requests.log")
NFORCE=$(grep -c "indicators added" "$LOG")
"$MXSH" -D "$D" -c "sdrupdate force" >"$D/update.out" 2>&1 || t_fail sdrupdate_force "$(cat "$D/update.out")"
wait_for 30 sh -c "[ \$(grep -c 'indicators added' '$LOG') -gt $NFORCE ]"
t_check taxii_force_outcome sh -c "grep 'SDR: external threat feed f1: ' '$LOG' | tail -1 | grep -q ': 0 indicators added, 0 removed\$'"
tail -n +$((MARK + 1)) "$SRV/requests.log" >"$D/poll3.log"
t_check taxii_force_from_start sh -c "! grep -q added_after '$D/poll3.log' && grep -q '^GET /api/collections/c1/objects/' '$D/poll3.log'"
explain evil2.test
says taxii_force_revoked_stays_out "feed f1: not listed"

# valid_from 20 s from now: stored, no verdict before then, one after without a poll
FROM_T=$(( $(date +%s) + 20 ))
FROM=$(date -u -d "@$FROM_T" +%Y-%m-%dT%H:%M:%SZ)
E7=$(indicator 7 soon.test 2024-01-01T00:00:08.000Z '' "$FROM")
collection "$E1" "$E2" "$ID3" "$E4" "$E5" "$E6" "$E2R" "$E7"
"$MXSH" -D "$D" -c sdrupdate >"$D/update.out" 2>&1 || t_fail sdrupdate_future "$(cat "$D/update.out")"
if wait_for 30 has "SDR: external threat feed f1: 1 indicators added, 0 removed"; then
	t_pass taxii_future_stored
else
	t_fail taxii_future_stored "$(grep 'SDR: ' "$LOG" | tail -3)"
fi
NPOLL=$(requests '^GET /api/collections/c1/objects/')
explain soon.test
if [ "$(date +%s)" -lt "$FROM_T" ]; then
	says taxii_future_not_listed "feed f1: not listed (an indicator counts from $FROM)"
	saysre taxii_future_no_verdict "^SDR: Consolidated Sender Reputation: (Neutral|Unknown), .*Suspected Domain\(s\) : N/A\."
else
	t_fail taxii_future_not_listed "too slow: valid_from $FROM passed before sdrstatus -d"
fi
listed_soon() { explain soon.test && grep -Fqx "feed f1: Awful, Threat Category: Malware (indicator--00000000-0000-4000-8000-000000000007)" "$D/x.out"; }
if wait_for 60 listed_soon; then
	t_check taxii_future_counts_from_valid_from test "$(date +%s)" -ge "$FROM_T"
	saysre taxii_future_verdict "^SDR: Consolidated Sender Reputation: Awful, Threat Category: Malware, Suspected Domain\(s\) : soon\.test\."
	t_check taxii_future_no_repoll test "$(requests '^GET /api/collections/c1/objects/')" = "$NPOLL"
else
	t_fail taxii_future_counts "not listed 60 s later: $(tr '\n' '|' <"$D/x.out")"
fi

# ---------------------------------------------------------------- bootstrap
cat >"$D.dns.json" <<EOF
{"version": "1.0", "publication": "2024-01-01T00:00:00Z", "description": "test",
 "services": [[["test"], ["http://127.0.0.1:$HP/rdap2/"]]]}
EOF
mxsh_do "$D" "sdradvancedconfig rdap_url= rdap_bootstrap=$D.dns.json" "commit bootstrap" \
	>"$D/boot.out" 2>&1 || t_fail bootstrap_setup "$(cat "$D/boot.out")"
explain young2.test
saysre rdap_bootstrap "^rdap young2\.test: registered [0-9-]+, 3 days old\$"
t_check rdap_bootstrap_server test "$(requests '^GET /rdap2/domain/young2\.test accept=application/rdap\+json status=200$')" = 1

# ---------------------------------------------------------------- timeout
# a zone nobody answers for, an RDAP server that takes 12 s: sdr.timeout (2 s) decides
mxsh_do "$D" "sdradvancedconfig blocklist delete dbl.test" \
	"sdradvancedconfig blocklist new hole.test codes=127.0.0.2:Awful" \
	"sdradvancedconfig rdap_url=http://127.0.0.1:$HP/rdap/ rdap_bootstrap=" \
	"commit timeout" >"$D/to.out" 2>&1 || t_fail timeout_setup "$(cat "$D/to.out")"
T0=$(date +%s)
explain slow12.test
T1=$(date +%s)
says timeout_dns "blocklist hole.test: no answer: timeout"
says timeout_rdap "rdap slow12.test: no answer: timeout"
saysre timeout_unscannable "\(unscannable: no source answered\)\$"
t_check timeout_within_limit test $((T1 - T0)) -ge 2 -a $((T1 - T0)) -lt 10

# ---------------------------------------------------------------- a big feed
# 20010 indicators in pages of 1000: a poll stops after 20000 (stored in
# parts), the last 10 come at the poll a few seconds later, none skipped
$PY - "$SRV/collection-big.json" <<'PY'
import json, sys
e = [{"date_added": "2024-02-01T00:00:00.%06dZ" % i,
      "object": {"type": "indicator", "spec_version": "2.1",
                 "id": "indicator--00000000-0000-4000-8000-%012d" % i,
                 "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
                 "pattern": "[domain-name:value = 'big%d.test']" % i, "pattern_type": "stix",
                 "valid_from": "2024-01-01T00:00:00Z", "indicator_types": ["malicious-activity"],
                 "labels": ["malware"], "confidence": 90}} for i in range(20010)]
with open(sys.argv[1], "w") as f:
    json.dump(e, f)
PY
mxsh_do "$D" "sdradvancedconfig feed new big url=http://127.0.0.1:$HP/api/collections/big/objects/" \
	"commit big feed" >"$D/big.out" 2>&1 || t_fail big_setup "$(cat "$D/big.out")"
if wait_for 120 has "SDR: external threat feed big: 20000 indicators added, 0 removed"; then
	t_pass big_poll_cap
else
	t_fail big_poll_cap "no capped poll: $(grep 'feed big' "$LOG" | tail -3)"
fi
if wait_for 60 has "SDR: external threat feed big: 10 indicators added, 0 removed"; then
	t_pass big_poll_rest
else
	t_fail big_poll_rest "the rest did not come: $(grep 'feed big' "$LOG" | tail -3)"
fi
for i in 0 19999 20000 20009; do
	explain "big$i.test"
	saysre "big_listed_$i" "^feed big: [A-Za-z]+, Threat Category: .*\\(indicator--00000000-0000-4000-8000-$(printf %012d $i)\\)\$"
done

# ---------------------------------------------------------------- done
t_check no_wrong_accept test "$(requests 'status=406')" = 0
if gw_stop "$D"; then t_pass clean_stop; else t_fail clean_stop "exit status: $(tail -5 "$D/mxgated.out")"; fi
t_done
