"""Fault loop (issue 14): SIGKILL a node at random moments under load.

One node (SQLite, or PostgreSQL with DIALCONF_TEST_DB=postgres) takes a
mixed load on three keep-alive connections: conference ID resets, PIN
resets, conference-info emails, meetings scheduled and cancelled, every
email going to a real aiosmtpd that answers each DATA late, so the outbox
worker is often in the middle of a delivery; beside them SIP callers, each
from an address of its own, dial in and key a user's live ID. At a random moment the node
is killed with SIGKILL and started again, DIALCONF_FAULT_KILLS times in a
row (default 5 on SQLite, 3 on PostgreSQL). After each restart:

- the database is consistent: PRAGMA integrity_check (SQLite), and on
  both: no live conference ID held twice, every enabled user exactly one
  live personal ID, no settled email still carrying a claim;
- no revoked ID is accepted: every ID an acknowledged reset replaced and
  every cancelled meeting's ID resolves as revoked (GET conference-ids),
  and a caller who keys one of them is refused by the attendant;
- no acknowledged email is lost: once the outbox has drained, every
  outbox row was sent and its Message-ID is at the server; every
  acknowledged conference-info request (each to an address of its own)
  and every acknowledged reset (its new ID in the subject) has its email;
  each kind has at least as many rows as acknowledged requests;
- at most MAIL_CONNECTIONS emails were sent twice per kill (one message in
  flight on each of the outbox's SMTP connections: the sink is slow enough
  that each accepted message is marked sent before the next goes), a
  second copy with the same Message-ID.

DIALCONF_FAULT_SEED repeats a run's random choices (printed in the log).
"""

import collections
import http.client
import json
import os
import random
import re
import signal
import sqlite3
import threading
import time
from datetime import datetime, timedelta, timezone

from harness import PG_ALL, Daemon, SmtpServer, q
from sipkit import NUMBER, RawSip, calls, mask

API = "/api/v1"
USERS = 6
THREADS = 3
SINK_DELAY = 0.05       # each DATA answered this late
MAIL_CONNECTIONS = 4    # emailParallelConnections' default
DRAIN_WAIT = 60.0
SUBJECT_RE = re.compile(r"Your new conference ID: *([0-9]{7})")
MSGID_RE = re.compile(r"dialconf\.([0-9]+)\.([0-9a-f]+)@")


def kills():
    n = os.environ.get("DIALCONF_FAULT_KILLS", "")
    return int(n) if n else (3 if PG_ALL else 5)


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


class Conn:
    """A keep-alive connection to the node's port of the moment."""

    def __init__(self, d):
        self.d = d
        self.c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=10)

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        hdrs = {"Authorization": "Bearer " + self.d.token}
        if data is not None:
            hdrs["Content-Type"] = "application/json"
        self.c.request(method, path, body=data, headers=hdrs)
        r = self.c.getresponse()
        raw = r.read()
        return r.status, (json.loads(raw) if raw else None)

    def close(self):
        self.c.close()


