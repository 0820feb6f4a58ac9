"""Mail TLS (issue 14): STARTTLS cannot be stripped, credentials never shown.

`--mail smtp://HOST:PORT` must upgrade with STARTTLS before anything is
sent: a server that does not offer it (a plain relay, or a man in the
middle who removed the offer) gets no message, and the email stays pending
with the reason in GET /api/v1/outbox. `?tls=none` is the explicit opt-out
of a local relay; `?cafile=` trusts a private CA. Every server here is a
real aiosmtpd (harness.SmtpServer); the TLS one has a certificate made by
openssl for the test and refuses MAIL FROM before STARTTLS.
"""

import os
import subprocess
import tempfile
import time

from harness import DIALCONF, Daemon, SmtpServer, q

API = "/api/v1"
INFO = API + "/users/%s/audio-conferencing/send-conference-info"
ADA = "ada@example.org"
SECRET = "Sm7pPassw0rd-never-logged"
WAIT = 15.0


def queue_info(d):
    """A conference-info email to Ada; its outbox row."""
    d.ok("POST", API + "/users",
         {"email": ADA, "displayName": "Ada Lovelace",
          "audioConferencing": {"enabled": True}, "sendEmail": False},
         expect=(201,))
    d.ok("POST", INFO % q(ADA), expect=(202,))
    rows = d.ok("GET", API + "/outbox?limit=10")["emails"]
    assert len(rows) == 1, rows
    return rows[0]


def wait_row(d, row_id, pred, what, timeout=WAIT):
    deadline = time.monotonic() + timeout
    while True:
        rows = [e for e in d.ok("GET", API + "/outbox?limit=10")["emails"]
                if e["id"] == row_id]
        if rows and pred(rows[0]):
            return rows[0]
        if time.monotonic() > deadline:
            raise AssertionError("outbox row %s: %s not seen within %.0f s: "
                                 "%r" % (row_id, what, timeout, rows))
        time.sleep(0.1)


def with_credentials(url):
    """url with a user and password in it (smtp://user:pass@host...)."""
    scheme, rest = url.split("://", 1)
    return "%s://dialconf:%s@%s" % (scheme, SECRET, rest)


def assert_not_sent(d, smtp, reason_words):
    # Retries 1 s apart, so the restart below need not wait a minute.
    d.ok("PATCH", API + "/settings", {"emailRetryInitialSeconds": 1,
                                      "emailRetryMaxSeconds": 1})
    row = queue_info(d)
    row = wait_row(d, row["id"], lambda e: e["lastError"],
                   "a failed try with its reason")
    assert row["state"] == "pending", row
    for w in reason_words:
        assert w in row["lastError"], row
    assert smtp.count() == 0, "the server got %d message(s)" % smtp.count()
    return row


def restart_with(d, url):
    d.stop()
    d.extra_args = ["--mail", url]
    d.start()


def assert_delivered(d, smtp, row):
    wait_row(d, row["id"], lambda e: e["state"] == "sent", "sent")
    msgs = smtp.wait_messages(1, to=ADA)
    assert len(msgs) == 1, msgs
    assert msgs[0]["Message-ID"].strip("<> ") == \
        row["messageId"].strip("<> ")


def test_no_starttls_no_message_until_opted_out():
    """A server that does not offer STARTTLS gets nothing, the credentials
    included; the reason is in the outbox, the password nowhere in the
    log. Restarted with `?tls=none` (the explicit opt-out of a local
    relay), the same email goes out."""
    with SmtpServer() as smtp, \
            Daemon(["--mail", with_credentials(smtp.base_url)]) as d:
        row = assert_not_sent(d, smtp, ["STARTTLS", "nothing sent"])
        assert row["attempts"] >= 1, row
        # What the daemon printed (not the harness's command line header).
        log = d.log_text()
        assert SECRET not in log, "the SMTP password is in the log"
        assert "STARTTLS" in log, "no log line says why:\n" + d.log_tail()
        assert smtp.url.endswith("?tls=none")
        restart_with(d, smtp.url)
        assert_delivered(d, smtp, row)


def test_starttls_checks_certificate_then_delivers():
    """A server that offers STARTTLS (and refuses mail without it) gets
    nothing while its certificate is not trusted, and the message over TLS
    once it is (`?cafile=`)."""
    with SmtpServer(tls=True) as smtp, \
            Daemon(["--mail", smtp.base_url]) as d:
        row = assert_not_sent(d, smtp, ["certificate", "nothing sent"])
        restart_with(d, smtp.url)
        assert_delivered(d, smtp, row)
        log = open(smtp.log_path).read()
        assert "DATA from" in log, log


def serve_refused(url):
    """dialconf serve with --mail url: its exit status and stderr."""
    with tempfile.TemporaryDirectory() as tmp:
        p = subprocess.run([DIALCONF, "serve", "--data", tmp, "--http",
                            "127.0.0.1:1", "--mail", url],
                           capture_output=True, text=True, timeout=30,
                           stdin=subprocess.DEVNULL)
    return p.returncode, p.stderr


def test_bad_mail_url_refused_without_password():
    """Unknown options, tls=none on smtps://, a relative CA file: refused
    at start, and the error shows the URL without its password."""
    for url in ("smtp://dialconf:%s@127.0.0.1:25?tls=maybe" % SECRET,
                "smtps://dialconf:%s@127.0.0.1:465?tls=none" % SECRET,
                "smtp://127.0.0.1:25?cafile=relative.pem",
                "smtp://127.0.0.1:25?bogus=1"):
        rc, err = serve_refused(url)
        assert rc != 0, "serve accepted --mail %s" % url
        assert "--mail wants" in err, err
        assert SECRET not in err, err
        if "dialconf:" in url:
            assert "***@127.0.0.1" in err, err
