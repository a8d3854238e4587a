#!/usr/bin/python3
"""smtp_hostile_client.py - hostile and demanding SMTP clients for smtp_hostile.sh.

  flood PORT PID LOG NCONN NLINES
      NCONN connections each pipeline NLINES "EHLO x" and never read a
      reply. Samples mxgated's VmRSS (kB) throughout and prints
      "baseline=KB peak=KB sent=BYTES paused=N". It stops once mxgated has
      read everything sent (no unread bytes on its side of any of the
      connections, from /proc/net/tcp) or once NCONN "does not read its
      replies" lines are in LOG; 180 s at most.

  pipe PORT LOG NCMDS
      One connection pipelines NCMDS commands with distinct replies and
      reads nothing until mxgated logs that it does not read its replies
      (60 s at most), then reads while it sends the rest, ends with QUIT
      and checks that the bytes received are exactly every reply in
      order. Prints "ok replies=N sent_before_reading=B paused=P" or
      "bad ...".

  pipetls PORT LOG NCMDS
      The same after STARTTLS.

  rcpts PORT
      Over max_rcpts (100): smtplib sendmail to 120 recipients, the session
      goes on, a second transaction takes the other 20; then bad commands
      still count: the 20th gets 421. Prints one line per check:
      "name ok|bad detail".

  overshoot PORT MAX
      MAIL, then MAX + 1000 + 20 RCPTs pipelined: the 452s past the
      1000-recipient overshoot count as errors and the 20th of them ends
      the session with 421. Prints "ok" or "bad ...".
"""
import os
import re
import select
import smtplib
import socket
import ssl
import sys
import time


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def server_unread(port, client_ports):
    """bytes mxgated has not read yet on the server side of our connections"""
    total, seen = 0, 0
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as f:
                lines = f.readlines()[1:]
        except OSError:
            continue
        for line in lines:
            w = line.split()
            lport = int(w[1].split(":")[1], 16)
            rport = int(w[2].split(":")[1], 16)
            if lport == port and rport in client_ports:
                seen += 1
                total += int(w[4].split(":")[1], 16)
    return total if seen else -1


def count_lines(log, pattern):
    try:
        with open(log, errors="replace") as f:
            return sum(1 for l in f if pattern in l)
    except OSError:
        return 0


def read_banner(s):
    buf = b""
    while b"\r\n" not in buf:
        d = s.recv(4096)
        if not d:
            raise SystemExit("bad no banner")
        buf += d
    return buf


PAUSED = "client does not read its replies"


def flood(port, pid, log, nconn, nlines):
    paused0 = count_lines(log, PAUSED)
    socks = []
    for _ in range(nconn):
        s = socket.create_connection(("127.0.0.1", port), 10)
        read_banner(s)
        s.setblocking(False)
        socks.append(s)
    cports = {s.getsockname()[1] for s in socks}
    data = memoryview(b"EHLO x\r\n" * nlines)
    off = {s: 0 for s in socks}
    baseline = rss_kb(pid)
    peak = baseline
    end = time.time() + 180
    paused = 0
    while time.time() < end:
        left = [s for s in socks if off[s] < len(data)]
        if left:
            _, w, _ = select.select([], left, [], 0.1)
            for s in w:
                try:
                    off[s] += s.send(data[off[s]:off[s] + 65536])
                except BlockingIOError:
                    pass
        else:
            time.sleep(0.05)
        peak = max(peak, rss_kb(pid))
        paused = count_lines(log, PAUSED) - paused0
        if paused >= nconn:
            break
        if not left and server_unread(port, cports) == 0:
            break
    peak = max(peak, rss_kb(pid))
    print("baseline=%d peak=%d sent=%d paused=%d" % (baseline, peak, sum(off.values()), paused))
    for s in socks:
        s.close()


# replies mxgated gives to these commands (EHLO's first line names the host)
def try_send(s, data, off):
    """bytes of data[off:] the socket takes now (the same chunk again after a refusal, as TLS needs)"""
    try:
        return s.send(data[off:off + 16384])
    except (BlockingIOError, ssl.SSLWantWriteError, ssl.SSLWantReadError):
        return 0


def try_recv(s):
    """what can be read now: bytes (b"" at the end), or None for nothing yet"""
    out = bytearray()
    while len(out) < (1 << 20):
        try:
            d = s.recv(16384)
        except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
            return bytes(out) if out else None
        if not d:
            return bytes(out)  # the end (after what came before it)
        out += d
    return bytes(out)


def read_reply(s):
    buf = b""
    while not re.search(rb"(^|\n)\d{3} [^\r\n]*\r\n$", buf):
        d = s.recv(4096)
        if not d:
            raise SystemExit("bad the connection closed after %r" % buf)
        buf += d
    return buf


