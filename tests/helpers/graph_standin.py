#!/usr/bin/python3
"""graph_standin.py PORT CERT KEY DIR - a Microsoft Graph stand-in over HTTPS.

For tests/e2e/mailbox_graph.sh (and the remediation tests): listens on
127.0.0.1:PORT only, with CERT/KEY (signed by the test CA). Everything it
knows lives in DIR:

  DIR/messages.json  {"alice@example.com": [{"id": "AAMk1", "internetMessageId":
                     "<x@y>", "folder": "inbox"}, ...]}, read at each request
                     and written back after a change (the test seeds it)
  DIR/control        lines the test writes to make trouble, each "WHAT N"
                     (N answers, counted down): "expire 1" revokes the
                     current token (the next call gets 401), "429 1" answers
                     429 with Retry-After: 1, "503 1" answers 503 with
                     Retry-After: 1, "page N" serves N messages a page
  DIR/requests.log   one line per request: "TIME METHOD PATH -> STATUS", and
                     "BAD why" for every request not of the documented shape
                     (answered 400; a test fails on any such line)
  DIR/forwards.log   one JSON line per forward: mailbox, id, to, comment

The client: id "client-1", secret "secret-1" (DIR/client holds
"ID SECRET" to change them); the token endpoint is
/TENANT/oauth2/v2.0/token (form client_id, client_secret,
scope=https://graph.microsoft.com/.default, grant_type=client_credentials);
Graph calls are under /v1.0 and need "Authorization: Bearer TOKEN" with
the token last issued and not revoked.
"""
import json
import os
import re
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
STATE = {"token": None, "serial": 0}
SCOPE = "https://graph.microsoft.com/.default"


def path(name):
    return os.path.join(DIR, name)


def log(line):
    with open(path("requests.log"), "a") as f:
        f.write(line + "\n")


def load():
    try:
        with open(path("messages.json")) as f:
            return json.load(f)
    except FileNotFoundError:
        return {}


def save(msgs):
    tmp = path("messages.json.tmp")
    with open(tmp, "w") as f:
        json.dump(msgs, f)
    os.replace(tmp, path("messages.json"))


def control_take(what):
    """1 when the control file has WHAT with a count left (counted down)."""
    try:
        with open(path("control")) as f:
            lines = f.read().split("\n")
    except FileNotFoundError:
        return 0
    hit, out = 0, []
    for ln in lines:
        w = ln.split()
        if len(w) == 2 and w[0] == what and w[1].isdigit() and int(w[1]) > 0 and not hit:
            hit = 1
            if int(w[1]) > 1:
                out.append(f"{what} {int(w[1]) - 1}")
            continue
        if ln:
            out.append(ln)
    if hit:
        with open(path("control"), "w") as f:
            f.write("\n".join(out) + ("\n" if out else ""))
    return hit


def control_value(what, default):
    try:
        with open(path("control")) as f:
            for ln in f:
                w = ln.split()
                if len(w) == 2 and w[0] == what and w[1].isdigit():
                    return int(w[1])
    except FileNotFoundError:
        pass
    return default


