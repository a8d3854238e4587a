#!/bin/sh
# cluster_primary.sh - the ETD API polling primary of a cluster (issue
# 15): three gateways (gwa gwb gwc) on a three-member etcd, the Email
# Threat Defense API on at the cluster level with polling, polled from a
# local stand-in (tests/helpers/etd_standin.py, HTTPS with a test CA made
# here) that records every search with the poller's token and window.
# gwc reaches etcd only through tests/helpers/tcpcut.py proxies, so the
# test can partition it.
#
# Cases: exactly one gateway becomes the primary; tdcstatus and
# clustercheck name it; each verdict the stand-in gives is acted on once
# in the whole cluster (its line counted across the three mail logs);
# kill -9 the primary: another takes over within the lease TTL (the time
# is printed, a loose ceiling asserted) and resumes from the window
# recorded in etcd; a primary pinned to gwc (clusterconfig primary gwc)
# takes over; gwc partitioned from etcd (its proxies swallow everything)
# as it reads a page with verdict u-9: it holds u-9 unclaimed (its
# remediationreport says "held"), says it is no longer the primary, and
# another takes over and acts on u-9; healed, gwc finds u-9 taken and
# drops its held request (acted on once in all); pinned to
# gwb: polling moves to gwb. The cluster's daily count in etcd holds the
# requests of every member; set to the quota, it stops gwb and then gwa
# (pinned) before they ask anything. At the end the stand-in's record shows one
# poller at a time (no two pollers taking turns, no two searches of two
# pollers in flight at once) and no gap between the polled windows, and
# no ETD id was acted on twice.
#
# The verdicts name Message-IDs journaled nowhere: the primary logs
# "TDC: remediation N: ETD verdict V for Message-ID '...' (ETD id ID)
# matches no message journaled here", one line per verdict taken.
. "$(dirname "$0")/lib.subr"
HELP=$(cd "$(dirname "$0")/../helpers" && pwd)
D=$(t_dir cluster_primary)
. "$HELP/etcd.subr"

A=$D/A
B=$D/B
C=$D/C
K=$D/keys
E=$(free_port)
DATA=$D/etd.json
SLOG=$D/etd.log
SRCH=$D/etd.searches
CTL=$D/etd.ctl
CUT=$D/cut
TTL=5
NODNS=$(dead_port)
mkdir -p "$K" "$CTL"
: >"$SLOG"
: >"$SRCH"
echo '{"messages": []}' >"$DATA"

now() { $PY -c 'import time; print("%.3f" % time.time())'; }
since() { $PY -c "import time; print('%.1f' % (time.time() - $1))"; }
logs() { cat "$1/logs/mail_logs/mail.current" "$1/mxgated.out" 2>/dev/null; }
# nprimary DIR - how many times DIR became the primary
nprimary() { logs "$1" | grep -c "Cluster: this machine is now the ETD polling primary" || true; }
nlost() { logs "$1" | grep -c "Cluster: this machine is no longer the ETD polling primary" || true; }
# acted ID - lines across the three logs saying ETD id ID was taken
acted() { cat "$A/logs/mail_logs/mail.current" "$B/logs/mail_logs/mail.current" \
	"$C/logs/mail_logs/mail.current" 2>/dev/null | grep -c "(ETD id $1) matches no message" || true; }
