#!/bin/sh
# pipeline.sh - the acceptance pipeline's loop protection and the
# connector's clock, end to end with the real mxgated:
#   - journal loop: the intake domain routed back to the gateway's own
#     listener; one message makes exactly one journal copy, the copy is
#     recognised when it comes back and never journaled again, and the
#     copy's own relaying loop ends at the hop limit (554 5.4.6);
#   - hop limit: a message with 50 Received: headers is refused 554 5.4.6
#     and nothing is queued; 49 pass; the limit is smtp.hop_limit;
#   - a message without Message-ID logs none (not an empty one);
#   - a forged journal mark does not exempt a message from journaling;
#   - a paused work queue does not age a journal copy: paused longer than
#     tdc.max_queue_time, then resumed, the copy is delivered;
#   - a route to a host named in /etc/hosts (localhost) is delivered;
#   - one accounting: status's delivered/bounced counters are the sums of
#     tophosts' rows, journal copies counted apart.
. "$(dirname "$0")/lib.subr"

D=$(t_dir pipeline)
K=$D.keys
P=$(free_port)
S=$(free_port)
SINK=$D.sink
mkdir -p "$K"

t_ca "$K" && t_cert "$K" gw "DNS:gw.test,IP:127.0.0.1" ||
	{ t_fail setup "openssl could not make the test CA"; t_done; }

sink_start "$S" "$SINK" || t_fail setup "smtp-sink did not start"
# the intake domain is routed to the gateway itself: the loop of the issue
mxsh_do "$D" \
	"certconfig server cert=$K/gw.pem key=$K/gw.key" \
	"certconfig cafile $K/ca.pem" \
	"listenerconfig new IncomingMail ip=127.0.0.1 port=$P type=public domains=@example.test,@intake.test,@local.test tls=preferred" \
	"smtproutes new example.test 127.0.0.1:$S" \
	"smtproutes new intake.test 127.0.0.1:$P" \
	"smtproutes new local.test localhost:$S" \
	"supportconfig tdc.retry_delay=1 tdc.max_queue_time=3" \
	"tdcconfig setup enable=yes intake_address=journal@intake.test" \
	"policyconfig incoming edit DEFAULT tdc=global" \
	"commit e2e pipeline" >"$D/setup.out" 2>&1 \
	|| { t_fail setup "mxsh setup failed: $(cat "$D/setup.out")"; t_done; }
gw_start "$D"
wait_port "$P" 10 || { t_fail setup "mxgated did not listen: $(cat "$D/mxgated.out")"; t_done; }
LOG=$D/logs/mail_logs/mail.current
has() { grep -Eq "$1" "$LOG"; }
count() { grep -Ec "$1" "$LOG"; }

# ---------------------------------------------------------------- journal loop
swaks --server 127.0.0.1:$P --from sender@outside.test --to x@example.test \
	--header "Subject: loop" >"$D/swaks.out" 2>&1
MID=$(sed -n 's/.*250 2.0.0 Ok: Message \([0-9]*\) accepted.*/\1/p' "$D/swaks.out" | head -1)
[ -n "$MID" ] && t_pass loop/accepted || t_fail loop/accepted "$(tail -3 "$D/swaks.out")"
# the copy travels round until the hop limit refuses it
if wait_for 120 grep -q "too many hops" "$LOG"; then
	t_pass loop/ended_by_hop_limit
else
	t_fail loop/ended_by_hop_limit "no 'too many hops' line; $(count 'was generated based on') copies made"
fi
copies=$(count "TDC: MID [0-9]+ was generated based on MID")
[ "$copies" = 1 ] && t_pass loop/one_copy || t_fail loop/one_copy "$copies journal copies were made"
has "TDC: MID [0-9]+ is a journal copy made by this gateway: not journaled again" &&
	t_pass loop/copy_recognised || t_fail loop/copy_recognised "no 'not journaled again' line"
