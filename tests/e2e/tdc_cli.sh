#!/bin/sh
# tdc_cli.sh - tdcconfig and policyconfig tdc= end to end, on the real
# binary and data directory: the API secrets (client_secret, api_key)
# never reach cli_logs, the shell history, nor any output of print,
# showchanges, commit, commitdetail, rollbackconfig, policyconfig or an
# error line, whatever the quoting, in batch and at a terminal; and every
# refused line leaves config.db byte-for-byte unchanged (sqlite3 .dump
# before and after) and exits 1.
#
# Env: MXSH, MXGATED (tests/run.sh; lib.subr needs both), TEST_OUT.
# Prints "PASS tdc_cli/name" / "FAIL tdc_cli/name: why"; exits 1 if any
# failed.
top=$(cd "$(dirname "$0")/../.." && pwd)
MXSH=${MXSH:-$top/build/mxsh}
MXGATED=${MXGATED:-$top/build/mxgated}
. "$top/tests/e2e/lib.subr"
out=$(t_dir tdc_cli)
mkdir -p "$out/home"
TZ=UTC
HOME=$out/home
export TZ HOME
unset MXGATE_HOME

command -v sqlite3 >/dev/null || { t_fail tdc_cli/setup "sqlite3 not installed"; t_done; }

# Every secret used below contains SEKRIT, which nothing else does.
S1=SEKRIT-pw-7f3a
K1=SEKRIT-key-91c2
S2='SEKRIT two words'
K2=SEKRIT-key-rotated

# show FILE... - the evidence of a failure, indented
show() {
	for f in "$@"; do
		[ -f "$f" ] && sed "s|^|    $(basename "$f"): |" "$f" | head -20
	done
}
# mx DIR NAME LINE... - mxsh -D DIR -c LINE...; output in $out/NAME.out, status in $rc
mx() {
	_d=$1 _n=$2
	shift 2
	for l in "$@"; do set -- "$@" -c "$l"; shift; done
	"$MXSH" -D "$_d" "$@" </dev/null >"$out/$_n.out" 2>&1
	rc=$?
}
# dump DIR - the persistent configuration
dump() { sh "$top/tests/helpers/cfgdump.sh" "$1"; }
# secret DIR NAME - a setting's clear value (config.db holds secrets encrypted)
secret() { "$(cd "$(dirname "$MXGATED")" && pwd)/tests/settingget" "$@"; }
# leaks FILE... - does any file hold a secret?
leaks() { grep -l SEKRIT "$@" 2>/dev/null; }

# ---------------------------------------------------------------- batch
d=$out/d1
mx "$d" setup \
    "tdcconfig setup enable=yes intake_address=journal@intake.example.test" \
    "policyconfig incoming new lab recipients=@lab.example.test" \
    "policyconfig incoming edit lab tdc=custom:lab-journal@intake.example.test" \
    "policyconfig incoming edit DEFAULT tdc=global" \
    "tdcconfig setup api=yes client_id=cid-1 client_secret=$S1 api_key=$K1 action=forward_delete forward_to=soc@example.test" \
    "policyconfig incoming edit DEFAULT tdc_polling=yes" \
    "tdcconfig print" showchanges "commit connector, API and polling" commitdetail \
    "policyconfig incoming print" "policyconfig incoming print DEFAULT"
if [ $rc = 0 ] && grep -q '^Client Secret: *\*\*\*\*\*$' "$out/setup.out" &&
    grep -q '^API Key: *\*\*\*\*\*$' "$out/setup.out" &&
    grep -q '^  + setting tdc.client_secret = \*\*\*\*\*$' "$out/setup.out" &&
    grep -q '^  + setting tdc.api_key = \*\*\*\*\*$' "$out/setup.out" &&
    grep -q '^Email Threat Defense API Polling: *Enabled (this gateway is the polling primary)$' "$out/setup.out"; then
	t_pass tdc_cli/setup
else
	t_fail tdc_cli/setup "exit $rc, or the secrets not shown as *****"
	show "$out/setup.out"
fi
# the store does hold them (so the checks below look for something real)
if [ "$(secret "$d" tdc.client_secret)" = "$S1" ] && [ "$(secret "$d" tdc.api_key)" = "$K1" ]; then
	t_pass tdc_cli/stored
else
	t_fail tdc_cli/stored "config.db does not hold the committed secrets"
fi

