#!/bin/sh
# secrets.sh - secrets at rest (issue 9, item 4), against the real mxsh
# and mxgated: tdc.client_secret, tdc.api_key and the TLS private key
# (certconfig) set, rotated and committed four times, then
#   - no value, old or new, is in config.db, its WAL (read while mxgated
#     runs), `sqlite3 config.db .dump`, any file of the data directory,
#     nor in a copy of config.db alone;
#   - showchanges and commitdetail say "changed" and show no value;
#   - mxgated still uses the key: STARTTLS presents the certificate of
#     the last import, and after `rollbackconfig 2` the one of commit 2
#     (so rollback restores the encrypted key that was running then);
#     the API credentials read back as the last ones set, and after the
#     rollback as commit 2's (mxgated has no API client yet: the
#     connector only journals by SMTP, without credentials, so they are
#     read as mxgated reads settings, with tests/helpers/settingget.c);
#   - the copy of config.db alone, without DIR/secret.key, gives a clear
#     error and no secret, and no new key is made for it;
#   - a missing, short, 0644 or symlinked secret.key: a clear error from
#     mxsh and from mxgated, which refuses to start without its TLS key;
#   - recovery without secret.key: mxgated refuses and says what to do,
#     the TLS key is imported again without the old key, a new
#     secret.key is made, and mxgated starts with the new certificate;
#   - a store written before encryption (schema 1, plaintext secrets in
#     the running configuration, the history and an unchecked-point WAL
#     held open by another connection) is upgraded at the first open: no
#     plaintext is left in config.db nor its WAL, the values read back,
#     and rollback still restores the first one.
#
# Needs: openssl, sqlite3, /usr/bin/python3 (its sqlite3 module). Run alone:
#   NO_FUZZ=1 TESTS=e2e/secrets sh tests/run.sh build
# Prints "PASS secrets/name" / "FAIL secrets/name: why"; exits 1 if any failed.
. "$(dirname "$0")/lib.subr"
T=secrets
D=$(t_dir secrets)
W=$D.work			# keys, outputs, copies: outside the data directory
rm -rf "$W"
mkdir -p "$W"
GET=$(cd "$(dirname "$MXGATED")" && pwd)/tests/settingget

# show FILE... - the evidence of a failure, indented
show() {
	for f in "$@"; do
		[ -f "$f" ] && sed "s|^|    $(basename "$f"): |" "$f" | tail -15
	done
}
# mx DIR NAME LINE... - mxsh -D DIR -c LINE...; output in $W/NAME.out, status in $rc
mx() {
	_d=$1 _n=$2
	shift 2
	for l in "$@"; do set -- "$@" -c "$l"; shift; done
	"$MXSH" -D "$_d" "$@" </dev/null >"$W/$_n.out" 2>&1
	rc=$?
}
# leaks FILE... - the needles found in the files (raw bytes), one per line
leaks() { cat "$@" 2>/dev/null | grep -a -o -F -f "$W/needles" | sort -u; }
# no_leak NAME FILE... - PASS if no file holds a secret
no_leak() {
	_n=$1
	shift
	_l=$(leaks "$@")
	if [ -z "$_l" ]; then t_pass "$T/$_n"
	else t_fail "$T/$_n" "found: $(echo "$_l" | head -3 | tr '\n' ' ')"; fi
}
# subject PORT - the subject of the certificate STARTTLS presents on PORT
subject() {
	openssl s_client -starttls smtp -connect 127.0.0.1:"$1" </dev/null 2>/dev/null |
	    sed -n 's/^subject=//p' | head -1
}

for p in openssl sqlite3; do
	command -v $p >/dev/null || { t_fail $T/setup "$p not installed"; t_done; }
done
[ -x "$GET" ] || { t_fail $T/setup "no $GET (make)"; t_done; }

# ---------------------------------------------------------------- material
K=$W/keys
mkdir -p "$K"
for n in a b; do
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	    -subj "/CN=$n.test" -keyout "$K/$n.key" -out "$K/$n.pem" >>"$W/openssl.log" 2>&1 ||
	    { t_fail $T/setup "openssl could not make the test keys"; show "$W/openssl.log"; t_done; }
