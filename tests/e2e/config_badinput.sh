#!/bin/sh
# config_badinput.sh - bad input to configuration commands changes nothing.
#
# Every line of the CASES list below is run as `mxsh -D DIR -c LINE -c
# 'commit x'` against a data directory with a committed baseline, and
# must: exit 1, print exactly one error line followed by commit's "There
# is no data to commit." (nothing was staged), and leave `sqlite3
# DIR/config.db .dump` as it was. A second part feeds dialogues that end
# early (end of input in the middle of an operation) and checks the same.
#
# To cover another command, add its baseline to BASELINE and its bad lines
# to CASES.
#
# Env: MXSH (the binary under test), TEST_OUT (scratch). Prints one
# "PASS config_badinput/name" / "FAIL config_badinput/name: why" line per
# case; exits 1 if any failed.
top=$(cd "$(dirname "$0")/../.." && pwd)
MXSH=${MXSH:-$top/build/mxsh}
out=${TEST_OUT:-$top/tests/out/plain}/config_badinput
rm -rf "$out"
mkdir -p "$out/home" || exit 2
TZ=UTC
HOME=$out/home
export TZ HOME
unset MXGATE_HOME
failed=0

pass() { echo "PASS config_badinput/$1"; }
fail() {
	echo "FAIL config_badinput/$1: $2"
	failed=1
}
show() {
	for f in "$@"; do
		[ -f "$f" ] && sed "s|^|    $(basename "$f"): |" "$f" | head -10
	done
}

command -v sqlite3 >/dev/null || { fail setup "sqlite3 not installed"; exit 1; }

# ---------------------------------------------------------------- baseline
BASELINE='
listenerconfig new inbound ip=127.0.0.1 port=2525 type=public domains=@example.test
listenerconfig new relay ip=0.0.0.0 port=587 type=private relay=10.0.0.0/8
destconfig new example.test tls=required max_conns=5
dnsconfig servers=192.0.2.53 timeout=3
deliveryconfig setup max_conns=100 retry_initial=120 retry_max=600
certconfig cafile system
commit baseline
'
d=$out/data
if ! printf '%s\n' "$BASELINE" | "$MXSH" -D "$d" >"$out/baseline.out" 2>&1; then
	fail setup "the baseline was refused"
	show "$out/baseline.out"
	exit 1
fi
sh "$top/tests/helpers/cfgdump.sh" "$d" >"$out/dump.before"

