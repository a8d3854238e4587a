#!/bin/sh
# privs_tty.sh - issue 9, item 1, at a terminal (driven with tmux, as
# cli_tty.sh): root's interactive mxsh keeps its command history in the
# data directory, DIR/.mxsh_history.root. The daemon's account (a real
# process, run with setpriv) replaces that file with a link to a
# root-only file written as a libedit history. Root's session must
# neither recall that file's lines (Up at the prompt) nor overwrite the
# file when it saves its own history, and it still recalls what it ran.
#
# Env: MXSH and MXGATED (the binaries under test), TEST_OUT (scratch).
# Prints one "PASS privs_tty/name" / "FAIL privs_tty/name: why" line per
# case; exits 1 if any failed.
top=$(cd "$(dirname "$0")/../.." && pwd)
MXSH=${MXSH:-$top/build/mxsh}
MXGATED=${MXGATED:-$top/build/mxgated}
out=${TEST_OUT:-$top/tests/out/plain}/privs_tty
rm -rf "$out"
mkdir -p "$out/home" || exit 2
TZ=UTC
HOME=$out/home
TERM=xterm
export TZ HOME TERM
unset MXGATE_HOME TMUX
d=$out/data
TTY=privs_tty
. "$(dirname "$0")/tty.subr"
P='gw1.example.com> '

if [ "$(id -u)" != 0 ] || ! getent passwd mxgate >/dev/null; then
	echo "FAIL privs_tty/setup: runs as root, with the user mxgate (make test-deps)"
	exit 1
fi
"$MXSH" -D "$d" -c 'sethostname gw1.example.com' -c 'commit privs tty' </dev/null \
	>"$out/setup.out" 2>&1 || { echo "FAIL privs_tty/setup: $(cat "$out/setup.out")"; exit 1; }

# a root start of mxgated hands the data directory to mxgate: wait until
# it has become mxgate (or has exited)
"$MXGATED" -D "$d" -f >"$out/mxgated.out" 2>&1 &
gw=$!
i=0
while [ $i -lt 300 ] && grep -q '^State:[[:space:]]*[^Z]' "/proc/$gw/status" 2>/dev/null &&
	! grep -q "^Uid:[[:space:]]*$(id -u mxgate)[[:space:]]" "/proc/$gw/status"; do
	sleep 0.1
	i=$((i + 1))
done
kill "$gw"
wait "$gw" 2>/dev/null
if [ "$(stat -c %U "$d")" != mxgate ]; then
	echo "FAIL privs_tty/setup: mxgated did not hand $d to mxgate: $(tail -2 "$out/mxgated.out")"
	exit 1
fi

# root's file, in the shape of a history; then mxgate's link to it
S=$out/secret
printf '_HiStOrY_V2_\nSECRET-HIST-LINE\n' >"$S"
chmod 600 "$S"
before="$(stat -c '%U %a' "$S") $(sha256sum <"$S")"
setpriv --reuid=mxgate --regid=mxgate --clear-groups \
	sh -c "rm -f '$d/.mxsh_history.root' && ln -s '$S' '$d/.mxsh_history.root'" ||
	{ echo "FAIL privs_tty/setup: mxgate cannot plant the link"; exit 1; }

T new-session -d -s mx -x 100 -y 20 "exec '$MXSH' -D '$d'"
if ! wait_last "$P"; then
	fail prompt "no prompt"
	exit 1
fi
keys 'version' Enter
wait_text 'Product: mxgate'
# Up recalls "version"; a second Up would recall the planted line, if read
keys Up
wait_last "${P}version"
keys Up X
if wait_last "${P}versionX"; then
	pass history_not_read
else
	fail history_not_read "Up recalled the linked file's line"
fi
keys C-u 'quit' Enter
i=0
while [ $i -lt 200 ] && alive; do
	sleep 0.05
	i=$((i + 1))
done
if [ "$(stat -c '%U %a' "$S") $(sha256sum <"$S")" = "$before" ]; then
	pass history_not_written
else
	fail history_not_written "root's file now: $(stat -c '%U %a' "$S"): $(head -c 200 "$S")"
fi
if [ -L "$d/.mxsh_history.root" ]; then pass link_left_alone; else
	fail link_left_alone "the link was replaced"
fi
exit $failed
