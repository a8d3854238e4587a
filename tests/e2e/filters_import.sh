#!/bin/sh
# filters_import.sh - `filters import` and `contentfilters import` of
# files written by hand: comment lines, the attribute lines "# inactive"
# and "# description:", CRLF line ends, syntax errors reported at the
# file's own line and column (comment lines counted), control characters,
# missing files, all-or-nothing; content filters added or replaced by
# name; and a set of filters larger than one script (64 KB) exported and
# imported back unchanged; a UTF-8 byte order mark at the start of a file.
#
# Env: MXSH, MXGATED, TEST_OUT (tests/run.sh). Prints "PASS name" /
# "FAIL name: why"; exits 1 if any failed.
. "$(dirname "$0")/lib.subr"
N=$T_NAME
d=$(t_dir filters_import)
out=$d/out
mkdir -p "$out"

# sh_run NAME LINE... - mxsh batch commands (not stopping at errors); $rc, out/NAME.out/.err
sh_run() {
	_n=$1
	shift
	for l in "$@"; do set -- "$@" -c "$l"; shift; done
	"$MXSH" -D "$d/data" "$@" </dev/null >"$out/$_n.out" 2>"$out/$_n.err"
	rc=$?
}

# show FILE... - the files, indented, after a FAIL line
show() { for f in "$@"; do sed 's/^/    /' "$f"; done; }

# --- comments, attributes and CRLF
cat >"$d/good.txt" <<'EOF'
# filters for the gateway (a comment)
block: if sdr-reputation(['awful'], "") { drop(); }

# inactive
# the next one is kept but not run (another comment)
young: if sdr-age("days", <, 5, "") {
    quarantine("Policy");
}
tag: if subject == "x" { insert-header('X-Tag', 'yes'); }
EOF
printf 'crlf: if true {\r\n    log-entry("crlf");\r\n}\r\n' >"$d/crlf.txt"
sh_run good 'filters import '"$d/good.txt" 'filters list'
if [ "$rc" = 0 ] && grep -q "^3 filters imported from $d/good.txt\.$" "$out/good.out" &&
    grep -Eq '^1 +Y +Y +block$' "$out/good.out" && grep -Eq '^2 +N +Y +young$' "$out/good.out" &&
    grep -Eq '^3 +Y +Y +tag$' "$out/good.out"; then
	t_pass "$N/comments_and_attributes"
else
	t_fail "$N/comments_and_attributes" "exit $rc"
	show "$out/good.out" "$out/good.err"
fi
sh_run crlf 'filters import '"$d/crlf.txt" 'filters detail crlf'
if [ "$rc" = 0 ] && grep -qx '    log-entry("crlf");' "$out/crlf.out" &&
    ! grep -q "$(printf '\r')" "$out/crlf.out"; then
	t_pass "$N/crlf"
else
	t_fail "$N/crlf" "exit $rc"
	show "$out/crlf.out" "$out/crlf.err"
fi

# --- errors name the file's line and column; nothing is staged
cat >"$d/bad.txt" <<'EOF'
# one comment
good: if true { drop(); }
# inactive
fine: if true { drop(); }

