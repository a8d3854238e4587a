#!/bin/sh
# mailbox_imap.sh - net/mailbox.c's IMAP backend against a real Dovecot
# (tests/helpers/dovecot.subr), through tests/helpers/mbxtool: find,
# fetch, delete and move with Dovecot's master-user login and with a
# user's own; a wrong password is one clear line and touches nothing; a
# message whose Message-ID field holds the wanted one as a substring is
# never acted on; found messages are not left \Seen; a message behind 250
# older decoys whose Message-IDs hold its own is still found and deleted,
# finding it changes no message's flags (more than 10,000 such hits, one
# clear error and not a miss, is the volume case tests/bench/imap_hits.sh,
# run by `make bench`); quotes are refused,
# '%' survives libcurl; the server's certificate is checked. Last, one
# message goes through a gateway (smtproutes example.com -> the bridge)
# into alice's INBOX.
. "$(dirname "$0")/lib.subr"
. "$(dirname "$0")/../helpers/dovecot.subr"
# carol: the mailbox of the decoy test
DOVECOT_USERS="$DOVECOT_USERS carol@example.com:carol-pw-1"

T=$(t_dir mailbox_imap)
MBX=$BUILD/tests/mbxtool
trap 'dovecot_stop; bridge_stop' EXIT
if [ "$(id -u)" != 0 ]; then
	t_fail setup "runs as root (Dovecot's master process)"
	t_done
fi
IP=$(free_port)
IP2=$(free_port)
dovecot_start "$T/dv" "$IP" "$IP2" >"$T/dv.why" 2>&1 || { t_fail setup "$(cat "$T/dv.why")"; t_done; }
CA=$T/dv/ca/ca.pem
A=alice@example.com
B=bob@example.com

# msg FILE MESSAGE-ID SUBJECT - a small message
msg() {
	printf 'From: sender@outside.test\r\nTo: user@example.com\r\nSubject: %s\r\nMessage-ID: %s\r\nDate: Mon, 7 Dec 2026 01:00:00 +0000\r\n\r\nthe body of %s\r\n' \
		"$3" "$2" "$3" >"$1"
}
# decoys USER FROM TO ID - messages FROM..TO whose Message-ID holds ID,
# written straight into USER's maildir (doveadm save takes ~0.1 s each)
decoys() {
	_d_dir=$T/dv/mail/$1/Maildir
	mkdir -p "$_d_dir/cur" "$_d_dir/new" "$_d_dir/tmp"
	_d_i=$2
	while [ "$_d_i" -le "$3" ]; do
		msg "$_d_dir/new/1700000000.M${_d_i}P$$.mxtest" "<d$_d_i$4>" "decoy $_d_i"
		_d_i=$((_d_i + 1))
	done
	chown -R nobody:nogroup "$T/dv/mail/$1"
}
# master ARGS... / user PASSWORD ARGS... - mbxtool with either login
master() { "$MBX" -s "imaps://127.0.0.1:$IP" -u mxgate -p master-pw-1 -c "$CA" "$@"; }
user() {
	_u_pw=$1
	shift
	"$MBX" -s "imaps://127.0.0.1:$IP" -a user -w "$_u_pw" -c "$CA" "$@"
}

msg "$T/m1" '<m1@x.test>' one
msg "$T/evil" '<evil-<m1@x.test>>' evil
msg "$T/pct" '<a%41b@x.test>' percent
msg "$T/dup" '<dup@x.test>' dup
msg "$T/bob" '<b1@x.test>' bobs
for f in m1 evil pct dup dup; do dovecot_deliver $A "$T/$f"; done
dovecot_deliver $B "$T/bob"
t_check setup_delivered test "$(dovecot_count $A)" = 5

# find: exactly the message, master login; nothing marked read
master find $A '<m1@x.test>' >"$T/find1.out" 2>&1
t_check find_master grep -qx 'found 1' "$T/find1.out"
if dovecot_seen $A '<m1@x.test>' || dovecot_seen $A '<evil-<m1@x.test>>'; then
	t_fail find_leaves_unseen "a found (or checked) message is now \\Seen"
else t_pass find_leaves_unseen; fi

# 250 decoys older than the phishing message, each Message-ID holding
# '<x1@y.test>': SEARCH HEADER finds all 251, every hit is checked (not
# only the oldest ones; more than one FETCH of 200), and the check reads the headers with BODY.PEEK,
# touching no flag (doveadm's modseq of a message grows with any flag
# change, even one put back at once)
C=carol@example.com
decoys $C 1 250 '<x1@y.test>'
t_check decoys_synced test "$(dovecot_count $C)" = 250
msg "$T/target" '<x1@y.test>' phish
dovecot_deliver $C "$T/target"
doveadm_do flags add -u $C '\Seen' mailbox INBOX uid 1:40 2>/dev/null
doveadm_do flags add -u $C '\Flagged' mailbox INBOX uid 30:60 2>/dev/null
# state - uid, flags and modseq of every message of carol's INBOX but the
# target (\Recent goes with the first IMAP session, whatever it does)
state() {
	doveadm_do fetch -u $C 'uid flags modseq hdr.message-id' mailbox INBOX all 2>/dev/null |
		awk '/^uid:/ { u = $0 } /^flags:/ { f = $0; gsub(/\\Recent/, "", f); gsub(/ +/, " ", f); sub(/ $/, "", f) } /^modseq:/ { s = $0 }
		/^hdr\.message-id:/ { if ($2 != "<x1@y.test>") print u, f, s }'
}
state >"$T/decoys.before"
t_check decoys_delivered test "$(dovecot_count $C)" = 251
master find $C '<x1@y.test>' >"$T/decoy-find.out" 2>&1
if grep -qx 'found 1' "$T/decoy-find.out" && grep -qx '251' "$T/decoy-find.out"; then
	t_pass decoys_target_found
