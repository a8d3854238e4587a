#!/bin/sh
# certconfig.sh - `certconfig` with real key material generated at test
# time (no keys are committed): import and print a self-signed RSA
# certificate, a chain signed by a test CA, a combined PEM file; refuse a
# key that belongs to another certificate, an encrypted key, a key file
# without a key; the CA bundle path; and the secret never shown: the key
# appears in no output of print, showchanges, commit, commitdetail nor in
# cli_logs, and a refused import leaves config.db unchanged.
#
# Env: MXSH (the binary under test), TEST_OUT (scratch). Prints one
# "PASS certconfig/name" / "FAIL certconfig/name: why" line per case;
# exits 1 if any failed.
top=$(cd "$(dirname "$0")/../.." && pwd)
MXSH=${MXSH:-$top/build/mxsh}
out=${TEST_OUT:-$top/tests/out/plain}/certconfig
rm -rf "$out"
mkdir -p "$out/home" || exit 2
TZ=UTC
HOME=$out/home
export TZ HOME
unset MXGATE_HOME
failed=0

pass() { echo "PASS certconfig/$1"; }
fail() {
	echo "FAIL certconfig/$1: $2"
	failed=1
}
# show FILE... - the evidence of a failure, indented
show() {
	for f in "$@"; do
		[ -f "$f" ] && sed "s|^|    $(basename "$f"): |" "$f" | head -20
	done
}
# mx DIR NAME LINE... - run mxsh -D DIR -c LINE...; output in $out/NAME.out, status in $rc
mx() {
	d=$1 n=$2
	shift 2
	cnt=$#
	i=0
	while [ $i -lt $cnt ]; do
		l=$1
		shift
		set -- "$@" -c "$l"
		i=$((i + 1))
	done
	"$MXSH" -D "$d" "$@" </dev/null >"$out/$n.out" 2>&1
	rc=$?
}
# dump DIR - the persistent configuration, for before/after comparisons
dump() { sh "$top/tests/helpers/cfgdump.sh" "$1"; }

command -v openssl >/dev/null || { fail setup "openssl not installed"; exit 1; }
command -v sqlite3 >/dev/null || { fail setup "sqlite3 not installed"; exit 1; }

# ---------------------------------------------------------------- material
k=$out/keys
mkdir -p "$k"
gen() {
	openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=gw.test -days 30 \
	    -keyout "$k/rsa.key" -out "$k/rsa.pem" &&
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -subj /CN=other.test -days 30 -keyout "$k/other.key" -out "$k/other.pem" &&
	openssl pkey -in "$k/other.key" -aes256 -passout pass:secret -out "$k/enc.key" &&
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -subj "/CN=Test CA/O=mxgate tests" -days 30 -keyout "$k/ca.key" -out "$k/ca.pem" &&
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -subj /CN=leaf.test -keyout "$k/leaf.key" -out "$k/leaf.csr" &&
	openssl x509 -req -in "$k/leaf.csr" -CA "$k/ca.pem" -CAkey "$k/ca.key" \
	    -CAcreateserial -days 30 -out "$k/leaf.pem" &&
	cat "$k/leaf.pem" "$k/ca.pem" >"$k/chain.pem" &&
	cat "$k/rsa.pem" "$k/rsa.key" >"$k/combined.pem"
}
if ! gen >"$out/openssl.log" 2>&1; then
	fail setup "openssl could not make the test keys"
	show "$out/openssl.log"
	exit 1
fi
# lines that only the RSA key's PEM holds (file form and PKCS#8 form)
{
	grep -v -e '-----' "$k/rsa.key"
	openssl pkey -in "$k/rsa.key" | grep -v -e '-----'
	openssl pkey -in "$k/rsa.key" -traditional | grep -v -e '-----'
} | sort -u >"$out/keylines"
# found_key FILE... - does any file hold a line of the key?
found_key() { grep -q -F -f "$out/keylines" "$@"; }

# ---------------------------------------------------------------- import
d=$out/d1
mx "$d" import "certconfig server cert=$k/rsa.pem key=$k/rsa.key" showchanges \
    "commit server certificate" commitdetail "certconfig print"
if [ $rc = 0 ] && grep -q '^  + setting tls.server_key = \*\*\*\*\*$' "$out/import.out" &&
    grep -q '^  + setting tls.server_cert = (PEM, [0-9]* bytes)$' "$out/import.out" &&
    ! grep -q 'BEGIN CERTIFICATE' "$out/import.out"; then
	pass import
