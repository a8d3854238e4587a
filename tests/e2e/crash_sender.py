"""crash_sender.py PORT COUNT THREADS OUTFILE - send COUNT numbered messages.

Each message carries "X-Seq: N". A message counts as accepted only when the
final 250 arrives; its number is then appended to OUTFILE. Connection
failures (the gateway being killed and restarted under us) are retried
until every message is acknowledged or 180 s pass. Used by crash.sh.
"""
import smtplib
import sys
import threading
import time

port, count, nthreads, out = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
lock = threading.Lock()
todo = list(range(count))
acked = open(out, "w")
deadline = time.time() + 180


def worker():
    conn = None
    while time.time() < deadline:
        with lock:
            if not todo:
                break
            seq = todo.pop()
        msg = ("From: crash@source.test\r\nTo: r@crash.test\r\nSubject: crash %d\r\n"
               "X-Seq: %d\r\n\r\n%s\r\n" % (seq, seq, "body line\r\n" * 20))
        try:
            if conn is None:
                conn = smtplib.SMTP("127.0.0.1", port, timeout=10, local_hostname="localhost")
                conn.ehlo("crash.test")
            conn.sendmail("crash@source.test", ["r@crash.test"], msg)
            with lock:
                acked.write("%d\n" % seq)
                acked.flush()
        except Exception:
            # not acknowledged: send it again later
            with lock:
                todo.append(seq)
            try:
                if conn is not None:
                    conn.close()
            except Exception:
                pass
            conn = None
            time.sleep(0.05)
    if conn is not None:
        try:
            conn.quit()
        except Exception:
            pass


threads = [threading.Thread(target=worker) for _ in range(nthreads)]
for t in threads:
    t.start()
for t in threads:
    t.join()
acked.close()
sys.exit(0 if not todo else 1)
