#!/bin/sh
# cluster_soak.sh BUILD - a soak of a three-gateway cluster on a
# three-member etcd (issue 15): a few hundred commits across the three
# machines and the three levels (cluster, group G2 holding gwb, machine),
# with etcd members stopped and restarted at random meanwhile (one at a
# time: the cluster keeps its quorum). Prints the commits per second and
# the apply latency of a cluster or group commit on the other machines
# (median, p95: from the start of the committing shell until the other
# machine's config.db holds the committed revision of the item).
#
# Ends with checks that print "PASS name" / "FAIL name: why" and make the
# script exit 1 on a failure: every machine mirrors the same levels
# (lvl_config: level, section, key, value, revision); each machine's
# effective configuration (main.config) is its group's or the cluster's
# value for every item that is not a machine item there; machines of one
# group have equal effective configurations outside their machine items;
# clustercheck finds no inconsistency.
#
# SOAK_COMMITS=N (default 300; BENCH_QUICK: 60); SOAK_SEED=N for the
# random choices. Runs under the tests' network guard (lib.subr).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
B=${1:-build}
case "$B" in /*) ;; *) B=$top/$B ;; esac
export MXSH=$B/mxsh MXGATED=$B/mxgated BUILD=$B
TEST_OUT=$(mktemp -d /tmp/mxgate-soak.XXXXXX)
chmod 755 "$TEST_OUT"
export TEST_OUT
. "$top/tests/e2e/lib.subr"
T_NAME=bench/cluster_soak
. "$top/tests/helpers/etcd.subr"
trap 'etcd_stop_all; [ -n "${SOAK_KEEP:-}" ] && echo "soak: kept $TEST_OUT" || rm -rf "$TEST_OUT"' EXIT

N=${SOAK_COMMITS:-300}
[ -n "${BENCH_QUICK:-}" ] && N=${SOAK_COMMITS:-60}
SEED=${SOAK_SEED:-$$}
D=$(t_dir soak)
A=$D/A
BB=$D/B
C=$D/C
NODNS=$(dead_port)
echo "== cluster soak: $N commits on 3 gateways, 3-member etcd, member restarts (seed $SEED)"

cl() {
	_cl_d=$1
	shift
	mxsh_do "$_cl_d" "$@" </dev/null >"$D/cl.out" 2>&1
}
why() { tr '\n' ' ' <"$D/cl.out" | cut -c1-300; }

etcd_start_cluster 3 >"$D/etcd.why" || { t_fail setup "etcd: $(cat "$D/etcd.why")"; t_done; }
for m in A:gwa B:gwb C:gwc; do
	dd=$D/${m%%:*}
	cl "$dd" "sethostname ${m#*:}.example.test" \
		"listenerconfig new IncomingMail ip=127.0.0.1 port=$(free_port) type=public domains=@example.com" \
		"smtproutes new example.com 127.0.0.1:$NODNS" \
		"dnsconfig servers=127.0.0.1:$NODNS timeout=1" \
		"interfaceconfig api http=no https=no http_port=$(free_port) https_port=$(free_port) address=127.0.0.1" \
		"commit soak setup" || { t_fail setup "${m%%:*}: $(why)"; t_done; }
	gw_start "$dd"
done
EPS="endpoints=$ETCD_ENDPOINTS cacert=$ETCD_CA cert=$ETCD_CERT key=$ETCD_KEY"
cl "$A" "clusterconfig create name=soak machine=gwa $EPS" || { t_fail create "$(why)"; t_done; }
KEY=$(sed -n 's/^Cluster key (give it to each machine that joins; it is not shown again): *//p' "$D/cl.out" | tr -d '\r ')
cl "$BB" "clusterconfig join name=soak machine=gwb $EPS clusterkey=$KEY" || { t_fail join "$(why)"; t_done; }
cl "$C" "clusterconfig join name=soak machine=gwc $EPS clusterkey=$KEY" || { t_fail join "$(why)"; t_done; }
cl "$A" "clusterconfig addgroup G2" "clusterconfig setgroup gwb G2" || { t_fail group "$(why)"; t_done; }