passes=$(count "is a journal copy made by this gateway")
# 50 hops: the copy is received 50 times, the 51st is refused
[ "$passes" -le 51 ] && [ "$passes" -ge 45 ] && t_pass loop/bounded ||
	t_fail loop/bounded "the copy came back $passes times"
has "MID [0-9]+ ICID [0-9]+ rejected: too many hops \(50 Received: headers, limit 50\)" &&
	t_pass loop/logged || t_fail loop/logged "$(grep 'too many hops' "$LOG" | head -2)"
wait_sink 30 "$SINK" 0 && t_pass loop/original_delivered || t_fail loop/original_delivered "nothing reached the sink"

# ---------------------------------------------------------------- hop limit
# hops N - a message carrying N Received: headers; prints the final reply
hops() {
	$PY - "$P" "$1" <<'PYEOF'
import smtplib, sys
n = int(sys.argv[2])
hdrs = "".join("Received: from hop%d.test by hop%d.test; Sun, 6 Dec 2026 10:00:00 +0000\r\n" % (i, i + 1) for i in range(n))
data = hdrs + "From: a@outside.test\r\nTo: x@example.test\r\nSubject: hops %d\r\n\r\nbody\r\n" % n
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=30, local_hostname="localhost")
s.ehlo("hops.test")
s.mail("a@outside.test")
s.rcpt("x@example.test")
code, text = s.data(data.encode())
print(code, text.decode())
PYEOF
}
out=$(hops 50 2>&1)
case "$out" in *"554"*"5.4.6"*) t_pass hops/50_refused ;; *) t_fail hops/50_refused "$out" ;; esac
out=$(hops 49 2>&1)
case "$out" in "250 "*) t_pass hops/49_accepted ;; *) t_fail hops/49_accepted "$out" ;; esac
out49=$out
# the limit is a setting (hidden, as Postfix's hopcount_limit is rarely touched)
set30=$(mxsh_do "$D" "supportconfig smtp.hop_limit=30" "commit hop limit 30" 2>&1) ||
	t_fail hops/setting "$set30"
out30=$(hops 30 2>&1)
out29=$(hops 29 2>&1)
case "$out30|$out29" in
*"554"*"5.4.6"*"|250 "*) t_pass hops/setting ;;
*) t_fail hops/setting "30: $out30; 29: $out29" ;;
esac
mxsh_do "$D" "supportconfig smtp.hop_limit=50" "commit hop limit 50" >/dev/null 2>&1
# that message had no Message-ID: none is logged, not an empty one
hmid=$(echo "$out49" | sed -n 's/^250 .*Message \([0-9]*\) accepted.*/\1/p')
wait_for 30 grep -q "was generated based on MID $hmid " "$LOG"
if grep -q "Message-ID ''" "$LOG"; then
	t_fail no_message_id "$(grep "Message-ID ''" "$LOG" | head -2)"
elif ! has "TDC: MID [0-9]+ enqueued for delivery to Message Intake Address"; then
	t_fail no_message_id "no TDC enqueued line for the copy of MID $hmid"
else
	t_pass no_message_id
fi

# ---------------------------------------------------------------- forged mark
before=$(count "was generated based on MID")
out=$($PY - "$P" <<'PYEOF' 2>&1
import smtplib, sys
data = ("X-MXGate-Journal: " + "0" * 64 + "\r\nFrom: a@outside.test\r\nTo: x@example.test\r\n"
        "Subject: forged\r\n\r\nbody\r\n")
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=30, local_hostname="localhost")
s.ehlo("forger.test")
s.mail("")
s.rcpt("x@example.test")
code, text = s.data(data.encode())
print(code, text.decode())
PYEOF
)
fmid=$(echo "$out" | sed -n 's/^250 .*Message \([0-9]*\) accepted.*/\1/p')
if [ -n "$fmid" ] && wait_for 30 grep -q "was generated based on MID $fmid " "$LOG"; then
	t_pass forged_mark_journaled
