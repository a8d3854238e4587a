#!/usr/bin/python3
# cloud_standin.py - a local stand-in for the Cisco Cloud Service's device
# registration and telemetry calls (issue 14; /work/notes/i14/api.md, the
# protocol is [inferred]: Cisco does not publish it). For the tests only:
# run with /usr/bin/python3; listens on 127.0.0.1 only.
#
#   cloud_standin.py --port P --cert CERT --key KEY --token T [--token T2 ...]
#                    --jwks JWKS_FILE --log LOG [--csn-status N] [--csn-delay S]
#
# POST /v1/devices/registration
#     Content-Type: application/json; the body an object with exactly
#     "device" ({"uid","model":"mxgate","hostname","version","deployment":
#     "standalone"|"cluster"}, all non-empty strings), and "token" (one of
#     --token) and/or "deviceId" (a device it registered). Without a token
#     the call must carry HTTP Basic clientId:clientSecret of deviceId and
#     must name deviceId. Answers 201 (new) or 200 (re-registration) with
#     {"deviceId","clientId","clientSecret","accountId","virtualAccount",
#     "jwks"}: new made-up identifiers each time; a re-registration forgets
#     the old device. Refusals: 401 {"error":"invalid token"} /
#     {"error":"invalid credentials"}, 404 {"error":"unknown device"}.
# DELETE /v1/devices/registration/ID
#     Basic credentials of ID, no body: 204 and the device forgotten; 404
#     when unknown; 401 on other credentials.
# POST /v1/telemetry/csn
#     Basic credentials of a registered device; Content-Type
#     application/json; the body the CSN object (keys UID, model, sIVAN,
#     deployment, userAccountID, version, installDate, features: exactly
#     those); answered with --csn-status (default 202), after
#     --csn-delay seconds (default 0; when set, a line "ARRIVED POST PATH"
#     is logged as the request comes, so a test can act while it waits).
#
# LOG gets one JSON line per request: {"method","path","auth":
# "basic:CLIENTID"|"none","body":parsed JSON or null,"status"}, and for
# a registration answered 200/201 "reply": what was answered (the tests
# look for the client secret in other places); a telemetry line also
# "sha256": of the body's bytes as received, and "client_gone": true
# when the client had gone before the answer could be written. A request
# that breaks the contract gets 400 and a line "BAD <why> (METHOD PATH)",
# which the tests fail on. Prints READY on stdout once listening.
import argparse
import base64
import hashlib
import json
import re
import secrets
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REG_PATH = "/v1/devices/registration"
CSN_PATH = "/v1/telemetry/csn"
DEVICE_KEYS = {"uid", "model", "hostname", "version", "deployment"}
CSN_KEYS = {"UID", "model", "sIVAN", "deployment", "userAccountID", "version",
            "installDate", "features"}
FEATURE_KEYS = {"name", "enabled", "status", "expiry", "featureID"}
MAX_BODY = 1 << 20

args = None
jwks = None
lock = threading.Lock()
devices = {}  # deviceId -> {"clientId", "clientSecret"}


def log(line):
    with lock:
        with open(args.log, "a") as f:
            f.write(line + "\n")
            f.flush()


def nonempty(v):
    return isinstance(v, str) and v != ""


