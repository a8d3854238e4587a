#!/bin/sh
# policy_badinput.sh - policyconfig refuses bad input cleanly: every bad
# batch line (and every refused or abandoned dialogue) makes mxsh exit 1
# with exactly one error line on standard error, and a commit right after
# it finds nothing to commit, so `sqlite3 DIR/config.db .dump` is
# byte-for-byte unchanged. Also: a policy staged but not committed by one
# live session is invisible to another session until it is committed.
#
# Env: MXSH (the binary under test), TEST_OUT (scratch). Prints one
# "PASS name" / "FAIL name: why" line per case; exits 1 if any failed.
top=$(cd "$(dirname "$0")/../.." && pwd)
MXSH=${MXSH:-$top/build/mxsh}
out=${TEST_OUT:-$top/tests/out/plain}/policy_badinput
rm -rf "$out"
mkdir -p "$out/home" || exit 2
HOME=$out/home
TZ=UTC
export HOME TZ
unset MXGATE_HOME
failed=0
bgpid=""

pass() { echo "PASS policy_badinput/$1"; }
fail() {
	echo "FAIL policy_badinput/$1: $2"
	failed=1
}
# show FILE... - the evidence of a failure, indented
show() {
	for f in "$@"; do
		[ -f "$f" ] && sed "s|^|    $(basename "$f"): |" "$f" | head -10
	done
}
cleanup() {
	exec 3>&- 2>/dev/null
	[ -n "$bgpid" ] && kill "$bgpid" 2>/dev/null
}
trap cleanup EXIT

command -v sqlite3 >/dev/null 2>&1 || {
	echo "FAIL policy_badinput/setup: the sqlite3 program is not installed"
	exit 1
}

# A committed base in both tables, so every refusal has something to break.
dir=$out/data
"$MXSH" -D "$dir" -e \
    -c 'policyconfig incoming new sales recipients=@sales.example.test,boss@' \
    -c 'policyconfig incoming new eng recipients=@eng.example.test senders=@corp.test' \
    -c 'policyconfig incoming new solo recipients=@solo.example.test' \
    -c 'policyconfig outgoing new corp senders=@.example.test recipients=@partner.test' \
    -c 'commit base' >"$out/setup.out" 2>&1 || {
	echo "FAIL policy_badinput/setup: the base configuration was not committed"
	show "$out/setup.out"
	exit 1
}
sh "$top/tests/helpers/cfgdump.sh" "$dir" >"$out/before.dump" || exit 2

n=0
# check NAME - judge the run whose output is in $out/NAME.{out,err,rc}:
# exit 1, exactly one line on stderr (containing $want if set), and the
# same database as before
check() {
	name=$1
	rc=$(cat "$out/$name.rc")
	lines=$(wc -l <"$out/$name.err")
	sh "$top/tests/helpers/cfgdump.sh" "$dir" >"$out/$name.dump"
	if [ "$rc" != 1 ]; then
		fail "$name" "exit status $rc, expected 1"
		show "$out/$name.err"
	elif [ "$lines" != 1 ]; then
		fail "$name" "$lines lines on stderr, expected 1"
		show "$out/$name.err"
	elif [ -n "$want" ] && ! grep -qF -- "$want" "$out/$name.err"; then
		fail "$name" "the error does not say '$want'"
		show "$out/$name.err"
	elif ! cmp -s "$out/before.dump" "$out/$name.dump"; then
		fail "$name" "config.db changed"
		diff "$out/before.dump" "$out/$name.dump" | head -10 | sed 's/^/    /'
	else
		pass "$name"
	fi
}

# bad LINE WANT - one bad batch line followed by a commit that must find nothing
bad() {
	n=$((n + 1))
	name=$(printf 'batch%02d' "$n")
	want=$2
	"$MXSH" -D "$dir" -c "$1" -c 'commit should be empty' >"$out/$name.out" \
	    2>"$out/$name.err"
	echo $? >"$out/$name.rc"
	if ! grep -qx 'There is no data to commit.' "$out/$name.out"; then
		fail "$name" "something was staged by: $1"
		show "$out/$name.out" "$out/$name.err"
		return
	fi
	check "$name"
}