else
	t_fail forged_mark_journaled "reply '$out'; no copy of MID $fmid"
fi

# ---------------------------------------------------------------- pause
# the copy's intake (ourselves) is fine; hold the work queue longer than
# tdc.max_queue_time (3 s) and make sure the copy is not expired for it
out=$("$MXSH" -D "$D" -c 'workqueue pause e2e' 2>&1) || t_fail pause/cmd "$out"
swaks --server 127.0.0.1:$P --from sender@outside.test --to y@example.test \
	--header "Subject: paused" >"$D/swaks2.out" 2>&1
PMID=$(sed -n 's/.*250 2.0.0 Ok: Message \([0-9]*\) accepted.*/\1/p' "$D/swaks2.out" | head -1)
wait_for 30 grep -q "was generated based on MID $PMID " "$LOG"
PC=$(sed -n "s/.*TDC: MID \([0-9]*\) was generated based on MID $PMID .*/\1/p" "$LOG" | head -1)
# paused: nothing of it is delivered; wait well past the copy's 3 seconds
sleep 6
if has "Delivery start DCID [0-9]+ MID $PC\$"; then
	t_fail pause/held "the copy was delivered while the work queue was paused"
else
	t_pass pause/held
fi
"$MXSH" -D "$D" -c 'workqueue resume' >/dev/null 2>&1
if wait_for 60 grep -q "TDC: MID $PC successfully delivered" "$LOG"; then
	t_pass pause/copy_delivered_after_resume
else
	t_fail pause/copy_delivered_after_resume "$(grep "MID $PC " "$LOG" | tail -3)"
fi
has "TDC: MID $PC delivery failed" && t_fail pause/not_expired "$(grep "MID $PC delivery failed" "$LOG")" ||
	t_pass pause/not_expired

# ---------------------------------------------------------------- hosts file
n0=$(sink_count "$SINK")
swaks --server 127.0.0.1:$P --from sender@outside.test --to z@local.test \
	--header "Subject: via localhost" >"$D/swaks3.out" 2>&1
LMID=$(sed -n 's/.*250 2.0.0 Ok: Message \([0-9]*\) accepted.*/\1/p' "$D/swaks3.out" | head -1)
if wait_for 60 grep -Eq "Message done DCID [0-9]+ MID $LMID to" "$LOG" && wait_sink 30 "$SINK" "$n0"; then
	t_pass route_via_hosts_file
else
	t_fail route_via_hosts_file "$(grep -E "MID $LMID |DNS" "$LOG" | tail -3)"
fi

# ---------------------------------------------------------------- seed 002
# Every sample line of seed 002's "TDC mail log examples", word for word:
# the parts that vary (IDs, addresses, names, ciphers) become patterns,
# the words stay. The copies' travels above gave the normal delivery; the
# three failures of the seed are made here: a connection error (the
# intake route points at a closed port), a TLS error (an intake without
# STARTTLS: smtp-sink) and a DNS hard bounce (an intake domain that does
# not exist, asked of a real DNS server: dnsmasq, authoritative for test).
CLOSED=$(free_port)
DNSP=$(free_port)
/usr/sbin/dnsmasq --conf-file=/dev/null --keep-in-foreground --no-resolv --no-hosts \
	--no-poll --pid-file= --log-facility=- --bind-interfaces --listen-address=127.0.0.1 \
	--local=/test/ --port="$DNSP" >"$D/dnsmasq.out" 2>&1 &
