#!/usr/bin/python3
"""genlog.py - a deterministic generator of AsyncOS-style mail_logs.

Usage:
    genlog.py --bytes N --out DIR [--prefix mail] [--roll BYTES] [--seed S]
              [--start YYYYMMDDTHHMMSS] [--conns C]

Writes about N bytes (suffixes K, M, G allowed: 1G = 2**30) of mail_logs
lines into DIR/PREFIX.current; with --roll BYTES, a file that passes BYTES
is rolled over to DIR/PREFIX.@YYYYMMDDTHHMMSS[.NN].s, the stamp being the
time of its last line (as util/logfile.c names them), so the rolled files
sort in time order and the newest lines are in PREFIX.current. Existing
files of that prefix in DIR are removed first.

The lines have the shapes mxgated writes (daemon/smtpd.c, delivery.c,
tdc.c): inbound connections (New SMTP ICID, ACCEPT/RELAY/REJECT, TLS,
close), messages (Start MID, From, To, Message-ID, Subject, ready, policy
match, per-recipient policy splits, queued for delivery), Threat Defense
Connector journal copies (TDC: lines), deliveries (New SMTP DCID, TLS,
Delivery start, Message done, Response, Delayed + pending till, Bounced,
bounce messages generated with ICID 0, Message finished, DCID close).
About C inbound connections are open at once, so the lines of concurrent
messages interleave; ICIDs, MIDs and DCIDs increase in the order they
first appear, timestamps never decrease, and a message's life may span a
rollover.

Same arguments, same bytes: the output depends only on the seed, the
start time and --conns (a smaller --bytes gives a prefix of a larger
run's lines; --roll only decides where files are cut). Timestamps are
ctime(3) form in UTC. Standard library only; writes in big chunks
(about 1 GB a minute).

Exit status 0, or 2 with a message on bad arguments or a write error.
"""

import argparse
import heapq
import os
import random
import re
import sys
import time

DOMAINS_OUT = ["outside.test", "mail.partner.test", "news.vendor.test", "bulk.sender.test",
               "mx.customer.test", "corp.supplier.test", "lists.example.org", "shop.test"]
USERS = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
         "mallory", "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor",
         "walter", "billing", "noreply", "sales", "support", "newsletter", "hr", "it"]
LOCAL_DOMAIN = "example.test"
SUBJ_WORDS = ["invoice", "meeting", "report", "quarterly", "update", "your", "order",
              "shipped", "password", "reset", "welcome", "notes", "agenda", "budget",
              "review", "draft", "contract", "urgent", "reminder", "photos", "lunch",
              "project", "status", "weekly", "newsletter", "offer", "account", "ticket"]
POLICIES = ["sales", "engineering", "vip", "finance"]
REMOTE_IPS = ["192.0.2.%d" % i for i in range(10, 60)] + ["198.51.100.%d" % i for i in range(1, 40)]
MX_IPS = ["203.0.113.%d" % i for i in range(5, 25)]
HEX = "0123456789ABCDEF"
CIPHERS = [("TLSv1.3", "TLS_AES_256_GCM_SHA384"), ("TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384"),
           ("TLSv1.3", "TLS_CHACHA20_POLY1305_SHA256")]
SOFT = [("4.4.1", "Connection error", "000", "111-Connection refused"),
        ("4.2.2", "Mailbox full", "452", "Mailbox temporarily full."),
        ("4.3.0", "Message deferred", "451", "try later")]
HARD = [("5.1.1", "Bad destination mailbox address", "550", "5.1.1 User unknown"),
        ("5.1.0", "Unknown address error", "550", "Relaying denied"),
        ("5.7.1", "Recipient rejected", "554", "not for you")]
INTAKE = "journal@intake.test"