done
S1=ClientSecret-One-$$-x7Q S2=ClientSecret-Two-$$-k2W S3=ClientSecret-Three-$$-p9Z
K1=ApiKey-One-$$-m4R K2=ApiKey-Two-$$-c8T
{
	printf '%s\n' "$S1" "$S2" "$S3" "$K1" "$K2"
	# the lines of the private keys, as imported (PKCS#8) and as the files hold them
	for n in a b; do
		grep -v -e '-----' "$K/$n.key"
		openssl pkey -in "$K/$n.key" | grep -v -e '-----'
	done
} | sort -u >"$W/needles"

# ---------------------------------------------------------------- four commits
P=$(free_port)
DNS=$(free_port)	# nothing answers there: no lookup leaves this machine
mx "$D" setup "dnsconfig servers=127.0.0.1:$DNS" \
    "listenerconfig new In ip=127.0.0.1 port=$P type=public domains=@sink.test tls=preferred" \
    "certconfig server cert=$K/a.pem key=$K/a.key" \
    "tdcconfig setup enable=yes intake_address=journal@intake.test api=yes client_id=cid client_secret=$S1 api_key=$K1" \
    "commit one: connector, API and certificate a"
[ $rc = 0 ] || { t_fail $T/setup "mxsh exited $rc"; show "$W/setup.out"; t_done; }
mx "$D" rotate1 "tdcconfig setup client_secret=$S2 api_key=$K2" showchanges \
    "commit two: rotated" commitdetail
r1=$rc
mx "$D" rotate2 "certconfig server cert=$K/b.pem key=$K/b.key" showchanges \
    "commit three: certificate b" commitdetail
r2=$rc
mx "$D" rotate3 "tdcconfig setup client_secret=$S3 api_key=*****" "commit four" commitdetail \
    "tdcconfig print" "certconfig print"
r3=$rc
c=$W/rotate1.out
if [ $r1$r2$r3 = 000 ] &&
    [ "$(grep -c '^  ~ setting tdc.client_secret = \*\*\*\*\* (changed)$' "$c")" = 2 ] &&
    [ "$(grep -c '^  ~ setting tdc.api_key = \*\*\*\*\* (changed)$' "$c")" = 2 ] &&
    [ "$(grep -c '^  ~ setting tls.server_key = \*\*\*\*\* (changed)$' "$W/rotate2.out")" = 2 ] &&
    grep -q '^  ~ setting tdc.client_secret = \*\*\*\*\* (changed)$' "$W/rotate3.out" &&
    grep -q '^Client Secret: *\*\*\*\*\*$' "$W/rotate3.out" &&
    grep -q '^Private key: *\*\*\*\*\*$' "$W/rotate3.out"; then
	t_pass $T/history_says_changed
else
	t_fail $T/history_says_changed "exit $r1/$r2/$r3, or showchanges/commitdetail not 'changed'"
	show "$W/rotate1.out" "$W/rotate2.out" "$W/rotate3.out"
fi
no_leak shown_nowhere "$W"/setup.out "$W"/rotate*.out

# ---------------------------------------------------------------- in use
gw_start "$D"
if ! wait_port "$P" 10; then
	t_fail $T/daemon "mxgated does not listen on $P"
	show "$D/mxgated.out"
	t_done
fi
s=$(subject "$P")
if [ "$s" = "CN = b.test" ] || [ "$s" = "CN=b.test" ]; then t_pass $T/tls_uses_key
else t_fail $T/tls_uses_key "STARTTLS presented '$s', not b.test"; show "$D/mxgated.out"; fi
v=$("$GET" "$D" tdc.client_secret tdc.api_key 2>&1 | tr '\n' ' ')
if [ "$v" = "$S3 $K2 " ]; then t_pass $T/credentials_read
else t_fail $T/credentials_read "read '$v'"; fi

# while mxgated holds it open: the file, the WAL, the dump
sqlite3 "$D/config.db" .dump >"$W/running.dump" 2>&1
no_leak db_running "$D"/config.db "$D"/config.db-wal "$D"/config.db-shm
no_leak dump_running "$W/running.dump"
if grep -q "INSERT INTO config VALUES('setting','tdc.client_secret','enc:v1:" "$W/running.dump" &&
    grep -q "INSERT INTO secret_history VALUES(4,'setting','tdc.client_secret','enc:v1:" \
    "$W/running.dump"; then
	t_pass $T/stored_encrypted
else
	t_fail $T/stored_encrypted "config or secret_history without the encrypted form"
	show "$W/running.dump"
fi