T_PIDS="$T_PIDS $!"
# failing MID - send one message and wait for its copy to leave the queue
failing() {
	swaks --server 127.0.0.1:$P --from sender@outside.test --to x@example.test \
		--header "Subject: $1" >"$D/swaks.$1.out" 2>&1
	m=$(sed -n 's/.*250 2.0.0 Ok: Message \([0-9]*\) accepted.*/\1/p' "$D/swaks.$1.out" | head -1)
	wait_for 30 grep -q "was generated based on MID $m " "$LOG"
	c=$(sed -n "s/.*TDC: MID \([0-9]*\) was generated based on MID $m .*/\1/p" "$LOG" | head -1)
	wait_for 60 grep -q "TDC: MID $c delivery failed" "$LOG" || t_fail "seed002/$1" "copy $c of $m never failed"
}
mxsh_do "$D" "smtproutes edit intake.test 127.0.0.1:$CLOSED" "supportconfig tdc.max_queue_time=120" \
	"commit closed intake" >"$D/seed1.out" 2>&1 || t_fail seed002/setup "$(cat "$D/seed1.out")"
failing connection
mxsh_do "$D" "smtproutes edit intake.test 127.0.0.1:$S" "commit plain intake" >"$D/seed2.out" 2>&1 ||
	t_fail seed002/setup "$(cat "$D/seed2.out")"
failing tls
mxsh_do "$D" "dnsconfig servers=127.0.0.1:$DNSP timeout=5" \
	"tdcconfig setup enable=yes intake_address=test@esa.test" "commit nxdomain intake" \
	>"$D/seed3.out" 2>&1 || t_fail seed002/setup "$(cat "$D/seed3.out")"
failing dns
seed() { t_check "seed002/$1" has "$2"; }
# Fri Feb 16 21:19:22 2024 Info: TDC: MID 14501404 with Message-ID '<07afv777xxreILg20Q@gostrt-sstp-0>' e
seed enqueued "^[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9]{2} [0-9:]{8} [0-9]{4} Info: TDC: MID [0-9]+ with Message-ID '<[^>]+>' enqueued for delivery to Message Intake Address journal@intake.test\$"
# Fri Feb 16 21:19:23 2024 Info: TDC: New SMTP DCID 4566150 interface 10.13.0.99 address 10.10.55.171 por
seed new_dcid "Info: TDC: New SMTP DCID [0-9]+ interface 127\.0\.0\.1 address 127\.0\.0\.1 port [0-9]+\$"
# Fri Feb 16 21:19:23 2024 Info: DCID 4566150 TLS success protocol TLSv1.2 cipher ECDHE-RSA-AES128-GCM-SH
seed tls_success "Info: DCID [0-9]+ TLS success protocol TLSv1\.[23] cipher [A-Z0-9_-]+\$"
# Fri Feb 16 21:19:23 2024 Info: TDC: Delivery start DCID 4566150 MID 14501404
seed delivery_start "Info: TDC: Delivery start DCID [0-9]+ MID [0-9]+\$"
# Fri Feb 16 21:19:24 2024 Info: TDC: MID 14501404 successfully delivered for scanning with Cisco Secure
seed delivered "Info: TDC: MID [0-9]+ successfully delivered for scanning with Cisco Secure Email Threat Defense\$"
# Fri Feb 16 21:19:24 2024 Info: Message finished MID 14501404 done
seed finished "Info: Message finished MID [0-9]+ done\$"
# Wed Nov 29 09:03:05 2023 Info: TDC: Connection Error: DCID 36 domain: the.tdc.queue IP: 10.10.0.3 port:
seed connection_error "Info: TDC: Connection Error: DCID [0-9]+ domain: the\.tdc\.queue IP: 127\.0\.0\.1 port: $CLOSED "
# Fri Feb 14 04:10:14 2024 Info: TDC: MID 1450012 delivery failed to Cisco Secure Email Threat Defense:TL
seed tls_error "Info: TDC: MID [0-9]+ delivery failed to Cisco Secure Email Threat Defense: TLS Error\.\$"
# Wed Nov 29 09:07:16 2023 Info: TDC: MID 171 with Message-ID '<20231129090720.24911.11947@vm21bsd0050.cs
# dress test@esa.example.com
seed enqueued_esa "Info: TDC: MID [0-9]+ with Message-ID '<[^>]+>' enqueued for delivery to Message Intake Address test@esa\.test\$"
# Wed Nov 29 09:07:16 2023 Info: DNS Error esa.example.com MX - NXDomain
seed dns_error "Info: DNS Error esa\.test MX - NXDomain\$"
# Wed Nov 29 09:07:16 2023 Info: TDC: Hard bounced - 5.1.2 - Bad destination host ('000', 'DNS Hard Error
seed hard_bounced "Info: TDC: Hard bounced - 5\.1\.2 - Bad destination host \('000', 'DNS Hard Error looking up esa\.test \(MX\): NXDOMAIN'\)\$"
# TDC: MID 171 delivery failed to Cisco Secure Email Threat Defense: Hard Bounced.
seed failed_hard "Info: TDC: MID [0-9]+ delivery failed to Cisco Secure Email Threat Defense: Hard Bounced\.\$"
# Wed Nov 29 09:07:16 2023 Info: Bounced: DCID 0 MID 171 to RID 0 - Bounced by destination server with re
seed bounced "Info: Bounced: DCID 0 MID [0-9]+ to RID 0 - Bounced by destination server with response: 5\.1\.2 - "
# and the order of the DNS case, as in the seed
grep -E "DNS Error esa|TDC: Hard bounced - 5\.1\.2|delivery failed to Cisco Secure Email Threat Defense: Hard|Bounced: DCID 0" "$LOG" |
	sed 's/^.* Info: //' | cut -c1-20 | tr '\n' '|' >"$D/order"