def pipe(port, log, ncmds, tls):
    s = socket.create_connection(("127.0.0.1", port), 10)
    banner = read_banner(s)
    host = banner.split()[1].decode()
    if tls:
        s.sendall(b"EHLO x\r\n")
        read_reply(s)
        s.sendall(b"STARTTLS\r\n")
        if not read_reply(s).startswith(b"220 "):
            print("bad STARTTLS refused")
            return
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        s = ctx.wrap_socket(s)
    cycle = [
        (b"EHLO x\r\n", None),
        (b"NOOP\r\n", b"250 2.0.0 Ok\r\n"),
        (b"VRFY a\r\n", b"252 2.5.2 Cannot VRFY user; try RCPT to attempt delivery\r\n"),
        (b"HELP\r\n", b"214 2.0.0 Commands: HELO EHLO MAIL RCPT DATA RSET NOOP QUIT VRFY STARTTLS\r\n"),
    ]
    s.sendall(b"EHLO x\r\n")
    ehlo = read_reply(s)
    cmds = bytearray()
    expect = bytearray()
    for i in range(ncmds):
        c, r = cycle[i % len(cycle)]
        cmds += c
        expect += ehlo if r is None else r
    cmds += b"QUIT\r\n"
    expect += b"221 2.0.0 " + host.encode() + b" closing connection\r\n"
    paused0 = count_lines(log, PAUSED)
    s.setblocking(False)
    off = 0
    data = memoryview(bytes(cmds))
    # phase 1: send, never read, until mxgated logs that we do not read
    end = time.time() + 60
    while time.time() < end:
        if count_lines(log, PAUSED) > paused0:
            break
        _, w, _ = select.select([], [s] if off < len(data) else [], [], 0.1)
        if w:
            off += try_send(s, data, off)
    phase1 = off
    # phase 2: read everything while sending the rest
    got = bytearray()
    end = time.time() + 180
    eof = False
    while not eof and time.time() < end:
        r, w, _ = select.select([s], [s] if off < len(data) else [], [], 1)
        d = try_recv(s) if r else None
        if d == b"":
            eof = True
        elif d:
            n0 = len(got)
            got += d
            n = len(got)
            if got[n0:n] != expect[n0:n]:
                i = next(k for k in range(n0, n) if k >= len(expect) or got[k] != expect[k])
                print("bad reply %d differs: got %r expected %r" %
                      (i, bytes(got[max(0, i - 40):i + 40]), bytes(expect[max(0, i - 40):i + 40])))
                return
        if w:
            off += try_send(s, data, off)
    s.close()
    paused = count_lines(log, PAUSED) - paused0
    if got == expect:
        print("ok replies=%d sent_before_reading=%d paused=%d" % (ncmds + 2, phase1, paused))
    else:
        print("bad got %d of %d bytes (eof %s); last %r" % (len(got), len(expect), eof, bytes(got[-200:])))


def rcpts(port):
    rcpt = ["r%d@example.test" % i for i in range(120)]
    msg = b"From: a@outside.test\r\nTo: undisclosed-recipients:;\r\nSubject: many\r\n\r\nbody\r\n"
    s = smtplib.SMTP("127.0.0.1", port, timeout=60, local_hostname="localhost")
    try:
        refused = s.sendmail("a@outside.test", rcpt, msg)
    except smtplib.SMTPException as e:
        print("first_transaction bad %r" % (e,))
        return
    codes = sorted({v[0] for v in refused.values()})
    if sorted(refused) == sorted(rcpt[100:]) and codes == [452]:
        print("first_transaction ok 100 accepted, 20 refused 452")
    else:
        print("first_transaction bad refused %d: %r" % (len(refused), codes))
    code, _ = s.noop()
    print("session_open %s NOOP %d" % ("ok" if code == 250 else "bad", code))
    try:
        refused = s.sendmail("a@outside.test", rcpt[100:], msg.replace(b"many", b"rest"))
        print("second_transaction %s refused %r" % ("ok" if not refused else "bad", refused))
    except smtplib.SMTPException as e:
        print("second_transaction bad %r" % (e,))
        return
    # real errors still count: 19 bad commands leave the session open, the 20th closes it
    for i in range(19):
        code, _ = s.docmd("BOGUS%d" % i)
    code19, _ = s.noop()
    code20, _ = s.docmd("BOGUS19")
    try:
        code, text = s.getreply()  # after the 500, the session ends
    except smtplib.SMTPException as e:
        code, text = 0, repr(e).encode()
    ok = code19 == 250 and code20 == 500 and code == 421 and b"too many errors" in text
    print("bad_commands_count %s after 19: %d, 20th: %d then %d %r" %
          ("ok" if ok else "bad", code19, code20, code, text))
    s.close()


def overshoot(port, maxr):
    s = socket.create_connection(("127.0.0.1", port), 30)
    f = s.makefile("rb")
    f.readline()
    n = maxr + 1000 + 20
    s.sendall(b"EHLO x\r\nMAIL FROM:<a@outside.test>\r\n" +
              b"".join(b"RCPT TO:<o%d@example.test>\r\n" % i for i in range(n)))
    try:
        while f.readline()[:4] != b"250 ":
            pass
        f.readline()  # MAIL
        codes = [f.readline()[:3] for _ in range(n)]
        last = f.readline()
    except OSError as e:
        print("bad %r" % (e,))
        return
    want = [b"250"] * maxr + [b"452"] * 1020
    if codes == want and last.startswith(b"421 ") and b"too many errors" in last:
        print("ok")
    else:
        print("bad codes %r ... then %r" % (sorted(set(codes)), last))


if __name__ == "__main__":
    a = sys.argv[1:]
    if a[0] == "flood":
        flood(int(a[1]), int(a[2]), a[3], int(a[4]), int(a[5]))
    elif a[0] in ("pipe", "pipetls"):
        pipe(int(a[1]), a[2], int(a[3]), a[0] == "pipetls")
    elif a[0] == "rcpts":
        rcpts(int(a[1]))
    elif a[0] == "overshoot":
        overshoot(int(a[1]), int(a[2]))
    else:
        sys.exit("usage: smtp_hostile_client.py flood|pipe|pipetls|rcpts|overshoot ...")
