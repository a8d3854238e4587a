#!/bin/sh
# cluster.sh - three gateways in a cluster on a three-member etcd
# (issue 15), end to end: real etcd (tests/helpers/etcd.subr: TLS on
# loopback, data in the test's directory), three data directories A B C
# (machines gwa gwb gwc, each with its own listener set at the machine
# level before create/join) and three mxgated.
#
# Cases: clusterconfig create on A, join on B and C (the key from A's
# output); a commit at the cluster level on A is applied on B and C (the
# time it took is printed; the issue asks "within a second", asserted
# against a loose bound for a loaded machine); policyconfig at cluster
# level reaches all; a group override (addgroup, setgroup gwb G2, a
# group-level change seen by B only); a machine override on C wins over
# the cluster value; two sessions on A and B commit the same item: one
# wins, the other gets the conflict line and keeps its candidate;
# commitdetail and rollbackconfig at the cluster level; a secret set at
# the cluster level is never in clear in etcd and works on B; one etcd
# member stopped: cluster commits still work; two stopped: refused with
# one line, machine-level commits work, mail flows through B to a sink;
# members back: the refused commit redone reaches all; clustercheck: all
# same, then C unreachable once its mxgated is stopped; CSN telemetry's
# deployment "cluster" on C, "standalone" after it leaves; leave on C: C
# keeps its effective configuration and is no longer listed.
#
# Effective values are read from each config.db's main.config (what
# mxgated reads) with sqlite3; every wait is for an event, with generous
# ceilings (the ASan build on a loaded machine).
. "$(dirname "$0")/lib.subr"
HELP=$(cd "$(dirname "$0")/../helpers" && pwd)
D=$(t_dir cluster)
. "$HELP/etcd.subr"

A=$D/A
B=$D/B
C=$D/C
PA=$(free_port)
PB=$(free_port)
PC=$(free_port)
SINK=$(free_port)
NODNS=$(dead_port)
SECRET=Cl3ar-H5-secret-4711
SYNC_CEILING=${CLUSTER_SYNC_CEILING:-10}

# ---------------------------------------------------------------- helpers
now() { $PY -c 'import time; print("%.3f" % time.time())'; }
# val DIR SECTION KEY - the effective value (main.config) of an item
val() {
	$PY - "$1/config.db" "$2" "$3" <<'PYEOF'
import sqlite3, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True, timeout=10)
r = db.execute("SELECT value FROM main.config WHERE section = ? AND key = ?",
               (sys.argv[2], sys.argv[3])).fetchone()
print("" if r is None else r[0])
PYEOF
}
# setting DIR NAME - a setting's effective value
setting() { val "$1" setting "$2"; }
# wait_seen T0 SECS SECTION KEY VALUE DIR... - until every DIR's
# main.config holds VALUE for the item (VALUE "-": absent); prints the
# seconds from T0 each took ("A=0.41 B=0.52"), 1 if any did not
wait_seen() {
	$PY - "$@" <<'PYEOF'
import sqlite3, sys, time
t0, limit, sec, key, want = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
dirs = sys.argv[6:]
seen = {}
end = time.time() + limit
while time.time() < end and len(seen) < len(dirs):
    for d in dirs:
        if d in seen:
            continue
        try:
            db = sqlite3.connect("file:%s/config.db?mode=ro" % d, uri=True, timeout=5)
            r = db.execute("SELECT value FROM main.config WHERE section = ? AND key = ?",
                           (sec, key)).fetchone()
            db.close()
        except sqlite3.Error:
            continue
        v = None if r is None else r[0]
        if (want == "-" and v is None) or v == want:
            seen[d] = time.time() - t0
    time.sleep(0.02)
print(" ".join("%s=%s" % (d.rsplit("/", 1)[1], ("%.2f" % seen[d]) if d in seen else "never")
               for d in dirs))
sys.exit(0 if len(seen) == len(dirs) else 1)
PYEOF
}
# at DIR LEVEL LINE... - batch commands at a level ("cluster",
# "group G2", "machine"); output in $D/at.out; mxsh's status
at() {
	_at_d=$1 _at_l=$2
	shift 2
	mxsh_do "$_at_d" "clustermode $_at_l" "$@" </dev/null >"$D/at.out" 2>&1
}
# cl DIR LINE... - batch commands as they are (no clustermode first)
cl() {
	_cl_d=$1
	shift
	mxsh_do "$_cl_d" "$@" </dev/null >"$D/at.out" 2>&1
}
why() { tr '\n' ' ' <"$D/at.out" | cut -c1-400; }
ectl() { etcdctl_do "$@"; }
# applied_line DIR PATTERN SECS - until DIR's mail log has PATTERN
logged() { wait_for "$3" grep -q -s -- "$2" "$1/logs/mail_logs/mail.current" "$1/mxgated.out"; }
alldump() {	# DIR - main.config sorted, one "section|key|value" a line
	$PY - "$1/config.db" <<'PYEOF'
import sqlite3, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True, timeout=10)
for r in db.execute("SELECT section, key, value FROM main.config ORDER BY section, key"):
    print("|".join(r))
