#!/bin/sh
# etcd_client.sh - net/etcd.c against a real three-member etcd
# (tests/helpers/etcd.subr: TLS with client certificates, peers over
# loopback http), through tests/helpers/etcdtool: put, get, prefix get
# (in key order, cut at a limit), delete; a transaction's two branches
# (create revision 0, mod revision); leases (grant, keepalive, the key
# gone after the TTL and at once on revoke); a watch delivers a
# transaction's events in one call, revisions in order, from a start
# revision, and live; a compacted start revision is reported; the member
# list with one leader; failover: the member the client used stops and
# the next call still works; two of three stopped: ETCD_EUNREACH with one
# line within the time limit, and all works again once they are back; a
# client certificate of another CA, none at all, or a server checked
# against another CA are refused; http:// to an https member fails with a
# clear line.
. "$(dirname "$0")/lib.subr"
. "$(dirname "$0")/../helpers/etcd.subr"

T=$(t_dir etcd_client)
ET=$BUILD/tests/etcdtool
[ -x "$ET" ] || { t_fail setup "$ET not built"; t_done; }
[ -x "$ETCD_BIN" ] || { t_fail setup "no $ETCD_BIN (Debian etcd-server)"; t_done; }
etcd_start_cluster 3 "$T/etcd" >"$T/setup.why" 2>&1 || { t_fail setup "$(cat "$T/setup.why")"; t_done; }

# et ARGS... - etcdtool on the cluster with the client certificate (3 s per call)
et() { "$ET" -t 3000 "$ETCD_ENDPOINTS" "$ETCD_CA" "$ETCD_CERT" "$ETCD_KEY" "$@"; }
# field LINE NAME - the value of NAME=V in LINE
field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
# rev_now - the store's revision
rev_now() { et get /nothing | sed -n 's/^rev \([0-9]*\) .*/\1/p'; }
# now_ms - wall clock in ms
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# ---------------------------------------------------------------- kv
et put /t/a 1 >"$T/put.out" 2>&1 && et get /t/a >"$T/get.out" 2>&1
R=$(sed -n 's/^put rev //p' "$T/put.out")
if [ -n "$R" ] && grep -qx "/t/a=1 create=$R mod=$R version=1 lease=0" "$T/get.out"; then
	t_pass "$T_NAME/put_get"
else
	t_fail "$T_NAME/put_get" "$(cat "$T/put.out" "$T/get.out" | tr '\n' ' ')"
fi

et put /t/b 2 \; put /u/x 3 \; put /t/a 11 >/dev/null 2>&1
et getp /t/ >"$T/getp.out" 2>&1
et getp /t/ 0 1 >"$T/getp1.out" 2>&1
if [ "$(grep -c '^/' "$T/getp.out")" = 2 ] &&
    [ "$(sed -n 2p "$T/getp.out" | cut -d' ' -f1)" = /t/a=11 ] &&
    [ "$(sed -n 3p "$T/getp.out" | cut -d' ' -f1)" = /t/b=2 ] &&
    [ "$(field "$(sed -n 2p "$T/getp.out")" version)" = 2 ] &&
    [ "$(grep -c '^/' "$T/getp1.out")" = 1 ] && grep -qx more "$T/getp1.out"; then
	t_pass "$T_NAME/prefix_get"
else
	t_fail "$T_NAME/prefix_get" "$(cat "$T/getp.out" "$T/getp1.out" | tr '\n' ' ')"
fi

# a get at an older revision sees the old value
et get /t/a "$R" >"$T/getrev.out" 2>&1
t_check "$T_NAME/get_at_revision" grep -q '^/t/a=1 ' "$T/getrev.out"

et del /t/b >"$T/del.out" 2>&1 && et get /t/b >"$T/del2.out" 2>&1
et put /d/1 x \; put /d/2 y \; put /d3 z \; delp /d/ \; getp /d >"$T/delp.out" 2>&1
if grep -q '^deleted 1 rev ' "$T/del.out" && grep -q 'count 0$' "$T/del2.out" &&
    grep -q '^deleted 2 rev ' "$T/delp.out" && grep -q '^/d3=z ' "$T/delp.out" &&
    [ "$(grep -c '^/' "$T/delp.out")" = 1 ]; then
	t_pass "$T_NAME/delete"
