#!/usr/bin/python3
"""bench mail (SPEC §9, issue 3): how fast the real daemon empties its
outbox into a local SMTP server, against Python's smtplib sending the same
messages over one connection to the same server in the same run (what the
server itself can take).

    /usr/bin/python3 bench/mail.py PATH/TO/dialconf [N]     (bench/run mail)

1. aiosmtpd (tests/integration/smtp_handlers.Recorder, which writes every
   message to a Maildir) is stopped; `dialconf serve --mail smtp://...`
   runs with retries 1 s apart. N "send conference info" requests over
   keep-alive HTTP from several threads fill the outbox (N pending rows).
2. The daemon is stopped (SIGTERM), the SMTP server started, the daemon
   started again: timed from that start until the Nth message is in the
   Maildir (so the backoff of step 1 costs nothing, the start does).
3. The N messages as the daemon sent them are sent again with smtplib over
   one connection to the same server: timed from connect to QUIT.
dialconf delivers over emailParallelConnections (its default, 4) SMTP
connections while a backlog waits, and marks accepted emails sent a few
at a time (src/mail/worker.c); smtplib over one. The server (aiosmtpd,
one Python process writing a Maildir) is what both are measured against.

Prints "name: value unit" lines; the last is ratio = dialconf's emails/s /
smtplib's emails/s (higher is better; the goal of issue 18 is >= 0.9).
"""

import http.client
import os
import smtplib
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))

import harness  # noqa: E402

USERS = 20
THREADS = 4
DELIVERY_TIMEOUT = 600.0


def fill(d, n, users):
    """n POST send-conference-info, THREADS keep-alive connections."""
    errors = []
    per = [n // THREADS + (1 if i < n % THREADS else 0)
           for i in range(THREADS)]

    def worker(i, count):
        conn = http.client.HTTPConnection("127.0.0.1", d.port, timeout=60)
        hdrs = {"Authorization": "Bearer " + d.token,
                "Content-Type": "application/json"}
        try:
            for k in range(count):
                who = users[(i * 7919 + k) % len(users)]
                conn.request("POST", "/api/v1/users/%s/audio-conferencing/"
                             "send-conference-info" % who, body=b"{}",
                             headers=hdrs)
                r = conn.getresponse()
                body = r.read()
                if r.status != 202:
                    errors.append("%d %s" % (r.status, body[:200]))
                    return
        except Exception as e:  # reported below
            errors.append(repr(e))
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, args=(i, c))
               for i, c in enumerate(per)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.monotonic() - t0
    if errors:
        sys.exit("bench mail: filling the outbox failed: %s" % errors[0])
    return took