class Gen:
    """The shared state of one run: random source, clock, ID counters."""

    def __init__(self, seed, start, conns):
        self.rng = random.Random(seed)
        self.t = float(start)
        self.icid = 0
        self.mid = 0
        self.dcid = 0
        self.conns = conns
        self.live_conns = 0

    def next_icid(self):
        self.icid += 1
        return self.icid

    def next_mid(self):
        self.mid += 1
        return self.mid

    def next_dcid(self):
        self.dcid += 1
        return self.dcid

    def addr(self, domain=None):
        r = self.rng
        u = USERS[int(r.random() * len(USERS))]
        if domain is None:
            domain = DOMAINS_OUT[int(r.random() * len(DOMAINS_OUT))]
        if r.random() < 0.3:
            u = "%s.%s" % (u, USERS[int(r.random() * len(USERS))])
        return "%s@%s" % (u, domain)

    def subject(self):
        r = self.rng
        n = 2 + int(r.random() * 6)
        s = " ".join(SUBJ_WORDS[int(r.random() * len(SUBJ_WORDS))] for _ in range(n))
        s = s[0].upper() + s[1:]
        if r.random() < 0.05:
            s += " it's done"	# a quote: the daemon then uses double quotes
        return s

    def ctime_of(self, t):
        return time.strftime("%a %b %e %H:%M:%S %Y", time.gmtime(int(t)))


# ---------------------------------------------------------------- actors
# Each actor is a Python generator. It yields a str (one log line without
# the timestamp), a list of str (lines the daemon writes in one go, kept
# together), an int (sleep that many seconds of log time) or another
# generator (start it as a concurrent actor). IDs are taken when the line
# that introduces them is yielded, so they increase in log order.

def connection(g):
    r = g.rng
    icid = g.next_icid()
    try:
        relay = r.random() < 0.25
        ip = REMOTE_IPS[int(r.random() * len(REMOTE_IPS))]
        if relay:
            ip = "10.1.%d.%d" % (int(r.random() * 4), 10 + int(r.random() * 200))
            yield ("New SMTP ICID %d interface OutgoingMail (10.0.0.2) address %s reverse dns "
                   "host unknown verified no" % (icid, ip))
            yield "ICID %d RELAY SG RELAYLIST match %s SBRS not enabled" % (icid, ip)
        else:
            yield ("New SMTP ICID %d interface IncomingMail (10.0.0.1) address %s reverse dns "
                   "host unknown verified no" % (icid, ip))
            if r.random() < 0.03:
                yield "ICID %d REJECT SG None match ALL SBRS not enabled" % icid
                yield "ICID %d close" % icid
                return
            yield "ICID %d ACCEPT SG UNKNOWNLIST match ALL SBRS not enabled" % icid
        if r.random() < 0.6:
            p, c = CIPHERS[int(r.random() * len(CIPHERS))]
            yield "ICID %d TLS success protocol %s cipher %s" % (icid, p, c)
        nmsg = 1 + int(r.random() * r.random() * 4)
        for _ in range(nmsg):
            yield int(r.random() * 3)
            for x in message(g, icid, relay, ip):
                yield x
        if r.random() < 0.02:
            yield "ICID %d timed out" % icid
        yield "ICID %d close" % icid
    finally:
        g.live_conns -= 1


