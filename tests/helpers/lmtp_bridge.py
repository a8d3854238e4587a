#!/usr/bin/python3
"""lmtp_bridge.py PORT DOVECOT_CONF - deliver SMTP mail into a test Dovecot.

An SMTP server (aiosmtpd) on 127.0.0.1:PORT for the remediation tests: a
gateway whose smtproutes send example.com here delivers into the private
Dovecot of tests/helpers/dovecot.subr. Each accepted message is handed,
once per recipient, to Dovecot's LDA (dovecot-lda -c DOVECOT_CONF -d RCPT
-f SENDER): Debian's LMTP server is a separate package (dovecot-lmtpd)
the tests do not install, and the LDA stores the same way. The SMTP
answer to DATA is the LDA's: 250 when every recipient got the message,
550 for a user Dovecot does not know (LDA exit 67), else 451 with the
LDA's first error line. Each delivery is logged on stdout:
"delivered RCPT" or "failed RCPT: exit N: why".
"""
import signal
import subprocess
import sys
import threading

from aiosmtpd.controller import Controller

LDA = "/usr/lib/dovecot/dovecot-lda"


class Bridge:
    def __init__(self, conf):
        self.conf = conf

    async def handle_DATA(self, server, session, envelope):
        sender = envelope.mail_from or "MAILER-DAEMON"
        for rcpt in envelope.rcpt_tos:
            p = subprocess.run([LDA, "-c", self.conf, "-d", rcpt, "-f", sender],
                               input=envelope.original_content, capture_output=True,
                               timeout=60, check=False)
            why = (p.stderr or p.stdout).decode("utf-8", "replace").strip()
            why = why.splitlines()[0][:200] if why else ""
            if p.returncode != 0:
                print(f"failed {rcpt}: exit {p.returncode}: {why}", flush=True)
                if p.returncode == 67:
                    return f"550 5.1.1 <{rcpt}>: no such mailbox"
                return f"451 4.3.0 <{rcpt}>: delivery failed: {why}"
            print(f"delivered {rcpt}", flush=True)
        return "250 2.0.0 delivered"


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: lmtp_bridge.py PORT DOVECOT_CONF")
    # server_hostname: no lookup of this host's name (the tests' guard)
    c = Controller(Bridge(sys.argv[2]), hostname="127.0.0.1", port=int(sys.argv[1]),
                   server_hostname="bridge.test")
    c.start()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    done.wait()
    c.stop()


if __name__ == "__main__":
    main()