def cpu_seconds(pid):
    """utime + stime of a process so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_count(smtp, d, n, timeout):
    """When the Maildir holds n messages. Scanning a folder of thousands of
    files costs milliseconds of this machine's CPU, which the daemon and
    the server need: every 100 ms while far from n, every 10 ms near it."""
    deadline = time.monotonic() + timeout
    new = os.path.join(smtp.maildir, "new")
    while True:
        c = sum(1 for _ in os.scandir(new))
        if c >= n:
            return time.monotonic()
        if time.monotonic() > deadline:
            sys.exit("bench mail: %d of %d emails arrived within %.0f s\n%s"
                     % (c, n, timeout, d.log_tail()))
        time.sleep(0.1 if c < 0.95 * n else 0.01)


def split_envelope(raw):
    """smtp_handlers.Recorder put X-Envelope-From/-To in front."""
    mail_from = rcpt = None
    while raw.startswith(b"X-Envelope-"):
        line, _, raw = raw.partition(b"\r\n")
        key, _, value = line.partition(b": ")
        if key == b"X-Envelope-From":
            mail_from = value.decode()
        elif key == b"X-Envelope-To":
            rcpt = value.decode()
    return mail_from, rcpt, raw


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: bench/mail.py PATH/TO/dialconf [N]")
    harness.DIALCONF = os.path.abspath(sys.argv[1])
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 10000

    smtp = harness.SmtpServer(running=False, reject_prefix=None, quiet=True)
    d = harness.Daemon(["--mail", smtp.url])
    try:
        d.start()
        for body in ({"emailRetryInitialSeconds": 1},
                     {"emailRetryMaxSeconds": 1}):
            d.ok("PATCH", "/api/v1/settings", body)
        d.ok("POST", "/api/v1/dial-in-numbers",
             {"number": "+14255550100", "type": "toll", "countryCode": "US",
              "city": "Redmond"}, expect=(201,))
        d.ok("POST", "/api/v1/dial-in-numbers",
             {"number": "+18005550199", "type": "tollFree",
              "countryCode": "US"}, expect=(201,))
        users = []
        for i in range(USERS):
            email = "user%03d@example.org" % i
            d.ok("POST", "/api/v1/users",
                 {"email": email, "displayName": "User Nümber %d" % i,
                  "sendEmail": False}, expect=(201,))
            users.append(email)

        d_parallel = d.ok("GET", "/api/v1/settings").get(
            "emailParallelConnections", "?")
        fill_s = fill(d, n, users)
        print("emails: %d" % n)
        print("fill_requests_per_s: %.0f /s" % (n / fill_s), flush=True)

        # Every row due (retries are 1 s apart), the server up, then the
        # daemon: the clock runs from its start.
        rc = d.stop()
        if rc != 0:
            sys.exit("bench mail: serve exited %r on SIGTERM\n%s"
                     % (rc, d.log_tail()))
        smtp.start()
        time.sleep(1.2)
        t0 = time.monotonic()
        sink0 = cpu_seconds(smtp.proc.pid)
        d.start()
        t1 = wait_count(smtp, d, n, DELIVERY_TIMEOUT)
        dialconf_s = t1 - t0
        sink_dc = (cpu_seconds(smtp.proc.pid) - sink0) / dialconf_s
        daemon_cpu = cpu_seconds(d.proc.pid) / dialconf_s
        time.sleep(1.0)  # a duplicate would show now
        got = smtp.count()
        if got != n:
            sys.exit("bench mail: %d emails queued, %d arrived" % (n, got))
        d.close()

        # The same messages, as the daemon sent them, through smtplib.
        msgs = []
        ids = set()
        for _, raw in smtp.raw_messages():
            mail_from, rcpt, data = split_envelope(raw)
            msgs.append((mail_from, rcpt, data))
            for line in data.split(b"\r\n\r\n", 1)[0].split(b"\r\n"):
                if line.lower().startswith(b"message-id:"):
                    ids.add(line)
        if len(ids) != n:
            sys.exit("bench mail: %d emails but %d distinct Message-IDs"
                     % (n, len(ids)))
        new = os.path.join(smtp.maildir, "new")
        os.rename(new, new + "-dialconf")
        os.mkdir(new)
        t0 = time.monotonic()
        sink0 = cpu_seconds(smtp.proc.pid)
        with smtplib.SMTP(smtp.host, smtp.port) as s:
            for mail_from, rcpt, data in msgs:
                s.sendmail(mail_from, [rcpt], data)
        smtplib_s = time.monotonic() - t0
        sink_py = (cpu_seconds(smtp.proc.pid) - sink0) / smtplib_s
        if smtp.count() != n:
            sys.exit("bench mail: smtplib sent %d, the server holds %d"
                     % (n, smtp.count()))

        a = n / dialconf_s
        b = n / smtplib_s
        print("# dialconf: emailParallelConnections %s (SMTP connections "
              "at once), SQLite; smtplib: one connection; load average %s"
              % (d_parallel, "%.1f %.1f %.1f" % os.getloadavg()))
        print("dialconf_seconds: %.2f s" % dialconf_s)
        print("smtplib_seconds: %.2f s" % smtplib_s)
        print("dialconf_emails_per_s: %.0f /s" % a)
        print("smtplib_emails_per_s: %.0f /s" % b)
        print("# the SMTP server's CPU: %.0f %% of a core while dialconf "
              "delivered (dialconf %.0f %%), %.0f %% while smtplib sent"
              % (100 * sink_dc, 100 * daemon_cpu, 100 * sink_py))
        print("ratio: %.2f" % (a / b))
    finally:
        d.cleanup()
        smtp.cleanup()
        harness.stop_all()
        if harness.LOG_DIR:
            import shutil
            shutil.rmtree(harness.LOG_DIR, ignore_errors=True)


if __name__ == "__main__":
    main()