else
	t_fail "$T_NAME/delete" "$(cat "$T/del.out" "$T/del2.out" "$T/delp.out" | tr '\n' ' ')"
fi

# ---------------------------------------------------------------- txn
et txn-create /t/new v1 >"$T/txn1.out" 2>&1
et txn-create /t/new v2 >"$T/txn2.out" 2>&1
M=$(field "$(grep '^/t/new=' "$T/txn2.out")" mod)
et txn-mod /t/new "$M" v3 >"$T/txn3.out" 2>&1
et txn-mod /t/new "$M" v4 >"$T/txn4.out" 2>&1
et get /t/new >"$T/txn5.out" 2>&1
if grep -q '^succeeded rev ' "$T/txn1.out" && grep -q '^failed rev ' "$T/txn2.out" &&
    grep -q '^/t/new=v1 ' "$T/txn2.out" && grep -q '^succeeded rev ' "$T/txn3.out" &&
    grep -q '^failed rev ' "$T/txn4.out" && grep -q '^/t/new=v3 ' "$T/txn4.out" &&
    grep -q '^/t/new=v3 .* version=2 ' "$T/txn5.out"; then
	t_pass "$T_NAME/txn_branches"
else
	t_fail "$T_NAME/txn_branches" "$(cat "$T"/txn[1-5].out | tr '\n' ' ')"
fi

# ---------------------------------------------------------------- leases
et lease grant 2 >"$T/lease.out" 2>&1
L=$(sed -n 's/^lease //p' "$T/lease.out")
et put /t/l x "$L" \; get /t/l \; lease keepalive "$L" >"$T/lease2.out" 2>&1
if [ -n "$L" ] && grep -q "^/t/l=x .* lease=$L$" "$T/lease2.out" &&
    grep -q '^ttl [12]$' "$T/lease2.out"; then
	t_pass "$T_NAME/lease_grant_keepalive"
else
	t_fail "$T_NAME/lease_grant_keepalive" "$(cat "$T/lease.out" "$T/lease2.out" | tr '\n' ' ')"
fi
# gone once the TTL passes (etcd may add up to a second)
lease_gone() { et get /t/l | grep -q 'count 0$'; }
if wait_for 6 lease_gone && et lease keepalive "$L" | grep -qx 'ttl 0'; then
	t_pass "$T_NAME/lease_expires"
else
	t_fail "$T_NAME/lease_expires" "$(et get /t/l 2>&1 | tr '\n' ' ')"
fi
L2=$(et lease grant 60 | sed -n 's/^lease //p')
et put /t/l2 y "$L2" \; lease revoke "$L2" \; get /t/l2 \; lease revoke "$L2" >"$T/revoke.out" 2>&1
if [ -n "$L2" ] && grep -q 'count 0$' "$T/revoke.out" &&
    [ "$(grep -c '^revoked$' "$T/revoke.out")" = 2 ]; then
	t_pass "$T_NAME/lease_revoke"
else
	t_fail "$T_NAME/lease_revoke" "$(cat "$T/revoke.out" | tr '\n' ' ')"
fi

# ---------------------------------------------------------------- watch
R0=$(rev_now)
et txn-put /w/1 a /w/2 b /w/0 z >/dev/null 2>&1
et put /w/3 c >/dev/null 2>&1
et del /w/1 >/dev/null 2>&1
et put /x/other o >/dev/null 2>&1
et watch /w/ $((R0 + 1)) 3000 3 >"$T/watch.out" 2>&1
cat >"$T/watch.exp" <<EOF
rev $((R0 + 1)) n 3
  PUT /w/1=a
  PUT /w/2=b
  PUT /w/0=z
rev $((R0 + 2)) n 1
  PUT /w/3=c
rev $((R0 + 3)) n 1
  DELETE /w/1
watch end last $((R0 + 3))
EOF
if cmp -s "$T/watch.out" "$T/watch.exp"; then
	t_pass "$T_NAME/watch_txn_grouped"
else
	t_fail "$T_NAME/watch_txn_grouped" "$(diff "$T/watch.exp" "$T/watch.out" | tr '\n' ' ')"
