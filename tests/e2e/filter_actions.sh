#!/bin/sh
# filter_actions.sh - what message filters do to mail in a real mxgated,
# action by action, and what quarantines do with what they hold:
#   insert-header / strip-header, bcc, notify, bounce (a DSN to the
#   sender), alt-mailhost (another next hop), alt-rcpt-to,
#   duplicate-quarantine (delivered, and a copy kept), skip-filters, an
#   else branch; a quarantine whose retention has ended deletes or
#   releases (expire=delete|release), one over its size limit lets go of
#   its oldest message; a content filter only for the policy that enables
#   it; a filter naming a missing quarantine is kept, invalid, and skipped.
# Retention is hours long: the test ages quarantined rows in queue.db
# with sqlite3 while mxgated is stopped, then starts it (its first pass
# runs a few seconds after start).
. "$(dirname "$0")/lib.subr"

D=$(t_dir filter_actions)
P=$(free_port)
S=$(free_port)
S2=$(free_port)
SINK=$D.sink
SINK2=$D.sink2
LOG=$D/logs/mail_logs/mail.current
sink_start "$S" "$SINK" || { t_fail setup "smtp-sink did not start"; t_done; }
sink_start "$S2" "$SINK2" || { t_fail setup "second smtp-sink did not start"; t_done; }

cat >"$D/filters.txt" <<'EOF'
headers: if header('X-Secret') { strip-header('X-Secret'); insert-header('X-Scanned', 'by mxgate'); }
copy: if subject == "^bcc me$" { bcc('audit@example.test'); }
tell: if subject == "^notify me$" { notify('admin@example.test'); }
refuse: if subject == "^bounce me$" { bounce(); }
elsewhere: if subject == "^relay2$" { alt-mailhost('relay2.test'); }
redirect: if subject == "^redirect$" { alt-rcpt-to('other@example.test'); }
keep: if subject == "^keep a copy$" { duplicate-quarantine("Policy"); }
stop: if subject == "^skip$" { skip-filters(); }
late: if subject == "^skip$" { drop(); } else { log-entry("late filter ran"); }
short: if subject == "^short$" { quarantine("Short"); }
rel: if subject == "^rel$" { quarantine("Rel"); }
big: if subject == "^big$" { quarantine("Small"); }
ghost: if subject == "^ghost$" { quarantine("Nowhere"); }
EOF
printf 'tagvip: if true { insert-header("X-VIP", "yes"); }\n.\n' >"$D/cf.txt"
mxsh_do "$D" \
	"listenerconfig new IncomingMail ip=127.0.0.1 port=$P type=public domains=@example.test" \
	"smtproutes new example.test 127.0.0.1:$S" \
	"smtproutes new src.test 127.0.0.1:$S" \
	"smtproutes new relay2.test 127.0.0.1:$S2" \
	"dnsconfig servers=127.0.0.1:$(dead_port)" \
	"quarantineconfig new Short retention_hours=1 expire=delete" \
	"quarantineconfig new Rel retention_hours=1 expire=release" \
	"quarantineconfig new Small size_mb=1" \
	"policyconfig incoming new VIP recipients=vip@example.test" \
	"filters import $D/filters.txt" \
	"commit e2e filter actions" >"$D/setup.out" 2>&1 ||
	{ t_fail setup "mxsh setup failed: $(cat "$D/setup.out")"; t_done; }
"$MXSH" -D "$D" -e -c "contentfilters new" -c "policyconfig incoming edit VIP content_filters=tagvip" \
	-c "commit content filter" <"$D/cf.txt" >"$D/setup2.out" 2>&1 ||
	{ t_fail setup "content filter setup failed: $(cat "$D/setup2.out")"; t_done; }
"$MXSH" -D "$D" -c "filters list" >"$D/list.out" 2>&1
t_check ghost_kept_invalid grep -Eq "^13 +Y +N +ghost" "$D/list.out"
gw_start "$D"
wait_port "$P" 10 || { t_fail setup "mxgated did not listen: $(cat "$D/mxgated.out")"; t_done; }

