#!/usr/bin/python3
# tcpcut.py - TCP proxies on loopback that a test can cut, to partition a
# program from a service (issue 15: a gateway from its etcd members).
# Run with /usr/bin/python3; listens on 127.0.0.1 only, forwards to
# 127.0.0.1 only.
#
#   tcpcut.py --ctl FILE [--ready FILE] LISTENPORT:TARGETPORT ...
#
# One proxy per pair: each connection to 127.0.0.1:LISTENPORT is joined
# byte for byte to a new connection to 127.0.0.1:TARGETPORT (TLS passes
# through untouched).
#
# The cut: while FILE exists every proxy is cut. Its content says how:
#   refuse (or empty)  every open connection is closed and the listening
#                      socket too: new connections are refused at once
#   hang               nothing is forwarded any more either way and new
#                      connections are accepted but never joined (a
#                      network that swallows packets: the client learns
#                      only from its own time limits)
# Removing FILE heals it: the listeners come back (same ports) and new
# connections are joined again (connections from a "hang" are closed).
# SIGUSR1 re-reads FILE at once (it is also polled every 50 ms).
# Every change is logged on stdout: "CUT refuse", "CUT hang", "HEAL";
# --ready FILE is written once every listener is up.
import os
import selectors
import signal
import socket
import sys
import time

BUF = 65536


class Proxy:
    def __init__(self, lport, tport):
        self.lport, self.tport = lport, tport
        self.lsock = None

    def listen(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", self.lport))
        s.listen(64)
        s.setblocking(False)
        self.lsock = s

    def unlisten(self):
        if self.lsock is not None:
            self.lsock.close()
            self.lsock = None


def main(argv):
    ctl = ready = None
    pairs = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--ctl":
            ctl = argv[i + 1]
            i += 2
            continue
        if a == "--ready":
            ready = argv[i + 1]
            i += 2
            continue
        lp, tp = a.split(":")
        pairs.append(Proxy(int(lp), int(tp)))
        i += 1
    if not ctl or not pairs:
        print("usage: tcpcut.py --ctl FILE [--ready FILE] LPORT:TPORT ...", file=sys.stderr)
        return 2

    sel = selectors.DefaultSelector()
    peer = {}        # socket -> its other end (joined connections)
    held = set()     # sockets accepted during a hang, never joined
    state = [None]   # None (healed), "refuse", "hang"
    woken = [False]

    def on_usr1(_s, _f):
        woken[0] = True
    signal.signal(signal.SIGUSR1, on_usr1)

    def close_pair(s):
        o = peer.pop(s, None)
        for x in (s, o):
            if x is None:
                continue
            peer.pop(x, None)
            try:
                sel.unregister(x)
            except (KeyError, ValueError):
                pass
            x.close()

    def close_all():
        for s in list(peer):
            close_pair(s)
        for s in list(held):
            try:
                sel.unregister(s)
            except (KeyError, ValueError):
                pass
            s.close()
        held.clear()

    def open_listeners():
        for p in pairs:
            if p.lsock is None:
                # a port just closed may linger briefly: retry a little
                for _ in range(100):
                    try:
                        p.listen()
                        break
                    except OSError:
                        time.sleep(0.05)
                else:
                    print("cannot listen on %d again" % p.lport, flush=True)
                    continue
                sel.register(p.lsock, selectors.EVENT_READ, p)

    def close_listeners():
        for p in pairs:
            if p.lsock is not None:
                sel.unregister(p.lsock)
                p.unlisten()

    def read_ctl():
        try:
            with open(ctl) as f:
                v = f.read().strip()
        except OSError:
            return None
        return "hang" if v == "hang" else "refuse"

    def apply(new):
        if new == state[0]:
            return
        if new == "refuse":
            close_all()
            close_listeners()
            print("CUT refuse", flush=True)
        elif new == "hang":
            if state[0] == "refuse":
                open_listeners()
            # joined connections stop being served (kept open, unread)
            for s in list(peer):
                try:
                    sel.unregister(s)
                except (KeyError, ValueError):
                    pass
                held.add(s)
            peer_keep = dict(peer)
            peer.clear()
            for s, o in peer_keep.items():
                held.add(o)
            print("CUT hang", flush=True)
        else:
            close_all()
            open_listeners()
            print("HEAL", flush=True)
        state[0] = new

    open_listeners()
    apply(read_ctl())
    if ready:
        with open(ready, "w") as f:
            f.write("%d\n" % os.getpid())
    last_check = 0.0
    while True:
        now = time.monotonic()
        if woken[0] or now - last_check >= 0.05:
            woken[0] = False
            last_check = now
            apply(read_ctl())
        for key, _ in sel.select(0.05):
            obj = key.data
            if isinstance(obj, Proxy):
                try:
                    c, _a = obj.lsock.accept()
                except OSError:
                    continue
                if state[0] == "hang":
                    held.add(c)
                    continue
                try:
                    t = socket.create_connection(("127.0.0.1", obj.tport), 2)
                except OSError:
                    c.close()
                    continue
                c.setblocking(False)
                t.setblocking(False)
                peer[c] = t
                peer[t] = c
                sel.register(c, selectors.EVENT_READ, "conn")
                sel.register(t, selectors.EVENT_READ, "conn")
                continue
            s = key.fileobj
            if s not in peer:
                continue
            try:
                data = s.recv(BUF)
            except OSError:
                data = b""
            if not data:
                close_pair(s)
                continue
            o = peer[s]
            try:
                o.setblocking(True)
                o.settimeout(5)
                o.sendall(data)
                o.setblocking(False)
            except OSError:
                close_pair(s)


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        sys.exit(0)
