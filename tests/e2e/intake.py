"""intake.py - a programmable SMTP intake server (STARTTLS) for end-to-end tests.

Usage:
    /usr/bin/python3 tests/e2e/intake.py --port N --cert PEM --key PEM --dir OUTDIR
        [--control FILE] [--events FILE] [--hostname NAME]

Listens on 127.0.0.1:N and speaks just enough ESMTP to stand in for a real
intake (e.g. a "Threat Defense Connector" journal receiver): greeting
"220 NAME ESMTP intake" (NAME from --hostname, default intake.test), EHLO/HELO,
STARTTLS, MAIL, RCPT, DATA (dot-unstuffed), RSET, NOOP, QUIT. EHLO offers
PIPELINING, SIZE 52428800, 8BITMIME, STARTTLS (only before TLS) and
ENHANCEDSTATUSCODES. Every connection is served concurrently: a stalled one
blocks nobody. Limits: command lines 10000 bytes (longer: 500), messages 50 MB
(larger: 552 after the final dot; SIZE= above the limit: 552 at MAIL).
Plaintext pipelined after STARTTLS is discarded (CVE-2011-0411), never run.

Writes "ready" on stdout once listening; exits 0 on SIGTERM or SIGINT.

Accepted messages:
    OUTDIR/msg.<seq>.eml  the message exactly as received after dot-unstuffing
                          (line endings as sent, normally CRLF); seq counts
                          from 1, after any msg.N.eml already in OUTDIR
    OUTDIR/msg.<seq>.env  JSON {"mail_from": "...", "rcpt_to": [...],
                          "tls_version": "TLSv1.3" | null, "cipher": "..." | null}
Both are written to a temporary name and renamed; the .env appears after the
.eml, so a test that sees msg.N.env can read both.

Control file (--control, JSON object), read again at every new connection, so a
test can change the behaviour while the server runs. A missing file means
accept everything. Write it atomically (write a temporary file, then mv): an
unreadable or invalid file is treated as missing (and logged as an
"control_error" event). Keys:

  "mode"        "accept" (default)  normal SMTP service;
                "close"             close the TCP connection right after accept,
                                    without a greeting;
                "stall"             accept and never send anything; the
                                    connection stays open until the client
                                    closes it (input is read and ignored);
                "close_after_tls"   greet, serve EHLO, STARTTLS and the TLS
                                    handshake, then drop the connection.
  "reply"       an SMTP reply ("451 4.3.0 try later", "550 5.7.1 no", ...) sent
                at the stage "reply_at" instead of the success reply. A 4xx/5xx
                reply fails that stage (at "eod" the message is not saved); a
                reply starting with 421 also closes the connection. A 2xx
                reply only replaces the text of the success reply.
  "reply_at"    "mail" | "rcpt" | "data" (the reply to the DATA command, instead
                of 354) | "eod" (after the final dot; the default).
  "reply_count" N: apply "reply" only to the next N attempts, then accept
                normally; absent or 0: always. An attempt is a transaction (from
                MAIL on) that reaches the stage; with one message per
                connection that is a connection that reaches it. Counting
                transactions rather than connections lets a client that keeps
                its connection open and retries on it get through after N
                failures. Within one transaction the decision is taken once
                (every RCPT of a failing transaction gets the reply).
                The remaining count is kept in this server's memory, keyed by
                the control file's content and mtime: rewriting the file (even
                with the same content) starts a new count; restarting the server
                forgets it. The file itself is read at each new connection, so a
                connection keeps the settings it started with.
  "require_tls" true (default): MAIL before STARTTLS gets
                "530 5.7.0 Must issue a STARTTLS command first"; false: plain
                text sessions are served too.
  "tls_min", "tls_max"
                "1.0" | "1.1" | "1.2" | "1.3": the SSLContext's minimum and
                maximum protocol version (default: Python's minimum, TLS 1.2,
                up to 1.3). When either allows 1.0 or 1.1 the cipher list is
                "DEFAULT:@SECLEVEL=0", since Debian's OpenSSL refuses those
                protocols at its default security level (the client needs the
                same: openssl s_client -tls1_1 -cipher DEFAULT:@SECLEVEL=0).
  "cert", "key" PEM paths used instead of --cert/--key for this connection's TLS
                (e.g. a certificate for another host name). "key" defaults to
                "cert" when only "cert" is given.
  "starttls"    false: do not offer nor accept STARTTLS (502) - a plain host.

Events file (--events, JSON lines, appended, flushed per line; opened with
O_APPEND, so a test may truncate it between cases with ": >FILE"). Every object has
"t" (time.time()), "conn" (connection number from 1) and "ev":
  connect {"peer"}          a connection was accepted (count attempts with it)
  control_error {"error"}   the control file could not be read/parsed
  ehlo {"name", "tls"}      EHLO/HELO received
  starttls                  220 sent, handshake starting
  discarded {"bytes"}       plaintext pipelined after STARTTLS thrown away
  tls {"version","cipher"}  handshake done
  tls_error {"error"}       handshake failed or the peer left during it
  mail {"from"}             a well-formed MAIL in a valid state (after EHLO,
                            and after TLS when it is required), logged before
                            the configured "reply" is applied: one per attempt
  rcpt {"to"}               likewise for RCPT
  data_reply {"code"}       the reply to the final dot
  reply {"code","stage"}    any 4xx/5xx reply sent (stage: greeting, ehlo, helo,
                            starttls, mail, rcpt, data, eod, command, line)
  saved {"file"}            a message was stored (the .eml path)
  close {"reason"}          the connection ended (concurrency: overlapping
                            connect/close intervals of the same "conn")
"""
import argparse
import asyncio
import hashlib
import json
import os
import re
import signal
import ssl
import sys
import time
import warnings