# who_acted ID - the machine whose log has ID
who_acted() {
	for m in A B C; do
		grep -q "(ETD id $1) matches no message" "$D/$m/logs/mail_logs/mail.current" 2>/dev/null &&
			echo "$m"
	done
}
# verdicts ID... - add phishing verdicts for <ID@etd.test> (journaled nowhere), stamped now
verdicts() {
	$PY - "$DATA" "$@" <<'PYEOF'
import json, sys, time
now = int(time.time())
d = json.load(open(sys.argv[1]))
for i in sys.argv[2:]:
    d["messages"].append({"id": i, "internetMessageId": "<%s@etd.test>" % i,
                          "verdict": "phishing", "mailboxes": ["alice@example.com"],
                          "timestamp": now - 2})
json.dump(d, open(sys.argv[1] + ".tmp", "w"))
PYEOF
	mv "$DATA.tmp" "$DATA"
}
# all_once ID... - each ID acted on exactly once (waits for them first)
all_once() {
	for i in "$@"; do
		wait_for 60 sh -c "[ \$(cat '$A/logs/mail_logs/mail.current' '$B/logs/mail_logs/mail.current' '$C/logs/mail_logs/mail.current' 2>/dev/null | grep -c '(ETD id $i) matches no message') -ge 1 ]" ||
			{ echo "$i never acted on"; return 1; }
	done
	for i in "$@"; do
		[ "$(acted "$i")" = 1 ] || { echo "$i acted on $(acted "$i") times"; return 1; }
	done
}
cl() {
	_cl_d=$1
	shift
	mxsh_do "$_cl_d" "$@" </dev/null >"$D/cl.out" 2>&1
}
why() { tr '\n' ' ' <"$D/cl.out" | cut -c1-400; }
# primary_now - the machines (A B C) running whose log says they became
# the primary more often than they said they lost it (counted since their
# last start: BP_m, BL_m are the counts before a restart)
primary_now() {
	for m in A B C; do
		[ -f "$D/$m/gw.pid" ] || continue
		eval "_bp=\${BP_$m:-0} _bl=\${BL_$m:-0}"
		[ "$(($(nprimary "$D/$m") - _bp))" -gt "$(($(nlost "$D/$m") - _bl))" ] && echo "$m"
	done
}
one_primary() { [ "$(primary_now | wc -l)" = 1 ]; }
name_of() { echo "gw$(echo "$1" | tr ABC abc)"; }

# ---------------------------------------------------------------- etcd, proxies, stand-in
etcd_start_cluster 3 || { t_fail setup "etcd did not start"; t_done; }
Q1=$(free_port)
Q2=$(free_port)
Q3=$(free_port)
$PY "$HELP/tcpcut.py" --ctl "$CUT" --ready "$D/cut.ready" "$Q1:$ETCD_CPORT_1" \
	"$Q2:$ETCD_CPORT_2" "$Q3:$ETCD_CPORT_3" >"$D/tcpcut.out" 2>&1 &
T_PIDS="$T_PIDS $!"
wait_for 10 test -f "$D/cut.ready" || { t_fail setup "tcpcut did not start: $(cat "$D/tcpcut.out")"; t_done; }
CEPS=https://127.0.0.1:$Q1,https://127.0.0.1:$Q2,https://127.0.0.1:$Q3

t_ca "$K" && t_cert "$K" etd.test "DNS:etd.test,IP:127.0.0.1" ||
	{ t_fail setup "openssl could not make the test CA"; t_done; }
# one port per gateway besides the cluster's (E): set at each machine's
# level, so that the stand-in tells the pollers apart
# (a port free when picked may be taken before the stand-in binds it:
# three tries with new ports)
for try in 1 2 3; do
	E=$(free_port)
	EA=$(free_port)
	EB=$(free_port)
	EC=$(free_port)
	$PY "$HELP/etd_standin.py" --port "$E" --data "$DATA" --log "$SLOG" --ctl "$CTL" \
		--cert "$K/etd.test.pem" --key "$K/etd.test.key" --page 2 --searches "$SRCH" \
		--also-port "$EA" --also-port "$EB" --also-port "$EC" >>"$SLOG.out" 2>&1 &
	spid=$!
	T_PIDS="$T_PIDS $spid"
	wait_port "$E" 10 && wait_port "$EA" 5 && wait_port "$EB" 5 && wait_port "$EC" 5 &&
		kill -0 "$spid" 2>/dev/null && break
	kill "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
	[ "$try" = 3 ] && { t_fail setup "stand-in: $(tail -3 "$SLOG.out")"; t_done; }
done

# ---------------------------------------------------------------- gateways
for m in A B C; do
	dd=$D/$m
	eval "P$m=\$(free_port)"
	eval "p=\$P$m"
	cl "$dd" "sethostname $(name_of $m).example.test" \
		"listenerconfig new IncomingMail ip=127.0.0.1 port=$p type=public domains=@example.com" \
		"smtproutes new example.com 127.0.0.1:$NODNS" \
		"smtproutes new intake.test 127.0.0.1:$NODNS" \
		"dnsconfig servers=127.0.0.1:$NODNS timeout=1" \
		"interfaceconfig api http=no https=no http_port=$(free_port) https_port=$(free_port) address=127.0.0.1" \
		"certconfig cafile $K/ca.pem" \
		"commit e2e cluster_primary $m" || { t_fail setup "$m: $(why)"; t_done; }
	# cluster.lease_ttl short, where a command can set it (else the default, 10 s)
	if [ "$TTL" = 5 ] && ! cl "$dd" "supportconfig cluster.lease_ttl=$TTL" "commit e2e lease ttl"; then
		echo "# cluster.lease_ttl cannot be set by a command ($(why)): the default, 10 s"
		TTL=10
	fi
	gw_start "$dd"
	wait_port "$p" 20 || { t_fail setup "$m: mxgated did not listen"; t_done; }