broken: if (subject == "x" { drop(); }
EOF
sh_run bad 'filters import '"$d/bad.txt" 'showchanges'
if [ "$rc" = 1 ] &&
    grep -qx "Invalid filter syntax: line 6, column 28: expected ')' or AND/OR in the condition, found '{'" "$out/bad.err" &&
    grep -qx 'No changes have been made since the last commit.' "$out/bad.out"; then
	t_pass "$N/syntax_error_position"
else
	t_fail "$N/syntax_error_position" "exit $rc"
	show "$out/bad.out" "$out/bad.err"
fi
printf 'ctl: if subject == "a\001" { drop(); }\n' >"$d/ctl.txt"
printf '# inactive\n' >"$d/dangling.txt"
printf 'a: if true { drop(); }\n# active\nA: if true { drop(); }\n' >"$d/dup.txt"
: >"$d/empty.txt"
sh_run bad2 'filters import '"$d/ctl.txt" 'filters import '"$d/dangling.txt" \
    'filters import '"$d/dup.txt" 'filters import '"$d/empty.txt" \
    'filters import '"$d/none.txt" 'showchanges'
if [ "$rc" = 1 ] &&
    grep -qx 'Invalid filter syntax: line 1 contains a control character (\\001).' "$out/bad2.err" &&
    grep -qx 'Invalid filter syntax: line 1, column 1: no filter follows this attribute line.' "$out/bad2.err" &&
    grep -qx "Invalid filter syntax: line 3, column 1: Duplicate filter name 'A'" "$out/bad2.err" &&
    grep -qx 'Invalid filter syntax: the script holds no filter.' "$out/bad2.err" &&
    grep -qx "Cannot read the file $d/none.txt: No such file or directory." "$out/bad2.err" &&
    grep -qx 'No changes have been made since the last commit.' "$out/bad2.out"; then
	t_pass "$N/refusals_stage_nothing"
else
	t_fail "$N/refusals_stage_nothing" "exit $rc"
	show "$out/bad2.out" "$out/bad2.err"
fi

# --- a UTF-8 byte order mark (as some editors save a file) is not part of
# line 1: the attribute line under it still counts, and errors keep their columns
printf '\357\273\277# inactive\na2: if true { drop(); }\n' >"$d/bom.txt"
printf '\357\273\277b2: if (true { drop(); }\n' >"$d/bombad.txt"
sh_run bom 'filters import '"$d/bom.txt" 'filters list' 'filters import '"$d/bombad.txt"
if [ "$rc" = 1 ] && grep -q "^1 filter imported from $d/bom.txt" "$out/bom.out" &&
    grep -Eq '^1 +N +Y +a2$' "$out/bom.out" &&
    grep -qx "Invalid filter syntax: line 1, column 14: expected ')' or AND/OR in the condition, found '{'" "$out/bom.err" &&
    [ "$(grep -c "^Invalid" "$out/bom.err")" = 1 ]; then
	t_pass "$N/utf8_bom"
else
	t_fail "$N/utf8_bom" "exit $rc"
	show "$out/bom.out" "$out/bom.err"
fi

# --- content filters: added, or replaced by name; descriptions from the file or kept
cat >"$d/cf1.txt" <<'EOF'
# description: Tag young domains
tag: if sdr-age("days", <, 5, "") { insert-header('X-Young', 'yes'); }
# description: Quarantine the worst
worst: if sdr-reputation(['awful'], "") { quarantine("Policy"); }
EOF
cat >"$d/cf2.txt" <<'EOF'
tag: if sdr-age("days", <, 3, "") { insert-header('X-Young', 'yes'); }
# description: Log everything
logall: if true { log-entry("seen"); }
EOF
sh_run cf 'contentfilters import '"$d/cf1.txt" 'contentfilters import '"$d/cf2.txt" \
    'contentfilters list' 'contentfilters detail tag'
if [ "$rc" = 0 ] &&
    grep -q "^2 content filters imported from $d/cf2.txt (1 new, 1 replaced)\.$" "$out/cf.out" &&
    grep -Eq '^1 +Y +logall +- +Log everything$' "$out/cf.out" &&
    grep -Eq '^2 +Y +tag +- +Tag young domains$' "$out/cf.out" &&
    grep -Eq '^3 +Y +worst +- +Quarantine the worst$' "$out/cf.out" &&
    grep -q 'sdr-age("days", <, 3, "")' "$out/cf.out"; then
	t_pass "$N/content_add_replace"
else
	t_fail "$N/content_add_replace" "exit $rc"
	show "$out/cf.out" "$out/cf.err"
fi

# --- more than one script's worth (64 KB): exported and imported back unchanged
{
	i=1
	while [ "$i" -le 600 ]; do
		printf 'f%03d: if subject == "pattern number %03d of a long list of patterns" {\n' "$i" "$i"
		printf '    insert-header(%s, %s);\n}\n' "'X-Filter-$i'" "'matched filter $i'"
		i=$((i + 1))
	done
} >"$d/many.txt"
sh_run many1 'filters import '"$d/many.txt" 'commit many filters' 'filters export many.out' \
    'filters delete all' 'filters import '"$d/data/configuration/many.out" 'showchanges' \
    'filters list'
size=$(wc -c <"$d/many.txt")
if [ "$rc" = 0 ] && [ "$size" -gt 65536 ] &&
    grep -qx '600 filters imported from '"$d/many.txt"'.' "$out/many1.out" &&
    grep -qx '600 filters exported to '"$d/data/configuration/many.out"'.' "$out/many1.out" &&
    grep -qx 'No changes have been made since the last commit.' "$out/many1.out" &&
    grep -Eq '^600 +Y +Y +f600$' "$out/many1.out"; then
	t_pass "$N/large_round_trip"
else
	t_fail "$N/large_round_trip" "exit $rc; file $size bytes"
	show "$out/many1.out" "$out/many1.err"
fi

t_done
