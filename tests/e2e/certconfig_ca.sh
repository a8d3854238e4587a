#!/bin/sh
# certconfig_ca.sh - the CA bundle is imported into the store by
# `certconfig cafile` (issue 8, defect 13), so mxgated, which drops root,
# verifies peers with it whether or not it could read the operator's file:
#
#   - a file that cannot be read, that holds no certificate or a damaged
#     one is refused with one error line and config.db is unchanged;
#   - a bundle imported, then deleted before mxgated starts: the listener
#     switched to tls=preferred in the same commit offers STARTTLS, and the
#     journal copy reaches the TLS intake with its certificate verified
#     against the imported CA;
#   - a bundle of another CA: the same intake is then refused (TLS error),
#     so the verification really uses the imported bundle.
. "$(dirname "$0")/lib.subr"

D=$(t_dir certconfig_ca)
K=$D.keys
CADIR=$D.cadir
P=$(free_port)
S=$(free_port)
I=$(free_port)
SINK=$D.sink
IN=$D.intake
mkdir -p "$K" "$IN" "$CADIR"

# ---------------------------------------------------------------- keys
gen_ca() {	# NAME: a self-signed CA
	openssl req -x509 -newkey rsa:2048 -nodes -subj "/CN=$1" -days 2 \
		-keyout "$K/$1.key" -out "$K/$1.pem" >/dev/null 2>&1
}
gen_cert() {	# NAME SAN: a key and a certificate signed by the test CA
	openssl req -newkey rsa:2048 -nodes -subj "/CN=$1" -keyout "$K/$1.key" \
		-out "$K/$1.csr" >/dev/null 2>&1 &&
	printf 'subjectAltName=%s\n' "$2" >"$K/$1.ext" &&
	openssl x509 -req -in "$K/$1.csr" -CA "$K/ca.pem" -CAkey "$K/ca.key" \
		-CAcreateserial -days 2 -extfile "$K/$1.ext" -out "$K/$1.pem" >/dev/null 2>&1
}
gen_ca ca && gen_ca otherca &&
	gen_cert intake.test "DNS:intake.test,DNS:localhost,IP:127.0.0.1" &&
	gen_cert gw.test "DNS:gw.test" || { t_fail setup "openssl could not make the test keys"; t_done; }
cp "$K/ca.pem" "$CADIR/ca.pem"
printf 'this is not PEM\n' >"$K/notpem.txt"
# a good certificate, then one whose base64 is damaged
{ cat "$K/otherca.pem"; sed '3s/^..../!!!!/' "$K/ca.pem"; } >"$K/damaged.pem"

dump() { sh "$(dirname "$0")/../helpers/cfgdump.sh" "$D"; }

# ---------------------------------------------------------------- refusals
mxsh_do "$D" "sethostname gw.test" "commit base" >"$D/base.out" 2>&1 ||
	t_fail setup "mxsh: $(cat "$D/base.out")"
dump >"$D/before.dump"
refuse() {	# NAME PATH PATTERN: certconfig cafile PATH fails with one line matching PATTERN
	"$MXSH" -D "$D" -c "certconfig cafile $2" -c showchanges >"$D/$1.out" 2>"$D/$1.err"
	rc=$?
	dump >"$D/$1.dump"
	if [ "$rc" = 1 ] && [ "$(wc -l <"$D/$1.err")" = 1 ] && grep -Eq "$3" "$D/$1.err" &&
	    grep -q '^No changes have been made' "$D/$1.out" &&
	    cmp -s "$D/before.dump" "$D/$1.dump"; then
		t_pass "certconfig_ca/$1"
	else
		t_fail "certconfig_ca/$1" "exit $rc: $(cat "$D/$1.err")"
	fi
}
refuse refuse_missing "$CADIR/nothere.pem" '^Cannot read the CA bundle file .*nothere\.pem: No such file'
refuse refuse_directory "$CADIR" '^Cannot read the CA bundle file '
refuse refuse_not_pem "$K/notpem.txt" 'holds no PEM certificate'
refuse refuse_damaged "$K/damaged.pem" 'holds a certificate that cannot be read \(after 1 good one\)'

# ---------------------------------------------------------------- import, then delete
$PY "$(dirname "$0")/intake.py" --port "$I" --cert "$K/intake.test.pem" \
	--key "$K/intake.test.key" --dir "$IN" >"$D.intake.out" 2>&1 &