done
# a loose ceiling for a takeover (a loaded machine, ASan)
TAKEOVER_CEILING=${CLUSTER_TAKEOVER_CEILING:-$((TTL + 10))}
EPS="endpoints=$ETCD_ENDPOINTS cacert=$ETCD_CA cert=$ETCD_CERT key=$ETCD_KEY"
cl "$A" "clusterconfig create name=cp machine=gwa $EPS" ||
	{ t_fail create "$(why)"; t_done; }
KEY=$(sed -n 's/^Cluster key (give it to each machine that joins; it is not shown again): *//p' "$D/cl.out" | tr -d '\r ')
cl "$B" "clusterconfig join name=cp machine=gwb $EPS clusterkey=$KEY" ||
	{ t_fail join_b "$(why)"; t_done; }
cl "$C" "clusterconfig join name=cp machine=gwc endpoints=$CEPS cacert=$ETCD_CA cert=$ETCD_CERT key=$ETCD_KEY clusterkey=$KEY" ||
	{ t_fail join_c "$(why)"; t_done; }
t_pass cluster_built

# each machine its own ETD port (machine level), then the ETD API with
# polling at the cluster level
for m in A B C; do
	eval "ep=\$E$m"
	cl "$D/$m" "clustermode machine" \
		"tdcconfig setup enable=yes intake_address=journal@intake.test api=yes client_id=etd-client client_secret=etd-secret-1 api_key=etd-key-1 api_region=https://127.0.0.1:$ep" \
		"commit e2e etd port of $m" || { t_fail setup_tdc_$m "$(why)"; t_done; }
done
cl "$A" "clustermode cluster" \
	"tdcconfig setup enable=yes intake_address=journal@intake.test api=yes client_id=etd-client client_secret=etd-secret-1 api_key=etd-key-1 api_region=https://127.0.0.1:$E action=delete polling=yes" \
	"supportconfig tdc.poll_interval=5 tdc.poll_lag=0 tdc.poll_overlap=600" \
	"policyconfig incoming edit DEFAULT tdc=global" \
	"commit e2e etd polling on the cluster" || { t_fail setup_tdc "$(why)"; t_done; }

# ---------------------------------------------------------------- one primary
if wait_for 60 sh -c "cat '$A/logs/mail_logs/mail.current' '$B/logs/mail_logs/mail.current' '$C/logs/mail_logs/mail.current' '$A/mxgated.out' '$B/mxgated.out' '$C/mxgated.out' 2>/dev/null | grep -q 'is now the ETD polling primary'"; then
	t_pass primary_elected
else
	t_fail primary_elected "no gateway became the primary"
	t_done
fi
P1=$(primary_now)
t_check primary_single one_primary
echo "# first primary: $P1"
t_check primary_searches wait_for 30 grep -q . "$SRCH"
cl "$A" tdcstatus
t_check tdcstatus_names_primary grep -q "ETD polling primary: $(name_of "$P1") (since " "$D/cl.out"
cl "$B" clustercheck
t_check clustercheck_names_primary grep -q "ETD polling primary: $(name_of "$P1")" "$D/cl.out"

verdicts u-1 u-2 u-3
r=$(all_once u-1 u-2 u-3) && t_pass verdicts_once || t_fail verdicts_once "$r"
t_check verdicts_by_primary test "$(who_acted u-1)" = "$P1"