case "$(cat "$D/order")" in
"DNS Error esa.test M|TDC: Hard bounced - |TDC: MID "*"Bounced: DCID 0 MID "*) t_pass seed002/dns_order ;;
*) t_fail seed002/dns_order "$(cat "$D/order")" ;;
esac

# ---------------------------------------------------------------- accounting
# wait for the queue to settle (nothing waiting but what can never go)
wait_for 60 sh -c "\"$MXSH\" -D '$D' -c 'status' | grep -q 'Active Recipients *0\\b' || \
	! \"$MXSH\" -D '$D' -c 'tophosts active_rcpts' | awk 'NR>2 && \$3 > 0' | grep -q ."
"$MXSH" -D "$D" -c 'tophosts deliv_rcpts' >"$D/tophosts.out" 2>&1
"$MXSH" -D "$D" -c 'status' >"$D/status.out" 2>&1
# tophosts: "# Recipient Host Active Conn Deliv Soft Hard" rows
rows() { awk -v col="$1" -v tdc="$2" 'NR > 2 && NF >= 7 && (tdc == "" ? $2 != "the.tdc.queue" : $2 == "the.tdc.queue") { s += $col } END { print s + 0 }' "$D/tophosts.out"; }
stat() { sed -n "s/^ *$1  *\([0-9,]*\) .*/\1/p" "$D/status.out" | head -1 | tr -d ,; }
deliv=$(rows 5 "") hard=$(rows 7 "") tdeliv=$(rows 5 tdc)
sdeliv=$(stat "Delivered Recipients") shard=$(stat "Hard Bounced Recipients")
# something was delivered and bounced above: equal zeros would prove nothing
if [ "$deliv" -gt 0 ] && [ "$hard" -gt 0 ] && [ "$deliv" = "$sdeliv" ] && [ "$hard" = "$shard" ]; then
	t_pass accounting/status_is_sum_of_hosts
else
	t_fail accounting/status_is_sum_of_hosts "tophosts delivered $deliv hard $hard; status delivered $sdeliv hard $shard"
fi
sj=$(stat "Journal Copies Delivered")
[ "$tdeliv" -gt 0 ] && [ "$sj" = "$tdeliv" ] && t_pass accounting/journal_apart ||
	t_fail accounting/journal_apart "the.tdc.queue delivered $tdeliv, status shows '$sj'"

gw_stop "$D" || t_fail sigterm "mxgated exited $?"
t_done