LINE_MAX = 10000
SIZE_MAX = 50 * 1024 * 1024
READ_LIMIT = LINE_MAX + 2
TLS_VERSIONS = {
    "1.0": ssl.TLSVersion.TLSv1,
    "1.1": ssl.TLSVersion.TLSv1_1,
    "1.2": ssl.TLSVersion.TLSv1_2,
    "1.3": ssl.TLSVersion.TLSv1_3,
}
STAGES = ("mail", "rcpt", "data", "eod")
# TLS 1.0/1.1 are wanted here on purpose (to test clients that must refuse them)
warnings.filterwarnings("ignore", category=DeprecationWarning)


class Drop(Exception):
    """End this connection now (reason in args[0])."""


class Intake:
    def __init__(self, args):
        self.args = args
        self.hostname = args.hostname
        self.conns = 0
        self.seq = 0
        self.counts = {}        # control key -> remaining reply_count
        self.tasks = set()
        self.events = open(args.events, "a", encoding="utf-8") if args.events else None
        os.makedirs(args.dir, exist_ok=True)
        while os.path.exists(self.path(self.seq + 1, ".eml")):
            self.seq += 1       # never overwrite what an earlier run saved

    def path(self, seq, ext):
        return os.path.join(self.args.dir, "msg.%d%s" % (seq, ext))

    def event(self, _conn, _ev, **kw):
        if self.events is None:
            return
        rec = {"t": time.time(), "conn": _conn, "ev": _ev}
        rec.update(kw)
        try:
            self.events.write(json.dumps(rec) + "\n")
            self.events.flush()
        except (OSError, ValueError):
            pass

    def control(self, conn):
        """The control settings and their key (content + mtime) for reply_count."""
        name = self.args.control
        if not name:
            return {}, None
        for attempt in range(3):
            try:
                st = os.stat(name)
                with open(name, "rb") as f:
                    raw = f.read()
                obj = json.loads(raw.decode("utf-8")) if raw.strip() else {}
                if not isinstance(obj, dict):
                    raise ValueError("the control file is not a JSON object")
                key = (st.st_mtime_ns, hashlib.sha256(raw).hexdigest())
                return obj, key
            except FileNotFoundError:
                return {}, None
            except (OSError, ValueError, UnicodeDecodeError) as e:
                err = str(e)
                time.sleep(0.02)   # perhaps caught mid-write: look again
        self.event(conn, "control_error", error=err)
        return {}, None

    def tls_context(self, ctl):
        cert = ctl.get("cert") or self.args.cert
        key = ctl.get("key") or (ctl.get("cert") if ctl.get("cert") else self.args.key)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        lo, hi = ctl.get("tls_min"), ctl.get("tls_max")
        if lo in ("1.0", "1.1") or hi in ("1.0", "1.1"):
            ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
            ctx.minimum_version = ssl.TLSVersion.TLSv1
        if lo:
            ctx.minimum_version = TLS_VERSIONS[lo]
        if hi:
            ctx.maximum_version = TLS_VERSIONS[hi]
        return ctx

    def store(self, data, sess):
        self.seq += 1
        seq = self.seq
        eml, env = self.path(seq, ".eml"), self.path(seq, ".env")
        with open(eml + ".tmp", "wb") as f:
            f.write(data)
        os.rename(eml + ".tmp", eml)
        meta = {"mail_from": sess.mail_from, "rcpt_to": sess.rcpts,
                "tls_version": sess.tls_version, "cipher": sess.cipher}
        with open(env + ".tmp", "w", encoding="utf-8") as f:
            json.dump(meta, f)
            f.write("\n")
        os.rename(env + ".tmp", env)
        return eml

    # ------------------------------------------------------------ connections

    async def handle(self, reader, writer):
        task = asyncio.current_task()
        self.tasks.add(task)
        self.conns += 1
        sess = Session(self, self.conns, reader, writer)
        reason = "done"
        try:
            await sess.run()
        except Drop as e:
            reason = e.args[0] if e.args else "dropped"
        except asyncio.CancelledError:
            reason = "server stopping"
        except (ConnectionError, OSError, EOFError, asyncio.IncompleteReadError) as e:
            reason = "client gone: %s" % (e.__class__.__name__,)
        except Exception as e:  # never let one connection take the server down
            reason = "error: %r" % (e,)
        finally:
            try:
                writer.close()
            except Exception:
                pass
            self.event(sess.conn, "close", reason=reason)
            self.tasks.discard(task)


