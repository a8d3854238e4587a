#!/bin/sh
# mailpath.sh - the mail path end to end: a public listener, a route and a
# policy committed with mxsh; swaks sends through mxgated into smtp-sink;
# relaying denied; tophosts and mail_logs; the sink down, soft bounce,
# '*' in tophosts, delivery once the sink is back.
. "$(dirname "$0")/lib.subr"

D=$(t_dir mailpath)
P=$(free_port)
S=$(free_port)
SINK=$D.sink

mxsh_do "$D" \
	"listenerconfig new IncomingMail ip=127.0.0.1 port=$P type=public domains=@example.test,@sales.example.test,@.sales.example.test" \
	"smtproutes new example.test 127.0.0.1:$S" \
	"smtproutes new .example.test 127.0.0.1:$S" \
	"policyconfig incoming new sales recipients=@sales.example.test" \
	"deliveryconfig setup retry_initial=1 retry_max=2" \
	"commit e2e mail path" >"$D/setup.out" 2>&1 \
	|| t_fail setup "mxsh setup failed: $(cat "$D/setup.out")"
sink_start "$S" "$SINK" || t_fail sink "smtp-sink did not start"
gw_start "$D"
if wait_port "$P" 10; then t_pass daemon_listens; else t_fail daemon_listens "port $P"; t_done; fi

# accepted and delivered
swaks --server 127.0.0.1:$P --to x@example.test --from sender@outside.test \
	--header "Subject: hello e2e" >"$D/swaks1.out" 2>&1
t_check swaks_accepted grep -q "250 2.0.0 Ok: Message" "$D/swaks1.out"
if wait_sink 10 "$SINK" 0; then t_pass delivered_to_sink
else t_fail delivered_to_sink "nothing arrived at the sink"; fi
t_check received_header grep -rq "^Received: from " "$SINK"
t_check received_by grep -rq "^ by .* with ESMTP id [0-9]" "$SINK"

# relaying denied outside the accepted domains
swaks --server 127.0.0.1:$P --to x@elsewhere.test --from s@outside.test >"$D/swaks2.out" 2>&1
t_check relay_denied_550 grep -q "<\*\* 550 5.7.1" "$D/swaks2.out"

# tophosts and the log of the message's life
wait_for 5 sh -c "'$MXSH' -D '$D' -c 'tophosts deliv_rcpts' | grep -Eq 'example.test +0 +0 +1 '"
"$MXSH" -D "$D" -c 'tophosts deliv_rcpts' >"$D/top.out" 2>&1
t_check tophosts_delivered grep -Eq "^  1  example.test +0 +0 +1 +0 +0$" "$D/top.out"
t_check tophosts_header grep -q "Hosts marked with '\*' were down as of the last delivery attempt." "$D/top.out"
maillog "$D" >"$D/log1"
for pat in "New SMTP ICID [0-9]+ interface IncomingMail" "Start MID [0-9]+ ICID" \
	"MID [0-9]+ ICID [0-9]+ From: <sender@outside.test>" "MID [0-9]+ ICID [0-9]+ RID 0 To: <x@example.test>" \
	"MID [0-9]+ Subject 'hello e2e'" "MID [0-9]+ ready [0-9]+ bytes from <sender@outside.test>" \
	"MID [0-9]+ matched all recipients for per-recipient policy DEFAULT in the inbound table" \
	"MID [0-9]+ queued for delivery" "New SMTP DCID [0-9]+ interface 127.0.0.1 address 127.0.0.1 port $S" \
	"Delivery start DCID [0-9]+ MID [0-9]+ to RID \[0\]" "Message done DCID [0-9]+ MID [0-9]+ to RID \[0\]" \
	"MID [0-9]+ RID \[0\] Response '" "Message finished MID [0-9]+ done" "ICID [0-9]+ close"; do
	if grep -Eq "$pat" "$D/log1"; then t_pass "log: $pat"; else t_fail "log: $pat" "not in mail_logs"; fi
done

# policy split: one message to two policies becomes two MIDs
swaks --server 127.0.0.1:$P --to a@sales.example.test,b@example.test --from s@outside.test >"$D/swaks3.out" 2>&1
wait_for 5 grep -q "was split creating MID" "$D/logs/mail_logs/mail.current"
t_check policy_split grep -Eq "MID [0-9]+ was split creating MID [0-9]+ due to a per-recipient policy (sales|DEFAULT) in the inbound table" "$D/logs/mail_logs/mail.current"
t_check policy_sales grep -q "matched all recipients for per-recipient policy sales in the inbound table" "$D/logs/mail_logs/mail.current"
wait_sink 10 "$SINK" 2
t_check split_both_delivered test "$(sink_count "$SINK")" -ge 3

# the sink goes down: soft bounce, host marked down, then delivered when back
sink_stop "$SINK"
swaks --server 127.0.0.1:$P --to y@example.test --from s@outside.test >"$D/swaks4.out" 2>&1
t_check accepted_while_down grep -q "250 2.0.0 Ok: Message" "$D/swaks4.out"
wait_for 10 grep -q "Delayed: DCID" "$D/logs/mail_logs/mail.current"
t_check soft_bounce_logged grep -q "Delayed: DCID [0-9]* MID [0-9]* to RID 0 - 4.4.1" "$D/logs/mail_logs/mail.current"
wait_for 5 sh -c "'$MXSH' -D '$D' -c 'tophosts' </dev/null | grep -q '^  [0-9]\*'"
"$MXSH" -D "$D" -c 'tophosts active_rcpts' >"$D/top2.out" 2>&1
t_check tophosts_star grep -Eq "^  1\* example.test +1 " "$D/top2.out"
before=$(sink_count "$SINK")
sink_start "$S" "$SINK"
if wait_sink 20 "$SINK" "$before"; then t_pass delivered_after_recovery
else t_fail delivered_after_recovery "not delivered after the sink came back"; fi
"$MXSH" -D "$D" -c 'hoststatus example.test' >"$D/hs.out" 2>&1
t_check hoststatus_up grep -q "Host up/down:          up" "$D/hs.out"

# SIGTERM: clean exit
if gw_stop "$D"; then t_pass sigterm_clean_exit; else t_fail sigterm_clean_exit "exit status"; fi
t_check stopped_logged grep -q "mxgated stopped" "$D/logs/mail_logs/mail.current"
t_done
