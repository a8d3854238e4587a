#!/bin/sh
# alerts_mail.sh - issue 13: alerts mailed to the recipients of
# alertconfig, through the gateway's own queue. A listener on a port
# another program holds raises a Critical Listener alert: it reaches the
# recipient that wants every alert (at an smtp-sink, by an SMTP route),
# with AsyncOS's subject "Critical-HOST: (Listener) TEXT" and sender <>,
# and not the recipient of Warning alerts only; mail_logs ties the
# generated MID to the alert. The same alert raised again within
# alert.dup_interval is not mailed (logged); with the interval 0 it is,
# and that mail says how often it was left out. A bad address is one
# line and stages nothing.
#
# Every wait is for an event, with a ceiling; no fixed sleeps.
. "$(dirname "$0")/lib.subr"

D=$(t_dir alerts_mail)
P=$(free_port)
S=$(free_port)
K="$D/sink"

# hold_port - a program listening on a port of 127.0.0.1 (its number in $D/busy.port)
hold_port() {
	$PY -c '
import os, signal, socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(5)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d\n" % s.getsockname()[1])
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
signal.sigwait([signal.SIGTERM, signal.SIGINT])
' "$D/busy.port" &
	T_PIDS="$T_PIDS $!"
	wait_for 10 test -s "$D/busy.port"
}

hold_port || { t_fail setup "no program holds a port"; t_done; }
B=$(cat "$D/busy.port")
sink_start "$S" "$K" || { t_fail setup "smtp-sink on $S"; t_done; }

# a bad address: one line, nothing staged
"$MXSH" -D "$D" -c 'alertconfig new not-an-address' >"$D/bad.out" 2>&1
rc=$?
if [ $rc = 1 ] && [ "$(wc -l <"$D/bad.out")" = 1 ] &&
    grep -q "^Invalid address 'not-an-address'" "$D/bad.out"; then
	t_pass bad_address_one_line
else
	t_fail bad_address_one_line "exit $rc: $(tr '\n' '|' <"$D/bad.out")"
fi

mxsh_do "$D" 'sethostname gw.example.test' \
	"listenerconfig new Good ip=127.0.0.1 port=$P type=public domains=@example.test" \
	"smtproutes new alerts.test 127.0.0.1:$S" \
	'alertconfig new ops@alerts.test' \
	'alertconfig new warn@alerts.test severities=warning' \
	'commit alert recipients' >"$D/setup.out" 2>&1 ||
	t_fail setup "mxsh setup failed: $(tr '\n' '|' <"$D/setup.out")"
gw_start "$D"
wait_port "$P" 10 || { t_fail daemon_listens "port $P"; t_done; }

# the alert: a listener on the held port
"$MXSH" -D "$D" -c "listenerconfig new Busy ip=127.0.0.1 port=$B type=private relay=127.0.0.1" \
	-c 'commit listener on a busy port' >"$D/commit2.out" 2>&1
if wait_sink 30 "$K" 0; then t_pass alert_mailed; else t_fail alert_mailed "nothing at the sink"; t_done; fi
M=$(find "$K" -type f | head -1)
# the header unfolded (it is folded at blanks before 78 columns)
subj=$($PY -c 'import email, sys; print(" ".join(email.message_from_binary_file(open(sys.argv[1], "rb"))["Subject"].split()))' "$M")
case $subj in
"Critical-gw.example.test: (Listener) Listener Busy cannot listen on 127.0.0.1 port $B: "*)
	t_pass subject_asyncos ;;
*)	t_fail subject_asyncos "$subj" ;;
esac
t_check from_alert_at_host grep -q '^From: <alert@gw.example.test>' "$M"
t_check body_has_class grep -q '^Class:    Listener' "$M"
t_check body_has_severity grep -q '^Severity: Critical' "$M"
t_check only_ops_in_to sh -c "grep -q '^To: <ops@alerts.test>\$' '$M' && ! grep -q 'warn@alerts.test' '$M'"
L="$D/logs/mail_logs/mail.current"
t_check generated_line grep -Eq 'Info: MID [0-9]+ was generated for alert [0-9]+$' "$L"
t_check sender_empty grep -Eq 'Info: MID [0-9]+ ICID 0 From: <>$' "$L"
t_check warning_only_not_addressed sh -c "! grep -q 'To: <warn@alerts.test>' '$L'"

# the same alert again within the interval (a commit rebinds the listeners): not mailed
mxsh_do "$D" 'smtproutes new other.test 127.0.0.1:9' 'commit again' >"$D/commit3.out" 2>&1
if wait_for 20 sh -c "grep -q 'not mailed: the same alert was mailed' '$D/logs/mail_logs/mail.current'"; then
	t_pass duplicate_logged
else
	t_fail duplicate_logged "$(grep -c 'cannot listen' "$D/logs/mail_logs/mail.current") alerts in mail_logs"
fi
n=$(sink_count "$K")
if [ "$n" = 1 ]; then t_pass duplicate_not_mailed; else t_fail duplicate_not_mailed "$n mails at the sink"; fi

# interval 0: mailed again, saying how often it was left out
mxsh_do "$D" 'alertconfig setup dup_interval=0' 'commit every alert' >"$D/commit4.out" 2>&1
if wait_sink 30 "$K" 1; then t_pass interval0_mailed; else t_fail interval0_mailed "no second mail"; t_done; fi
if grep -q 'This alert was raised 1 more time since' "$K"/*; then
	t_pass suppressed_count_said
else
	t_fail suppressed_count_said "$(cat "$K"/* | tr '\n' '|' | cut -c1-600)"
fi

gw_stop "$D" || t_fail sigterm_clean_exit "exit status"
t_done