# ---------------------------------------------------------------- kill -9 the primary
n_before_A=$(nprimary "$A") n_before_B=$(nprimary "$B") n_before_C=$(nprimary "$C")
took_over() {
	for m in A B C; do
		[ "$m" = "$P1" ] && continue
		eval "nb=\$n_before_$m"
		[ "$(nprimary "$D/$m")" -gt "$nb" ] && return 0
	done
	return 1
}
pid=$(cat "$D/$P1/gw.pid")
t0=$(now)
kill -9 "$pid"
wait "$pid" 2>/dev/null
rm -f "$D/$P1/gw.pid"
if wait_for 60 took_over; then
	el=$(since "$t0")
	P2=$(primary_now)
	echo "# kill -9 $P1: $P2 took over after $el s (TTL $TTL s)"
	if $PY -c "import sys; sys.exit(0 if $el <= $TAKEOVER_CEILING else 1)"; then
		t_pass takeover_after_kill
	else
		t_fail takeover_after_kill "took $el s (ceiling $TAKEOVER_CEILING s)"
	fi
else
	t_fail takeover_after_kill "no other gateway took over within 60 s"
	P2=""
fi
verdicts u-4 u-5 u-6
r=$(all_once u-1 u-2 u-3 u-4 u-5 u-6) && t_pass verdicts_once_after_kill || t_fail verdicts_once_after_kill "$r"
[ -n "$P2" ] && t_check verdicts_by_new_primary test "$(who_acted u-5)" = "$P2"
# the old primary comes back, as a follower
eval "BP_$P1=\$(nprimary \"\$D/\$P1\")"
eval "BL_$P1=\$(nlost \"\$D/\$P1\")"
gw_start "$D/$P1"
eval "wait_port \$P$P1 20" || t_fail restart "$P1 did not listen again"

# ---------------------------------------------------------------- pinned to gwc, then partitioned
nc=$(nprimary "$C")
cl "$A" "clusterconfig primary gwc" || t_fail pin_c "$(why)"
# (gwc may hold it already: the kill above may have moved it there)
if [ "$(primary_now)" = C ] || wait_for 60 sh -c "[ \$(cat '$C/logs/mail_logs/mail.current' '$C/mxgated.out' 2>/dev/null | grep -c 'is now the ETD polling primary') -gt $nc ]"; then
	t_pass pinned_c
else
	t_fail pinned_c "gwc did not become the primary"
fi
cl "$A" clustercheck
t_check clustercheck_pinned grep -q "ETD polling primary: gwc.*(pinned" "$D/cl.out"
verdicts u-7 u-8
r=$(all_once u-7 u-8) && t_pass verdicts_once_pinned || t_fail verdicts_once_pinned "$r"
t_check verdicts_by_c test "$(who_acted u-7)" = C
# automatic again: gwc keeps it while it can reach etcd
cl "$A" "clusterconfig primary auto" || t_fail unpin "$(why)"
nl=$(nlost "$C") na=$(nprimary "$A") nb=$(nprimary "$B")
# gwc is partitioned while it reads the page that holds u-9 (the
# stand-in holds that page until the cut is made): it takes u-9 but
# cannot claim it in etcd, so it keeps it held and does not act on it
ncut=$(grep -c "CUT hang" "$D/tcpcut.out")
echo u-9 >"$CTL/page_hold"
verdicts u-9 u-10
t_check page_held wait_for 60 grep -q "HOLD u-9" "$SLOG"
t0=$(now)
echo hang >"$CUT"
kill -USR1 "$(cat "$D/cut.ready")" 2>/dev/null
wait_for 10 sh -c "[ \$(grep -c 'CUT hang' '$D/tcpcut.out') -gt $ncut ]" ||
	t_fail partition "tcpcut did not cut: $(tail -2 "$D/tcpcut.out")"
rm -f "$CTL/page_hold"
if wait_for 60 sh -c "[ \$(cat '$C/logs/mail_logs/mail.current' '$C/mxgated.out' 2>/dev/null | grep -c 'is no longer the ETD polling primary') -gt $nl ]"; then
	echo "# gwc partitioned: it gave up the primary after $(since "$t0") s"
	t_pass partition_stops_polling
else
	t_fail partition_stops_polling "gwc never said it is no longer the primary"
fi
other() { [ "$(nprimary "$A")" -gt "$na" ] || [ "$(nprimary "$B")" -gt "$nb" ]; }
if wait_for 60 other; then
	echo "# partition: another took over after $(since "$t0") s"
	t_pass partition_takeover
else
	t_fail partition_takeover "neither gwa nor gwb took over"
fi
# it must give up before another can take over (its lease is still
# alive until then): the times of the two lines, from the logs (seconds)
lsecs() { awk -v pat="$2" 'index($0, pat) { split($4, t, ":"); s = t[1] * 3600 + t[2] * 60 + t[3] } END { print s + 0 }' \
	"$1/logs/mail_logs/mail.current"; }
