#!/bin/sh
# tests/cli/run.sh [NAME...] - golden transcripts of mxsh in batch mode.
#
# For each tests/cli/NAME.in (or only the NAMEs given):
#   - a fresh data directory is made;
#   - NAME.setup, if present, is fed to mxsh first (it must exit 0; use it
#     to pre-populate and commit);
#   - NAME.in is fed on standard input to `$MXSH -D DIR ARGS`, where ARGS
#     are the words of NAME.args, if present (shell quoting allowed, e.g.
#     -e or -c 'smtproutes print');
#   - standard output and error are captured together (2>&1), the exit
#     status is appended as a last line "[exit N]", the variable parts are
#     normalised (dates, user name, PIDs, library versions, schema number;
#     see normalise below) and the result is compared with NAME.ref.
#
# Prints "PASS cli/NAME" or "FAIL cli/NAME: why" (followed by the diff,
# indented) per transcript; exits 1 if any failed.
#
# UPDATE=1 sh tests/cli/run.sh [NAME...] rewrites the .ref files instead.
# The refs are the specification: read every changed line of
# `git diff tests/cli` before keeping it, never bless a bug.
#
# Environment: MXSH (default build/mxsh), TEST_OUT (scratch; the cases
# run in TEST_OUT/cli/NAME, default tests/out/plain/cli/NAME).
# tests/run.sh runs the transcripts once per build it is given (`make
# test`: build and build/asan), with MXSH from that build: under ASan and
# UBSan a sanitizer report goes into the output (and the exit status),
# so the transcript fails. Run alone on a sanitizer build, the same
# options apply: MXSH=build/asan/mxsh sh tests/cli/run.sh
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
MXSH=${MXSH:-$top/build/mxsh}
case $MXSH in /*) ;; *) MXSH=$(pwd)/$MXSH ;; esac
out=${TEST_OUT:-$top/tests/out/plain}/cli
rm -rf "$out"
mkdir -p "$out" || exit 2
[ -x "$MXSH" ] || { echo "FAIL cli/setup: no mxsh binary at $MXSH"; exit 1; }

# sanitizer reports make the exit status non-zero (as tests/run.sh sets them)
: "${ASAN_OPTIONS:=detect_leaks=1:abort_on_error=0:exitcode=99}"
: "${UBSAN_OPTIONS:=print_stacktrace=1:halt_on_error=1:exitcode=98}"
export ASAN_OPTIONS UBSAN_OPTIONS

# A fixed, predictable environment: UTC dates, no inherited data dir.
TZ=UTC
LC_ALL=C
HOME=$out/home
export TZ LC_ALL HOME
unset MXGATE_HOME
mkdir -p "$HOME"
user=$(id -un)
# the user name as a sed pattern (dots and other specials escaped)
user_re=$(printf '%s' "$user" | sed 's/[][\.*^$|/+?(){}]/\\&/g')

# normalise - stdin to stdout with the run-dependent parts replaced
normalise() {
	sed -E \
	    -e 's/[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-6][0-9] [0-9]{4}( [A-Z][A-Za-z0-9+-]*)?/<DATE>/g' \
	    -e 's/<DATE>  +/<DATE>  /g' \
	    -e "s/^User:      $user_re\$/User:      <USER>/" \
	    -e "s/(<DATE>  )$user_re +/\\1<USER>  /" \
	    -e "s/ by $user_re in commit / by <USER> in commit /g" \
	    -e "s/User $user_re entered/User <USER> entered/g" \
	    -e 's/PID [0-9]+/PID <PID>/g' \
	    -e 's/[0-9A-F]{12}-[0-9A-F]{7}/<SERIAL>/g' \
	    -e 's/^Version: [0-9]+(\.[0-9]+)+([-.+~][0-9A-Za-z.+~-]*)?$/Version: <VERSION>/' \
	    -e 's/^SQLite: [0-9]+(\.[0-9]+)+$/SQLite: <VERSION>/' \
	    -e 's/^OpenSSL: OpenSSL [0-9]+(\.[0-9]+)+[a-z]*( .*)?$/OpenSSL: <VERSION>/' \
	    -e 's/^Configuration Schema: [0-9]+$/Configuration Schema: <N>/' \
	    -e 's/(config-[A-Za-z0-9._-]+-)[0-9]{8}T[0-9]{6}(-[0-9]+)?\.json/\1<STAMP>.json/g' \
	    -e 's/^(	"saved":	")[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z"/\1<TIME>"/' \
	    -e 's/^(	"schema":	)[0-9]+,$/\1<N>,/'
}

if [ $# -gt 0 ]; then
	names="$*"
else
	names=$(cd "$here" && ls *.in 2>/dev/null | sed 's/\.in$//')
fi
[ -n "$names" ] || { echo "FAIL cli/setup: no transcripts in $here"; exit 1; }

failed=0
for name in $names; do
	in=$here/$name.in
	ref=$here/$name.ref
	work=$out/$name
	if [ ! -f "$in" ]; then
		echo "FAIL cli/$name: no $name.in"
		failed=1
		continue
	fi
	mkdir -p "$work"
	# The data directory is given relative to the case directory so that
	# `version` prints the same "Data Directory: data" on every machine.
	if [ -f "$here/$name.setup" ]; then
		(cd "$work" && "$MXSH" -D data <"$here/$name.setup" >setup.out 2>&1)
		rc=$?
		if [ $rc != 0 ]; then
			echo "FAIL cli/$name: $name.setup exited $rc"
			sed 's/^/    /' "$work/setup.out"
			failed=1
			continue
		fi
	fi
	args=""
	[ -f "$here/$name.args" ] && args=$(cat "$here/$name.args")
	(
		cd "$work" || exit 2
		eval "set -- $args"
		"$MXSH" -D data "$@" <"$in" >raw.out 2>&1
		echo "[exit $?]" >>raw.out
	)
	normalise <"$work/raw.out" >"$work/out"
	if [ -n "${UPDATE:-}" ]; then
		if [ -f "$ref" ] && cmp -s "$work/out" "$ref"; then
			echo "PASS cli/$name (unchanged)"
		else
			cp "$work/out" "$ref"
			echo "PASS cli/$name (ref rewritten: review it)"
		fi
		continue
	fi
	if [ ! -f "$ref" ]; then
		echo "FAIL cli/$name: no $name.ref (UPDATE=1 writes it; then review it)"
		failed=1
	elif diff -u "$ref" "$work/out" >"$work/diff"; then
		echo "PASS cli/$name"
	else
		echo "FAIL cli/$name: output differs from $name.ref (- expected, + got)"
		head -40 "$work/diff" | sed 's/^/    /'
		failed=1
	fi
done
exit $failed