# The driver: python picks each commit (machine, level, item, value) and
# the member restarts, runs mxsh and etcd through this shell's helpers
# (a fifo of requests: one line each, answered on another fifo), and
# measures. The items are hidden integer settings no test relies on.
REQ=$D/req
ANS=$D/ans
mkfifo "$REQ" "$ANS"
$PY - "$N" "$SEED" "$D" "$REQ" "$ANS" >"$D/driver.out" 2>&1 <<'PYEOF' &
import json, random, sqlite3, statistics, sys, time
n, seed, d, req, ans = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
rnd = random.Random(seed)
ITEMS = [("tdc.poll_lag", 0, 3600), ("tdc.retry_delay", 0, 60), ("smtp.hop_limit", 10, 500),
         ("tdc.poll_overlap", 0, 86400), ("cloud.csn_retry", 5, 86400), ("api.timeout", 1, 600)]
MACH = {"A": "gwa", "B": "gwb", "C": "gwc"}
GROUP = {"A": None, "B": "G2", "C": None}
rq = open(req, "w")
aq = open(ans)

def ask(line):
    rq.write(line + "\n")
    rq.flush()
    return aq.readline().rstrip("\n")

def lvl_rev(m, level, key):
    try:
        db = sqlite3.connect("file:%s/%s/config.db?mode=ro" % (d, m), uri=True, timeout=5)
        r = db.execute("SELECT rev FROM main.lvl_config WHERE level = ? AND section = 'setting'"
                       " AND key = ?", (level, key)).fetchone()
        db.close()
        return r[0] if r else 0
    except sqlite3.Error:
        return -1

lat, cmd_t, fails, down = [], [], 0, None
ok = 0
t_start = time.time()
for i in range(n):
    # a member restart now and then: stop one, bring it back a few commits later
    if down is None and rnd.random() < 0.05:
        down = rnd.randint(1, 3)
        ask("stop %d" % down)
        back_at = i + rnd.randint(2, 8)
    elif down is not None and i >= back_at:
        ask("start %d" % down)
        down = None
    m = rnd.choice("ABC")
    r = rnd.random()
    if r < 0.6:
        level, mode = "cluster", "cluster"
    elif r < 0.8:
        level, mode = "group:G2", "group G2"
    else:
        level, mode = "machine", "machine"
    key, lo, hi = rnd.choice(ITEMS)
    val = rnd.randint(lo, hi)
    t0 = time.time()
    out = ask("commit %s %s|supportconfig %s=%d|soak %d" % (m, mode, key, val, i))
    t1 = time.time()
    if not out.startswith("ok"):
        fails += 1
        print("commit %d (%s at %s) failed: %s" % (i, m, level, out))
        continue
    ok += 1
    cmd_t.append(t1 - t0)
    if level == "machine":
        continue
    rev = int(out.split()[1]) if len(out.split()) > 1 else 0
    if rev <= 0:
        continue
    for o in "ABC":
        if o == m:
            continue
        end = time.time() + 60
        while time.time() < end and lvl_rev(o, level, key) < rev:
            time.sleep(0.01)
        if lvl_rev(o, level, key) >= rev:
            lat.append(time.time() - t0)
        else:
            print("commit %d: %s never applied revision %d" % (i, o, rev))
            fails += 1
if down is not None:
    ask("start %d" % down)
el = time.time() - t_start
ask("done")
def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))] if v else float("nan")
print("RESULT commits %d ok, %d failed in %.1f s: %.2f commits/s" % (ok, fails, el, ok / el))
print("RESULT commit command: median %.3f s, p95 %.3f s" % (pct(cmd_t, 50), pct(cmd_t, 95)))
print("RESULT apply on the other machines (cluster and group commits, %d): median %.3f s, p95 %.3f s"
      % (len(lat), pct(lat, 50), pct(lat, 95)))
