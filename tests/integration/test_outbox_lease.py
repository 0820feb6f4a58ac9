"""Outbox leases that hold (issue 14): a slow SMTP server, two nodes, a kill.

A worker claims a batch of emails under a lease; before each message it
renews the lease (so a batch may take longer than the lease without anyone
else taking its rows), and it marks each message sent as soon as the server
took it. What a user would notice is counted at a real aiosmtpd that
answers every DATA late: how many copies of each Message-ID arrived.

The two-node test needs PostgreSQL (DIALCONF_TEST_PG_URL) and runs once,
in the SQLite suite (tests/run-all leaves this file out of the PostgreSQL
suite); the kill test is about SQLite's restart, where every lease found
at start belongs to the dead process.
"""

import collections
import signal
import time
from datetime import datetime, timedelta, timezone

from harness import Daemon, PgDatabase, SmtpServer, describe_mails

API = "/api/v1"
WAIT = 60.0


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def invite(d, n, organizer="org@example.org"):
    """A meeting with n attendees: n + 1 invitations queued in one commit,
    so one claim takes them all. Returns the meeting."""
    if not any(u["email"] == organizer for u in d.all_users()):
        d.ok("POST", API + "/users",
             {"email": organizer, "displayName": "Organizer",
              "audioConferencing": {"enabled": True}, "sendEmail": False},
             expect=(201,))
    start = datetime.now(timezone.utc) + timedelta(days=1)
    return d.ok("POST", API + "/meetings",
                {"organizer": organizer, "subject": "Lease check",
                 "start": iso(start), "end": iso(start + timedelta(hours=1)),
                 "attendees": ["guest%d@example.org" % i for i in range(n)]},
                expect=(201,))


def outbox_rows(d):
    return d.ok("GET", API + "/outbox?limit=1000")["emails"]


def wait_all_sent(d, n, timeout=WAIT):
    deadline = time.monotonic() + timeout
    while True:
        rows = outbox_rows(d)
        if len(rows) >= n and all(r["state"] == "sent" for r in rows):
            return rows
        if time.monotonic() > deadline:
            raise AssertionError("outbox not all sent within %.0f s: %s" % (
                timeout, [(r["id"], r["state"], r["lastError"])
                          for r in rows]))
        time.sleep(0.2)


def copies(smtp):
    """How many times each Message-ID arrived at the server."""
    return collections.Counter(str(m["Message-ID"]).strip()
                               for m in smtp.messages())


def test_slow_server_two_nodes_no_duplicate():
    """A batch that outlives its lease on a slow server: the other node
    does not send it again (the lease is renewed before each message)."""
    pg = PgDatabase()
    try:
        with SmtpServer(delay=0.6, quiet=True) as smtp, \
                Daemon(["--mail", smtp.url], db=pg.url) as a, \
                Daemon(["--mail", smtp.url], db=pg.url) as b:
            # A lease of 2 x 2 s; 10 messages of 0.6 s each, claimed at
            # once: the batch takes half as long again as the lease.
            a.ok("PATCH", API + "/settings", {"emailSendTimeoutSeconds": 2})
            invite(a, 9)
            rows = wait_all_sent(b, 10)
            time.sleep(1.0)  # time for a second copy to show
            got = copies(smtp)
            assert set(got) == {r["messageId"] for r in rows}, \
                describe_mails(smtp.messages())
            dups = {m: c for m, c in got.items() if c > 1}
            assert not dups, "delivered more than once: %s" % dups
            assert max(r["attempts"] for r in rows) == 1, rows
    finally:
        pg.drop()


def test_kill_mid_batch_resends_at_most_the_one_in_flight():
    """SIGKILL while a batch of 11 goes out one by one: after the restart
    every email arrives, and only the message in flight may arrive twice
    (with the same Message-ID)."""
    with SmtpServer(delay=0.25, quiet=True) as smtp, \
            Daemon(["--mail", smtp.url], db="sqlite:") as d:
        invite(d, 10)
        deadline = time.monotonic() + WAIT
        while smtp.count() < 3:
            assert time.monotonic() < deadline, "no mail arrived"
            time.sleep(0.02)
        d.stop(signal.SIGKILL)
        d.start()
        rows = wait_all_sent(d, 11)
        time.sleep(1.0)
        got = copies(smtp)
        assert set(got) == {r["messageId"] for r in rows}, \
            describe_mails(smtp.messages())
        twice = {m: c for m, c in got.items() if c > 1}
        assert len(twice) <= 1 and max(got.values()) <= 2, \
            "a kill sent %d emails again: %s" % (len(twice), twice)


def peers(smtp):
    """The client address:port each message came from: one per connection."""
    return {str(m["X-Envelope-Peer"]) for m in smtp.messages()}


def test_backlog_goes_over_several_connections_each_email_once():
    """emailParallelConnections (issue 18): a backlog larger than one claim
    goes out over several SMTP connections at once, with one connection
    when the setting says 1; each email arrives exactly once, at its first
    attempt."""
    with SmtpServer(delay=0.05, quiet=True) as smtp, \
            Daemon(["--mail", smtp.url]) as d:
        d.ok("PATCH", API + "/settings", {"emailParallelConnections": 1})
        invite(d, 39)
        wait_all_sent(d, 40)
        assert len(peers(smtp)) == 1, peers(smtp)

        d.ok("PATCH", API + "/settings", {"emailParallelConnections": 4})
        invite(d, 59, organizer="org2@example.org")
        rows = wait_all_sent(d, 100)
        time.sleep(0.5)  # time for a second copy to show
        got = copies(smtp)
        assert set(got) == {r["messageId"] for r in rows}, \
            describe_mails(smtp.messages())
        assert max(got.values()) == 1, \
            {m: c for m, c in got.items() if c > 1}
        assert max(r["attempts"] for r in rows) == 1, rows
        assert len(peers(smtp)) >= 2, \
            "a backlog of 60 went over one connection: %s" % peers(smtp)
