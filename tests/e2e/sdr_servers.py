"""sdr_servers.py - an RDAP server and a TAXII 2.1 server for the SDR end-to-end tests.

Usage:
    /usr/bin/python3 tests/e2e/sdr_servers.py --port N --dir DIR [--page-size K]

Listens on 127.0.0.1:N (HTTP/1.1, each request in a thread of its own, so a
slow answer holds up nobody) and writes "ready" on stdout once listening.
Every request is appended to DIR/requests.log as one line:

    GET <path and query> accept=<Accept header> status=<status>

so a test counts what mxgated asked, and how.

RDAP (RFC 9083), under /rdap/ and /rdap2/ (the second one for a bootstrap
file pointing elsewhere): GET /rdap/domain/NAME answers a domain object with
events computed from today:

    young.test, young2.test  registered 3 days ago
    old.test                 registered 4000 days ago
    noage.test               no registration event (only "last changed")
    cached.test              registered 10 days ago
    slowN.test               registered 100 days ago, after N seconds
    anything else            404 with an RDAP error object

The Accept header must name application/rdap+json, else 406.

TAXII 2.1 (OASIS TAXII 2.1 sections 4 and 5):
    GET /taxii2/                          discovery
    GET /api/                             the API root
    GET /api/collections/                 the collections
    GET /api/collections/ID/objects/      an envelope {"more","next","objects"}

Every TAXII request must carry Accept: application/taxii+json;version=2.1, or
it is refused with 406 (and logged with status=406: the test fails on it).
A collection's content is DIR/collection-ID.json, read at each request: a
JSON list of {"date_added": "RFC 3339", "object": {STIX object}} in
date_added order, so a test changes a collection by rewriting the file.
Objects honour added_after (strictly later date_added), match[type] and
limit; pages hold --page-size objects (default 2; --big-page-size for the
collections whose ID starts with "big", to serve many): the "next" cursor is the
index of the next object, "more" says whether one follows. Headers
X-TAXII-Date-Added-First and -Last give the page's first and last
date_added. An unknown collection is 404.

Exits 0 on SIGTERM or SIGINT.
"""
import argparse
import datetime
import json
import os
import re
import signal
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TAXII = "application/taxii+json;version=2.1"
RDAP = "application/rdap+json"

ARGS = None
LOCK = threading.Lock()


def log(line):
    with LOCK:
        with open(os.path.join(ARGS.dir, "requests.log"), "a") as f:
            f.write(line + "\n")


def rfc3339(days_ago):
    # an hour more: the gateway counts the age from the message's own time,
    # which a loaded machine may put seconds before this answer's "now",
    # and "3 days" must not turn into 2 days 23:59:59
    t = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=days_ago, hours=1)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def rdap_domain(name):
    """(status, object) for an RDAP domain query"""
    ages = {"young.test": 3, "young2.test": 3, "old.test": 4000, "cached.test": 10}
    m = re.fullmatch(r"slow(\d+)\.test", name)
    if m:
        time.sleep(int(m.group(1)))
        ages[name] = 100
    if name == "noage.test":
        events = [{"eventAction": "last changed", "eventDate": rfc3339(1)}]
    elif name in ages:
        events = [
            {"eventAction": "registration", "eventDate": rfc3339(ages[name])},
            {"eventAction": "expiration", "eventDate": rfc3339(-365)},
        ]
    else:
        return 404, {"rdapConformance": ["rdap_level_0"], "errorCode": 404,
                     "title": "Not Found", "description": ["no such domain"]}
    return 200, {"objectClassName": "domain", "ldhName": name.upper(),
                 "rdapConformance": ["rdap_level_0"], "events": events,
                 "status": ["active"]}


def collection(cid):
    path = os.path.join(ARGS.dir, "collection-%s.json" % cid)
    if not re.fullmatch(r"[A-Za-z0-9_-]+", cid) or not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def answer(self, status, body, ctype, headers=None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
        log("GET %s accept=%s status=%d" % (self.path, self.headers.get("Accept", ""), status))

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(url.query)
        accept = self.headers.get("Accept", "")
        m = re.fullmatch(r"/rdap2?/domain/([^/]+)", url.path)
        if m:
            if RDAP not in accept:
                return self.answer(406, {"errorCode": 406}, "application/json")
            status, body = rdap_domain(m.group(1).lower())
            return self.answer(status, body, RDAP)
        # TAXII 2.1 4.1: every request names the media type and version
        if accept.replace(" ", "") != TAXII:
            return self.answer(406, {"title": "Not Acceptable"}, "application/json")
        base = "http://127.0.0.1:%d" % ARGS.port
        if url.path == "/taxii2/":
            return self.answer(200, {"title": "mxgate test TAXII server",
                                     "default": base + "/api/",
                                     "api_roots": [base + "/api/"]}, TAXII)
        if url.path == "/api/":
            return self.answer(200, {"title": "test root", "versions": [TAXII],
                                     "max_content_length": 10485760}, TAXII)
        if url.path == "/api/collections/":
            cols = []
            for name in sorted(os.listdir(ARGS.dir)):
                m = re.fullmatch(r"collection-(.+)\.json", name)
                if m:
                    cols.append({"id": m.group(1), "title": m.group(1), "can_read": True,
                                 "can_write": False, "media_types": [TAXII]})
            return self.answer(200, {"collections": cols}, TAXII)
        m = re.fullmatch(r"/api/collections/([^/]+)/objects/", url.path)
        if not m:
            return self.answer(404, {"title": "Not Found"}, TAXII)
        entries = collection(m.group(1))
        if entries is None:
            return self.answer(404, {"title": "Not Found"}, TAXII)
        after = q.get("added_after", [None])[0]
        types = q.get("match[type]", [None])[0]
        sel = [e for e in entries
               if (after is None or e["date_added"] > after)
               and (types is None or e["object"].get("type") in types.split(","))]
        start = int(q.get("next", ["0"])[0])
        psize = ARGS.big_page_size if m.group(1).startswith("big") else ARGS.page_size
        size = min(int(q.get("limit", [psize])[0]), psize)
        page = sel[start:start + size]
        body = {"more": start + size < len(sel), "objects": [e["object"] for e in page]}
        if body["more"]:
            body["next"] = str(start + size)
        headers = {}
        if page:
            headers["X-TAXII-Date-Added-First"] = page[0]["date_added"]
            headers["X-TAXII-Date-Added-Last"] = page[-1]["date_added"]
        if not page:
            del body["objects"]  # TAXII 2.1 3.7: objects is optional when empty
        return self.answer(200, body, TAXII, headers)


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--page-size", type=int, default=2)
    p.add_argument("--big-page-size", type=int, default=1000)
    ARGS = p.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", ARGS.port), Handler)
    srv.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *a: (srv.server_close(), sys.exit(0)))
    signal.signal(signal.SIGINT, lambda *a: (srv.server_close(), sys.exit(0)))
    print("ready", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