PYEOF
DRV=$!
T_PIDS="$T_PIDS $DRV"
exec 6<"$REQ" 7>"$ANS"
while IFS= read -r line <&6; do
	case "$line" in
	done) echo ok >&7; break ;;
	stop\ *) etcd_stop_member "${line#stop }" >/dev/null 2>&1; echo "# etcd member ${line#stop } stopped" >>"$D/events"; echo ok >&7 ;;
	start\ *) etcd_start_member "${line#start }" >/dev/null 2>&1; echo "# etcd member ${line#start } started" >>"$D/events"; echo ok >&7 ;;
	commit\ *)
		rest=${line#commit }
		m=${rest%% *}
		rest=${rest#* }
		mode=${rest%%|*}
		rest=${rest#*|}
		set_line=${rest%%|*}
		comment=${rest#*|}
		if cl "$D/$m" "clustermode $mode" "$set_line" "commit $comment"; then
			r=$(sed -n 's/.*Changes committed to the cluster at revision \([0-9]*\).*/\1/p' "$D/cl.out" | head -1)
			echo "ok ${r:-0}" >&7
		else
			echo "fail $(why)" >&7
		fi
		;;
	*) echo "fail unknown request" >&7 ;;
	esac
done
wait "$DRV"
exec 6<&- 7>&-
grep '^RESULT' "$D/driver.out" | sed 's/^RESULT /  /'
nf=$(grep -c 'failed:\|never applied' "$D/driver.out")
[ "$nf" = 0 ] || { echo "  failures during the soak ($nf; first ones):"; grep 'failed:\|never applied' "$D/driver.out" | head -5 | sed 's/^/    /'; }

# ---------------------------------------------------------------- the end state
# every etcd member up; one last cluster commit on each machine makes
# sure each has caught up (its commit waits for its own apply)
for i in 1 2 3; do etcd_start_member "$i" >/dev/null 2>&1; done
for m in A B C; do
	cl "$D/$m" "clustermode cluster" "supportconfig tdc.poll_max_pages=$((1000 + $(printf '%d' "'$m")))" "commit soak end $m" ||
		t_fail "final_commit_$m" "$(why)"
done
# converged: the three mirrors equal (waited for: the watch may lag a little)
converged() {
	$PY - "$D" <<'PYEOF'
import sqlite3, sys
d = sys.argv[1]
def rows(m, q):
    db = sqlite3.connect("file:%s/%s/config.db?mode=ro" % (d, m), uri=True, timeout=5)
    r = sorted(db.execute(q).fetchall())
    db.close()
    return r
q = "SELECT level, section, key, value, rev FROM main.lvl_config"
a, b, c = rows("A", q), rows("B", q), rows("C", q)
sys.exit(0 if a == b == c and a else 1)
PYEOF
}
if wait_for 60 converged; then t_pass levels_mirrored; else t_fail levels_mirrored "the lvl_config rows differ between machines"; fi
$PY - "$D" >"$D/effective.out" 2>&1 <<'PYEOF'
import sqlite3, sys
d = sys.argv[1]
bad = []
eff = {}
for m, grp in (("A", "Main_Group"), ("B", "G2"), ("C", "Main_Group")):
    db = sqlite3.connect("file:%s/%s/config.db?mode=ro" % (d, m), uri=True, timeout=5)
    mine = set(db.execute("SELECT section, key FROM main.cluster_machine_items").fetchall())
    main = {(s, k): v for s, k, v in db.execute("SELECT section, key, value FROM main.config")}
    lv = {}
    for lvl, s, k, v in db.execute("SELECT level, section, key, value FROM main.lvl_config"):
        lv.setdefault(lvl, {})[(s, k)] = v
    g = db.execute("SELECT grp FROM main.cluster_member").fetchone()
    if g and g[0] != grp:
        bad.append("%s is in group %s, not %s" % (m, g[0], grp))
    keys = set(main) | set(lv.get("cluster", {})) | set(lv.get("group:" + grp, {}))
    for key in sorted(keys):
        if key in mine:
            continue
        want = lv.get("group:" + grp, {}).get(key, lv.get("cluster", {}).get(key))
        if key[0] == "setting" and key[1].startswith(("tdc.client_secret", "tdc.api_key")):
            continue
        if main.get(key) != want:
            bad.append("%s: %s %s is %r, its levels say %r" % (m, key[0], key[1], main.get(key), want))
    eff[m] = ({k: v for k, v in main.items() if k not in mine}, mine)
# machines of one group (A and C): equal outside the machine items of either
(ea, ma), (ec, mc) = eff["A"], eff["C"]
skip = ma | mc
da = {k: v for k, v in ea.items() if k not in skip}
dc = {k: v for k, v in ec.items() if k not in skip}
if da != dc:
    diff = sorted(set(da.items()) ^ set(dc.items()))[:5]
    bad.append("A and C (one group) differ: %s" % diff)
for b in bad[:10]:
    print(b)
sys.exit(1 if bad else 0)
PYEOF
if [ $? = 0 ]; then t_pass effective_equal; else t_fail effective_equal "$(head -3 "$D/effective.out" | tr '\n' ' ')"; fi
okc() { cl "$A" clustercheck && grep -q "No inconsistencies found." "$D/cl.out"; }
if wait_for 60 okc; then t_pass clustercheck_clean; else t_fail clustercheck_clean "$(why)"; fi
[ -f "$D/events" ] && echo "  etcd member restarts: $(grep -c stopped "$D/events")"
for m in A B C; do gw_stop "$D/$m"; done
etcd_stop_all
for p in $T_PIDS; do kill "$p" 2>/dev/null; done
t_netguard
exit $T_FAILED