else t_fail decoys_target_found "$(head -3 "$T/decoy-find.out" | tr '\n' ' ')"; fi
state >"$T/decoys.after-find"
if cmp -s "$T/decoys.before" "$T/decoys.after-find" && ! dovecot_seen $C '<x1@y.test>'; then
	t_pass decoys_find_touches_no_flag
else t_fail decoys_find_touches_no_flag "$(diff "$T/decoys.before" "$T/decoys.after-find" | head -4 | tr '\n' ' ')"; fi
master delete $C '<x1@y.test>' >"$T/decoy-del.out" 2>&1
t_check decoys_target_deleted grep -qx 'deleted 1' "$T/decoy-del.out"
if ! dovecot_has $C '<x1@y.test>' && [ "$(dovecot_count $C)" = 250 ]; then
	t_pass decoys_target_gone
else t_fail decoys_target_gone "$(dovecot_count $C) messages left"; fi
state >"$T/decoys.after-del"
if [ "$(wc -l <"$T/decoys.before")" = 250 ] && cmp -s "$T/decoys.before" "$T/decoys.after-del"; then
	t_pass decoys_untouched
else t_fail decoys_untouched "$(diff "$T/decoys.before" "$T/decoys.after-del" | head -4 | tr '\n' ' ')"; fi

# imap:// logs in only after STARTTLS (Dovecot refuses a plaintext login)
"$MBX" -s "imap://127.0.0.1:$IP2" -u mxgate -p master-pw-1 -c "$CA" find $A '<m1@x.test>' \
	>"$T/starttls.out" 2>&1
t_check starttls_find grep -qx 'found 1' "$T/starttls.out"
t_check starttls_used grep -Eq "imap-login: Info: Login: user=<alice@example.com>.* lport=$IP2, .*, TLS," "$T/dv/dovecot.log"

# a substring of a Message-ID is not that Message-ID
master find $A 'm1@x.test' >"$T/find2.out" 2>&1
t_check substring_not_found grep -qx 'found 0' "$T/find2.out"
master find $A '<nope@x.test>' >"$T/find3.out" 2>&1
t_check unknown_found_0 grep -qx 'found 0' "$T/find3.out"
master find $A '<dup@x.test>' >"$T/find4.out" 2>&1
t_check two_copies_found grep -qx 'found 2' "$T/find4.out"
master find $A '<a%41b@x.test>' >"$T/find5.out" 2>&1
t_check percent_kept grep -qx 'found 1' "$T/find5.out"

# fetch with alice's own login: the message as stored, still unread
user alice-pw-1 fetch $A '<m1@x.test>' >"$T/fetch.out" 2>"$T/fetch.err"
if grep -q '^Message-ID: <m1@x.test>' "$T/fetch.out" && grep -q 'the body of one' "$T/fetch.out"; then
	t_pass fetch_user_login
else t_fail fetch_user_login "$(cat "$T/fetch.err")"; fi
if dovecot_seen $A '<m1@x.test>'; then t_fail fetch_leaves_unseen "\\Seen after the fetch"
else t_pass fetch_leaves_unseen; fi

# wrong passwords: one clear line, nothing deleted
"$MBX" -s "imaps://127.0.0.1:$IP" -u mxgate -p wrong-pw -c "$CA" delete $A '<m1@x.test>' \
	>"$T/bad1.out" 2>"$T/bad1.err"
rc=$?
if [ "$rc" = 1 ] && [ "$(wc -l <"$T/bad1.err")" = 1 ] &&
	grep -q '^mbxtool: IMAP login as alice@example.com\*mxgate failed: NO \[AUTHENTICATIONFAILED\]' "$T/bad1.err"; then
	t_pass wrong_master_password
else t_fail wrong_master_password "rc $rc: $(cat "$T/bad1.err")"; fi
if grep -q 'wrong-pw' "$T/bad1.err"; then t_fail password_not_shown "the password is in the message"
else t_pass password_not_shown; fi
user bob-pw-1 delete $A '<m1@x.test>' >"$T/bad2.out" 2>"$T/bad2.err"
t_check wrong_user_password grep -q '^mbxtool: IMAP login as alice@example.com failed: NO' "$T/bad2.err"
t_check wrong_password_nothing_deleted test "$(dovecot_count $A)" = 5
# a refused login stays refused (exit 1); a server not answering may come back (exit 3):
# the remediation engine tries the second again later, not the first
"$MBX" -s "imaps://127.0.0.1:$(dead_port)" -u mxgate -p master-pw-1 -c "$CA" find $A '<m1@x.test>' \
	>"$T/down.out" 2>"$T/down.err"
