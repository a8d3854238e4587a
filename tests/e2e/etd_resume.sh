#!/bin/sh
# etd_resume.sh - an Email Threat Defense API search longer than
# tdc.poll_max_pages pages (issue 12): the next search goes on from the
# page where the last stopped (same window, its nextPageToken) instead of
# asking page 1 of a new window again, so every verdict is taken, once.
# Five verdicts in pages of 2, one page a search: three searches.
. "$(dirname "$0")/lib.subr"

HELP=$(cd "$(dirname "$0")/../helpers" && pwd)
D=$(t_dir etd_resume)
K=$D.keys
P=$(free_port)
E=$(free_port)
DATA=$D.etd.json
SLOG=$D.etd.log
CTL=$D.etd.ctl
LOG=$D/logs/mail_logs/mail.current
mkdir -p "$K" "$CTL"
: >"$SLOG"
t_ca "$K" && t_cert "$K" etd.test "DNS:etd.test,IP:127.0.0.1" ||
	{ t_fail setup "openssl could not make the test CA"; t_done; }
$PY - "$DATA" <<'PYEOF'
import json, sys, time
now = int(time.time())
json.dump({"messages": [{"id": "r-%d" % i, "internetMessageId": "<r%d@etd.test>" % i,
                         "verdict": "phishing", "mailboxes": ["alice@example.com"],
                         "timestamp": now - 5} for i in range(1, 6)]}, open(sys.argv[1], "w"))
PYEOF
$PY "$HELP/etd_standin.py" --port "$E" --data "$DATA" --log "$SLOG" --ctl "$CTL" \
	--cert "$K/etd.test.pem" --key "$K/etd.test.key" --page 2 >"$SLOG.out" 2>&1 &
T_PIDS="$T_PIDS $!"
wait_port "$E" 10 || { t_fail setup "stand-in: $(cat "$SLOG.out")"; t_done; }
mxsh_do "$D" \
	"listenerconfig new IncomingMail ip=127.0.0.1 port=$P type=public domains=@example.com" \
	"smtproutes new intake.test 127.0.0.1:$(dead_port)" \
	"certconfig cafile $K/ca.pem" \
	"tdcconfig setup enable=yes intake_address=journal@intake.test api=yes client_id=etd-client client_secret=etd-secret-1 api_key=etd-key-1 api_region=https://127.0.0.1:$E action=delete polling=yes" \
	"interfaceconfig api http=no https=no" \
	"supportconfig tdc.poll_interval=5 tdc.poll_lag=0 tdc.poll_overlap=600 tdc.poll_max_pages=1" \
	"commit e2e etd resume" >"$D/setup.out" 2>&1 ||
	{ t_fail setup "mxsh setup failed: $(cat "$D/setup.out")"; t_done; }
gw_start "$D"
wait_port "$P" 10 || { t_fail setup "mxgated did not listen: $(cat "$D/mxgated.out")"; t_done; }

taken() { grep -c "ETD verdict phishing for Message-ID '<r$1@etd.test>' (ETD id r-$1) matches no message journaled here" "$LOG" || true; }
all_taken() { for i in 1 2 3 4 5; do [ "$(taken $i)" -ge 1 ] || return 1; done; }
t_check cut_said wait_for 60 grep -q "TDC: Email Threat Defense API search stopped after 1 page; the next search goes on from there" "$LOG"
if wait_for 90 all_taken; then t_pass every_verdict_taken
else t_fail every_verdict_taken "$(grep 'TDC:' "$LOG" | tail -5)"; fi
# two more polls: nothing taken twice
n=$(grep -c '"path": "/v1/messages/search", "status": 200' "$SLOG")
more() { [ "$(grep -c '"path": "/v1/messages/search", "status": 200' "$SLOG")" -ge $((n + 2)) ]; }
wait_for 60 more
once=1
for i in 1 2 3 4 5; do [ "$(taken $i)" = 1 ] || once=0; done
if [ $once = 1 ]; then t_pass each_once
else t_fail each_once "$(for i in 1 2 3 4 5; do printf 'r-%s:%s ' $i "$(taken $i)"; done)"; fi
# the pages after the first were asked with the token of the same window
t_check resumed_same_window $PY - "$SLOG" <<'PYEOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
s = [json.loads(r["body"]) for r in rows if r["path"] == "/v1/messages/search" and r["status"] == 200]
first = next(i for i, b in enumerate(s) if "pageToken" not in b)
follow = s[first + 1:first + 3]
assert len(follow) == 2 and all("pageToken" in b for b in follow), s[:4]
assert all(b["timestamp"] == s[first]["timestamp"] for b in follow), s[:4]
PYEOF
t_check standin_no_bad sh -c "! grep -q '^BAD' '$SLOG'"
gw_stop "$D" || t_fail clean_exit "mxgated exited non-zero"
t_done
