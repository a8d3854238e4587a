#!/usr/bin/python3
# etd_standin.py - a local stand-in for the Email Threat Defense API
# (spec/external-apis.md §1.2-§1.4), for the remediation tests. Run with
# /usr/bin/python3; listens on 127.0.0.1 only.
#
#   etd_standin.py --port P --data FILE --log FILE --ctl DIR
#                  [--cert PEM --key PEM] [--page N]
#                  [--client-id ID --client-secret S --api-key K]
#
# POST /v1/oauth/token     checks x-api-key and HTTP Basic id:secret, no
#                          body; answers {"accessToken": "...", ...}
# POST /v1/messages/search checks Authorization: Bearer (a token it gave),
#                          x-api-key, Content-Type: application/json and
#                          the body: timestamp = 2 ISO-8601 UTC strings,
#                          start < end, span <= 32 days; verdicts an array
#                          of known verdicts; pageSize 1..100; pageToken
#                          one it gave for the same query; nothing else.
#                          Answers the messages of FILE ({"messages":
#                          [{"id", "internetMessageId", "verdict",
#                          "mailboxes", "timestamp": epoch seconds}]})
#                          whose timestamp is within the window and whose
#                          verdict (a string, or an object's category) is
#                          asked for, in pages of min(pageSize, N), with
#                          nextPageToken while more remain.
#
# Control: files in DIR, read at each request (a count in a file is used
# up one per request, and the file removed at zero):
#   search_401   answer 401 to that many searches (a token "expired")
#   search_429   answer 429 with Retry-After: 1 (or the seconds in retry_after)
#   retry_after  the Retry-After of search_429 (read, not used up)
#   search_503   answer 503 without Retry-After
#   token_401    answer 401 to token requests
#   page_hold    holding an ETD id: a request for a page after the first
#                that would answer that id waits until the file is removed
#                (logged "HOLD id"; a test kills the client meanwhile)
#
# Every request is logged to FILE as one JSON line {"method", "path",
# "status", "body", "t"} (t: when answered, epoch seconds); a malformed request gets 400 and a line
# "BAD <why>" that the test fails on.
#
# --searches FILE2: every search answered 200 is also recorded in FILE2 as
# one JSON line {"token", "start", "end" (the window, epoch seconds),
# "page" (0 for a first page, else the offset), "ids" (the ETD ids
# answered), "t0" (received), "t" (answered), "port" (the port asked)}:
# who polled which window when (a token is one poller: each gateway gets
# its own). --also-port P (repeatable) listens on P too, with the same
# data, log and tokens: gateways given one port each are told apart by
# the "port" of their searches.
#
#   etd_standin.py check FILE2 [GAP] - checks those records, prints what
#   is wrong and exits 1 if anything is: two pollers at once (pollers:
#   tokens, or with --also-port ports): two searches of different pollers
#   in flight at the same moment, or with GAP (seconds) two pollers that
#   take turns: X, Y, X, Y, where X's two searches are less than GAP
#   apart and so are Y's (both kept polling; X, Y, X alone can be two
#   real handovers when a pin moves the primary and a partition moves it
#   back); and a gap in the polled windows (a first page whose start is
#   later than the end of every window polled before it). Prints "pollers: N, searches: N, windows: N" on
#   success.
import argparse
import base64
import json
import os
import re
import secrets
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

VERDICTS = {"spam", "malicious", "phishing", "graymail", "neutral", "bec", "scam", "noVerdict"}
ISO = re.compile(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d{1,3})?Z$")

args = None
lock = threading.Lock()
tokens = set()
pages = {}  # pageToken -> (query key, offset)


def log(line):
    with lock:
        with open(args.log, "a") as f:
            f.write(line + "\n")


def take(name):
    """use up one of control file DIR/name; True when it was there"""
    path = os.path.join(args.ctl, name)
    with lock:
        try:
            with open(path) as f:
                n = int(f.read().strip() or "1")
        except (OSError, ValueError):
            return False
        if n <= 1:
            os.unlink(path)
        else:
            with open(path, "w") as f:
                f.write(str(n - 1))
        return True


def iso_secs(s):
    m = ISO.match(s) if isinstance(s, str) else None
    if not m:
        return None
    import calendar
    y, mo, d, h, mi, se = (int(x) for x in m.groups()[:6])
    return calendar.timegm((y, mo, d, h, mi, se, 0, 0, 0))