class Load:
    """What the load asked for and what was acknowledged (answered 2xx)."""

    def __init__(self, d, users, rng):
        self.d = d
        self.users = users
        self.rng = rng
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.seq = 0
        self.info_to = []          # acknowledged conference-info addresses
        self.resets = []           # (user, new ID, previous ID)
        self.acked = collections.Counter()  # outbox kind -> requests
        self.meetings = []         # live meeting ids
        self.revoked = set()       # IDs that must resolve as revoked
        self.cycle_revoked = set()
        self.unknown = 0           # requests cut off by the kill
        self.errors = []           # answers no request should get
        self.answered = 0          # requests acknowledged
        self.live = {}             # user -> live ID as last acknowledged
        self.calls = 0             # calls that keyed an ID
        self.threads = []

    def op(self, conn, rng):
        user = rng.choice(self.users)
        kind = rng.random()
        if kind < 0.3:
            with self.lock:
                self.seq += 1
                to = "info-%d@example.org" % self.seq
            st, body = conn.call("POST", API + "/users/%s/audio-conferencing/"
                                 "send-conference-info" % q(user), {"to": to})
            if st == 202:
                with self.lock:
                    self.info_to.append(to)
                    self.acked["conference-info"] += 1
        elif kind < 0.55:
            st, body = conn.call("POST", API + "/users/%s/audio-conferencing/"
                                 "reset-conference-id" % q(user), {})
            if st == 200:
                with self.lock:
                    self.resets.append((user, body["conferenceId"],
                                        body["previousConferenceId"]))
                    self.live[user] = body["conferenceId"]
                    self.cycle_revoked.add(body["previousConferenceId"])
                    self.acked["conference-id-reset"] += 1
        elif kind < 0.75:
            st, body = conn.call("POST", API + "/users/%s/audio-conferencing/"
                                 "reset-pin" % q(user), {})
            if st == 200:
                with self.lock:
                    self.acked["pin-reset"] += 1
        elif kind < 0.9:
            start = datetime.now(timezone.utc) + timedelta(days=2)
            st, body = conn.call("POST", API + "/meetings", {
                "organizer": user, "subject": "Fault loop",
                "start": iso(start), "end": iso(start + timedelta(hours=1)),
                "attendees": ["guest@example.org"]})
            if st == 201:
                with self.lock:
                    self.meetings.append(body["id"])
        else:
            with self.lock:
                mid = self.meetings.pop() if self.meetings else None
            if mid is None:
                return
            st, body = conn.call("DELETE", API + "/meetings/" + mid)
            if st == 200:
                with self.lock:
                    self.cycle_revoked.add(body["conferenceId"])
        with self.lock:
            if st >= 300:
                self.errors.append((st, body))
            else:
                self.answered += 1

    def run(self, seed):
        rng = random.Random(seed)
        conn = None
        while not self.stop.is_set():
            try:
                if conn is None:
                    conn = Conn(self.d)
                self.op(conn, rng)
            except (OSError, http.client.HTTPException, ValueError):
                # The node died under this request: its outcome is unknown.
                with self.lock:
                    self.unknown += 1
                if conn:
                    conn.close()
                conn = None
                time.sleep(0.05)
            time.sleep(0.02)
        if conn:
            conn.close()

    def caller(self, seed):
        """Callers beside the requests, each from a loopback address of its
        own (the guard counts per address): dial in, key a user's live ID,
        hang up. A call the kill cuts off is no error."""
        rng = random.Random(seed)
        while not self.stop.is_set():
            with self.lock:
                self.seq += 1
                n = self.seq
                conf = self.live.get(rng.choice(self.users))
            s = None
            try:
                s = RawSip(self.d, "+1555%07d" % n,
                           ip="127.1.%d.%d" % (n // 250 % 250, 1 + n % 250))
                if conf and s.invite(NUMBER)[0] == 200:
                    s.keys(conf + "#")
                    time.sleep(rng.uniform(0.1, 0.4))
                    s.bye(timeout=1.0)
                    with self.lock:
                        self.calls += 1
            except (OSError, AssertionError, ValueError):
                pass  # the node died under the call
            finally:
                if s:
                    s.sock.close()
                    s.rtp.close()
            time.sleep(0.1)

    def start(self):
        self.stop.clear()
        self.threads = [threading.Thread(target=self.run,
                                         args=(self.rng.random(),),
                                         daemon=True)
                        for _ in range(THREADS)]
        self.threads.append(threading.Thread(target=self.caller,
                                             args=(self.rng.random(),),
                                             daemon=True))
        for t in self.threads:
            t.start()

    def halt(self):
        self.stop.set()
        for t in self.threads:
            t.join(30)
        assert not self.errors, "refused requests: %s" % self.errors[:5]


# -- checks ---------------------------------------------------------------

def sql(d, text):
    """Rows of a query straight in the node's database (read only)."""
    if d.pg:
        return [tuple(r) for r in d.pg.sql(text)]
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(d.data_dir,
                                                          "dialconf.db"),
                         uri=True, timeout=10)
    try:
        return [tuple(str(v) for v in r) for r in db.execute(text)]
    finally:
        db.close()


def check_database(d):
    if not d.pg:
        ok = sql(d, "PRAGMA integrity_check")
        assert ok == [("ok",)], "integrity_check: %s" % ok[:5]
    dup = sql(d, "SELECT value, count(*) FROM conference_ids WHERE "
              "revoked_at IS NULL GROUP BY value HAVING count(*) > 1")
    assert not dup, "live conference IDs held twice: %s" % dup
    bad = sql(d, "SELECT u.email, count(c.value) FROM users u LEFT JOIN "
              "conference_ids c ON c.user_id = u.id AND c.kind = 'personal' "
              "AND c.revoked_at IS NULL GROUP BY u.email "
              "HAVING count(c.value) <> 1")
    assert not bad, "users without exactly one live personal ID: %s" % bad
    held = sql(d, "SELECT id FROM outbox WHERE state <> 'pending' "
               "AND claim_token IS NOT NULL")
    assert not held, "settled emails still claimed: %s" % held


def check_revoked(d, ids):
    for v in sorted(ids):
        got = d.lookup(v)
        assert got["state"] == "revoked", "revoked ID %s resolves: %r" % (
            v, got)


def check_revoked_by_phone(d, ids, k):
    """A caller who keys a revoked ID is refused: the attendant counts the
    failure against the caller and never resolves the call to it."""
    if not ids:
        return
    revoked = sorted(ids)[0]
    user = "+1555990%04d" % k
    s = RawSip(d, user, ip="127.2.0.%d" % (1 + k % 250))
    try:
        assert s.invite(NUMBER)[0] == 200, "a caller was not answered"
        s.keys(revoked + "#")
        deadline = time.monotonic() + 10
        while not any(a["action"] == "dialin.failure" and
                      a["target"] == mask(user) for a in d.audit(100)):
            assert time.monotonic() < deadline, \
                "the revoked ID %s was not refused by phone" % revoked
            time.sleep(0.1)
        c = [c for c in calls(d) if c["caller"] == mask(user)]
        assert not c or c[0].get("conferenceId") in (None, ""), c
        s.bye(timeout=1.0)
    finally:
        s.sock.close()
        s.rtp.close()


def outbox_rows(d):
    """(id, kind, state, token) of every row, straight in the database."""
    return sql(d, "SELECT id, kind, state, token FROM outbox")


def wait_drained(d, timeout=DRAIN_WAIT):
    deadline = time.monotonic() + timeout
    while True:
        rows = outbox_rows(d)
        if all(r[2] == "sent" for r in rows):
            return rows
        if time.monotonic() > deadline:
            left = collections.Counter(r[2] for r in rows)
            raise AssertionError("outbox not drained within %.0f s: %s\n%s"
                                 % (timeout, dict(left), d.log_tail()))
        time.sleep(0.2)


def sink_copies(smtp):
    """Message-ID -> copies, envelope recipients, reset subjects."""
    copies = collections.Counter()
    rcpts, new_ids = set(), set()
    for m in smtp.messages():
        copies[str(m["Message-ID"]).strip()] += 1
        for a in str(m["X-Envelope-To"]).split(","):
            rcpts.add(a.strip().lower())
        s = SUBJECT_RE.search(str(m.get("Subject", "")))
        if s:
            new_ids.add(s.group(1))
    return copies, rcpts, new_ids


def check_emails(d, smtp, load, kills_so_far, resent_before):
    rows = wait_drained(d)
    deadline = time.monotonic() + 10
    while True:  # the last message may still be on its way to the Maildir
        copies, rcpts, new_ids = sink_copies(smtp)
        at_sink = {(int(m.group(1)), m.group(2)) for m in
                   (MSGID_RE.search(k) for k in copies) if m}
        lost = [r for r in rows if (int(r[0]), r[3]) not in at_sink]
        if not lost or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert not lost, "%d sent emails never reached the server: %s" % (
        len(lost), lost[:5])
    kinds = collections.Counter(r[1] for r in rows)
    for kind, n in load.acked.items():
        assert kinds[kind] >= n, "%d %s emails for %d acknowledged " \
            "requests" % (kinds[kind], kind, n)
    missing = [t for t in load.info_to if t not in rcpts]
    assert not missing, "acknowledged info emails lost: %s" % missing[:5]
    missing = [n for _, n, _ in load.resets if n not in new_ids]
    assert not missing, "acknowledged reset emails lost: %s" % missing[:5]
    resent = sum(c - 1 for c in copies.values())
    assert resent - resent_before <= MAIL_CONNECTIONS, \
        "one kill sent %d emails again: %s" % (
            resent - resent_before,
            {k: c for k, c in copies.items() if c > 1})
    assert max(copies.values(), default=1) <= 1 + kills_so_far
    assert resent <= kills_so_far * MAIL_CONNECTIONS
    return len(rows), resent


def test_fault_loop_sigkill_under_mixed_load():
    n_kills = kills()
    seed = int(os.environ.get("DIALCONF_FAULT_SEED", "0")) or \
        random.randrange(1, 2 ** 31)
    rng = random.Random(seed)
    print("# fault loop: %d kills, seed %d (DIALCONF_FAULT_SEED)"
          % (n_kills, seed))
    with SmtpServer(delay=SINK_DELAY, quiet=True) as smtp, \
            Daemon(["--mail", smtp.url]) as d:
        # A killed PostgreSQL node's lease ends after 2 x 2 s.
        d.ok("PATCH", API + "/settings", {"emailSendTimeoutSeconds": 2,
                                          "emailRetryInitialSeconds": 1,
                                          "emailRetryMaxSeconds": 2})
        d.ok("POST", API + "/dial-in-numbers",
             {"number": NUMBER, "type": "toll", "countryCode": "US"},
             expect=(201,))
        users = ["fault%d@example.org" % i for i in range(USERS)]
        for u in users:
            d.ok("POST", API + "/users",
                 {"email": u, "displayName": "Fault %s" % u[5],
                  "audioConferencing": {"enabled": True},
                  "sendEmail": False}, expect=(201,))
        load = Load(d, users, rng)
        load.live = {u: d.user(u)["audioConferencing"]["conferenceId"]
                     for u in users}
        resent, emails = 0, 0
        for k in range(1, n_kills + 1):
            load.start()
            time.sleep(rng.uniform(0.3, 1.2))
            d.stop(signal.SIGKILL)
            load.halt()
            d.start()
            check_database(d)
            check_revoked(d, load.cycle_revoked)
            check_revoked_by_phone(d, load.cycle_revoked, k)
            load.revoked |= load.cycle_revoked
            load.cycle_revoked = set()
            emails, resent = check_emails(d, smtp, load, k, resent)
            print("# kill %d: %d emails so far, %d sent twice, %d requests "
                  "cut off" % (k, emails, resent, load.unknown))
        print("# fault loop done: %d kills, %d requests acknowledged, "
              "%d calls, %d emails, %d sent twice, %d revoked IDs checked"
              % (n_kills, load.answered, load.calls, emails, resent,
                 len(load.revoked)))