# rollback to commit 2: certificate a, the second credentials
mx "$D" rollback "rollbackconfig 2 back to two" commitdetail
s=$(subject "$P")
v=$("$GET" "$D" tdc.client_secret tdc.api_key 2>&1 | tr '\n' ' ')
if [ $rc = 0 ] && { [ "$s" = "CN = a.test" ] || [ "$s" = "CN=a.test" ]; } &&
    [ "$v" = "$S2 $K2 " ] &&
    grep -q '^  ~ setting tls.server_key = \*\*\*\*\* (changed)$' "$W/rollback.out"; then
	t_pass $T/rollback_restores
else
	t_fail $T/rollback_restores "exit $rc, STARTTLS '$s', credentials '$v'"
	show "$W/rollback.out"
fi
gw_stop "$D"

# stopped: every file of the data directory, the dump, the outputs
sqlite3 "$D/config.db" .dump >"$W/stopped.dump" 2>&1
no_leak data_dir $(find "$D" -type f ! -name secret.key)
no_leak dump_stopped "$W/stopped.dump"
no_leak outputs "$W"/rollback.out "$D/mxgated.out"

# ---------------------------------------------------------------- config.db alone
C=$W/copy
mkdir -p "$C"
cp "$D/config.db" "$C/"
no_leak copy_alone "$C/config.db"
"$GET" "$C" tdc.client_secret >"$W/copy_get.out" 2>&1
g=$?
mx "$C" copy "tdcconfig print"
if [ $g = 1 ] && [ $rc = 1 ] && [ ! -e "$C/secret.key" ] &&
    [ "$(grep -c . "$W/copy.out")" = 1 ] &&
    grep -q "secret.key is missing: the secrets in config.db cannot be read without it" \
    "$W/copy.out" && grep -q "secret.key is missing" "$W/copy_get.out"; then
	t_pass $T/copy_without_key
else
	t_fail $T/copy_without_key "exit $g/$rc, a key made for the copy, or no clear error"
	show "$W/copy.out" "$W/copy_get.out"
fi

# ---------------------------------------------------------------- the key file
mv "$D/secret.key" "$W/secret.key.saved"
timeout 60 "$MXGATED" -D "$D" -f >"$W/nokey.gw" 2>&1
g=$?
mx "$D" nokey "certconfig print"
if [ $g = 1 ] && [ $rc = 1 ] && [ ! -e "$D/secret.key" ] &&
    grep -q 'tls.server_key.*secret.key is missing' "$W/nokey.gw" &&
    grep -q 'Cannot read the private key: .*secret.key is missing' "$W/nokey.out"; then
	t_pass $T/key_missing
else
	t_fail $T/key_missing "mxgated exit $g, mxsh exit $rc, or no clear error"
	show "$W/nokey.gw" "$W/nokey.out"
fi
# the refusal says what to do, and names every secret the lost key holds
if grep -q 'secret.key is missing.*To go on: restore secret.key into the data directory from a backup of it; or, in mxsh, clear or enter again each of tls.server_key, tdc.client_secret, tdc.api_key (certconfig server cert=PATH key=PATH for tls.server_key, tdcconfig setup client_secret=SECRET api_key=KEY for tdc.\*) and commit' \
    "$W/nokey.gw"; then
	t_pass $T/key_missing_advice
else
	t_fail $T/key_missing_advice "mxgated does not say how to recover"
	show "$W/nokey.gw"
fi
# damaged_key NAME PATTERN - mxsh and mxgated refuse secret.key as it is now
# (owned as the data directory is: the programs may run as its owner)
damaged_key() {
	chown -h --reference="$D" "$D/secret.key"
	timeout 60 "$MXGATED" -D "$D" -f >"$W/$1.gw" 2>&1
	g=$?
	mx "$D" "$1" "tdcconfig print"
	if [ $g = 1 ] && [ $rc = 1 ] && grep -q -- "$2" "$W/$1.gw" &&
	    grep -q -- "$2" "$W/$1.out"; then
		t_pass "$T/$1"
	else
		t_fail "$T/$1" "mxgated exit $g, mxsh exit $rc, or no line saying '$2'"
		show "$W/$1.gw" "$W/$1.out"
	fi
}
head -c 31 "$W/secret.key.saved" >"$D/secret.key"
chmod 600 "$D/secret.key"
damaged_key key_short 'secret.key is 31 bytes long, not 32: the key file is damaged'
cp "$W/secret.key.saved" "$D/secret.key"
chmod 644 "$D/secret.key"
damaged_key key_mode 'secret.key has mode 0644; the key file must be 0600'
rm -f "$D/secret.key"
ln -s "$W/secret.key.saved" "$D/secret.key"
damaged_key key_symlink 'secret.key is a symbolic link'
rm -f "$D/secret.key"
head -c 32 /dev/urandom >"$D/secret.key"
chmod 600 "$D/secret.key"
damaged_key key_other 'does not decrypt: it is damaged, was copied from another setting, or secret.key is not the key'
rm -f "$D/secret.key"
cp -p "$W/secret.key.saved" "$D/secret.key"
v=$("$GET" "$D" tdc.client_secret 2>&1)
if [ "$v" = "$S2" ]; then t_pass $T/key_restored
else t_fail $T/key_restored "read '$v' with the key put back"; fi

