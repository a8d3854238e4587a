#!/bin/sh
# api_limits.sh - the API's connection limits against a real mxgated
# (issue 12 review, finding 1): api.max_conns counts connections when
# they are accepted, so idle TCP connections that never send a request
# (or trickle bytes) cannot pile up: at the limit the next client is not
# served, the daemon's descriptors stay bounded, a connection trickling a
# byte a second is closed after 2 x api.timeout, and the API answers
# again once the idle ones are gone. Mail goes on meanwhile (SMTP banner).
. "$(dirname "$0")/lib.subr"

D=$(t_dir api_limits)
P=$(free_port)
H=$(free_port)
MAX=4
HURL=http://127.0.0.1:$H/esa/api/v2.0

cleanup() {
	[ -n "${HOLD:-}" ] && kill "$HOLD" 2>/dev/null
	gw_stop "$D" >/dev/null 2>&1
	t_done
}
trap cleanup EXIT INT TERM

command -v curl >/dev/null || { t_fail setup "curl is not installed"; exit 1; }
mxsh_do "$D" \
	"listenerconfig new IncomingMail ip=127.0.0.1 port=$P type=public domains=@example.test" \
	"interfaceconfig api http=yes http_port=$H address=127.0.0.1" \
	"supportconfig api.max_conns=$MAX api.timeout=30" \
	"commit e2e api limits" >"$D/setup.out" 2>&1 ||
	{ t_fail setup "mxsh setup failed: $(cat "$D/setup.out")"; exit 1; }
gw_start "$D"
wait_port "$H" 10 || { t_fail setup "the API did not listen: $(cat "$D/mxgated.out")"; exit 1; }
GWPID=$(cat "$D/gw.pid")
answers() { [ "$(curl -s -m 3 -o /dev/null -w '%{http_code}' "$HURL/login/privileges")" = 401 ]; }
t_check serving_at_start answers
FD0=$(ls /proc/"$GWPID"/fd | wc -l)

# hold N idle connections (plus 100 more than the limit), trickling a byte
# a second on the first MAX; report in $D/held how many the peer closed
$PY - "$H" "$MAX" "$D/held" <<'PYEOF' &
import socket, sys, time
port, mx, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
socks = []
for i in range(mx + 100):
    s = socket.socket()
    s.settimeout(5)
    try:
        s.connect(("127.0.0.1", port))
    except OSError:
        break
    socks.append(s)
open(out + ".up", "w").write("%d\n" % len(socks))
closed = set()
for t in range(40):		# a byte a second: evhttp's idle timeout never fires
    for i, s in enumerate(socks[:mx]):
        if i in closed:
            continue
        try:
            s.send(b"G" if t == 0 else b"E")
            s.setblocking(False)
            if s.recv(1024) == b"":
                closed.add(i)
        except BlockingIOError:
            pass
        except OSError:
            closed.add(i)
    open(out, "w").write("%d\n" % len(closed))
    time.sleep(1)
PYEOF
HOLD=$!
wait_for 20 test -s "$D/held.up" || t_fail hold "the idle connections were not made"
sleep_until_counted() { [ "$(ls /proc/"$GWPID"/fd | wc -l)" -ge $((FD0 + MAX)) ]; }
wait_for 10 sleep_until_counted
# at the limit: a new client is not served, and the daemon holds MAX sockets, not 100 more
t_check refused_at_limit sh -c "! curl -s -m 2 -o /dev/null '$HURL/login/privileges'"
FD1=$(ls /proc/"$GWPID"/fd | wc -l)
t_check fds_bounded [ "$FD1" -le $((FD0 + MAX + 2)) ]
t_check mail_goes_on sh -c "$PY -c 'import socket; s=socket.create_connection((\"127.0.0.1\", $P), 5); s.settimeout(5); assert s.recv(100).startswith(b\"220\")'"
kill "$HOLD" 2>/dev/null
wait "$HOLD" 2>/dev/null
HOLD=
# the idle ones gone: the API answers again, the descriptors come back
t_check serving_again wait_for 20 answers
fds_back() { [ "$(ls /proc/"$GWPID"/fd | wc -l)" -le $((FD0 + 1)) ]; }
t_check fds_released wait_for 20 fds_back

# a connection trickling bytes is closed after 2 x api.timeout (timeout 2: 4 s)
mxsh_do "$D" "supportconfig api.timeout=2" "commit e2e api timeout" >"$D/t2.out" 2>&1 ||
	t_fail timeout_commit "mxsh: $(cat "$D/t2.out")"
wait_for 10 answers
rm -f "$D/held" "$D/held.up"
$PY - "$H" 1 "$D/held" <<'PYEOF' &
import socket, sys, time
port, out = int(sys.argv[1]), sys.argv[3]
s = socket.create_connection(("127.0.0.1", port), 5)
start = time.time()
while time.time() - start < 30:
    try:
        s.send(b"G")
        s.settimeout(1)
        if s.recv(1024) == b"":
            break
    except socket.timeout:
        continue
    except OSError:
        break
open(out, "w").write("%d\n" % int(time.time() - start))
PYEOF
HOLD=$!
wait_for 40 test -s "$D/held"
HOLD=
t_check trickle_closed sh -c "[ -s '$D/held' ] && [ \$(cat '$D/held') -lt 15 ]"

gw_stop "$D" || t_fail stop "mxgated exited with an error: $(tail -5 "$D/mxgated.out")"