def message(g, icid, relay, ip):
    r = g.rng
    mid = g.next_mid()
    yield "Start MID %d ICID %d" % (mid, icid)
    if relay:
        frm = "%s@%s" % (USERS[int(r.random() * 20)], LOCAL_DOMAIN)
    else:
        frm = g.addr()
    yield "MID %d ICID %d From: <%s>" % (mid, icid, frm)
    nr = 1 + int(r.random() * r.random() * 5)
    rcpts = []
    for rid in range(nr):
        to = g.addr(None if relay else LOCAL_DOMAIN)
        rcpts.append(to)
        if not relay and r.random() < 0.01:
            yield "MID %d ICID %d To: <%s> Rejected by RAT" % (mid, icid, to)
        yield "MID %d ICID %d RID %d To: <%s>" % (mid, icid, rid, to)
    msgid = "<%d.%06d.%x@%s>" % (int(g.t), mid % 1000000, int(r.random() * 0xffffff),
                                 frm.split("@")[1])
    yield "MID %d Message-ID '%s'" % (mid, msgid)
    subj = g.subject()
    if "'" in subj:
        yield "MID %d Subject \"%s\"" % (mid, subj)
    else:
        yield "MID %d Subject '%s'" % (mid, subj)
    size = 800 + int(r.random() * r.random() * 60000)
    if r.random() < 0.005:
        yield "MID %d ICID %d message size exceeds the listener limit of 10485760 bytes" % (mid, icid)
        yield "Message aborted MID %d Receiving aborted" % mid
        return
    yield "MID %d ready %d bytes from <%s>" % (mid, size, frm)
    table = "outbound" if relay else "inbound"
    # per-recipient policies: sometimes the recipients split in two groups
    parts = [(mid, list(range(nr)))]
    if nr > 1 and r.random() < 0.2:
        pol = POLICIES[int(r.random() * len(POLICIES))]
        cut = 1 + int(r.random() * (nr - 1))
        yield ("MID %d matched all recipients for per-recipient policy %s in the %s table"
               % (mid, pol, table))
        child = g.next_mid()
        yield [("MID %d was split creating MID %d due to a per-recipient policy DEFAULT in the "
                "%s table" % (mid, child, table)),
               ("MID %d matched all recipients for per-recipient policy DEFAULT in the %s table"
                % (child, table))]
        parts = [(mid, list(range(cut))), (child, list(range(cut, nr)))]
    else:
        yield ("MID %d matched all recipients for per-recipient policy DEFAULT in the %s table"
               % (mid, table))
    journals = []
    if not relay:
        for pm, _ in parts:
            if r.random() < 0.7:
                j = g.next_mid()
                yield "TDC: MID %d was generated based on MID %d for policy DEFAULT" % (j, pm)
                journals.append(j)
    for pm, rids in parts:
        yield "MID %d queued for delivery" % pm
    for j in journals:
        yield ("TDC: MID %d with Message-ID '%s' queued for delivery to Message Intake Address %s"
               % (j, msgid, INTAKE))
    for pm, rids in parts:
        yield delivery(g, pm, [(rid, rcpts[rid]) for rid in rids], frm, relay)
    for j in journals:
        yield tdc_delivery(g, j)


def rid_list(rids):
    return "[" + ", ".join(str(x) for x in rids) + "]"


