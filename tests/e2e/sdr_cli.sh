#!/bin/sh
# sdr_cli.sh - the Sender Domain Reputation commands end to end, with the
# files and the daemon the CLI transcripts cannot have:
#   without mxgated: sdrstatus -d says what the local table holds and that
#   blocklists and RDAP were not asked; sdrupdate fails and says why;
#   `local import` of a real CSV file (BOM, comments, quotes, CRLF) and of
#   one with a bad line (named, nothing staged); rdap_bootstrap= of a real
#   dns.json and of a file that is not one; `local export` never writes
#   through a symbolic link planted under the data directory;
#   with mxgated (dnsmasq serving a blocklist zone, tests/e2e/sdr_servers.py
#   serving RDAP and a TAXII collection, all on 127.0.0.1): sdrstatus -d
#   shows what the blocklist and RDAP said and leaves no state row behind,
#   sdrstatus shows the daemon's counters, and sdrupdate makes mxgated
#   poll the feed at once (the interval is a week), which sdrstatus shows.
#
# Every wait is for an event, with a ceiling; no fixed sleeps.
. "$(dirname "$0")/lib.subr"

D=$(t_dir sdr_cli)
W=$D/work
mkdir -p "$W"

# ---------------------------------------------------------- without mxgated

mxsh_do "$D" "sdradvancedconfig local add evil.test Awful/Spam" \
	"sdradvancedconfig feed new f1 url=http://127.0.0.1:9/api/collections/c1/objects/" \
	"commit local table" >"$W/setup.out" 2>&1 ||
	t_fail setup "mxsh setup failed: $(cat "$W/setup.out")"

"$MXSH" -D "$D" -c 'sdrstatus -d Evil.Test' >"$W/explain.out" 2>&1
rc=$?
if [ $rc = 0 ] && grep -q '^local table: Awful, Threat Category: Spam$' "$W/explain.out" &&
    grep -q '^mxgated is not running: DNS blocklists and RDAP were not asked$' "$W/explain.out"; then
	t_pass "$T_NAME/explain_offline"
else
	t_fail "$T_NAME/explain_offline" "exit $rc: $(cat "$W/explain.out")"
fi

"$MXSH" -D "$D" -c 'sdrupdate' >"$W/update.out" 2>&1
rc=$?
if [ $rc = 1 ] && grep -q '^mxgated is not running' "$W/update.out" &&
    ! grep -q '^Requesting update' "$W/update.out"; then
	t_pass "$T_NAME/update_offline"
else
	t_fail "$T_NAME/update_offline" "exit $rc: $(cat "$W/update.out")"
fi

# a CSV file as spreadsheets write it: BOM, CRLF, a comment, a blank line, quotes
printf '\357\273\277# domain,verdict,category\r\nbad.test,Poor,Malware\r\n\r\n"quoted.test","awful","Phishing"\r\nevil.test,Good\r\n' \
	>"$W/good.csv"
"$MXSH" -D "$D" -c "sdradvancedconfig local import $W/good.csv" \
	-c 'sdradvancedconfig local print' -c 'commit import' >"$W/import.out" 2>&1
rc=$?
if [ $rc = 0 ] &&
    grep -q '^Imported 3 entries from .*: 2 new, 1 changed, 0 unchanged\.$' "$W/import.out" &&
    grep -Eq '^quoted\.test +Awful +Phishing$' "$W/import.out" &&
    grep -Eq '^evil\.test +Good +N/A$' "$W/import.out"; then
	t_pass "$T_NAME/import_csv"
else
	t_fail "$T_NAME/import_csv" "exit $rc: $(cat "$W/import.out")"
fi

# line 4 is bad: named, and nothing of lines 1-3 is staged
printf 'one.test,Poor\ntwo.test,Weak\n# fine so far\nthree.test,Dreadful\nfour.test,Good\n' >"$W/bad.csv"
"$MXSH" -D "$D" -c "sdradvancedconfig local import $W/bad.csv" >"$W/bad.out" 2>&1
rc=$?
"$MXSH" -D "$D" -c "sdradvancedconfig local import $W/bad.csv" -c showchanges \
	>"$W/bad2.out" 2>&1
if [ $rc = 1 ] &&
    [ "$(cat "$W/bad.out")" = 'line 4: verdict "Dreadful" is not one of Awful, Poor, Tainted, Weak, Unknown, Neutral, Good' ] &&
    grep -q '^No changes have been made' "$W/bad2.out"; then
	t_pass "$T_NAME/import_bad_line"
else
	t_fail "$T_NAME/import_bad_line" "exit $rc: $(cat "$W/bad.out" "$W/bad2.out")"
fi

# an RDAP bootstrap file (RFC 9224), then a JSON file that is not one
cat >"$W/dns.json" <<'EOF'
{"version": "1.0", "publication": "2026-01-01T00:00:00Z",
 "services": [[["test", "example"], ["http://127.0.0.1:9/rdap/"]]]}