# quoting of every kind, a secret with a blank, ***** keeping the other
mx "$d" quoting \
    "tdcconfig setup \"client_secret=$S2\" api_key=*****" showchanges \
    "tdcconfig setup 'api_key=$K2' client_secret=*****" showchanges \
    "tdcconfig setup client_secret=\"$S2\" \"api_key\"=$K2" showchanges \
    "commit rotate" commitdetail "rollbackconfig 1 back" commitdetail "tdcconfig print"
v2=$(secret "$d" tdc.client_secret)
if [ $rc = 0 ] && [ "$v2" = "$S1" ] &&
    grep -q '^Configuration rolled back to commit 1 ' "$out/quoting.out"; then
	t_pass tdc_cli/rotate_and_rollback
else
	t_fail tdc_cli/rotate_and_rollback "exit $rc, client_secret after the rollback: '$v2'"
	show "$out/quoting.out"
fi

# refused lines holding secrets: one error line, exit 1, config.db unchanged
refuse() { # NAME PATTERN LINE
	dump "$d" >"$out/$1.before"
	mx "$d" "$1" "$3" "commit should not happen"
	dump "$d" >"$out/$1.after"
	if [ $rc != 1 ]; then
		t_fail "tdc_cli/$1" "exit $rc, expected 1"
		show "$out/$1.out"
	elif [ "$(grep -c . "$out/$1.out")" != 2 ] || ! grep -q -- "$2" "$out/$1.out" ||
	    ! grep -q '^There is no data to commit\.$' "$out/$1.out"; then
		t_fail "tdc_cli/$1" "expected one error line matching '$2' and nothing to commit"
		show "$out/$1.out"
	elif ! cmp -s "$out/$1.before" "$out/$1.after"; then
		t_fail "tdc_cli/$1" "config.db changed"
	else
		t_pass "tdc_cli/$1"
	fi
}
refuse bad_secret_char 'Invalid client_secret: the value cannot contain control' \
    "$(printf 'tdcconfig setup "client_secret=SEKRIT\tx"')"
refuse secret_then_bad_key 'Unknown key' "tdcconfig setup api_key=$K2 colour=red"
refuse secret_then_bad_value 'Invalid action' "tdcconfig setup client_secret=$K2 action=burn"
refuse secret_too_long 'cannot be longer than 512' \
    "tdcconfig setup api_key=SEKRIT$(printf 'x%.0s' $(seq 520))"
refuse api_without_connector 'needs the Threat Defense Connector' \
    "tdcconfig setup enable=no api=yes \"client_secret=$S2\""
refuse missing_credential 'missing: client_id' \
    "tdcconfig setup api=yes client_id= client_secret='$S2'"
refuse polling_without_api 'polling needs the Email Threat Defense API' \
    "tdcconfig setup api=no polling=yes api_key=$K2"
refuse forward_without_address 'needs the address to forward to' \
    "tdcconfig setup action=forward forward_to= api_key=$K2"
refuse intake_other_domain 'which is not in the domain of the global message intake address' \
    "tdcconfig setup intake_address=journal@other.example.test"
refuse custom_other_domain 'must be in the domain of the global' \
    "policyconfig incoming edit lab tdc=custom:x@other.example.test"
# DEFAULT takes a custom address too (issue 8, defect 4), in the global domain only
refuse default_custom 'must be in the domain of the global' \
    "policyconfig incoming edit DEFAULT tdc=custom:x@other.example.test"
refuse polling_elsewhere 'only globally or on the DEFAULT policy' \
    "policyconfig incoming edit lab tdc_polling=no"
refuse outgoing_tdc 'Outgoing mail policies have no Threat Defense Connector' \
    "policyconfig outgoing edit DEFAULT tdc=global"
refuse all_or_nothing 'Invalid tdc' \
    "policyconfig incoming edit DEFAULT tdc_polling=no tdc=sometimes"

# the dialogue: secrets typed as answers are not logged (answers never are)
printf 'tdcconfig\nAPI\ncid-2\n%s\n%s\nus\n2\nn\n\ncommit from the dialogue\ntdcconfig print\nshowchanges\n' \
    "$S2" "$K2" | "$MXSH" -D "$d" >"$out/dialogue.out" 2>&1
rc=$?
v=$(secret "$d" tdc.api_key)
if [ $rc = 0 ] && [ "$v" = "$K2" ] && grep -q '^Client ID: *cid-2$' "$out/dialogue.out"; then
	t_pass tdc_cli/dialogue
else
	t_fail tdc_cli/dialogue "exit $rc, api_key '$v' after the dialogue"
	show "$out/dialogue.out"
fi