rc=$?
if [ "$rc" = 3 ] && grep -q '^mbxtool: IMAP SEARCH in mailbox alice@example.com failed' "$T/down.err"; then
	t_pass server_down_passing
else t_fail server_down_passing "rc $rc: $(cat "$T/down.err")"; fi
t_check wrong_password_stays test "$(cd "$T" && "$MBX" -s "imaps://127.0.0.1:$IP" -u mxgate -p wrong-pw \
	-c "$CA" find $A '<m1@x.test>' >/dev/null 2>&1; echo $?)" = 1

# refused rather than injected
master find $A '<a"b@x.test>' >"$T/inj.out" 2>"$T/inj.err"
t_check quote_refused grep -q 'refused: the Message-ID holds a quote' "$T/inj.err"

# the certificate is checked: no CA given, the test CA is unknown
"$MBX" -s "imaps://127.0.0.1:$IP" -u mxgate -p master-pw-1 find $A '<m1@x.test>' >"$T/ca.out" 2>"$T/ca.err"
t_check certificate_checked grep -qi 'certificate' "$T/ca.err"

# delete: only the exact message goes
master delete $A '<m1@x.test>' >"$T/del.out" 2>&1
t_check delete_master grep -qx 'deleted 1' "$T/del.out"
if dovecot_has $A '<m1@x.test>'; then t_fail delete_gone "still in INBOX"; else t_pass delete_gone; fi
if dovecot_has $A '<evil-<m1@x.test>>' && [ "$(dovecot_count $A)" = 4 ]; then
	t_pass delete_spares_substring
else t_fail delete_spares_substring "$(dovecot_ids $A | tr '\n' ' ')"; fi
master delete $A '<dup@x.test>' >"$T/del2.out" 2>&1
t_check delete_both_copies grep -qx 'deleted 2' "$T/del2.out"
t_check delete_count test "$(dovecot_count $A)" = 2

# move to Junk with bob's own login
user bob-pw-1 -f Junk delete $B '<b1@x.test>' >"$T/mv.out" 2>&1
t_check move_user_login grep -qx 'deleted 1' "$T/mv.out"
if ! dovecot_has $B '<b1@x.test>' && dovecot_has $B '<b1@x.test>' Junk; then t_pass moved_to_junk
else t_fail moved_to_junk "INBOX: $(dovecot_ids $B | tr '\n' ' ') Junk: $(dovecot_ids $B Junk | tr '\n' ' ')"; fi
master -f NoSuchFolder delete $A '<a%41b@x.test>' >"$T/mv2.out" 2>"$T/mv2.err"
if grep -q '^mbxtool: IMAP MOVE in mailbox alice@example.com failed: NO' "$T/mv2.err" &&
	dovecot_has $A '<a%41b@x.test>'; then t_pass move_unknown_folder
else t_fail move_unknown_folder "$(cat "$T/mv2.err")"; fi

# IMAP cannot forward by itself: the caller sends the fetched copy
master forward $A '<a%41b@x.test>' soc@example.com >"$T/fw.out" 2>&1
t_check imap_forward_is_callers grep -qx 'cannot forward: the caller sends it' "$T/fw.out"

# a gateway delivers into Dovecot through the bridge
G=$T/gw
GP=$(free_port)
BP=$(free_port)
bridge_start "$BP" || t_fail bridge "the bridge does not listen"
mxsh_do "$G" \
	"listenerconfig new IncomingMail ip=127.0.0.1 port=$GP type=public domains=@example.com" \
	"smtproutes new example.com 127.0.0.1:$BP" \
	"commit mailbox_imap" >"$T/gw.out" 2>&1 || t_fail gw_setup "$(cat "$T/gw.out")"
gw_start "$G"
wait_port "$GP" 10 || t_fail gw_listens "port $GP"
swaks --server 127.0.0.1:$GP --from sender@outside.test --to $A \
	--header "Message-Id: <gw1@x.test>" --header "Subject: through the gateway" >"$T/swaks.out" 2>&1
if wait_for 30 dovecot_has $A '<gw1@x.test>'; then t_pass gateway_delivers_to_dovecot
else t_fail gateway_delivers_to_dovecot "$(tail -3 "$T/swaks.out") $(cat "$T/dv/bridge.log")"; fi
master find $A '<gw1@x.test>' >"$T/gwf.out" 2>&1
t_check gateway_message_found grep -qx 'found 1' "$T/gwf.out"
gw_stop "$G"
bridge_stop
dovecot_stop
# no sanitizer report from any mbxtool run (the ASan build)
if grep -l 'Sanitizer\|runtime error' "$T"/*.out "$T"/*.err 2>/dev/null | grep -q .; then
	t_fail sanitizer_clean "$(grep -l 'Sanitizer\|runtime error' "$T"/*.out "$T"/*.err)"
else t_pass sanitizer_clean; fi
t_done