EOF
printf '{"version": "1.0"}\n' >"$W/notboot.json"
"$MXSH" -D "$D" -c "sdradvancedconfig rdap_bootstrap=$W/dns.json" -c showchanges \
	-c 'sdradvancedconfig print' >"$W/boot.out" 2>&1
rc=$?
"$MXSH" -D "$D" -c "sdradvancedconfig rdap_bootstrap=$W/notboot.json" -c showchanges \
	>"$W/notboot.out" 2>&1
rc2=$?
if [ $rc = 0 ] && grep -q '^  + setting sdr.rdap_bootstrap = ' "$W/boot.out" &&
    grep -Eq '^RDAP bootstrap file: +imported \(' "$W/boot.out" && [ $rc2 = 1 ] &&
    grep -q "^Invalid rdap_bootstrap '$W/notboot.json': .*(an RFC 9224 dns.json file is needed)\.$" \
	"$W/notboot.out" &&
    grep -q '^No changes have been made' "$W/notboot.out"; then
	t_pass "$T_NAME/rdap_bootstrap"
else
	t_fail "$T_NAME/rdap_bootstrap" "exit $rc/$rc2: $(cat "$W/boot.out" "$W/notboot.out")"
fi

# export: a symbolic link planted as the file is neither written through
# nor (without force) replaced; force replaces the link itself
mkdir -p "$D/configuration"
chown "$(stat -c %u:%g "$D")" "$D/configuration"	# the data directory's owner's, as mxsh makes it
echo "precious" >"$W/victim"
ln -s "$W/victim" "$D/configuration/link.csv"
"$MXSH" -D "$D" -c 'sdradvancedconfig local export link.csv' >"$W/exp1.out" 2>&1
rc=$?
"$MXSH" -D "$D" -c 'sdradvancedconfig local export link.csv force' >"$W/exp2.out" 2>&1
rc2=$?
if [ $rc = 1 ] && grep -q 'exists: add force to replace it\.$' "$W/exp1.out" && [ $rc2 = 0 ] &&
    [ "$(cat "$W/victim")" = precious ] && [ ! -L "$D/configuration/link.csv" ] &&
    grep -q '^quoted\.test,Awful,Phishing$' "$D/configuration/link.csv" &&
    [ -z "$(find "$D/configuration" -name '.*tmp')" ]; then
	t_pass "$T_NAME/export_no_links"
else
	t_fail "$T_NAME/export_no_links" "exit $rc/$rc2: $(cat "$W/exp1.out" "$W/exp2.out" "$W/victim")"
fi

# ---------------------------------------------------------- with mxgated

DNS=$(free_port)
HTTP=$(free_port)
SMTP=$(free_port)

/usr/sbin/dnsmasq --conf-file=/dev/null --keep-in-foreground --no-resolv --no-hosts \
	--no-poll --pid-file= --log-facility=- --bind-interfaces --listen-address=127.0.0.1 \
	--local=/test/ --port="$DNS" --host-record=listed.test.dbl.test,127.0.1.2 \
	>"$W/dnsmasq.log" 2>&1 &
T_PIDS="$T_PIDS $!"

cat >"$W/collection-c1.json" <<'EOF'
[{"date_added": "2026-01-01T00:00:00.000Z",
  "object": {"type": "indicator", "spec_version": "2.1",
             "id": "indicator--11111111-1111-4111-8111-111111111111",
             "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
             "pattern": "[domain-name:value = 'feed1.test']", "pattern_type": "stix",
             "valid_from": "2026-01-01T00:00:00Z", "indicator_types": ["malicious-activity"]}}]
EOF
$PY "$(dirname "$0")/sdr_servers.py" --port "$HTTP" --dir "$W" >"$W/servers.out" 2>&1 &
T_PIDS="$T_PIDS $!"
wait_for 10 grep -q ready "$W/servers.out" || t_fail "$T_NAME/setup" "sdr_servers.py did not start"

mxsh_do "$D" "listenerconfig new In ip=127.0.0.1 port=$SMTP type=public domains=@example.test" \
	"dnsconfig servers=127.0.0.1:$DNS timeout=2" \
	"sdrconfig domainreputation enable" \
	"sdradvancedconfig rdap_bootstrap= rdap_url=http://127.0.0.1:$HTTP/rdap/ feed_interval=604800" \
	"sdradvancedconfig blocklist new dbl.test codes=127.0.1.2:Awful/Spam" \
	"sdradvancedconfig feed delete f1" \
	"sdradvancedconfig feed new f1 url=http://127.0.0.1:$HTTP/api/collections/c1/objects/" \
	"commit sdr sources" >"$W/setup2.out" 2>&1 ||
	t_fail "$T_NAME/setup" "mxsh setup failed: $(cat "$W/setup2.out")"
gw_start "$D"
if ! wait_port "$SMTP" 15; then
	t_fail "$T_NAME/daemon" "mxgated did not start: $(cat "$D/mxgated.out")"
	t_done
fi