# ---------------------------------------------------------------- a terminal
# An interactive session: the history file gets the masked line, and
# recalling it (Up, Enter) keeps the stored secret instead of storing *****.
if command -v tmux >/dev/null 2>&1; then
	TMUX_TMPDIR=$(mktemp -d /tmp/mxtdc.XXXXXX) || exit 2
	export TMUX_TMPDIR
	unset TMUX
	printf 'set -g remain-on-exit on\nset -g default-shell /bin/sh\nset -g status off\n' \
	    >"$out/tmux.conf"
	T() { tmux -L mxtdc -f "$out/tmux.conf" "$@"; }
	wait_screen() { # TEXT - poll (10 s at most) until the screen shows TEXT
		i=0
		while [ $i -lt 200 ]; do
			T capture-pane -p -t mx 2>/dev/null | grep -qF -- "$1" && return 0
			sleep 0.05
			i=$((i + 1))
		done
		return 1
	}
	d2=$out/d2
	mx "$d2" tty_setup "sethostname tdc.example.test" \
	    "tdcconfig setup enable=yes intake_address=journal@intake.example.test" "commit tty"
	T new-session -d -s mx -x 160 -y 40 "TERM=xterm exec '$MXSH' -D '$d2'"
	ok=
	wait_screen 'tdc.example.test>' || ok="$ok prompt"
	T send-keys -t mx "tdcconfig setup api=yes client_id=c client_secret=$S1 api_key=$K1" Enter
	T send-keys -t mx "commit tty api" Enter
	wait_screen 'Changes committed' || ok="$ok commit"
	# recall the tdcconfig line: it reads client_secret=***** api_key=*****
	T send-keys -t mx Up Up
	wait_screen "client_secret=***** api_key=*****" || ok="$ok recall"
	T send-keys -t mx Enter
	T send-keys -t mx "showchanges" Enter
	wait_screen 'No changes have been made since the last commit.' || ok="$ok rerun"
	T send-keys -t mx "quit" Enter
	i=0
	while [ $i -lt 200 ] && [ "$(T display-message -p -t mx '#{pane_dead}' 2>/dev/null)" != 1 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	T capture-pane -p -t mx -S -100 >"$out/tty.screen" 2>/dev/null
	T kill-server >/dev/null 2>&1
	rm -rf "$TMUX_TMPDIR"
	v=$(secret "$d2" tdc.client_secret)
	if [ -z "$ok" ] && [ "$v" = "$S1" ]; then
		t_pass tdc_cli/tty_recall_keeps_secret
	else
		t_fail tdc_cli/tty_recall_keeps_secret "not seen:$ok; stored secret '$v'"
		show "$out/tty.screen"
	fi
	if ls "$d2"/.mxsh_history.* >/dev/null 2>&1 && ! leaks "$d2"/.mxsh_history.* >/dev/null &&
	    grep -q 'client_secret=\*\*\*\*\*' "$d2"/.mxsh_history.*; then
		t_pass tdc_cli/history_masked
	else
		t_fail tdc_cli/history_masked "the history file is missing or holds a secret"
		show "$d2"/.mxsh_history.*
	fi
else
	t_fail tdc_cli/tty "tmux is not installed (make test-deps)"
fi

# ---------------------------------------------------------------- the verdict
# no output file and no log under either data directory holds a secret
# (tty.screen is left out: a terminal echoes what is typed)
files=$(leaks "$out"/*.out)
logs=$(find "$d/logs" "$out/d2/logs" -type f 2>/dev/null)
if [ -n "$files" ]; then
	t_fail tdc_cli/no_secret_in_output "a secret was printed in: $files"
	for f in $files; do grep -n SEKRIT "$f" | head -3 | sed 's/^/    /'; done
else
	t_pass tdc_cli/no_secret_in_output
fi
if [ -z "$logs" ]; then
	t_fail tdc_cli/no_secret_in_logs "no log files were written"
elif leaks $logs >/dev/null; then
	t_fail tdc_cli/no_secret_in_logs "a secret is in: $(leaks $logs)"
	grep -h SEKRIT $logs | head -3 | sed 's/^/    /'
elif ! grep -q "entered 'tdcconfig setup api=yes client_id=cid-1 client_secret=\*\*\*\*\* api_key=\*\*\*\*\* " \
    "$d/logs/cli_logs/cli.current"; then
	t_fail tdc_cli/no_secret_in_logs "the masked command line is not in cli_logs"
	show "$d/logs/cli_logs/cli.current"
else
	t_pass tdc_cli/no_secret_in_logs
fi
t_done