def verdict_of(m):
    v = m.get("verdict")
    if isinstance(v, dict):
        v = v.get("category")
    return v


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        pass

    def answer(self, status, obj, extra=None, body_seen=""):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
        log(json.dumps({"method": self.command, "path": self.path, "status": status,
                        "body": body_seen, "t": round(time.time(), 3)}))

    def bad(self, why, body=""):
        log("BAD " + why)
        self.answer(400, {"error": why}, body_seen=body)

    def do_GET(self):
        self.bad("GET %s" % self.path)

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode("utf-8", "replace") if n else ""
        if self.headers.get("x-api-key") != args.api_key:
            log("BAD x-api-key %r" % self.headers.get("x-api-key"))
            return self.answer(403, {"error": "bad api key"}, body_seen=body)
        if self.path == "/v1/oauth/token":
            return self.token(body)
        if self.path == "/v1/messages/search":
            return self.search(body)
        self.bad("unknown path %s" % self.path, body)

    def token(self, body):
        if body:
            return self.bad("token request with a body", body)
        auth = self.headers.get("Authorization", "")
        want = "Basic " + base64.b64encode(
            ("%s:%s" % (args.client_id, args.client_secret)).encode()).decode()
        if auth != want:
            log("BAD token auth")
            return self.answer(401, {"error": "unauthorized"})
        if take("token_401"):
            return self.answer(401, {"error": "unauthorized"})
        t = "tok-" + secrets.token_hex(8)
        with lock:
            tokens.add(t)
        self.answer(200, {"accessToken": t, "tokenType": "Bearer"})

    def search(self, body):
        t_recv = time.time()
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in tokens:
            log("BAD bearer %r" % auth[:40])
            return self.answer(401, {"error": "unauthorized"}, body_seen=body)
        if not (self.headers.get("Content-Type") or "").startswith("application/json"):
            return self.bad("content type %r" % self.headers.get("Content-Type"), body)
        if take("search_401"):
            with lock:
                tokens.clear()
            return self.answer(401, {"error": "token expired"}, body_seen=body)
        if take("search_429"):
            try:
                with open(os.path.join(args.ctl, "retry_after")) as f:
                    ra = str(int(f.read().strip()))
            except (OSError, ValueError):
                ra = "1"
            return self.answer(429, {"error": "slow down"}, {"Retry-After": ra}, body)
        if take("search_503"):
            return self.answer(503, {"error": "unavailable"}, body_seen=body)
        try:
            q = json.loads(body)
        except ValueError:
            return self.bad("body is not JSON", body)
        if not isinstance(q, dict):
            return self.bad("body is not an object", body)
        extra = set(q) - {"timestamp", "verdicts", "pageSize", "pageToken"}
        if extra:
            return self.bad("unknown fields %s" % sorted(extra), body)
        ts = q.get("timestamp")
        if not isinstance(ts, list) or len(ts) != 2:
            return self.bad("timestamp is not 2 strings", body)
        start, end = iso_secs(ts[0]), iso_secs(ts[1])
        if start is None or end is None:
            return self.bad("timestamp not ISO-8601 UTC: %r" % ts, body)
        if start >= end or end - start > 32 * 86400:
            return self.bad("timestamp window %r" % ts, body)
        vs = q.get("verdicts")
        if not isinstance(vs, list) or not vs or any(v not in VERDICTS for v in vs):
            return self.bad("verdicts %r" % vs, body)
        ps = q.get("pageSize")
        if not isinstance(ps, int) or isinstance(ps, bool) or ps < 1 or ps > 100:
            return self.bad("pageSize %r" % ps, body)
        key = json.dumps([ts, sorted(vs)])
        off = 0
        if "pageToken" in q:
            with lock:
                got = pages.get(q["pageToken"])
            if got is None or got[0] != key:
                return self.bad("pageToken %r unknown or for another query" % q["pageToken"],
                                body)
            off = got[1]
        with open(args.data) as f:
            msgs = json.load(f).get("messages", [])
        hits = [m for m in msgs
                if start <= m.get("timestamp", 0) <= end and verdict_of(m) in vs]
        hits.sort(key=lambda m: str(m.get("id")))
        size = min(ps, args.page)
        page = [{k: v for k, v in m.items() if k != "timestamp"} for m in hits[off:off + size]]
        hold = os.path.join(args.ctl, "page_hold")
        try:
            with open(hold) as f:
                want = f.read().strip()
        except OSError:
            want = None
        if off > 0 and want and any(m.get("id") == want for m in page):
            log("HOLD %s" % want)
            while os.path.exists(hold):
                time.sleep(0.05)
        if args.searches:
            rec = {"token": auth[7:], "start": start, "end": end, "page": off,
                   "ids": [m.get("id") for m in page], "t0": round(t_recv, 3),
                   "t": round(time.time(), 3), "port": self.server.server_address[1]}
            with lock:
                with open(args.searches, "a") as f:
                    f.write(json.dumps(rec) + "\n")
        out = {"data": {"messages": page}}
        if off + size < len(hits):
            t = "pt-" + secrets.token_hex(6)
            with lock:
                pages[t] = (key, off + size)
            out["nextPageToken"] = t
        self.answer(200, out, body_seen=body)