def delivery(g, mid, rcpts, frm, relay, bounce=False):
    """Deliver mid's recipients [(rid, addr)]: retries, bounces, done."""
    r = g.rng
    pending = list(rcpts)
    bounced = []
    tries = 0
    while pending:
        tries += 1
        yield int(r.random() * 2)
        dcid = g.next_dcid()
        yield ("New SMTP DCID %d interface 10.0.0.1 address %s port 25"
               % (dcid, MX_IPS[int(r.random() * len(MX_IPS))]))
        x = r.random()
        if x < 0.02:
            yield ("Connection Error: DCID %d domain: %s IP: %s port: 25 details: timeout"
                   % (dcid, pending[0][1].split("@")[1], MX_IPS[0]))
            for rid, _ in pending:
                st = SOFT[0]
                yield [("Delayed: DCID %d MID %d to RID %d - %s - %s ('%s', ['%s']) []"
                        % (dcid, mid, rid, st[0], st[1], st[2], st[3])),
                       "Message %d to RID [%d] pending till %s" % (mid, rid, g.ctime_of(g.t + 60))]
            yield "DCID %d close" % dcid
            yield 30 + int(r.random() * 60)
            continue
        if r.random() < 0.7:
            p, c = CIPHERS[int(r.random() * len(CIPHERS))]
            yield "DCID %d TLS success protocol %s cipher %s" % (dcid, p, c)
        yield "Delivery start DCID %d MID %d to RID %s" % (dcid, mid, rid_list([x[0] for x in pending]))
        ok, later = [], []
        for rid, addr in pending:
            x = r.random()
            if x < 0.04 and tries < 3:
                later.append((rid, addr))
            elif x < 0.07 and not bounce:
                bounced.append((rid, addr))
                st = HARD[int(r.random() * len(HARD))]
                yield ("Bounced: DCID %d MID %d to RID %d - %s - %s ('%s', ['<%s>... %s']) []"
                       % (dcid, mid, rid, st[0], st[1], st[2], addr, st[3]))
            else:
                ok.append(rid)
        if ok:
            yield "Message done DCID %d MID %d to RID %s" % (dcid, mid, rid_list(ok))
            q = "".join(HEX[int(r.random() * 16)] for _ in range(10))
            yield "MID %d RID %s Response 'queued as %s'" % (mid, rid_list(ok), q)
        for rid, addr in later:
            st = SOFT[int(r.random() * len(SOFT))]
            yield [("Delayed: DCID %d MID %d to RID %d - %s - %s ('%s', ['%s']) []"
                    % (dcid, mid, rid, st[0], st[1], st[2], st[3])),
                   "Message %d to RID [%d] pending till %s" % (mid, rid, g.ctime_of(g.t + 60 * tries))]
        pending = later
        if pending:
            yield "DCID %d close" % dcid
            yield 60 * tries
        else:
            closing = dcid
    if bounced and frm:
        b = g.next_mid()
        size = 1500 + int(r.random() * 4000)
        yield ["MID %d was generated for bounce of MID %d" % (b, mid),
               "Start MID %d ICID 0" % b,
               "MID %d ICID 0 From: <>" % b,
               "MID %d ICID 0 RID 0 To: <%s>" % (b, frm),
               "MID %d ready %d bytes from <>" % (b, size),
               "MID %d queued for delivery" % b]
        yield delivery(g, b, [(0, frm)], "", relay, bounce=True)
    yield "Message finished MID %d done" % mid
    yield int(r.random() * 3)
    yield "DCID %d close" % closing


def tdc_delivery(g, mid):
    r = g.rng
    for attempt in (0, 1):
        yield int(r.random() * 2)
        dcid = g.next_dcid()
        yield "TDC: New SMTP DCID %d interface 10.0.0.1 address 203.0.113.200 port 25" % dcid
        yield "DCID %d TLS success protocol TLSv1.3 cipher TLS_AES_256_GCM_SHA384" % dcid
        yield "TDC: Delivery start DCID %d MID %d" % (dcid, mid)
        x = r.random()
        if x < 0.03 and attempt == 0:
            yield ("TDC: Delayed: DCID %d MID %d - 4.3.0 - Message deferred ('451', ['try later'])"
                   " - retry 1 of 1 in 1 seconds" % (dcid, mid))
            yield "TDC: DCID %d close" % dcid
            yield 1
            continue
        if x < 0.04:
            yield "TDC: Hard bounced - 5.7.1 - Recipient rejected ('550', 'not for you')"
            yield "TDC: MID %d delivery failed to Email Threat Defense: Hard Bounced." % mid
        else:
            yield "TDC: MID %d successfully delivered for scanning with Email Threat Defense" % mid
        yield "Message finished MID %d done" % mid
        yield int(r.random() * 3)
        yield "TDC: DCID %d close" % dcid
        return


# ---------------------------------------------------------------- output

class Out:
    """The files: PREFIX.current, rolled over at --roll bytes."""

    def __init__(self, d, prefix, roll):
        self.dir = d
        self.prefix = prefix
        self.roll = roll
        self.cur = os.path.join(d, prefix + ".current")
        self.f = open(self.cur, "w", encoding="ascii", newline="\n")
        self.chunk = []
        self.chunk_len = 0
        self.file_len = 0
        self.last_stamp = None
        self.nn = 0

    def flush(self):
        if self.chunk:
            self.f.write("".join(self.chunk))
            self.chunk = []
            self.chunk_len = 0

    def rollover(self, t):
        self.flush()
        self.f.close()
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(int(t)))
        if stamp == self.last_stamp:
            self.nn += 1
            name = "%s.@%s.%02d.s" % (self.prefix, stamp, self.nn)
        else:
            self.nn = 0
            name = "%s.@%s.s" % (self.prefix, stamp)
        self.last_stamp = stamp
        os.rename(self.cur, os.path.join(self.dir, name))
        self.f = open(self.cur, "w", encoding="ascii", newline="\n")
        self.file_len = 0

    def close(self):
        self.flush()
        self.f.close()