# send SUBJECT [TO] [extra swaks args] - prints the MID
N=0
send() {
	N=$((N + 1))
	_s=$1 _t=${2:-user@example.test}
	shift
	[ $# -gt 0 ] && shift
	swaks --server 127.0.0.1:$P --from sender@src.test --to "$_t" --helo client.src.test \
		--header "Subject: $_s" "$@" >"$D/swaks.$N" 2>&1
	sed -n 's/.*250 2.0.0 Ok: Message \([0-9]*\) accepted.*/\1/p' "$D/swaks.$N" | head -1
}
has() { grep -Eq "$1" "$LOG"; }
in_sink() { grep -lqs "$2" "$1"/* ; }
settled() { wait_for 30 grep -Eq "MID $1 (queued for delivery|Dropped by|quarantined to)" "$LOG"; }

M=$(send "headers" user@example.test --header "X-Secret: s3cr3t")
t_check headers_delivered wait_for 20 in_sink "$SINK" "Subject: headers"
F=$(grep -ls "Subject: headers" "$SINK"/* | head -1)
t_check headers_stripped sh -c "! grep -q 'X-Secret' '$F'"
t_check headers_inserted grep -q "^X-Scanned: by mxgate" "$F"

M=$(send "bcc me")
settled "$M"
t_check bcc_generated has "MID [0-9]+ was generated based on MID $M by bcc filter 'copy'"
t_check bcc_two_copies wait_for 20 sh -c "[ \$(grep -ls 'Subject: bcc me' '$SINK'/* | wc -l) -eq 2 ]"

M=$(send "notify me")
settled "$M"
t_check notify_generated has "MID [0-9]+ was generated based on MID $M by notify filter 'tell'"
t_check notify_sent wait_for 20 in_sink "$SINK" "Subject: Message filter notification: notify me"

M=$(send "bounce me")
t_check bounce_logged wait_for 20 grep -q "Bounced: DCID 0 MID $M to RID 0 - 5.7.1 - Bounced by message filter 'refuse'" "$LOG"
t_check bounce_dsn has "MID [0-9]+ was generated for bounce of MID $M"
t_check bounce_dsn_sent wait_for 20 sh -c "grep -ls 'message bounced by message filter' '$SINK'/* | grep -q ."
# (the DSN quotes the original's headers: only mail from <> may hold them)
t_check bounce_not_delivered sh -c "! grep -ls '^Subject: bounce me' '$SINK'/* | xargs grep -L '^X-Mail-Args: <>' | grep -q ."

M=$(send "relay2")
t_check mailhost_elsewhere wait_for 20 in_sink "$SINK2" "Subject: relay2"
t_check mailhost_logged has "MID $M mail host changed to relay2.test by message filter 'elsewhere'"

M=$(send "redirect")
settled "$M"
t_check redirect_logged has "MID $M RID 0 To: <user@example.test> changed to <other@example.test> by message filter 'redirect'"
t_check redirect_delivered wait_for 20 in_sink "$SINK" "Subject: redirect"

M=$(send "keep a copy")
settled "$M"
t_check dup_delivered wait_for 20 in_sink "$SINK" "Subject: keep a copy"
t_check dup_kept has "MID [0-9]+ quarantined to \"Policy\" \(message filter:keep\)\$"
"$MXSH" -D "$D" -c "showquarantine Policy" >"$D/showq.out" 2>&1
t_check dup_listed grep -q "keep a copy" "$D/showq.out"
DUP=$(sed -n 's/.*MID \([0-9]*\) quarantined to "Policy" (message filter:keep)$/\1/p' "$LOG" | head -1)
"$MXSH" -D "$D" -c "deletequarantine Policy $DUP" >"$D/delq.out" 2>&1
t_check delete_says grep -q "MID $DUP deleted from quarantine \"Policy\"" "$D/delq.out"
t_check delete_logged wait_for 10 grep -q "MID $DUP deleted from quarantine \"Policy\" (manual delete)\$" "$LOG"

M=$(send "skip")
settled "$M"
t_check skip_not_dropped sh -c "! grep -q 'MID $M Dropped' '$LOG'"
M=$(send "other")
settled "$M"
t_check else_branch has "MID $M Custom Log Entry: late filter ran"

M=$(send "ghost")
settled "$M"
t_check invalid_skipped sh -c "! grep -q 'MID $M quarantined' '$LOG'"

M=$(send "vip mail" vip@example.test)
settled "$M"
t_check cfilter_policy wait_for 20 sh -c "grep -l 'Subject: vip mail' '$SINK'/* | xargs grep -q '^X-VIP: yes'"
F=$(grep -ls "Subject: headers" "$SINK"/* | head -1)
t_check cfilter_only_its_policy sh -c "! grep -q '^X-VIP' '$F'"

# more headers than filters read: said in mail_logs, never silently
$PY - "$P" >"$D/manyhdr.out" 2>&1 <<'PYEOF'
import smtplib, sys
hdrs = "".join("X-Pad-%d: x\r\n" % i for i in range(1005))
msg = hdrs + "Subject: many headers\r\nFrom: sender@src.test\r\n\r\nbody\r\n"
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=30, local_hostname="client.src.test")
print(s.sendmail("sender@src.test", ["user@example.test"], msg))
s.quit()
PYEOF
t_check partial_logged wait_for 20 grep -q "message filters: the header section is too large: they read only the first 1000 headers" "$LOG"

# ------------------------------------------------ retention and size
MS=$(send "short")
MR=$(send "rel")
dd if=/dev/zero bs=1024 count=700 2>/dev/null | tr '\0' 'x' | fold -w 76 >"$D/big.txt"
MB1=$(send "big" user@example.test --body "$D/big.txt")
MB2=$(send "big" user@example.test --body "$D/big.txt")
settled "$MB2"
"$MXSH" -D "$D" -c "showquarantine" >"$D/showall.out" 2>&1
t_check held_short grep -q "Short" "$D/showall.out"
gw_stop "$D"
# two hours later, as far as the quarantines can tell
sqlite3 "$D/queue.db" "UPDATE quarantine SET quarantined = quarantined - 7200 WHERE qname IN ('Short', 'Rel');" ||
	t_fail age "sqlite3 could not age the rows"
gw_start "$D"
wait_port "$P" 10 || t_fail restart "mxgated did not listen again"
t_check expired_deleted wait_for 30 grep -q "MID $MS deleted from quarantine \"Short\" (expired)\$" "$LOG"
t_check expired_released wait_for 30 grep -q "MID $MR released from quarantine \"Rel\" (expired)\$" "$LOG"
t_check released_delivered wait_for 20 in_sink "$SINK" "Subject: rel"
t_check deleted_not_delivered sh -c "! grep -qs '^Subject: short' '$SINK'/*"
t_check full_oldest_goes wait_for 30 grep -q "MID $MB1 deleted from quarantine \"Small\" (quarantine full)\$" "$LOG"
"$MXSH" -D "$D" -c "showquarantine Small" >"$D/small.out" 2>&1
t_check full_newest_stays grep -q "^$MB2 " "$D/small.out"
t_check full_oldest_gone sh -c "! grep -q '^$MB1 ' '$D/small.out'"

gw_stop "$D" || t_fail stop "mxgated did not stop cleanly: $(tail -3 "$D/mxgated.out")"
t_done