tc=$(lsecs "$C" "is no longer the ETD polling primary")
tn=$(for m in A B; do lsecs "$D/$m" "is now the ETD polling primary"; done | sort -n | tail -1)
if [ "$tc" -gt 0 ] && [ "$tn" -gt 0 ] && [ "$tc" -le "$tn" ]; then
	t_pass partition_gave_up_first
else
	t_fail partition_gave_up_first "gwc said it was no longer the primary at second $tc of the day, the new primary took over at $tn"
fi
r=$(all_once u-9 u-10) && t_pass verdicts_once_partition || t_fail verdicts_once_partition "$r"
t_check u9_not_by_c test "$(who_acted u-9)" != C
# gwc's report shows u-9 held while it cannot reach etcd
cl "$C" "remediationreport"
t_check held_in_report grep -q "<u-9@etd.test>.* held .*held until its ETD id is claimed in the cluster" "$D/cl.out"
nsettled=$(grep -c "(ETD id u-9) was taken by another machine of the cluster; not acted on here" \
	"$C/logs/mail_logs/mail.current")
rm -f "$CUT"
kill -USR1 "$(cat "$D/cut.ready")" 2>/dev/null
# healed: gwc claims u-9, finds it taken, and drops its held request
if wait_for 60 sh -c "[ \$(grep -c '(ETD id u-9) was taken by another machine of the cluster; not acted on here' '$C/logs/mail_logs/mail.current') -gt $nsettled ]"; then
	t_pass held_settled
else
	t_fail held_settled "gwc did not settle its held u-9: $(grep 'u-9' "$C/logs/mail_logs/mail.current" | tail -3 | tr '\n' ' ')"
fi
# (the report still lists what gwc acted on itself: u-10)
cl "$C" "remediationreport" || t_fail report_c "$(why)"
t_check held_gone sh -c "grep -q '<u-10@etd.test>' '$D/cl.out' && ! grep -q ' held ' '$D/cl.out'"
t_check u9_still_once test "$(acted u-9)" = 1

# ---------------------------------------------------------------- pinned to gwb
nb=$(nprimary "$B")
cl "$A" "clusterconfig primary gwb" || t_fail pin_b "$(why)"
if [ "$(primary_now)" = B ] ||
    wait_for 60 sh -c "[ \$(cat '$B/logs/mail_logs/mail.current' '$B/mxgated.out' 2>/dev/null | grep -c 'is now the ETD polling primary') -gt $nb ]"; then
	t_pass pinned_b
else
	t_fail pinned_b "gwb did not become the primary"
fi
verdicts u-11 u-12
r=$(all_once u-11 u-12) && t_pass verdicts_once_pinned_b || t_fail verdicts_once_pinned_b "$r"
t_check verdicts_by_b test "$(who_acted u-11)" = B
cl "$C" tdcstatus
t_check tdcstatus_c_names_b grep -q "ETD polling primary: gwb" "$D/cl.out"