def parse_size(s):
    m = re.fullmatch(r"(\d+)([KkMmGg]?)", s)
    if not m:
        raise argparse.ArgumentTypeError("not a size: %r (use N, NK, NM or NG)" % s)
    mult = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}[m.group(2).lower()]
    return int(m.group(1)) * mult


def parse_stamp(s):
    try:
        return int(__import__("calendar").timegm(time.strptime(s, "%Y%m%dT%H%M%S")))
    except ValueError:
        raise argparse.ArgumentTypeError("not a stamp: %r (use YYYYMMDDTHHMMSS)" % s)


def run(a):
    g = Gen(a.seed, a.start, a.conns)
    rng = g.rng
    out = Out(a.out, a.prefix, a.roll)
    active = []		# runnable actors
    sleeping = []	# heap of (wake time, sequence, actor)
    seq = 0
    total = 0
    stamp_sec = -1
    stamp = ""
    step = 2.0 / 40.0	# mean 1/40 s of log time between lines
    gen_type = type(connection(g))
    t = g.t
    while total < a.bytes:
        while g.live_conns < g.conns:
            g.live_conns += 1
            active.append(connection(g))
        while sleeping and sleeping[0][0] <= t:
            active.append(heapq.heappop(sleeping)[2])
        if not active:
            t = sleeping[0][0]
            g.t = t
            continue
        i = int(rng.random() * len(active))
        actor = active[i]
        try:
            x = next(actor)
        except StopIteration:
            active[i] = active[-1]
            active.pop()
            continue
        tx = type(x)
        if tx is str or tx is list:
            t += rng.random() * step
            g.t = t
            sec = int(t)
            if sec != stamp_sec:
                stamp_sec = sec
                stamp = time.strftime("%a %b %e %H:%M:%S %Y", time.gmtime(sec))
            for y in ((x,) if tx is str else x):
                line = "%s Info: %s\n" % (stamp, y)
                n = len(line)
                out.chunk.append(line)
                out.chunk_len += n
                out.file_len += n
                total += n
            if out.chunk_len >= (8 << 20):
                out.flush()
            if a.roll and out.file_len >= a.roll and total < a.bytes:
                out.rollover(t)
        elif type(x) is int:
            if x > 0:
                seq += 1
                heapq.heappush(sleeping, (t + x, seq, actor))
                active[i] = active[-1]
                active.pop()
        elif type(x) is gen_type:
            active.append(x)
    out.close()
    return total


def main():
    p = argparse.ArgumentParser(description="Write deterministic AsyncOS-style mail_logs.")
    p.add_argument("--bytes", type=parse_size, required=True, help="about this many bytes in all")
    p.add_argument("--out", required=True, help="directory to write (created if missing)")
    p.add_argument("--prefix", default="mail", help="file name prefix (default mail)")
    p.add_argument("--roll", type=parse_size, default=0,
                   help="roll the current file over past this many bytes")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument("--start", type=parse_stamp, default=parse_stamp("20261122T000000"),
                   help="time of the first line, UTC (default 20261122T000000)")
    p.add_argument("--conns", type=int, default=12,
                   help="inbound connections open at once (default 12)")
    a = p.parse_args()
    if a.conns < 1:
        p.error("--conns must be at least 1")
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", a.prefix):
        p.error("--prefix must be a plain file name")
    try:
        os.makedirs(a.out, exist_ok=True)
        pat = re.compile(r"%s\.(current|@\d{8}T\d{6}(\.\d\d)?\.s)$" % re.escape(a.prefix))
        for name in os.listdir(a.out):
            if pat.match(name):
                os.unlink(os.path.join(a.out, name))
        run(a)
    except OSError as e:
        print("genlog.py: %s" % e, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