def client():
    try:
        with open(path("client")) as f:
            w = f.read().split()
            return w[0], w[1]
    except (FileNotFoundError, IndexError):
        return "client-1", "secret-1"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def answer(self, status, body=None, headers=None):
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        log(f"{time.time():.3f} {self.command} {self.path} -> {status}")

    def bad(self, why):
        log(f"BAD {self.command} {self.path}: {why}")
        self.answer(400, {"error": {"code": "BadRequest", "message": why}})

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def do_GET(self):
        with LOCK:
            self.graph()

    def do_POST(self):
        with LOCK:
            if re.fullmatch(r"/[^/]+/oauth2/v2\.0/token", self.path):
                self.token()
            else:
                self.graph()

    def do_DELETE(self):
        with LOCK:
            self.graph()

    def token(self):
        if self.headers.get("Content-Type", "").split(";")[0] != "application/x-www-form-urlencoded":
            return self.bad("token: not a form")
        form = urllib.parse.parse_qs(self.body().decode(), keep_blank_values=True, strict_parsing=True)
        keys = sorted(form)
        if keys != ["client_id", "client_secret", "grant_type", "scope"] or \
                any(len(v) != 1 for v in form.values()):
            return self.bad(f"token: form fields {keys}")
        if form["grant_type"][0] != "client_credentials" or form["scope"][0] != SCOPE:
            return self.bad("token: grant_type or scope")
        cid, secret = client()
        if form["client_id"][0] != cid or form["client_secret"][0] != secret:
            return self.answer(401, {"error": "invalid_client", "error_description":
                                     "AADSTS7000215: Invalid client secret provided.\r\nTrace ID: 1"})
        STATE["serial"] += 1
        STATE["token"] = f"tok-{STATE['serial']}-{os.urandom(6).hex()}"
        self.answer(200, {"token_type": "Bearer", "expires_in": 3599,
                          "access_token": STATE["token"]})

    def graph(self):
        u = urllib.parse.urlsplit(self.path)
        m = re.fullmatch(r"/v1\.0/users/([^/]+)/messages(?:/([^/]+)(/move|/forward|/\$value)?)?", u.path)
        if not m:
            return self.bad("unknown path")
        upn = urllib.parse.unquote(m.group(1))
        mid = urllib.parse.unquote(m.group(2)) if m.group(2) else None
        tail = m.group(3) or ""
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            return self.bad("no bearer token")
        if control_take("expire"):
            STATE["token"] = None
        if STATE["token"] is None or auth != "Bearer " + STATE["token"]:
            return self.answer(401, {"error": {"code": "InvalidAuthenticationToken",
                                               "message": "Access token has expired or is not yet valid."}})
        for code in ("429", "503"):
            if control_take(code):
                return self.answer(int(code), {"error": {"code": "TooManyRequests" if code == "429"
                                                         else "ServiceUnavailable",
                                                         "message": "Please retry."}},
                                   {"Retry-After": "1"})
        msgs = load()
        box = msgs.get(upn)
        if box is None:
            return self.answer(404, {"error": {"code": "ErrorInvalidUser",
                                               "message": f"The requested user '{upn}' is invalid."}})
        if self.command == "GET" and mid is None:
            return self.search(u, upn, box)
        if self.command == "GET" and tail == "/$value":
            for x in box:
                if x["id"] == mid:
                    data = (x.get("mime") or f"Message-ID: {x['internetMessageId']}\r\n\r\nbody\r\n").encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return log(f"{time.time():.3f} {self.command} {self.path} -> 200")
            return self.notfound()
        idx = [i for i, x in enumerate(box) if x["id"] == mid]
        if self.command == "DELETE" and not tail:
            if self.body():
                return self.bad("DELETE with a body")
            if not idx:
                return self.notfound()
            del box[idx[0]]
            save(msgs)
            return self.answer(204)
        if self.command != "POST" or tail not in ("/move", "/forward"):
            return self.bad("method")
        if self.headers.get("Content-Type", "").split(";")[0] != "application/json":
            return self.bad("not JSON")
        try:
            b = json.loads(self.body())
        except ValueError:
            return self.bad("body is not JSON")
        if tail == "/move":
            if not isinstance(b, dict) or list(b) != ["destinationId"] or \
                    not isinstance(b["destinationId"], str) or not b["destinationId"]:
                return self.bad(f"move body {b}")
            if not idx:
                return self.notfound()
            box[idx[0]]["folder"] = b["destinationId"]
            save(msgs)
            return self.answer(201, {"id": mid + "-moved"})
        try:
            ok = sorted(b) == ["comment", "toRecipients"] and isinstance(b["comment"], str) and \
                len(b["toRecipients"]) >= 1 and \
                all(list(r) == ["emailAddress"] and list(r["emailAddress"]) == ["address"] and
                    "@" in r["emailAddress"]["address"] for r in b["toRecipients"])
        except (TypeError, AttributeError, KeyError):
            ok = False
        if not ok:
            return self.bad(f"forward body {b}")
        if not idx:
            return self.notfound()
        with open(path("forwards.log"), "a") as f:
            f.write(json.dumps({"mailbox": upn, "id": mid, "to": [r["emailAddress"]["address"]
                                for r in b["toRecipients"]], "comment": b["comment"]}) + "\n")
        return self.answer(202)

    def notfound(self):
        return self.answer(404, {"error": {"code": "ErrorItemNotFound",
                                           "message": "The specified object was not found in the store."}})

    def search(self, u, upn, box):
        q = urllib.parse.parse_qs(u.query, keep_blank_values=True)
        if "$skiptoken" in q and sorted(q) == ["$skiptoken"]:
            start = int(q["$skiptoken"][0])
            want = STATE.get("paging_id")
        else:
            if sorted(q) != ["$filter", "$select"] or q["$select"] != ["id"]:
                return self.bad(f"query {sorted(q)}")
            f = re.fullmatch(r"internetMessageId eq '((?:[^']|'')*)'", q["$filter"][0])
            if not f:
                return self.bad("filter " + q["$filter"][0])
            want = f.group(1).replace("''", "'")
            start = 0
            STATE["paging_id"] = want
        hits = [{"id": x["id"]} for x in box
                if x["internetMessageId"] == want and x.get("folder", "inbox") != "deleteditems"]
        size = control_value("page", 1000)
        page = hits[start:start + size]
        out = {"value": page}
        if start + size < len(hits):
            host = self.headers.get("Host")
            out["@odata.nextLink"] = (f"https://{host}/v1.0/users/{urllib.parse.quote(upn)}"
                                      f"/messages?$skiptoken={start + size}")
        return self.answer(200, out)


def main():
    global DIR
    if len(sys.argv) != 5:
        sys.exit("usage: graph_standin.py PORT CERT KEY DIR")
    port, cert, key, DIR = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    srv = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