# sdrstatus_feed N - sdrstatus shows N indicators stored for the feed
sdrstatus_feed() {
	"$MXSH" -D "$D" -c sdrstatus 2>/dev/null | grep -Eq "^    Indicators stored: +$1\$"
}

# the feed added is polled once at start: one indicator
if wait_for 20 sdrstatus_feed 1; then
	t_pass "$T_NAME/feed_first_poll"
else
	t_fail "$T_NAME/feed_first_poll" "$("$MXSH" -D "$D" -c sdrstatus 2>&1)"
fi

# explain: the blocklist listed it, RDAP was asked; no state row left behind
"$MXSH" -D "$D" -c 'sdrstatus -d listed.test' >"$W/explain2.out" 2>&1
rc=$?
left=$(sqlite3 "$D/queue.db" "SELECT count(*) FROM state WHERE name LIKE 'sdr.explain.%'")
if [ $rc = 0 ] && grep -q '^Domain: listed\.test$' "$W/explain2.out" &&
    grep -q 'dbl\.test' "$W/explain2.out" && grep -q 'Awful' "$W/explain2.out" &&
    ! grep -q 'were not asked' "$W/explain2.out" && [ "$left" = 0 ]; then
	t_pass "$T_NAME/explain_running"
else
	t_fail "$T_NAME/explain_running" "exit $rc, $left rows left: $(cat "$W/explain2.out")"
fi
if grep -q 'GET /rdap/domain/listed.test ' "$W/requests.log" 2>/dev/null; then
	t_pass "$T_NAME/explain_asks_rdap"
else
	t_fail "$T_NAME/explain_asks_rdap" "no RDAP query in $(cat "$W/requests.log" 2>&1)"
fi

"$MXSH" -D "$D" -c 'sdrstatus' >"$W/status.out" 2>&1
rc=$?
if [ $rc = 0 ] && grep -Eq '^Lookups: +[0-9]+$' "$W/status.out" &&
    grep -Eq '^Cached answers: +[0-9]+$' "$W/status.out" &&
    ! grep -q 'not running' "$W/status.out"; then
	t_pass "$T_NAME/status_running"
else
	t_fail "$T_NAME/status_running" "exit $rc: $(cat "$W/status.out")"
fi

# a second indicator in the collection: only sdrupdate brings it now
cat >"$W/collection-c1.json.new" <<'EOF'
[{"date_added": "2026-01-01T00:00:00.000Z",
  "object": {"type": "indicator", "spec_version": "2.1",
             "id": "indicator--11111111-1111-4111-8111-111111111111",
             "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
             "pattern": "[domain-name:value = 'feed1.test']", "pattern_type": "stix",
             "valid_from": "2026-01-01T00:00:00Z", "indicator_types": ["malicious-activity"]}},
 {"date_added": "2026-01-02T00:00:00.000Z",
  "object": {"type": "indicator", "spec_version": "2.1",
             "id": "indicator--22222222-2222-4222-8222-222222222222",
             "created": "2026-01-02T00:00:00.000Z", "modified": "2026-01-02T00:00:00.000Z",
             "pattern": "[domain-name:value = 'feed2.test']", "pattern_type": "stix",
             "valid_from": "2026-01-02T00:00:00Z", "indicator_types": ["malicious-activity"]}}]
EOF
mv "$W/collection-c1.json.new" "$W/collection-c1.json"
"$MXSH" -D "$D" -c 'sdrupdate' >"$W/update2.out" 2>&1
rc=$?
if [ $rc = 0 ] && head -1 "$W/update2.out" | grep -q '^Requesting update of the external threat feeds\.$' &&
    wait_for 20 sdrstatus_feed 2; then
	t_pass "$T_NAME/update_running"
else
	t_fail "$T_NAME/update_running" "exit $rc: $(cat "$W/update2.out"; "$MXSH" -D "$D" -c sdrstatus 2>&1)"
fi

# what the feed stored is what explain reports for its domain
"$MXSH" -D "$D" -c 'sdrdiagnostics explain feed2.test' >"$W/explain3.out" 2>&1
rc=$?
if [ $rc = 0 ] && grep -q 'f1' "$W/explain3.out" && grep -q 'Awful' "$W/explain3.out"; then
	t_pass "$T_NAME/explain_feed"
else
	t_fail "$T_NAME/explain_feed" "exit $rc: $(cat "$W/explain3.out")"
fi

gw_stop "$D"

# mxgated stopped: the indicators it stored are what the shell reads itself
"$MXSH" -D "$D" -c 'sdrstatus -d feed2.test' >"$W/explain4.out" 2>&1
rc=$?
if [ $rc = 0 ] &&
    grep -q '^feed f1: Awful, Threat Category: Threat Feed (indicator--22222222-2222-4222-8222-222222222222)$' \
	"$W/explain4.out" &&
    grep -q '^mxgated is not running: DNS blocklists and RDAP were not asked$' "$W/explain4.out"; then
	t_pass "$T_NAME/explain_offline_feed"
else
	t_fail "$T_NAME/explain_offline_feed" "exit $rc: $(cat "$W/explain4.out")"
fi
t_done
