#!/usr/bin/python3
# tr_caller.py - plays the threat response platform calling the gateway's
# relay module (issue 14; /work/notes/i14/relay.md). For the tests only:
# run with /usr/bin/python3 (python3-jwt, python3-cryptography).
#
#   tr_caller.py jwks KEY.pem [--kid K]
#       prints {"keys":[{kty RSA, kid, alg RS256, use sig, n, e}]} for the
#       key's public half (what the registration stand-in hands out)
#   tr_caller.py call --url https://127.0.0.1:P --key KEY.pem --kid K
#       --aud DEVICE --jwks-host H --sub S [--exp-in N] [--iat-in N]
#       [--alg RS256|none|HS256] [--forward-to A] [--no-token] [--bad-sig]
#       [--cafile CA] [--method POST|GET] [--header 'Name: value'] PATH [BODY]
#       prints the HTTP status on the first line, then the body.
#
# --alg none sends an unsigned token; --alg HS256 signs with HMAC-SHA256
# keyed with the public key's PEM text (the classic confusion attack);
# --bad-sig signs with a fresh key under the same kid.
import argparse
import base64
import hashlib
import hmac
import json
import ssl
import sys
import time
import urllib.error
import urllib.request

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def uint(n):
    return b64u(n.to_bytes((n.bit_length() + 7) // 8, "big"))


def load_key(path):
    with open(path, "rb") as f:
        return serialization.load_pem_private_key(f.read(), password=None)


def cmd_jwks(a):
    pub = load_key(a.key).public_key().public_numbers()
    print(json.dumps({"keys": [{"kty": "RSA", "kid": a.kid, "alg": "RS256", "use": "sig",
                                "n": uint(pub.n), "e": uint(pub.e)}]}))


def token(a):
    now = int(time.time())
    claims = {"aud": a.aud, "jwks_host": a.jwks_host, "sub": a.sub, "iss": "IROH Auth",
              "iat": now + a.iat_in, "exp": now + a.exp_in}
    if a.forward_to:
        claims["forward_to"] = a.forward_to
    key = load_key(a.key)
    if a.alg == "none":
        h = b64u(json.dumps({"alg": "none", "typ": "JWT", "kid": a.kid}).encode())
        return "%s.%s." % (h, b64u(json.dumps(claims).encode()))
    if a.alg == "HS256":
        pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                            serialization.PublicFormat.SubjectPublicKeyInfo)
        h = b64u(json.dumps({"alg": "HS256", "typ": "JWT", "kid": a.kid}).encode())
        tbs = "%s.%s" % (h, b64u(json.dumps(claims).encode()))
        mac = hmac.new(pem, tbs.encode(), hashlib.sha256).digest()
        return "%s.%s" % (tbs, b64u(mac))
    if a.bad_sig:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": a.kid})


def cmd_call(a):
    body = a.body.encode() if a.body is not None else (b"" if a.method == "POST" else None)
    req = urllib.request.Request(a.url.rstrip("/") + a.path, data=body, method=a.method)
    req.add_header("Content-Type", "application/json")
    if not a.no_token:
        req.add_header("Authorization", "Bearer " + token(a))
    for h in a.header:
        k, v = h.split(":", 1)
        req.add_header(k.strip(), v.strip())
    ctx = ssl.create_default_context(cafile=a.cafile) if a.cafile else \
        ssl.create_default_context()
    ctx.check_hostname = False  # the test certificate names the gateway, we call 127.0.0.1
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=a.timeout) as r:
            status, data = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, data = e.code, e.read()
    print(status)
    print(data.decode(errors="replace"))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    j = sub.add_parser("jwks")
    j.add_argument("key")
    j.add_argument("--kid", default="k1")
    c = sub.add_parser("call")
    c.add_argument("--url", required=True)
    c.add_argument("--key", required=True)
    c.add_argument("--kid", default="k1")
    c.add_argument("--aud", default="")
    c.add_argument("--jwks-host", default="visibility.amp.cisco.com")
    c.add_argument("--sub", default="analyst@example.com")
    c.add_argument("--exp-in", type=int, default=300)
    c.add_argument("--iat-in", type=int, default=-5)
    c.add_argument("--alg", default="RS256", choices=["RS256", "none", "HS256"])
    c.add_argument("--forward-to", default="")
    c.add_argument("--no-token", action="store_true")
    c.add_argument("--bad-sig", action="store_true")
    c.add_argument("--cafile")
    c.add_argument("--method", default="POST")
    c.add_argument("--header", action="append", default=[])
    c.add_argument("--timeout", type=float, default=90)
    c.add_argument("path")
    c.add_argument("body", nargs="?")
    a = p.parse_args()
    if a.cmd == "jwks":
        cmd_jwks(a)
    else:
        cmd_call(a)


if __name__ == "__main__":
    sys.exit(main())