PYEOF
}
# barrier N - a cluster commit on A of a harmless setting to N, waited for on
# A B C: everything committed before it has been applied everywhere
barrier() {
	at "$A" cluster "supportconfig smtp.hop_limit=$((100 + $1))" "commit barrier $1" &&
		wait_seen "$(now)" 60 setting smtp.hop_limit "$((100 + $1))" "$A" "$B" "$C" >"$D/barrier.out"
}

# ---------------------------------------------------------------- etcd, gateways
etcd_start_cluster 3 || { t_fail setup "etcd did not start"; t_done; }
t_pass etcd_up

sink_start "$SINK" "$D/sink" || t_fail setup "smtp-sink did not start"
cl "$A" "sethostname gwa.example.test" \
	"listenerconfig new IncomingMail ip=127.0.0.1 port=$PA type=public domains=@example.com" \
	"smtproutes new example.com 127.0.0.1:$SINK" \
	"dnsconfig servers=127.0.0.1:$NODNS timeout=1" \
	"interfaceconfig api http=no https=no http_port=$(free_port) https_port=$(free_port) address=127.0.0.1" \
	"commit e2e cluster A" || { t_fail setup "A: $(why)"; t_done; }
for m in B:"$PB":gwb C:"$PC":gwc; do
	dd=$D/${m%%:*}
	rest=${m#*:}
	cl "$dd" "sethostname ${rest#*:}.example.test" \
		"listenerconfig new IncomingMail ip=127.0.0.1 port=${rest%%:*} type=public domains=@example.com" \
		"dnsconfig servers=127.0.0.1:$NODNS timeout=2" \
		"interfaceconfig api http=no https=no http_port=$(free_port) https_port=$(free_port) address=127.0.0.1" \
		"commit e2e cluster ${m%%:*}" || { t_fail setup "${m%%:*}: $(why)"; t_done; }
done
for dd in "$A" "$B" "$C"; do gw_start "$dd"; done
for p in "$PA" "$PB" "$PC"; do
	wait_port "$p" 20 || { t_fail setup "mxgated did not listen on $p"; t_done; }
done

# ---------------------------------------------------------------- create, join
# the gateways are running: they take the membership without a restart
EPS="endpoints=$ETCD_ENDPOINTS cacert=$ETCD_CA cert=$ETCD_CERT key=$ETCD_KEY"
if cl "$A" "clusterconfig create name=c1 machine=gwa $EPS" &&
    grep -q "Cluster c1 created with this machine (gwa) in group Main_Group." "$D/at.out"; then
	t_pass create
else
	t_fail create "$(why)"
	t_done
fi
KEY=$(sed -n 's/^Cluster key (give it to each machine that joins; it is not shown again): *//p' "$D/at.out" | tr -d '\r ')
[ -n "$KEY" ] || { t_fail create_key "no key line: $(why)"; t_done; }
for m in B:gwb C:gwc; do
	dd=$D/${m%%:*}
	if cl "$dd" "clusterconfig join name=c1 machine=${m#*:} $EPS clusterkey=$KEY" &&
	    grep -q "This machine (${m#*:}) joined cluster c1 in group Main_Group" "$D/at.out"; then
		t_pass "join_${m#*:}"
	else
		t_fail "join_${m#*:}" "$(why)"
		t_done
	fi
done
# cluster items replaced B's and C's; their listeners (machine items) stayed
t_check join_took_cluster_items wait_seen "$(now)" 30 setting dns.timeout 1 "$B" "$C"
t_check join_kept_listener_b sh -c "[ \"\$(sqlite3 '$B/config.db' \"SELECT count(*) FROM config WHERE value LIKE '%$PB%'\")\" -ge 1 ]"
t_check listener_b_still wait_port "$PB" 5
t_check list_members sh -c "'$MXSH' -D '$A' -c 'clusterconfig list' </dev/null >'$D/list.out' 2>&1 && grep -q gwa '$D/list.out' && grep -q gwb '$D/list.out' && grep -q gwc '$D/list.out'"

# ---------------------------------------------------------------- a cluster commit reaches all
t0=$(now)
if at "$A" cluster "dnsconfig timeout=7" "commit e2e cluster-wide timeout"; then
	t1=$(now)
	grep -q "Changes committed to the cluster at revision [0-9]*" "$D/at.out" ||
		t_fail commit_cluster_line "$(why)"
	if r=$(wait_seen "$t0" "$SYNC_CEILING" setting dns.timeout 7 "$A" "$B" "$C"); then
		t_pass cluster_commit_reaches_all
	else
		t_fail cluster_commit_reaches_all "$r"
	fi
	echo "# cluster commit on A applied, seconds from the start of A's shell: $r (the shell took $($PY -c "print('%.2f' % ($t1 - $t0))") s, waiting for A's own apply)"
	for dd in "$B" "$C"; do
		logged "$dd" "Cluster: applied revision [0-9]* ([0-9]* items) from etcd" 30 ||
			t_fail "follower_$(basename "$dd")" "no 'Cluster: applied revision' in its log"
	done
else
	t_fail cluster_commit_reaches_all "commit: $(why)"
fi
t0=$(now)
if at "$A" cluster "policyconfig incoming new Sales recipients=@sales.example.com" \
    "commit e2e cluster policy"; then
	r=$(wait_seen "$t0" "$SYNC_CEILING" policy.incoming.order order Sales "$A" "$B" "$C") &&
		t_pass policyconfig_cluster || t_fail policyconfig_cluster "$r"
	echo "# policyconfig at cluster level, from the start of the shell: $r"
else
	t_fail policyconfig_cluster "$(why)"
fi

# ---------------------------------------------------------------- group override
if cl "$A" "clusterconfig addgroup G2" "clusterconfig setgroup gwb G2"; then
	t_pass group_add_set
else
	t_fail group_add_set "$(why)"
fi
if at "$A" "group G2" "dnsconfig timeout=9" "commit e2e group G2"; then
	t_check group_seen_by_b wait_seen "$(now)" 30 setting dns.timeout 9 "$B"
	barrier 1 || t_fail barrier1 "$(cat "$D/barrier.out")"
	t_check group_not_a test "$(setting "$A" dns.timeout)" = 7
	t_check group_not_c test "$(setting "$C" dns.timeout)" = 7
else
	t_fail group_override "$(why)"
fi

# ---------------------------------------------------------------- machine override on C
if at "$C" machine "dnsconfig timeout=5" "commit e2e machine C"; then
	t_check machine_set_c test "$(setting "$C" dns.timeout)" = 5
	if at "$A" cluster "dnsconfig timeout=8" "commit e2e cluster 8"; then
		barrier 2 || t_fail barrier2 "$(cat "$D/barrier.out")"
		t_check machine_wins_c test "$(setting "$C" dns.timeout)" = 5
		t_check cluster_value_a test "$(setting "$A" dns.timeout)" = 8
		t_check group_wins_b test "$(setting "$B" dns.timeout)" = 9
	else
		t_fail machine_override "cluster commit: $(why)"
	fi
else
	t_fail machine_override "$(why)"
fi

# ---------------------------------------------------------------- concurrent commits
# two sessions, on A and on B, both stage the same item (from the same
# revision), then both commit at once: one wins, the other is told
SA=$D/sess.a SB=$D/sess.b
rm -f "$SA.fifo" "$SB.fifo"
mkfifo "$SA.fifo" "$SB.fifo"
"$MXSH" -D "$A" <"$SA.fifo" >"$SA.out" 2>&1 &
pa=$!
exec 4>"$SA.fifo"
"$MXSH" -D "$B" <"$SB.fifo" >"$SB.out" 2>&1 &
pb=$!
exec 5>"$SB.fifo"
echo "supportconfig tdc.retry_delay=11" >&4
echo "supportconfig tdc.retry_delay=12" >&5
echo "showchanges" >&4
echo "showchanges" >&5
if wait_for 30 grep -q "Pending changes" "$SA.out" && wait_for 30 grep -q "Pending changes" "$SB.out"; then
	echo "commit race A" >&4
	echo "commit race B" >&5
	wait_for 60 sh -c "grep -q -e 'Changes committed to the cluster' -e 'Commit failed' '$SA.out' &&
		grep -q -e 'Changes committed to the cluster' -e 'Commit failed' '$SB.out'"
	wa=$(grep -c "Changes committed to the cluster" "$SA.out")
	wb=$(grep -c "Changes committed to the cluster" "$SB.out")
	if [ "$((wa + wb))" = 1 ]; then
		t_pass concurrent_one_wins
	else
		t_fail concurrent_one_wins "A won $wa, B won $wb: $(tr '\n' ' ' <"$SA.out" | cut -c1-300) // $(tr '\n' ' ' <"$SB.out" | cut -c1-300)"
	fi
	if [ "$wa" = 1 ]; then loser=$SB lfd=5; winval=11; else loser=$SA lfd=4; winval=12; fi
	t_check concurrent_conflict_line grep -q "Commit failed: setting tdc.retry_delay was changed on the cluster (revision [0-9]*) since you began editing it; your changes are kept: review them with showchanges, then clear and redo them" "$loser.out"
	n=$(grep -c "Pending changes" "$loser.out")
	echo "showchanges" >&$lfd
	if wait_for 20 sh -c "[ \$(grep -c 'Pending changes' '$loser.out') -gt $n ]"; then
		t_pass concurrent_candidate_kept
	else
		t_fail concurrent_candidate_kept "$(tail -5 "$loser.out" | tr '\n' ' ')"
	fi
	echo "clear" >&4
	echo "clear" >&5
	t_check concurrent_winner_everywhere wait_seen "$(now)" 30 setting tdc.retry_delay "$winval" "$A" "$B" "$C"
else
	t_fail concurrent_one_wins "the sessions never showed their changes: $(tail -3 "$SA.out") / $(tail -3 "$SB.out")"
fi
exec 4>&- 5>&-
wait "$pa" "$pb" 2>/dev/null
rm -f "$SA.fifo" "$SB.fifo"

# ---------------------------------------------------------------- commitdetail, rollbackconfig
if at "$A" cluster "commitdetail"; then
	t_check commitdetail_level grep -q "^Level: cluster" "$D/at.out"
	t_check commitdetail_last grep -q -e "race" -e "tdc.retry_delay" "$D/at.out"
	cp "$D/at.out" "$D/detail.a"
	# the cluster level's history is the same on every machine
	at "$B" cluster "commitdetail"
	t_check commitdetail_same_on_b cmp -s "$D/detail.a" "$D/at.out"
	at "$C" machine "commitdetail"
	t_check commitdetail_machine_level grep -q "^Level: machine gwc" "$D/at.out"
else
	t_fail commitdetail_cluster "$(why)"
fi
# the revision of the commit that set the cluster value 8: roll back to it
R8=$(sqlite3 "$A/config.db" "SELECT id FROM lvl_commits WHERE level = 'cluster' AND comment = 'e2e cluster 8'" 2>/dev/null)
at "$A" cluster "dnsconfig timeout=10" "commit e2e cluster 10" ||
	t_fail rollback_cluster "commit 10: $(why)"
t_check rollback_before wait_seen "$(now)" 30 setting dns.timeout 10 "$A"
if [ -n "$R8" ] && at "$A" cluster "rollbackconfig $R8 e2e rollback to 8"; then
	t_check rollback_cluster wait_seen "$(now)" 30 setting dns.timeout 8 "$A"
	barrier 3 || t_fail barrier3 "$(cat "$D/barrier.out")"
	t_check rollback_level_only test "$(setting "$B" dns.timeout)" = 9
else
	t_fail rollback_cluster "revision '$R8': $(why)"
fi

# ---------------------------------------------------------------- secrets
if at "$A" cluster "tdcconfig setup enable=yes intake_address=journal@intake.test api=yes client_id=e2e-id client_secret=$SECRET api_key=e2e-api-key-0815 api_region=https://127.0.0.1:$NODNS polling=no" \
    "commit e2e cluster secret"; then
	t_check secret_reaches_b wait_for 30 sh -c "[ \"\$('$BUILD/tests/settingget' '$B' tdc.client_secret 2>/dev/null)\" = '$SECRET' ]"
	ectl get --prefix /mxgate/c1/ >"$D/etcd.dump" 2>"$D/etcd.err"
	if [ -s "$D/etcd.dump" ]; then
		t_check secret_not_clear_in_etcd sh -c "! grep -q -e '$SECRET' -e 'e2e-api-key-0815' '$D/etcd.dump'"
		t_check secret_item_in_etcd grep -q "tdc.client_secret" "$D/etcd.dump"
	else
		t_fail secret_not_clear_in_etcd "etcdctl: $(cat "$D/etcd.err")"
	fi
else
	t_fail secret_cluster "$(why)"
fi

# ---------------------------------------------------------------- etcd members down
etcd_stop_member 3
if at "$A" cluster "supportconfig tdc.poll_lag=13" "commit e2e one member down"; then
	t_check one_member_down_reaches_all wait_seen "$(now)" 30 setting tdc.poll_lag 13 "$A" "$B" "$C"
else
	t_fail one_member_down "$(why)"
fi
etcd_stop_member 2
# the commit is made once the last member knows it has no leader: it then
# refuses at once, and the refusal is certain. (A request that reaches a
# member still waiting out its election is one etcd may apply later: the
# operator is told its outcome is unknown, not that it was refused.)
leaderless() {
	curl -s --max-time 3 --cacert "$ETCD_CA" --cert "$ETCD_CERT" --key "$ETCD_KEY" \
		-H 'Grpc-Metadata-Hasleader: true' -X POST "$ETCD_EP_1/v3/kv/range" \
		-d '{"key":"eA=="}' 2>/dev/null | grep -q "no leader"
}
wait_for 60 leaderless || t_fail leaderless "member 1 still has a leader after 60 s"
t0=$(now)
if at "$A" cluster "supportconfig tdc.poll_lag=14" "commit e2e two members down"; then
	t_fail two_down_refused "committed: $(why)"
else
	grep "Commit failed" "$D/at.out" >"$D/refused.line"
	if [ "$(wc -l <"$D/refused.line")" = 1 ] &&
	    grep -q "the cluster store (etcd) cannot be reached (.*): cluster and group commits are refused until it is back; machine-level commits still work (clustermode machine)" "$D/refused.line"; then
		t_pass two_down_refused
	else
		t_fail two_down_refused "$(why)"
	fi
	echo "# refused after $($PY -c "print('%.1f' % ($(now) - $t0))") s"
fi
if at "$B" machine "sethostname gwb2.example.test" "commit e2e machine level with etcd down"; then
	t_pass two_down_machine_commit
else
	t_fail two_down_machine_commit "$(why)"
fi
swaks --server 127.0.0.1:$PB --from sender@outside.test --to bob@example.com \
	--header "Subject: etcd down" >"$D/swaks.out" 2>&1
if grep -q "250 2.0.0 Ok" "$D/swaks.out" && wait_sink 60 "$D/sink" 0; then
	t_pass two_down_mail_flows
else
	t_fail two_down_mail_flows "$(tail -3 "$D/swaks.out" | tr '\n' ' ')"
fi
t_check two_down_logged logged "$B" "Cluster: etcd unreachable" 60
etcd_start_member 2
etcd_start_member 3
# everyone caught up (a barrier commit waited for on all three): the
# refused commit must not have landed meanwhile (etcd may still apply a
# request whose answer timed out: then the operator was told "refused"
# about a change that was made)
if barrier 5; then
	t_check refused_commit_not_applied test "$(setting "$A" tdc.poll_lag)" = 13
else
	t_fail barrier5 "$(why) $(cat "$D/barrier.out")"
fi
if at "$A" cluster "supportconfig tdc.poll_lag=14" "commit e2e redone"; then
	r=$(wait_seen "$(now)" 60 setting tdc.poll_lag 14 "$A" "$B" "$C") &&
		t_pass catch_up_after_restart || t_fail catch_up_after_restart "$r"
else
	t_fail catch_up_after_restart "$(why)"
fi
t_check catch_up_logged logged "$B" "Cluster: etcd reachable again" 60

# ---------------------------------------------------------------- clustercheck
barrier 4 || t_fail barrier4 "$(cat "$D/barrier.out")"
ok_check() { cl "$A" clustercheck && grep -q "No inconsistencies found." "$D/at.out"; }
if wait_for 30 ok_check; then t_pass clustercheck_same; else t_fail clustercheck_same "$(why)"; fi
gw_stop "$C"
unreach() { cl "$A" clustercheck; grep -q "gwc: unreachable" "$D/at.out"; }
if wait_for 60 unreach; then t_pass clustercheck_unreachable; else t_fail clustercheck_unreachable "$(why)"; fi

# ---------------------------------------------------------------- leave
# CSN telemetry says "cluster" while C is a member, "standalone" after
"$MXSH" -D "$C" -c "cloudserviceconfig csn print" </dev/null >"$D/csn.out" 2>&1
t_check csn_deployment_cluster grep -q '"deployment":"cluster"' "$D/csn.out"
alldump "$C" >"$D/c.before"
if printf 'y\nyes\n' | mxsh_do "$C" "clusterconfig leave" >"$D/at.out" 2>&1 &&
    grep -q "This machine left cluster c1; it keeps its configuration as it was." "$D/at.out"; then
	t_pass leave
else
	t_fail leave "$(why)"
fi
alldump "$C" >"$D/c.after"
if cmp -s "$D/c.before" "$D/c.after"; then
	t_pass leave_keeps_configuration
else
	t_fail leave_keeps_configuration "$(diff "$D/c.before" "$D/c.after" | head -5 | tr '\n' ' ')"
fi
cl "$A" "clusterconfig list"
t_check leave_not_listed sh -c "! grep -q gwc '$D/at.out' && grep -q gwb '$D/at.out'"
t_check after_leave_no_cluster sh -c "! '$MXSH' -D '$C' -c 'clustermode cluster' </dev/null 2>&1 | grep -q 'Mode is now'"
"$MXSH" -D "$C" -c "cloudserviceconfig csn print" </dev/null >"$D/csn.out" 2>&1
t_check csn_deployment_standalone grep -q '"deployment":"standalone"' "$D/csn.out"

gw_stop "$A"
gw_stop "$B"
sink_stop "$D/sink"
etcd_stop_all
t_done