else
	fail import "exit $rc, or showchanges without the masked key"
	show "$out/import.out"
fi

fp=$(openssl x509 -in "$k/rsa.pem" -noout -fingerprint -sha256 | sed 's/^[^=]*=//')
na=$(openssl x509 -in "$k/rsa.pem" -noout -enddate | sed 's/^notAfter=//')
nb=$(openssl x509 -in "$k/rsa.pem" -noout -startdate | sed 's/^notBefore=//')
mx "$d" print "certconfig print"
if [ $rc = 0 ] &&
    grep -q '^    Subject: *CN=gw.test$' "$out/print.out" &&
    grep -q '^    Issuer: *CN=gw.test$' "$out/print.out" &&
    grep -q -F "SHA-256 fingerprint: $fp" "$out/print.out" &&
    grep -q -F "Not valid after:     $na" "$out/print.out" &&
    grep -q -F "Not valid before:    $nb" "$out/print.out" &&
    grep -q '^Private key: *\*\*\*\*\*$' "$out/print.out" &&
    grep -q '^CA bundle: *the system bundle$' "$out/print.out" &&
    ! grep -q '^    Chain:' "$out/print.out"; then
	pass print
else
	fail print "subject, dates, fingerprint $fp or masked key not shown"
	show "$out/print.out"
fi

# the key in no output and not in cli_logs (the command line is logged, its
# file name is no secret)
mx "$d" rest showchanges "commitdetail" "certconfig print"
if found_key "$out/import.out" "$out/print.out" "$out/rest.out"; then
	fail key_not_shown "a line of the private key was printed"