class Bad(Exception):
    pass


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        pass

    def answer(self, status, obj, auth, body):
        data = b"" if obj is None else json.dumps(obj).encode()
        line = {"method": self.command, "path": self.path, "auth": auth, "body": body,
                "status": status}
        if self.path == CSN_PATH and getattr(self, "raw_sha256", None):
            line["sha256"] = self.raw_sha256  # of the body's bytes as they came
        try:
            self.send_response(status)
            if obj is not None:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if data:
                self.wfile.write(data)
        except OSError:
            line["client_gone"] = True  # the client ended the exchange first
        if self.path == REG_PATH and status in (200, 201):
            line["reply"] = obj  # so that a test can look for the secret elsewhere
        log(json.dumps(line))

    def bad(self, why):
        log("BAD %s (%s %s)" % (why, self.command, self.path))
        data = json.dumps({"error": "bad request: " + why}).encode()
        self.send_response(400)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def read_body(self):
        if self.headers.get("Transfer-Encoding"):
            raise Bad("chunked body")
        n = self.headers.get("Content-Length")
        if n is None:
            return b""
        if not n.isdigit() or int(n) > MAX_BODY:
            raise Bad("Content-Length %r" % n)
        return self.rfile.read(int(n))

    def json_body(self):
        ct = self.headers.get("Content-Type", "")
        if ct.split(";")[0].strip().lower() != "application/json":
            raise Bad("Content-Type %r" % ct)
        raw = self.read_body()
        self.raw_sha256 = hashlib.sha256(raw).hexdigest()
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise Bad("body is not JSON")
        if not isinstance(body, dict):
            raise Bad("body is not an object")
        return body

    def basic(self):
        """(clientId, secret) of an Authorization: Basic header, or None"""
        h = self.headers.get("Authorization")
        if h is None:
            return None
        m = re.match(r"^Basic ([A-Za-z0-9+/=]+)$", h)
        if not m:
            raise Bad("Authorization is not Basic")
        try:
            cred = base64.b64decode(m.group(1), validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            raise Bad("Basic credentials not base64")
        if ":" not in cred:
            raise Bad("Basic credentials without ':'")
        return tuple(cred.split(":", 1))

    def device_of(self, cred):
        """the deviceId whose credentials cred are, or None"""
        if cred is None:
            return None
        with lock:
            for d, c in devices.items():
                if c["clientId"] == cred[0] and c["clientSecret"] == cred[1]:
                    return d
        return None

    def handle_one(self):
        try:
            cred = self.basic()
            auth = "basic:%s" % cred[0] if cred else "none"
            if self.command == "POST" and self.path == REG_PATH:
                self.register(cred, auth)
            elif self.command == "DELETE" and self.path.startswith(REG_PATH + "/"):
                self.deregister(cred, auth)
            elif self.command == "POST" and self.path == CSN_PATH:
                self.csn(cred, auth)
            else:
                raise Bad("no such call")
        except Bad as e:
            self.bad(str(e))

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = handle_one

    def register(self, cred, auth):
        body = self.json_body()
        extra = set(body) - {"token", "device", "deviceId"}
        if extra:
            raise Bad("unknown fields %s" % sorted(extra))
        dev = body.get("device")
        if not isinstance(dev, dict) or set(dev) != DEVICE_KEYS:
            raise Bad("device must have exactly %s" % sorted(DEVICE_KEYS))
        for k in DEVICE_KEYS:
            if not nonempty(dev[k]):
                raise Bad("device.%s not a non-empty string" % k)
        if dev["model"] != "mxgate" or dev["deployment"] not in ("standalone", "cluster"):
            raise Bad("device.model or device.deployment")
        token = body.get("token")
        old = body.get("deviceId")
        if "token" in body and not nonempty(token):
            raise Bad("token not a non-empty string")
        if "deviceId" in body and not nonempty(old):
            raise Bad("deviceId not a non-empty string")
        if token is None:
            if old is None or cred is None:
                raise Bad("no token: Basic credentials and deviceId required")
        elif cred is not None:
            raise Bad("both a token and Basic credentials")
        if token is not None and token not in args.token:
            return self.answer(401, {"error": "invalid token"}, auth, body)
        if old is not None:
            with lock:
                known = old in devices
            # a stand-in for a broken answer takes a device of another stand-in
            if not known and args.register_answer == "normal":
                return self.answer(404, {"error": "unknown device"}, auth, body)
            if token is None and self.device_of(cred) != old:
                return self.answer(401, {"error": "invalid credentials"}, auth, body)
        new = {"clientId": "client-" + secrets.token_hex(6),
               "clientSecret": "cs-" + secrets.token_hex(16)}
        did = "dev-" + secrets.token_hex(6)
        with lock:
            if old is not None:
                devices.pop(old, None)
            devices[did] = new
        out = {"deviceId": did, "clientId": new["clientId"],
               "clientSecret": new["clientSecret"], "accountId": "acct-1001",
               "virtualAccount": "va-mxgate", "jwks": jwks}
        if args.register_answer == "no-secret":
            del out["clientSecret"]
        elif args.register_answer == "huge":
            out["padding"] = "x" * (300 * 1024)
        self.answer(200 if old is not None else 201, out, auth, body)

    def deregister(self, cred, auth):
        if self.read_body() != b"":
            raise Bad("DELETE with a body")
        did = self.path[len(REG_PATH) + 1:]
        if not re.match(r"^[A-Za-z0-9._-]+$", did):
            raise Bad("device ID in path")
        if cred is None:
            raise Bad("DELETE without Basic credentials")
        with lock:
            known = did in devices
        if not known:
            return self.answer(404, {"error": "unknown device"}, auth, None)
        if self.device_of(cred) != did:
            return self.answer(401, {"error": "invalid credentials"}, auth, None)
        with lock:
            devices.pop(did, None)
        self.answer(204, None, auth, None)

    def csn(self, cred, auth):
        if cred is None:
            raise Bad("telemetry without Basic credentials")
        body = self.json_body()
        if set(body) != CSN_KEYS:
            raise Bad("CSN keys %s" % sorted(body))
        for k in ("UID", "model", "deployment", "version"):
            if not nonempty(body[k]):
                raise Bad("CSN %s" % k)
        if not isinstance(body["sIVAN"], str) or not isinstance(body["userAccountID"], str):
            raise Bad("CSN sIVAN/userAccountID")
        if body["deployment"] not in ("standalone", "cluster"):
            raise Bad("CSN deployment")
        if not isinstance(body["installDate"], int) or isinstance(body["installDate"], bool):
            raise Bad("CSN installDate")
        if not isinstance(body["features"], list):
            raise Bad("CSN features")
        for f in body["features"]:
            if not isinstance(f, dict) or set(f) != FEATURE_KEYS:
                raise Bad("CSN feature keys")
            if not nonempty(f["name"]) or not isinstance(f["enabled"], bool) \
                    or not isinstance(f["status"], str) or not nonempty(f["featureID"]):
                raise Bad("CSN feature fields")
            if f["expiry"] is not None and (not isinstance(f["expiry"], int)
                                            or isinstance(f["expiry"], bool)):
                raise Bad("CSN feature expiry")
        if self.device_of(cred) is None:
            return self.answer(401, {"error": "invalid credentials"}, auth, body)
        if args.csn_delay > 0:
            log("ARRIVED %s %s" % (self.command, self.path))
            time.sleep(args.csn_delay)
        self.answer(args.csn_status, {} if args.csn_status != 204 else None, auth, body)


def main():
    global args, jwks
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--token", action="append", required=True)
    p.add_argument("--jwks", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--csn-status", type=int, default=202)
    p.add_argument("--csn-delay", type=float, default=0,
                   help="seconds to wait before answering a telemetry POST "
                        "(logged 'ARRIVED' when it comes)")
    p.add_argument("--register-answer", choices=("normal", "no-secret", "huge"),
                   default="normal",
                   help="a (re-)registration that succeeds is answered without its "
                        "clientSecret, or padded beyond 256 KiB")
    args = p.parse_args()
    with open(args.jwks) as f:
        jwks = json.load(f)
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list) or not jwks["keys"]:
        sys.exit("cloud_standin: %s is not a JWKS with keys" % args.jwks)
    srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    srv.daemon_threads = True
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(args.cert, args.key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    print("READY", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