fi
# from a later start revision; and a watch that ends at its time limit
et watch /w/ $((R0 + 2)) 1500 >"$T/watch2.out" 2>&1
rc=$?
if [ "$rc" = 0 ] && [ "$(sed -n 1p "$T/watch2.out")" = "rev $((R0 + 2)) n 1" ] &&
    ! grep -q "^rev $((R0 + 1)) " "$T/watch2.out" &&
    grep -qx "watch end last $((R0 + 3))" "$T/watch2.out"; then
	t_pass "$T_NAME/watch_start_revision"
else
	t_fail "$T_NAME/watch_start_revision" "rc $rc: $(cat "$T/watch2.out" | tr '\n' ' ')"
fi
# live: a watch from now sees a transaction made after it began
et watch /v/ 0 8000 1 >"$T/watch3.out" 2>&1 &
WP=$!
sleep 1
et txn-put /v/1 x /v/2 y >"$T/watch3.txn" 2>&1
wait "$WP"
RV=$(sed -n 's/^txn rev //p' "$T/watch3.txn")
if [ -n "$RV" ] && [ "$(sed -n 1p "$T/watch3.out")" = "rev $RV n 2" ] &&
    grep -qx "watch end last $RV" "$T/watch3.out"; then
	t_pass "$T_NAME/watch_live"
else
	t_fail "$T_NAME/watch_live" "$(cat "$T/watch3.txn" "$T/watch3.out" | tr '\n' ' ')"
fi

# compacted: a watch from before the compaction revision says so
RC=$(rev_now)
etcdctl_do compact "$RC" >"$T/compact.out" 2>&1
et watch /w/ $((R0 + 1)) 3000 >"$T/watch4.out" 2>"$T/watch4.err"
rc=$?
if [ "$rc" = 1 ] && grep -qx "compacted $RC" "$T/watch4.out" &&
    [ "$(wc -l <"$T/watch4.err")" = 1 ] && grep -q 'compacted up to' "$T/watch4.err"; then
	t_pass "$T_NAME/watch_compacted"
else
	t_fail "$T_NAME/watch_compacted" "rc $rc: $(cat "$T/compact.out" "$T/watch4.out" "$T/watch4.err" | tr '\n' ' ')"
fi

# ---------------------------------------------------------------- members
et members >"$T/members.out" 2>&1
if [ "$(grep -c ' healthy=1 ' "$T/members.out")" = 3 ] &&
    [ "$(grep -c ' leader=1 ' "$T/members.out")" = 1 ] &&
    grep -q "^m2 $ETCD_EP_2 healthy=1 leader=[01] rev=[0-9]" "$T/members.out"; then
	t_pass "$T_NAME/members"
else
	t_fail "$T_NAME/members" "$(cat "$T/members.out" | tr '\n' ' ')"
fi

# ---------------------------------------------------------------- TLS
"$ET" -t 3000 "$ETCD_ENDPOINTS" "$ETCD_CA" "$ETCD_PKI/other.pem" "$ETCD_PKI/other.key" \
	get /t/a >"$T/other.out" 2>"$T/other.err"
rc=$?
if [ "$rc" != 0 ] && [ ! -s "$T/other.out" ] && [ "$(wc -l <"$T/other.err")" = 1 ] &&
    grep -q 'client certificate' "$T/other.err"; then
	t_pass "$T_NAME/foreign_client_cert_refused"
else
	t_fail "$T_NAME/foreign_client_cert_refused" "rc $rc: $(cat "$T/other.out" "$T/other.err")"
fi
"$ET" -t 3000 "$ETCD_ENDPOINTS" "$ETCD_CA" - - get /t/a >"$T/nocert.out" 2>"$T/nocert.err"
rc=$?
if [ "$rc" != 0 ] && [ ! -s "$T/nocert.out" ] && [ "$(wc -l <"$T/nocert.err")" = 1 ] &&
    grep -q 'client certificate' "$T/nocert.err"; then
	t_pass "$T_NAME/no_client_cert_refused"
else
	t_fail "$T_NAME/no_client_cert_refused" "rc $rc: $(cat "$T/nocert.out" "$T/nocert.err")"