elif found_key "$d"/logs/cli_logs/*; then
	fail key_not_shown "a line of the private key is in cli_logs"
elif ! grep -q -F "certconfig server cert=$k/rsa.pem" "$d"/logs/cli_logs/cli.current; then
	fail key_not_shown "the command line is not in cli_logs"
	show "$d"/logs/cli_logs/cli.current
else
	pass key_not_shown
fi

# the stored key is the PKCS#8 re-encoding and matches the stored certificate
# (the key through tests/helpers/settingget: config.db holds it encrypted)
"$(cd "$(dirname "${MXGATED:-$top/build/mxgated}")" && pwd)/tests/settingget" "$d" tls.server_key \
    >"$out/stored.key" 2>"$out/stored.err"
sqlite3 "$d/config.db" "SELECT value FROM config WHERE key = 'tls.server_cert'" \
    >"$out/stored.pem" 2>>"$out/stored.err"
if grep -q '^-----BEGIN PRIVATE KEY-----$' "$out/stored.key" &&
    [ "$(openssl pkey -in "$out/stored.key" -pubout 2>/dev/null)" = \
      "$(openssl x509 -in "$out/stored.pem" -noout -pubkey 2>/dev/null)" ]; then
	pass stored_pair
else
	fail stored_pair "config.db does not hold a matching PKCS#8 key and certificate"
	show "$out/stored.err"
fi

# ---------------------------------------------------------------- refusals
# refused imports: exit 1, one error line, config.db unchanged
refuse() { # NAME PATTERN LINE
	dump "$d" >"$out/$1.before"
	mx "$d" "$1" "$3" "commit should not happen"
	dump "$d" >"$out/$1.after"
	if [ $rc != 1 ]; then
		fail "$1" "exit $rc, expected 1"
		show "$out/$1.out"
	elif [ "$(grep -c . "$out/$1.out")" != 2 ] || ! grep -q -- "$2" "$out/$1.out" ||
	    ! grep -q '^There is no data to commit\.$' "$out/$1.out"; then
		fail "$1" "expected one error line matching '$2' and nothing to commit"
		show "$out/$1.out"
	elif ! cmp -s "$out/$1.before" "$out/$1.after"; then
		fail "$1" "config.db changed"
	else
		pass "$1"
	fi
}
refuse mismatch 'does not match the certificate' \
    "certconfig server cert=$k/rsa.pem key=$k/other.key"
refuse mismatch_swapped 'does not match the certificate' \
    "certconfig server key=$k/rsa.key cert=$k/other.pem"
refuse encrypted_key 'must not be protected by a passphrase' \
    "certconfig server cert=$k/other.pem key=$k/enc.key"
refuse key_is_cert 'holds no readable PEM private key' \
    "certconfig server cert=$k/rsa.pem key=$k/rsa.pem"
refuse cert_is_key 'holds no PEM certificate' \
    "certconfig server cert=$k/rsa.key key=$k/rsa.key"
refuse missing_file 'Cannot read the private key file' \
    "certconfig server cert=$k/rsa.pem key=$k/nonexistent.key"
refuse cafile_not_pem 'holds no PEM certificate' "certconfig cafile $k/rsa.key"
if found_key "$out"/mismatch*.out "$out"/key_is_cert.out "$out"/cert_is_key.out; then
	fail refusals_quiet "an error printed a line of the key"
else
	pass refusals_quiet
fi

# ---------------------------------------------------------------- chains, files
d2=$out/d2
mx "$d2" chain "certconfig server cert=$k/chain.pem key=$k/leaf.key" "certconfig print"
if [ $rc = 0 ] && grep -q '^    Subject: *CN=leaf.test$' "$out/chain.out" &&
    grep -q '^    Issuer: *O=mxgate tests,CN=Test CA$' "$out/chain.out" &&
    grep -q '^    Chain: *1 more certificate$' "$out/chain.out"; then
	pass chain
else
	fail chain "leaf with its CA not imported or printed"
	show "$out/chain.out"
fi

mx "$d2" combined "certconfig server cert=$k/combined.pem key=$k/combined.pem" \
    "certconfig print"
if [ $rc = 0 ] && grep -q '^    Subject: *CN=gw.test$' "$out/combined.out" &&
    ! found_key "$out/combined.out"; then
	pass combined_file
else
	fail combined_file "one PEM file with certificate and key refused"
	show "$out/combined.out"
fi

# the CA bundle: a relative path is stored absolute; system goes back
(cd "$k" && "$MXSH" -D "$d2" -c "certconfig cafile ca.pem" -c "commit ca" \
    -c "certconfig print" </dev/null >"$out/cafile.out" 2>&1)
rc=$?
if [ $rc = 0 ] && grep -q -F "CA bundle:              $k/ca.pem (1 certificate)" \
    "$out/cafile.out"; then
	pass cafile
else
	fail cafile "the bundle's absolute path and count not shown"
	show "$out/cafile.out"
fi
mx "$d2" cafile_system "certconfig cafile system" "certconfig print" showchanges
if [ $rc = 0 ] && grep -q '^CA bundle: *the system bundle$' "$out/cafile_system.out" &&
    grep -q -F "~ setting tls.cafile =  (was: $k/ca.pem)" "$out/cafile_system.out"; then
	pass cafile_system
else
	fail cafile_system "certconfig cafile system did not reset the bundle"
	show "$out/cafile_system.out"
fi

# an expired certificate is imported with a warning (openssl ca sets past dates)
mkdir -p "$k/ca"
: >"$k/ca/index.txt"
echo 01 >"$k/ca/serial"
printf '[ca]\ndefault_ca = d\n[d]\ndatabase = %s/ca/index.txt\nserial = %s/ca/serial\nnew_certs_dir = %s/ca\ndefault_md = sha256\npolicy = p\n[p]\ncommonName = supplied\n' \
    "$k" "$k" "$k" >"$k/ca/ca.cnf"
if openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=old.test \
    -keyout "$k/old.key" -out "$k/old.csr" >>"$out/openssl.log" 2>&1 &&
    openssl ca -batch -config "$k/ca/ca.cnf" -cert "$k/ca.pem" -keyfile "$k/ca.key" \
    -in "$k/old.csr" -out "$k/old.pem" -startdate 20200101000000Z -enddate 20200201000000Z \
    -notext >>"$out/openssl.log" 2>&1; then
	mx "$out/d3" expired "certconfig server cert=$k/old.pem key=$k/old.key" \
	    "certconfig print"
	if [ $rc = 0 ] && grep -q '^Warning: the certificate expired on Feb  1 00:00:00 2020 GMT\.$' \
	    "$out/expired.out" && grep -q '2020 GMT (expired)$' "$out/expired.out"; then
		pass expired_warning
	else
		fail expired_warning "no warning for an expired certificate"
		show "$out/expired.out"
	fi
else
	fail expired_warning "openssl ca could not make an expired certificate"
	show "$out/openssl.log"
fi

exit $failed