# ---------------------------------------------------------------- the daily quota, shared
# every request a member made is in the cluster's count (etcd's etd/day):
# at least those the stand-in answered before it was read, at most those
# answered after plus the few a kill or a partition cut off unanswered
answered() { $PY -c '
import json, sys
n = 0
for l in open(sys.argv[1]):
    try:
        if json.loads(l).get("path", "").startswith("/v1/"):
            n += 1
    except ValueError:
        pass
print(n)' "$SLOG"; }
DAY=$(date -u +%F)
s1=$(answered)
cnt=$(etcdctl_do get /mxgate/cp/etd/day --print-value-only 2>&1)
s2=$(answered)
n=$(echo "$cnt" | sed -n "s/^$DAY \([0-9][0-9]*\)\$/\1/p")
if [ -n "$n" ] && [ "$n" -ge "$s1" ] && [ "$n" -le $((s2 + 4)) ]; then
	echo "# the cluster's count: $n requests today, the stand-in answered $s1..$s2"
	t_pass quota_counted_in_cluster
else
	t_fail quota_counted_in_cluster "etcd has '$cnt', the stand-in answered $s1..$s2"
fi
# the quota used up in etcd: the primary (gwb) stops, and a member pinned
# after it stops too, neither asking the API anything more
etcdctl_do put /mxgate/cp/etd/day "$DAY 10000" >/dev/null 2>&1
QLINE="daily quota of 10000 requests used by the cluster"
t_check quota_stops_primary wait_for 60 grep -q "$QLINE" "$B/logs/mail_logs/mail.current"
ns=$(grep -c . "$SRCH")
na=$(nprimary "$A")
cl "$B" "clusterconfig primary gwa" || t_fail pin_a "$(why)"
if wait_for 60 sh -c "[ \$(grep -c 'is now the ETD polling primary' '$A/logs/mail_logs/mail.current') -gt $na ]" &&
    wait_for 60 grep -q "$QLINE" "$A/logs/mail_logs/mail.current"; then
	t_pass quota_stops_next_primary
else
	t_fail quota_stops_next_primary "gwa did not take over and say the quota is used: $(grep 'TDC: Email' "$A/logs/mail_logs/mail.current" | tail -2 | tr '\n' ' ')"
fi
t_check quota_no_search test "$(grep -c . "$SRCH")" = "$ns"

# the ETD ids taken are in etcd on a lease (they expire with it, 40 days)
etcdctl_do get --prefix /mxgate/cp/etd/seen/ -w json >"$D/seen.json" 2>&1
if $PY - "$D/seen.json" <<'PYEOF'
import json, sys
kvs = json.load(open(sys.argv[1])).get("kvs", [])
sys.exit(0 if len(kvs) >= 12 and all(kv.get("lease") for kv in kvs) else 1)
PYEOF
then
	t_pass seen_ids_on_a_lease
else
	t_fail seen_ids_on_a_lease "$(head -c 300 "$D/seen.json")"
fi

# ---------------------------------------------------------------- the stand-in's view
r=$(for i in 1 2 3 4 5 6 7 8 9 10 11 12; do n=$(acted u-$i); [ "$n" = 1 ] || echo "u-$i:$n"; done)
[ -z "$r" ] && t_pass no_duplicate_verdict || t_fail no_duplicate_verdict "acted counts $r"
if $PY "$HELP/etd_standin.py" check "$SRCH" 8 >"$D/check.out" 2>&1; then
	t_pass one_poller_no_gap
	echo "# stand-in: $(cat "$D/check.out")"
else
	t_fail one_poller_no_gap "$(head -3 "$D/check.out" | tr '\n' ' ')"
fi
# every search was made by the primary of the time: each machine's
# searches (by its port) fall within its terms as its log tells them
# ("is now" .. "no longer", a restart or the end; 1 s resolution)
if $PY - "$SRCH" "$EA:$A" "$EB:$B" "$EC:$C" >"$D/holders.out" 2>&1 <<'PYEOF'
import json, sys, time
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def secs(line):
    return time.mktime(time.strptime(line[:24], "%a %b %d %H:%M:%S %Y"))
bad = []
for arg in sys.argv[2:]:
    port, d = arg.split(":", 1)
    terms, start = [], None
    for line in open(d + "/logs/mail_logs/mail.current", errors="replace"):
        if "Cluster: this machine is now the ETD polling primary" in line:
            start = secs(line)
        elif start is not None and ("Cluster: this machine is no longer the ETD polling primary" in line
                                    or " starting on " in line):
            terms.append((start, secs(line) + 1))
            start = None
    if start is not None:
        terms.append((start, float("inf")))
    for r in rows:
        if str(r.get("port")) != port:
            continue
        if not any(a <= r["t0"] <= b for a, b in terms):
            bad.append("%s searched at %s (window %d..%d) while not the primary (terms %s)" % (
                d.rsplit("/", 1)[1], time.strftime("%H:%M:%S", time.localtime(r["t0"])),
                r["start"], r["end"],
                ", ".join("%s..%s" % (time.strftime("%H:%M:%S", time.localtime(a)),
                          "end" if b == float("inf") else time.strftime("%H:%M:%S", time.localtime(b)))
                          for a, b in terms) or "none"))
for b in bad[:5]:
    print(b)
sys.exit(1 if bad else 0)
PYEOF
then
	t_pass searches_by_primary_only
else
	t_fail searches_by_primary_only "$(head -2 "$D/holders.out" | tr '\n' ' ')"
fi
t_check standin_no_bad sh -c "! grep -q '^BAD' '$SLOG'"

for m in A B C; do gw_stop "$D/$m"; done
etcd_stop_all
t_done