# ---------------------------------------------------------------- cases
CASES='
listenerconfig new inbound ip=127.0.0.2 port=26 type=public domains=@a.test
listenerconfig new x ip=127.0.0.1 port=2525 type=public domains=@a.test
listenerconfig new x ip=0.0.0.0 port=2525 type=public domains=@a.test
listenerconfig new x ip=127.0.0.2 port=587 type=public domains=@a.test
listenerconfig new bad/name ip=127.0.0.2 port=25 type=public domains=@a.test
listenerconfig new x ip=localhost port=25 type=public domains=@a.test
listenerconfig new x ip=127.0.0.2 port=0 type=public domains=@a.test
listenerconfig new x ip=127.0.0.2 port=25 type=open domains=@a.test
listenerconfig new x ip=127.0.0.2 port=25 type=public
listenerconfig new x ip=127.0.0.2 port=25 type=private
listenerconfig new x ip=127.0.0.2 port=25 type=public domains=user@a.test
listenerconfig new x ip=127.0.0.2 port=25 type=private relay=10.0.0.0/33
listenerconfig new x ip=127.0.0.2 port=25 type=public domains=@a.test tls=maybe
listenerconfig new x ip=127.0.0.2 port=25 type=public domains=@a.test max_size=1
listenerconfig new x ip=127.0.0.2 port=25 type=public domains=@a.test max_rcpts=0
listenerconfig new x ip=127.0.0.2 port=25 type=public domains=@a.test max_conns=x
listenerconfig new x ip=127.0.0.2 port=25 type=public domains=@a.test colour=red
listenerconfig new x ip=127.0.0.2 type=public domains=@a.test
listenerconfig new x
listenerconfig edit missing port=26
listenerconfig edit inbound type=private
listenerconfig edit inbound port=587 ip=0.0.0.0
listenerconfig edit inbound domains=
listenerconfig edit relay relay=
listenerconfig delete missing
listenerconfig print missing
listenerconfig frob
destconfig new example.test tls=no
destconfig new default tls=no
destconfig new bad..domain tls=no
destconfig new x.test
destconfig new x.test tls=sometimes
destconfig new x.test tls=no max_conns=1001
destconfig edit missing.test tls=no
destconfig edit example.test colour=red
destconfig delete default
destconfig delete missing.test
destconfig frob
dnsconfig servers=dns.example.test
dnsconfig servers=2001:db8::53
dnsconfig servers=192.0.2.1:0
dnsconfig servers=192.0.2.1,,192.0.2.2
dnsconfig timeout=0
dnsconfig servers=192.0.2.1 timeout=99
dnsconfig colour=red
dnsconfig frob
deliveryconfig setup max_conns=0
deliveryconfig setup max_conns_per_dest=1001
deliveryconfig setup retry_max=60
deliveryconfig setup retry_initial=601
deliveryconfig setup max_queue_time=59
deliveryconfig setup bounces=maybe
deliveryconfig setup max_conns=10 colour=red
deliveryconfig setup
deliveryconfig frob
certconfig server cert=/nonexistent/c.pem key=/nonexistent/k.pem
certconfig server cert=/dev/null key=/dev/null
certconfig server cert=/dev/null
certconfig cafile /nonexistent/ca.pem
certconfig cafile /dev/null
certconfig frob
'
i=0
printf '%s\n' "$CASES" | while IFS= read -r line; do
	[ -n "$line" ] || continue
	i=$((i + 1))
	name=$(printf '%s' "$line" | awk '{ print $1 "_" $2 }')_$i
	"$MXSH" -D "$d" -c "$line" -c "commit should not happen" </dev/null >"$out/$i.out" 2>&1
	rc=$?
	sh "$top/tests/helpers/cfgdump.sh" "$d" >"$out/dump.after"
	if [ $rc != 1 ]; then
		fail "$name" "'$line' exited $rc, expected 1"
		show "$out/$i.out"
	elif [ "$(grep -c . "$out/$i.out")" != 2 ] ||
	    [ "$(sed -n 2p "$out/$i.out")" != "There is no data to commit." ]; then
		fail "$name" "'$line' printed more than one error line, or staged something"
		show "$out/$i.out"
	elif ! cmp -s "$out/dump.before" "$out/dump.after"; then
		fail "$name" "'$line' changed config.db"
		diff "$out/dump.before" "$out/dump.after" | head -5 | sed 's/^/    /'
		cp "$out/dump.after" "$out/dump.before"
	else
		pass "$name"
	fi
done >"$out/cases.log"
cat "$out/cases.log"
grep -q '^FAIL ' "$out/cases.log" && failed=1

# ---------------------------------------------------------------- dialogues
# abandoned NAME INPUT - a dialogue whose input ends mid-operation: exit 1,
# "-- Changes not recorded", nothing staged, config.db unchanged
abandoned() {
	printf '%s' "$2" | "$MXSH" -D "$d" >"$out/$1.out" 2>&1
	rc=$?
	sh "$top/tests/helpers/cfgdump.sh" "$d" >"$out/dump.after"
	if [ $rc != 1 ] || ! grep -q '^-- Changes not recorded$' "$out/$1.out" ||
	    grep -q 'uncommitted change' "$out/$1.out"; then
		fail "$1" "exit $rc, or the abandoned dialogue staged a change"
		show "$out/$1.out"
	elif ! cmp -s "$out/dump.before" "$out/dump.after"; then
		fail "$1" "config.db changed"
	else
		pass "$1"
	fi
}
abandoned listenerconfig_dialogue 'listenerconfig
NEW
x
127.0.0.2
25
1
@x.test
20M
'
abandoned listenerconfig_edit_dialogue 'listenerconfig
EDIT
inbound
127.0.0.3
'
abandoned destconfig_dialogue 'destconfig
NEW
x.test
4
'
abandoned deliveryconfig_dialogue 'deliveryconfig
SETUP
10
10
'
abandoned certconfig_dialogue 'certconfig
CAFILE
'

exit $failed