def main():
    global args
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--ctl", required=True)
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--page", type=int, default=100)
    p.add_argument("--client-id", default="etd-client")
    p.add_argument("--client-secret", default="etd-secret-1")
    p.add_argument("--api-key", default="etd-key-1")
    p.add_argument("--searches")
    p.add_argument("--also-port", type=int, action="append", default=[])
    args = p.parse_args()
    os.makedirs(args.ctl, exist_ok=True)
    servers = []
    for port in [args.port] + args.also_port:
        srv = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        srv.daemon_threads = True
        if args.cert:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.minimum_version = ssl.TLSVersion.TLSv1_2
            ctx.load_cert_chain(args.cert, args.key)
            srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
        servers.append(srv)
    for srv in servers[1:]:
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    servers[0].serve_forever()


def check(path, gap=0.0):
    """the searches of --searches FILE: one poller at a time, no gap"""
    rows = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                rows.append(json.loads(line))
    rows.sort(key=lambda r: r["t0"])
    # a poller: the port it asks when the gateways have one each, else its token
    if len(set(r.get("port") for r in rows)) > 1:
        for r in rows:
            r["token"] = "port %s" % r["port"]
    bad = []
    # two searches of different tokens in flight at once
    for a, b in zip(rows, rows[1:]):
        if a["token"] != b["token"] and b["t0"] < a["t"]:
            bad.append("searches of two pollers at once: %s (%.3f..%.3f) and %s (from %.3f)"
                       % (a["token"], a["t0"], a["t"], b["token"], b["t0"]))
    # taking turns: X, Y, X, Y, each poller's two searches less than gap
    # seconds apart: neither stopped while the other polled. (X, Y, X
    # alone is what a pin to Y and then a partition of Y look like.)
    toks = []
    for r in rows:
        if r["token"] not in toks:
            toks.append(r["token"])
    if gap > 0:
        runs = []  # [token, first t0, last t] of each run of one poller
        for r in rows:
            if runs and runs[-1][0] == r["token"]:
                runs[-1][2] = r["t"]
            else:
                runs.append([r["token"], r["t0"], r["t"]])
        for w, x, y, z in zip(runs, runs[1:], runs[2:], runs[3:]):
            if (w[0] == y[0] and x[0] == z[0] and y[1] - w[2] < gap
                    and z[1] - x[2] < gap):
                bad.append("pollers %s and %s take turns: %s searched until %.3f and again at %.3f, "
                           "%s until %.3f and again at %.3f"
                           % (w[0], x[0], w[0], w[2], y[1], x[0], x[2], z[1]))
    # windows: each first page starts no later than the furthest end so far
    firsts = [r for r in rows if r["page"] == 0]
    reach = None
    for r in firsts:
        if reach is not None and r["start"] > reach:
            bad.append("gap in the polled windows: %d..%d not polled (next window %d..%d)"
                       % (reach, r["start"], r["start"], r["end"]))
        reach = r["end"] if reach is None else max(reach, r["end"])
    for b in bad:
        print(b)
    if not bad:
        print("pollers: %d, searches: %d, windows: %d" % (len(toks), len(rows), len(firsts)))
    return 1 if bad else 0


if __name__ == "__main__":
    if len(sys.argv) in (3, 4) and sys.argv[1] == "check":
        sys.exit(check(sys.argv[2], float(sys.argv[3]) if len(sys.argv) == 4 else 0.0))
    sys.exit(main())