fi
"$ET" -t 3000 "$ETCD_ENDPOINTS" "$ETCD_PKI/otherca.pem" "$ETCD_CERT" "$ETCD_KEY" \
	get /t/a >"$T/otherca.out" 2>"$T/otherca.err"
rc=$?
if [ "$rc" != 0 ] && [ ! -s "$T/otherca.out" ] && grep -qi 'certificate' "$T/otherca.err"; then
	t_pass "$T_NAME/server_checked"
else
	t_fail "$T_NAME/server_checked" "rc $rc: $(cat "$T/otherca.out" "$T/otherca.err")"
fi
HTTP_EP=$(echo "$ETCD_EP_1" | sed 's|^https://|http://|')
"$ET" -t 3000 "$HTTP_EP" - - - get /t/a >"$T/http.out" 2>"$T/http.err"
rc=$?
if [ "$rc" != 0 ] && [ "$(wc -l <"$T/http.err")" = 1 ] &&
    grep -q 'an https:// member spoken to as http://' "$T/http.err"; then
	t_pass "$T_NAME/http_to_https_member"
else
	t_fail "$T_NAME/http_to_https_member" "rc $rc: $(cat "$T/http.out" "$T/http.err")"
fi

# ---------------------------------------------------------------- failover
# one client: a put, then its endpoint is stopped, then a get
rm -f "$T/go"
et put /f/a 1 \; endpoint \; waitfile "$T/go" \; get /f/a \; endpoint >"$T/fo.out" 2>&1 &
FP=$!
has_ep() { grep -q '^endpoint ' "$T/fo.out"; }
wait_for 10 has_ep
EP=$(sed -n 's/^endpoint //p' "$T/fo.out" | head -1)
I=0
for i in 1 2 3; do
	eval "[ \"\$ETCD_EP_$i\" = \"$EP\" ]" && I=$i
done
[ "$I" != 0 ] && etcd_stop_member "$I"
: >"$T/go"
wait "$FP"
rc=$?
EP2=$(sed -n 's/^endpoint //p' "$T/fo.out" | sed -n 2p)
if [ "$rc" = 0 ] && [ "$I" != 0 ] && grep -q '^/f/a=1 ' "$T/fo.out" && [ -n "$EP2" ] &&
    [ "$EP2" != "$EP" ]; then
	t_pass "$T_NAME/failover"
else
	t_fail "$T_NAME/failover" "rc $rc member $I: $(cat "$T/fo.out" | tr '\n' ' ')"
fi

# two of three down: no quorum; one line, ETCD_EUNREACH, within the limit
J=1
[ "$I" = 1 ] && J=2
etcd_stop_member "$J"
t0=$(now_ms)
et get /f/a >"$T/noq.out" 2>"$T/noq.err"
rc=$?
dt=$(($(now_ms) - t0))
if [ "$rc" = 2 ] && [ "$(wc -l <"$T/noq.err")" = 1 ] && grep -q '^etcdtool: EUNREACH: ' "$T/noq.err" &&
    [ "$dt" -lt 4500 ]; then
	t_pass "$T_NAME/no_quorum_unreachable"
else
	t_fail "$T_NAME/no_quorum_unreachable" "rc $rc in $dt ms: $(cat "$T/noq.out" "$T/noq.err")"
fi
et put /f/b 2 >"$T/noq2.out" 2>"$T/noq2.err"
rc=$?
t_check "$T_NAME/no_quorum_put_refused" [ "$rc" = 2 ]

# back: both members again, everything answers
etcd_start_member "$I" >"$T/restart.why" 2>&1
etcd_start_member "$J" >>"$T/restart.why" 2>&1
et put /f/b 2 \; get /f/a \; get /f/b >"$T/back.out" 2>&1
rc=$?
if [ "$rc" = 0 ] && grep -q '^/f/a=1 ' "$T/back.out" && grep -q '^/f/b=2 ' "$T/back.out"; then
	t_pass "$T_NAME/catch_up"
else
	t_fail "$T_NAME/catch_up" "rc $rc: $(cat "$T/restart.why" "$T/back.out" | tr '\n' ' ')"
fi

etcd_stop_all
t_done