T_PIDS="$T_PIDS $!"
wait_port "$I" 10 || t_fail setup "intake.py did not start: $(cat "$D.intake.out")"
sink_start "$S" "$SINK" || t_fail setup "smtp-sink did not start"
mxsh_do "$D" \
	"listenerconfig new IncomingMail ip=127.0.0.1 port=$P type=public domains=@example.test tls=preferred" \
	"smtproutes new example.test 127.0.0.1:$S" \
	"smtproutes new intake.test 127.0.0.1:$I" \
	"certconfig server cert=$K/gw.test.pem key=$K/gw.test.key" \
	"certconfig cafile $CADIR/ca.pem" \
	"tdcconfig setup enable=yes intake_address=journal@intake.test" \
	"policyconfig incoming edit DEFAULT tdc=global" \
	"commit imported CA" >"$D/setup.out" 2>&1 ||
	{ t_fail setup "mxsh setup failed: $(cat "$D/setup.out")"; t_done; }
"$MXSH" -D "$D" -c "certconfig print" >"$D/print.out" 2>&1
t_check certconfig_ca/print_count grep -q "^CA bundle: *$CADIR/ca.pem (1 certificate)\$" "$D/print.out"
# the operator's file is gone before mxgated ever reads the configuration
rm -rf "$CADIR"
"$MXSH" -D "$D" -c "certconfig print" >"$D/print2.out" 2>&1
t_check certconfig_ca/print_after_delete grep -q "^CA bundle: *$CADIR/ca.pem (1 certificate)\$" "$D/print2.out"
gw_start "$D"
wait_port "$P" 10 || { t_fail setup "mxgated did not listen: $(cat "$D/mxgated.out")"; t_done; }
LOG=$D/logs/mail_logs/mail.current

# the listener's tls=preferred of the same commit took effect
$PY - "$P" >"$D/ehlo.out" 2>&1 <<'PYEOF'
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10, local_hostname="localhost")
s.ehlo("client.test")
print("starttls" if s.has_extn("starttls") else "no starttls")
s.quit()
PYEOF
t_check certconfig_ca/listener_starttls grep -qx starttls "$D/ehlo.out"
t_check certconfig_ca/no_tls_warning sh -c "! grep -q 'TLS configuration not applied' '$LOG'"

saved() { find "$IN" -name 'msg.*.env' | wc -l; }
swaks --server 127.0.0.1:$P --from sender@outside.test --to x@example.test \
	--header "Subject: imported CA" >"$D/swaks1.out" 2>&1
MID=$(sed -n 's/.*Ok: Message \([0-9]*\) accepted.*/\1/p' "$D/swaks1.out" | head -1)
[ -n "$MID" ] || t_fail certconfig_ca/accepted "$(tail -5 "$D/swaks1.out")"
if wait_for 30 sh -c "[ \$(find '$IN' -name 'msg.*.env' | wc -l) -ge 1 ]" &&
    grep -q '"tls_version": "TLSv1\.[23]"' "$IN"/msg.1.env; then
	t_pass certconfig_ca/verified_with_imported
else
	t_fail certconfig_ca/verified_with_imported "no journal copy over TLS at the intake: $(grep -E 'TDC|TLS' "$LOG" | tail -5)"
fi

# ---------------------------------------------------------------- another CA: refused
# showchanges names the bundle, it does not print it
"$MXSH" -D "$D" -c "certconfig cafile $K/otherca.pem" -c showchanges >"$D/pending.out" 2>&1
if grep -q "BEGIN CERTIFICATE" "$D/pending.out" || ! grep -q "tls.ca_pem = (PEM, [0-9]* bytes) (was: (PEM, " "$D/pending.out"; then
	t_fail certconfig_ca/showchanges_names_pem "$(grep -c . "$D/pending.out") lines: $(head -c 300 "$D/pending.out")"
else
	t_pass certconfig_ca/showchanges_names_pem
fi
mxsh_do "$D" "certconfig cafile $K/otherca.pem" "commit other CA" >"$D/other.out" 2>&1 ||
	t_fail setup "mxsh: $(cat "$D/other.out")"
# a fresh mxgated: no journal connection verified under the old bundle is reused
gw_stop "$D"
gw_start "$D"
wait_port "$P" 10 || { t_fail setup "mxgated did not listen again: $(cat "$D/mxgated.out")"; t_done; }
swaks --server 127.0.0.1:$P --from sender@outside.test --to y@example.test \
	--header "Subject: other CA" >"$D/swaks2.out" 2>&1
MID2=$(sed -n 's/.*Ok: Message \([0-9]*\) accepted.*/\1/p' "$D/swaks2.out" | head -1)
if [ -n "$MID2" ] && wait_for 30 grep -q 'TDC: TLS error .*certificate verify failed' "$LOG" &&
    [ "$(saved)" = 1 ]; then
	t_pass certconfig_ca/other_ca_refused
else
	t_fail certconfig_ca/other_ca_refused "the intake was accepted with another CA's bundle"
fi
gw_stop "$D"
t_done