bad 'policyconfig incoming new sales recipients=@x.test' 'There is already a policy with the new name'
bad 'policyconfig incoming new SALES recipients=@x.test' 'There is already a policy with the new name'
bad 'policyconfig incoming new DEFAULT recipients=@x.test' 'reserved'
bad 'policyconfig incoming new "bad name" recipients=@x.test' 'policy name'
bad 'policyconfig incoming new x recipients=example.com' 'Invalid member'
bad 'policyconfig incoming new x recipients=user@.example.com' 'Invalid member'
bad 'policyconfig incoming new x recipients=@a.test senders=@bad..test' 'Invalid member'
bad 'policyconfig incoming new x recipients=@a.test,@A.test' 'is already a member of this policy'
bad 'policyconfig incoming new x recipients=@a.test,,@b.test' 'Empty entry'
bad 'policyconfig incoming new x senders=@a.test' 'needs at least one recipient'
bad 'policyconfig outgoing new x recipients=@a.test' 'needs at least one sender'
bad 'policyconfig incoming new x recipients=@a.test foo=1' 'Unknown key'
bad 'policyconfig incoming new x recipients=@a.test recipients=@b.test' 'given twice'
bad 'policyconfig incoming new' 'Invalid arguments when processing'
bad 'policyconfig incoming edit nope name=x' 'There is no incoming mail policy'
bad 'policyconfig incoming edit DEFAULT name=x' 'cannot be renamed'
bad 'policyconfig incoming edit DEFAULT recipients=@a.test' 'has no members'
bad 'policyconfig incoming edit sales name=eng' 'There is already a policy with the new name'
bad 'policyconfig incoming edit sales recipients=' 'needs at least one recipient'
bad 'policyconfig incoming edit sales name=ok recipients=bad' 'Invalid member'
bad 'policyconfig incoming edit sales tdc=global' 'only DEFAULT takes tdc=global'
bad 'policyconfig outgoing edit corp senders=' 'needs at least one sender'
bad 'policyconfig incoming delete DEFAULT' 'cannot be deleted'
bad 'policyconfig incoming delete nope' 'There is no incoming mail policy'
bad 'policyconfig incoming move DEFAULT 1' 'cannot be moved'
bad 'policyconfig incoming move sales 4' 'position of default entry'
bad 'policyconfig incoming move sales 0' 'The position must be'
bad 'policyconfig incoming move sales first' 'The position must be'
bad 'policyconfig incoming print nope' 'There is no incoming mail policy'
bad 'policyconfig incoming search not-an-address' 'Invalid address'
bad 'policyconfig incoming search a@b.test recipient=c@d.test' 'Unknown key'
bad 'policyconfig incoming clear now' 'Invalid arguments when processing'
bad 'policyconfig sideways' 'Unknown option'
bad 'policyconfig incoming frob' 'Unknown option'
bad 'policyconfig outgoing edit corp tdc=no' 'Outgoing mail policies have no Threat Defense Connector'
bad 'policyconfig incoming edit sales tdc=custom:j@intake.test' 'none is set'
bad 'policyconfig incoming edit sales tdc_polling=yes' 'only globally or on the DEFAULT policy'
bad 'policyconfig incoming edit DEFAULT tdc=default' 'for the DEFAULT policy'

# dialogue NAME WANT - a dialogue on standard input ($input) that must be refused
dialogue() {
	name=$1
	want=$2
	printf '%s' "$input" | "$MXSH" -D "$dir" >"$out/$name.out" 2>"$out/$name.err"
	echo $? >"$out/$name.rc"
	check "$name"
}

# EDIT > DELETE of the only member of solo
input='policyconfig incoming
EDIT
solo
DELETE



'
dialogue menu_only_member 'There is only one member in the policy'

# EDIT > DELETE of eng's only recipient (it has a sender too)
input='policyconfig incoming
EDIT
eng
DELETE
1



'
dialogue menu_only_recipient 'is the only recipient of this policy'

# EDIT > NEW of a member the policy has
input='policyconfig incoming
EDIT
sales
NEW
1
BOSS@



'
dialogue menu_duplicate_member 'is already a member of this policy'

# the input ends in the middle of NEW: nothing is recorded
input='policyconfig incoming
NEW
vip
@vip.example.test
'
dialogue menu_abandoned 'Changes not recorded'

# A live session's staged policy is invisible to another session until commit.
rm -f "$out/a.fifo"
mkfifo "$out/a.fifo" || exit 2
"$MXSH" -D "$dir" <"$out/a.fifo" >"$out/a.out" 2>"$out/a.err" &
bgpid=$!
exec 3>"$out/a.fifo"
echo 'policyconfig incoming new pendingpolicy recipients=@pending.example.test' >&3
echo 'policyconfig incoming print' >&3
i=0
while [ $i -lt 200 ] && ! grep -q pendingpolicy "$out/a.out" 2>/dev/null; do
	sleep 0.05
	i=$((i + 1))
done
"$MXSH" -D "$dir" -c 'policyconfig incoming print' -c 'policyconfig incoming search x@pending.example.test' >"$out/b1.out" 2>&1
if ! grep -q pendingpolicy "$out/a.out"; then
	fail session "session A does not see its own staged policy"
	show "$out/a.out" "$out/a.err"
elif grep -q pendingpolicy "$out/b1.out" || ! grep -q 'x@pending.example.test: DEFAULT' "$out/b1.out"; then
	fail session "session B sees session A's uncommitted policy"
	show "$out/b1.out"
else
	echo 'commit add pendingpolicy' >&3
	exec 3>&-
	wait "$bgpid"
	bgpid=""
	"$MXSH" -D "$dir" -c 'policyconfig incoming search x@pending.example.test' >"$out/b2.out" 2>&1
	if grep -q 'x@pending.example.test: pendingpolicy' "$out/b2.out"; then
		pass session
	else
		fail session "the committed policy is not visible to a new session"
		show "$out/a.out" "$out/a.err" "$out/b2.out"
	fi
fi

exit $failed