class Session:
    def __init__(self, srv, conn, reader, writer):
        self.srv, self.conn, self.reader, self.writer = srv, conn, reader, writer
        self.ctl, self.key = srv.control(conn)
        self.tls = False
        self.tls_version = None
        self.cipher = None
        self.helo = None
        self.decided = {}       # stage -> reply to send (None: succeed), per transaction
        self.reset()

    def reset(self):
        self.mail_from = None
        self.rcpts = []

    def ev(self, _ev, **kw):
        self.srv.event(self.conn, _ev, **kw)

    async def send(self, line, stage="command"):
        code = line[:3]
        if not code.startswith(("2", "3")):
            self.ev("reply", code=int(code) if code.isdigit() else code, stage=stage)
        self.writer.write(line.encode("utf-8", "replace") + b"\r\n")
        await self.writer.drain()
        if code == "421":
            raise Drop("421 sent")

    async def send_lines(self, lines):
        self.writer.write(b"".join(l.encode() + b"\r\n" for l in lines))
        await self.writer.drain()

    async def readline(self):
        """One line with its line end; None at EOF. Longer than LINE_MAX: b"" + flag."""
        try:
            line = await self.reader.readuntil(b"\n")
        except asyncio.IncompleteReadError as e:
            if e.partial:
                return e.partial     # last line without its end
            return None
        except asyncio.LimitOverrunError as e:
            # too long: consume it up to its line end, report it with None-ish marker
            await self.reader.readexactly(e.consumed)
            while True:
                try:
                    await self.reader.readuntil(b"\n")
                    break
                except asyncio.LimitOverrunError as e2:
                    await self.reader.readexactly(e2.consumed)
            return b"\0TOOLONG"
        return line

    async def read_chunk_line(self):
        """A DATA line of any length (for the size limit), None at EOF."""
        parts = []
        while True:
            try:
                parts.append(await self.reader.readuntil(b"\n"))
                return b"".join(parts)
            except asyncio.IncompleteReadError as e:
                parts.append(e.partial)
                data = b"".join(parts)
                return data if data else None
            except asyncio.LimitOverrunError as e:
                parts.append(await self.reader.readexactly(e.consumed))

    def stage_reply(self, stage):
        """The configured reply for this stage, or None to succeed normally."""
        if stage in self.decided:
            return self.decided[stage]
        ctl = self.ctl
        reply = ctl.get("reply")
        at = ctl.get("reply_at", "eod")
        result = None
        if reply and at == stage:
            n = int(ctl.get("reply_count") or 0)
            if n <= 0:
                result = reply
            else:
                k = (self.key, stage)
                left = self.srv.counts.get(k, n)
                if left > 0:
                    self.srv.counts[k] = left - 1
                    result = reply
        self.decided[stage] = result
        return result

    async def run(self):
        ctl = self.ctl
        peer = self.writer.get_extra_info("peername")
        self.ev("connect", peer="%s:%s" % peer[:2] if peer else None)
        mode = ctl.get("mode", "accept")
        if mode == "close":
            raise Drop("mode close")
        if mode == "stall":
            while await self.reader.read(65536):
                pass
            raise Drop("mode stall: client closed")
        require_tls = ctl.get("require_tls", True)
        offer_tls = ctl.get("starttls", True)
        await self.send("220 %s ESMTP intake" % self.srv.hostname, "greeting")
        while True:
            raw = await self.readline()
            if raw is None:
                raise Drop("client closed")
            if raw == b"\0TOOLONG" or len(raw.rstrip(b"\r\n")) > LINE_MAX:
                await self.send("500 5.5.2 Error: line too long", "line")
                continue
            line = raw.rstrip(b"\r\n").decode("utf-8", "replace")
            verb, _, arg = line.partition(" ")
            verb = verb.upper()
            arg = arg.strip()
            if verb in ("EHLO", "HELO"):
                if not arg:
                    await self.send("501 5.5.4 Syntax: %s hostname" % verb, verb.lower())
                    continue
                self.helo = arg
                self.reset()
                self.ev("ehlo", name=arg, tls=self.tls)
                if verb == "HELO":
                    await self.send("250 %s" % self.srv.hostname)
                    continue
                lines = ["250-%s" % self.srv.hostname, "250-PIPELINING",
                         "250-SIZE %d" % SIZE_MAX, "250-8BITMIME"]
                if not self.tls and offer_tls:
                    lines.append("250-STARTTLS")
                lines.append("250 ENHANCEDSTATUSCODES")
                await self.send_lines(lines)
            elif verb == "STARTTLS":
                if not offer_tls:
                    await self.send("502 5.5.1 Error: command not implemented", "starttls")
                elif self.tls:
                    await self.send("503 5.5.1 Error: TLS already active", "starttls")
                elif arg:
                    await self.send("501 5.5.4 Syntax: STARTTLS", "starttls")
                elif self.mail_from is not None:
                    await self.send("503 5.5.1 Error: STARTTLS inside a transaction", "starttls")
                else:
                    await self.starttls()
                    if mode == "close_after_tls":
                        raise Drop("mode close_after_tls")
            elif verb == "MAIL":
                await self.do_mail(arg, require_tls)
            elif verb == "RCPT":
                await self.do_rcpt(arg)
            elif verb == "DATA":
                await self.do_data(arg)
            elif verb == "RSET":
                self.reset()
                await self.send("250 2.0.0 Ok")
            elif verb == "NOOP":
                await self.send("250 2.0.0 Ok")
            elif verb == "QUIT":
                await self.send("221 2.0.0 %s closing connection" % self.srv.hostname)
                raise Drop("quit")
            else:
                await self.send("500 5.5.2 Error: command not recognized")

    async def starttls(self):
        try:
            ctx = self.srv.tls_context(self.ctl)
        except (OSError, ssl.SSLError, KeyError, ValueError) as e:
            self.ev("tls_error", error="server context: %s" % e)
            await self.send("454 4.7.0 TLS not available", "starttls")
            return
        # No await may yield between the 220 and start_tls(): it stops reading
        # the socket at once, so the ClientHello goes to the TLS layer.
        self.writer.write(b"220 2.0.0 Ready to start TLS\r\n")
        buf = getattr(self.reader, "_buffer", None)
        if buf:
            self.ev("discarded", bytes=len(buf))
            buf.clear()
        self.ev("starttls")
        try:
            await asyncio.wait_for(
                self.writer.start_tls(ctx, ssl_handshake_timeout=30), 35)
        except (ssl.SSLError, ConnectionError, OSError, EOFError,
                asyncio.TimeoutError) as e:
            self.ev("tls_error", error="%s: %s" % (e.__class__.__name__, e))
            raise Drop("TLS handshake failed")
        so = self.writer.get_extra_info("ssl_object")
        if so is None:
            self.ev("tls_error", error="no TLS session after the handshake")
            raise Drop("TLS handshake failed")
        self.tls = True
        self.tls_version = so.version()
        self.cipher = so.cipher()[0] if so.cipher() else None
        self.helo = None
        self.reset()
        self.ev("tls", version=self.tls_version, cipher=self.cipher)

    async def do_mail(self, arg, require_tls):
        if self.helo is None:
            await self.send("503 5.5.1 Error: send HELO/EHLO first", "mail")
            return
        if self.mail_from is not None:
            await self.send("503 5.5.1 Error: nested MAIL command", "mail")
            return
        if require_tls and not self.tls:
            await self.send("530 5.7.0 Must issue a STARTTLS command first", "mail")
            return
        self.decided = {}       # a new transaction: a new attempt at every stage
        m = re.match(r"(?i)FROM:\s*<([^<>]*)>(.*)$", arg)
        if not m:
            await self.send("501 5.5.4 Syntax: MAIL FROM:<address>", "mail")
            return
        sizes = [int(v) for v in re.findall(r"(?i)(?:^|\s)SIZE=(\d+)", m.group(2))]
        if sizes and max(sizes) > SIZE_MAX:
            await self.send("552 5.3.4 Message size exceeds fixed maximum message size", "mail")
            return
        self.ev("mail", **{"from": m.group(1)})
        r = self.stage_reply("mail")
        if r and not r.startswith("2"):
            await self.send(r, "mail")
            return
        self.mail_from = m.group(1)
        self.rcpts = []
        await self.send(r or "250 2.1.0 Sender ok", "mail")

    async def do_rcpt(self, arg):
        if self.mail_from is None:
            await self.send("503 5.5.1 Error: need MAIL command", "rcpt")
            return
        m = re.match(r"(?i)TO:\s*<([^<>]+)>", arg)
        if not m:
            await self.send("501 5.5.4 Syntax: RCPT TO:<address>", "rcpt")
            return
        self.ev("rcpt", to=m.group(1))
        r = self.stage_reply("rcpt")
        if r and not r.startswith("2"):
            await self.send(r, "rcpt")
            return
        self.rcpts.append(m.group(1))
        await self.send(r or "250 2.1.5 Recipient ok", "rcpt")

    async def do_data(self, arg):
        if arg:
            await self.send("501 5.5.4 Syntax: DATA", "data")
            return
        if self.mail_from is None:
            await self.send("503 5.5.1 Error: need MAIL command", "data")
            return
        if not self.rcpts:
            await self.send("554 5.5.1 Error: no valid recipients", "data")
            return
        r = self.stage_reply("data")
        if r and not r.startswith(("2", "3")):
            await self.send(r, "data")
            self.reset()
            return
        await self.send("354 End data with <CR><LF>.<CR><LF>", "data")
        parts, size, too_big = [], 0, False
        while True:
            line = await self.read_chunk_line()
            if line is None:
                raise Drop("client gone during DATA")
            if line in (b".\r\n", b".\n"):
                break
            if line.startswith(b"."):
                line = line[1:]
            size += len(line)
            if size > SIZE_MAX:
                too_big = True
                parts = []
            if not too_big:
                parts.append(line)
        if too_big:
            self.ev("data_reply", code=552)
            await self.send("552 5.3.4 Message size exceeds fixed maximum message size", "eod")
            self.reset()
            return
        r = self.stage_reply("eod")
        if r and not r.startswith("2"):
            self.ev("data_reply", code=int(r[:3]) if r[:3].isdigit() else r[:3])
            self.reset()
            await self.send(r, "eod")
            return
        eml = self.srv.store(b"".join(parts), self)
        self.ev("saved", file=eml)
        self.ev("data_reply", code=int((r or "250")[:3]))
        self.reset()
        await self.send(r or "250 2.0.0 Ok: queued as %d" % self.srv.seq, "eod")


async def main():
    ap = argparse.ArgumentParser(description="programmable SMTP intake for tests")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--control")
    ap.add_argument("--events")
    ap.add_argument("--hostname", default="intake.test")
    args = ap.parse_args()
    # fail early on unusable default key material
    ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(args.cert, args.key)

    srv = Intake(args)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    server = await asyncio.start_server(srv.handle, "127.0.0.1", args.port,
                                        limit=READ_LIMIT, reuse_address=True)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    await stop.wait()
    server.close()
    for t in list(srv.tasks):
        t.cancel()
    if srv.tasks:
        await asyncio.wait(list(srv.tasks), timeout=2)
    try:
        await asyncio.wait_for(server.wait_closed(), 2)
    except (asyncio.TimeoutError, Exception):
        pass


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
    sys.exit(0)