# ---------------------------------------------------------------- recovery
# Without its secret.key, a store whose secret is the TLS key: mxgated
# refuses, saying what to do; the operator imports the key again with
# certconfig and commits, without the old key; a new secret.key is made
# and mxgated starts with the new certificate.
R=$W/recover
P2=$(free_port)
mx "$R" recover_setup "dnsconfig servers=127.0.0.1:$DNS" \
    "listenerconfig new In ip=127.0.0.1 port=$P2 type=public domains=@sink.test tls=preferred" \
    "certconfig server cert=$K/a.pem key=$K/a.key" \
    "tdcconfig setup enable=yes intake_address=journal@intake.test api=yes client_id=cid client_secret=OldSecret-$$ api_key=OldKey-$$" \
    "commit with certificate a and the connector credentials"
r0=$rc
rm -f "$R/secret.key"
timeout 60 "$MXGATED" -D "$R" -f >"$W/recover_refused.gw" 2>&1
g=$?
# the lost credentials cannot be kept as "*****", nor printed as if they could be used
mx "$R" recover_keep "tdcconfig setup client_secret=*****"
keep=$rc
mx "$R" recover_print "tdcconfig print"
prt=$rc
mx "$R" recover "certconfig server cert=$K/b.pem key=$K/b.key" \
    "tdcconfig setup client_secret=NewSecret-$$ api_key=NewKey-$$" "commit certificate b and new credentials"
if [ $keep = 1 ] && grep -q 'Invalid client_secret: the stored value cannot be read' "$W/recover_keep.out" &&
    [ $prt = 1 ] && grep -q 'secret.key is missing' "$W/recover_print.out"; then
	t_pass $T/lost_secret_not_kept
else
	t_fail $T/lost_secret_not_kept "keeping exit $keep, print exit $prt"
	show "$W/recover_keep.out" "$W/recover_print.out"
fi
if [ $r0 = 0 ] && [ $g = 1 ] &&
    grep -q 'secret.key is missing.*or, in mxsh, clear or enter again each of tls.server_key, tdc.client_secret, tdc.api_key (certconfig server cert=PATH key=PATH' \
    "$W/recover_refused.gw" &&
    [ $rc = 0 ] && [ -f "$R/secret.key" ] &&
    [ "$("$GET" "$R" tdc.client_secret 2>&1)" = "NewSecret-$$" ] &&
    [ "$("$GET" "$R" tdc.api_key 2>&1)" = "NewKey-$$" ]; then
	gw_start "$R"
	if wait_port "$P2" 10; then
		s=$(subject "$P2")
	else
		s="(mxgated does not listen)"
	fi
	gw_stop "$R"
	if [ "$s" = "CN = b.test" ] || [ "$s" = "CN=b.test" ]; then
		t_pass $T/recover_without_key
	else
		t_fail $T/recover_without_key "after recovery STARTTLS presented '$s', not b.test"
		show "$R/mxgated.out"
	fi
else
	t_fail $T/recover_without_key "setup exit $r0, mxgated exit $g without the key (want 1 and the advice), mxsh exit $rc, or no new secret.key"
	show "$W/recover_setup.out" "$W/recover_refused.gw" "$W/recover.out"
fi

# ---------------------------------------------------------------- upgrade
# A store of schema 1 as mxgate wrote it before encryption, written by
# another connection that keeps it open (so its WAL stays, with every
# page the plaintext was on) until the file "release" appears.
M=$W/old
mkdir -p "$M"
chmod 700 "$M"
O1=OldClientSecret-One-$$-a1 O2=OldClientSecret-Two-$$-b2 OK=OldApiKey-$$-c3
printf '%s\n' "$O1" "$O2" "$OK" >>"$W/needles"
openssl pkey -in "$K/a.key" >"$W/a.pkcs8"
cat >"$W/old.py" <<'PYEOF'
import os, sqlite3, sys, time
d, o1, o2, ok, pem = sys.argv[1:6]
db = sqlite3.connect(os.path.join(d, "config.db"), isolation_level=None)
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA wal_autocheckpoint=0")
db.executescript("""
CREATE TABLE config (section TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
  rev INTEGER NOT NULL, PRIMARY KEY (section, key)) WITHOUT ROWID;
CREATE TABLE commits (id INTEGER PRIMARY KEY, time INTEGER NOT NULL, user TEXT NOT NULL,
  comment TEXT NOT NULL);
CREATE TABLE commit_changes (commit_id INTEGER NOT NULL REFERENCES commits(id),
  section TEXT NOT NULL, key TEXT NOT NULL, old TEXT, new TEXT,
  PRIMARY KEY (commit_id, section, key));
CREATE INDEX commit_changes_item ON commit_changes(section, key, commit_id);
PRAGMA user_version = 1;
""")
def commit(i, changes):
    db.execute("BEGIN")
    db.execute("INSERT INTO commits VALUES (?, 0, 'admin', ?)", (i, "commit %d" % i))
    for k, v in changes:
        old = db.execute("SELECT value FROM config WHERE section='setting' AND key=?",
                         (k,)).fetchone()
        db.execute("INSERT INTO commit_changes VALUES (?, 'setting', ?, ?, ?)",
                   (i, k, old[0] if old else None, v))
        db.execute("INSERT INTO config VALUES ('setting', ?, ?, ?) ON CONFLICT (section, key) "
                   "DO UPDATE SET value = excluded.value, rev = excluded.rev", (k, v, i))
    db.execute("COMMIT")
commit(1, [("tdc.client_secret", o1), ("tdc.api_key", ok), ("tls.server_key", pem),
           ("tdc.client_id", "cid")])
commit(2, [("tdc.client_secret", o2)])
open(os.path.join(d, "ready"), "w").close()
end = time.time() + 120
while not os.path.exists(os.path.join(d, "release")) and time.time() < end:
    time.sleep(0.05)
db.close()
PYEOF
$PY "$W/old.py" "$M" "$O1" "$O2" "$OK" "$(cat "$W/a.pkcs8")" >"$W/old.py.out" 2>&1 &
pypid=$!
T_PIDS="$T_PIDS $pypid"
if ! wait_for 20 test -f "$M/ready"; then
	t_fail $T/upgrade "the old store was not made"
	show "$W/old.py.out"
	t_done
fi
# the precondition: the plaintext is there to be found
if [ -z "$(leaks "$M/config.db-wal")" ]; then
	t_fail $T/upgrade "the old store's WAL holds no plaintext: the test is broken"
fi
mx "$M" upgrade "tdcconfig print" "certconfig print" "commitdetail"
no_leak upgrade_wal_held "$M"/config.db "$M"/config.db-wal
touch "$M/release"
wait $pypid
if [ $rc = 0 ] && grep -q '^Client Secret: *\*\*\*\*\*$' "$W/upgrade.out" &&
    grep -q '^Private key: *\*\*\*\*\*$' "$W/upgrade.out" &&
    grep -q '^  ~ setting tdc.client_secret = \*\*\*\*\* (changed)$' "$W/upgrade.out" &&
    [ -f "$M/secret.key" ] &&
    [ "$("$GET" "$M" tdc.client_secret tdc.api_key 2>&1 | tr '\n' ' ')" = "$O2 $OK " ] &&
    "$GET" "$M" tls.server_key | cmp -s - "$W/a.pkcs8"; then
	t_pass $T/upgrade
else
	t_fail $T/upgrade "exit $rc, or the secrets do not read back after the upgrade"
	show "$W/upgrade.out"
fi
sqlite3 "$M/config.db" .dump >"$W/upgrade.dump" 2>&1
no_leak upgrade_file "$M"/config.db "$M"/config.db-wal "$W/upgrade.dump"
mx "$M" upgrade_rollback "rollbackconfig 1 back to one"
v=$("$GET" "$M" tdc.client_secret 2>&1)
if [ $rc = 0 ] && [ "$v" = "$O1" ]; then t_pass $T/upgrade_rollback
else t_fail $T/upgrade_rollback "exit $rc, client_secret '$v' after rollbackconfig 1"
	show "$W/upgrade_rollback.out"; fi
no_leak upgrade_after_rollback "$M"/config.db "$M"/config.db-wal

t_done
