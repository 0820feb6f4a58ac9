"""Backups that were tried (issue 19): a busy node is backed up while it
writes, the copy is restored into a fresh data directory (SQLite:
`dialconf admin backup` / `restore`; PostgreSQL: pg_dump -Fc / pg_restore
into a new database, as docs/operations.md says), a fresh serve starts on
it, and everything an administrator had before the backup is there:
users, live conference IDs, PIN hashes (the PIN still opens the
conference, keyed by a SIP caller), meetings, the emails still pending;
and IDs revoked before the backup stay refused."""

import os
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import harness
from harness import Daemon, PgDatabase, free_port, need_pg, psql
from sipkit import NUMBER, RawSip, calls, mask, wait_call

QUIET = ["ada", "grace", "alan"]  # untouched while busy
BUSY = ["ken", "dennis"]                    # reset over and over
ORG = "@example.org"
BUSY_WAIT = 15.0  # at most, for the first writes before the backup



def once():
    """These tests pick their database themselves (SQLite and
    PostgreSQL both, in the first pass of tests/run-all): the pass with
    every daemon on PostgreSQL would repeat them."""
    if harness.PG_ALL:
        raise harness.Skip("ran in the first pass, on both databases")

def run(argv, timeout=60):
    p = subprocess.run(argv, capture_output=True, text=True,
                       timeout=timeout, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout, p.stderr


def admin(verb, data, file, db=None):
    argv = [harness.DIALCONF, "admin", verb, "--data", data]
    if db:
        argv += ["--db", db]
    return run(argv + [file])


def blackhole():
    """An SMTP URL nothing listens on: every email stays pending."""
    return "smtp://127.0.0.1:%d" % free_port()


def base_world(d):
    """What must survive: a number, users with PINs, IDs revoked by
    resets, meetings, emails pending. Returns what the checks compare."""
    d.ok("POST", "/api/v1/dial-in-numbers",
         {"number": NUMBER, "type": "toll", "countryCode": "US",
          "city": "Redmond", "languages": ["en-US"]}, expect=(201,))
    w = {"pins": {}, "revoked": [], "meetings": []}
    # Each user costs a PIN hash (argon2): made side by side.
    with ThreadPoolExecutor(3) as ex:
        list(ex.map(lambda n: d.create_user(n + ORG, n.title()),
                    QUIET + BUSY))
    for name in QUIET[:2]:
        old = d.user(name + ORG)["audioConferencing"]["conferenceId"]
        d.ok("POST", "/api/v1/users/%s%s/audio-conferencing/"
             "reset-conference-id" % (name, ORG), {"sendEmail": True})
        w["revoked"].append(old)
    w["pins"]["ada"] = d.ok(
        "POST", "/api/v1/users/ada%s/audio-conferencing/reset-pin" % ORG,
        {"sendEmail": True})["pin"]
    start = time.gmtime(time.time() + 86400)
    end = time.gmtime(time.time() + 90000)
    for i, name in enumerate(QUIET[:3]):
        m = d.ok("POST", "/api/v1/meetings",
                 {"organizer": name + ORG, "subject": "Review %d" % i,
                  "start": time.strftime("%Y-%m-%dT%H:%M:%SZ", start),
                  "end": time.strftime("%Y-%m-%dT%H:%M:%SZ", end),
                  "attendees": ["guest%d@example.net" % i]}, expect=(201,))
        w["meetings"].append(m)
    cancelled = d.ok("DELETE", "/api/v1/meetings/" + w["meetings"][2]["id"])
    w["meetings"][2] = cancelled
    w["revoked"].append(cancelled["conferenceId"])
    w["users"] = {u["email"]: u for u in d.all_users()}
    w["pending"] = pending(d)
    assert len(w["pending"]) >= 8, w["pending"]
    return w


def pending(d):
    """The pending emails, by id: what the admin sees of each."""
    rows = d.ok("GET", "/api/v1/outbox?state=pending&limit=1000")["emails"]
    return {e["id"]: (e["kind"], e["to"], e["subject"], e["createdAt"])
            for e in rows}


class Busy(threading.Thread):
    """Resets, PIN resets, meetings and conference-info emails on one of
    the BUSY users, as fast as the node takes them, until stop(). spans:
    (start, end) of each write, monotonic seconds."""

    def __init__(self, d, who):
        super().__init__(daemon=True)
        self.d = d
        self.who = who
        self.spans = []
        self.error = None
        self.halt = threading.Event()

    def step(self, i):
        u = "/api/v1/users/%s%s/audio-conferencing/" % (self.who, ORG)
        op = i % 4
        if op == 0:
            self.d.ok("POST", u + "reset-conference-id", {"sendEmail": True})
        elif op == 1:
            self.d.ok("POST", u + "reset-pin", {"sendEmail": True})
        elif op == 2:
            self.d.ok("POST", u + "send-conference-info", expect=(202,))
        else:
            t = time.time() + 7200
            self.d.ok("POST", "/api/v1/meetings",
                      {"organizer": self.who + ORG,
                       "subject": "Busy %d" % i,
                       "start": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                              time.gmtime(t)),
                       "end": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                            time.gmtime(t + 1800))},
                      expect=(201,))

    def run(self):
        i = 0
        try:
            while not self.halt.is_set():
                t0 = time.monotonic()
                self.step(i)
                self.spans.append((t0, time.monotonic()))
                i += 1
        except Exception as e:  # reported by stop()
            self.error = e

    def stop(self):
        self.halt.set()
        self.join(30)
        assert self.error is None, "busy thread: %r" % self.error


def busy_backup(d, take):
    """Run take() (the backup) while one thread per BUSY user writes.
    Returns (writes done before it, writes in flight during it, writes in
    all); asserts that some were in flight."""
    bs = [Busy(d, who) for who in BUSY]
    for b in bs:
        b.start()
    deadline = time.monotonic() + BUSY_WAIT
    while time.monotonic() < deadline and \
            sum(len(b.spans) for b in bs) < 4:
        time.sleep(0.05)
    t0 = time.monotonic()
    take()
    t1 = time.monotonic()
    time.sleep(0.3)
    for b in bs:
        b.stop()
    spans = [s for b in bs for s in b.spans]
    before = sum(1 for s in spans if s[1] < t0)
    during = sum(1 for s in spans if s[0] < t1 and s[1] > t0)
    assert before >= 1, "the node was not busy before the backup"
    assert during >= 1, "no write was in flight during the backup"
    return before, during, len(spans)


def check_prefix(backup, source):
    """backup and source: (audit rows, conference_ids rows) of the copy and
    of the source node after it stopped. The copy is one moment of the
    source: the audit log up to some entry, and the ID history up to some
    row, with revocations made later still to come."""
    audit_b, ids_b = backup
    audit_s, ids_s = source
    assert audit_b == audit_s[:len(audit_b)], "the backup's audit log is " \
        "not a prefix of the node's"
    assert len(ids_b) <= len(ids_s)
    for b, s in zip(ids_b, ids_s):
        # row, value, kind, user_id, meeting_id, issued_at, revoked_at
        assert b[:6] == s[:6], (b, s)
        assert b[6] is None or b[6] == s[6], (b, s)
    live = {}
    for b in ids_b:
        if b[6] is None and b[2] == "personal":
            assert b[3] not in live, "two live personal IDs: %r" % (b,)
            live[b[3]] = b


AUDIT_SQL = ("SELECT id, at, actor, action, target, detail FROM audit "
             "ORDER BY id")
IDS_SQL = ("SELECT row, value, kind, user_id, meeting_id, issued_at, "
           "revoked_at FROM conference_ids ORDER BY row")


def sqlite_rows(path):
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        return ([tuple(r) for r in db.execute(AUDIT_SQL)],
                [tuple(r) for r in db.execute(IDS_SQL)])
    finally:
        db.close()


def pg_rows(url):
    def norm(rows):
        return [tuple(None if v == "" else
                      int(v) if v.lstrip("-").isdigit() else v for v in r)
                for r in rows]
    return (norm(psql(url, AUDIT_SQL.replace("detail", "detail::text"))),
            norm(psql(url, IDS_SQL)))


def check_restored(r, w, hashes_before, hashes_after):
    """r: the fresh node on the restored database; w: base_world()."""
    users = {u["email"]: u for u in r.all_users()}
    assert set(users) == set(w["users"]), (sorted(users), sorted(w["users"]))
    for email in (n + ORG for n in QUIET):
        assert users[email] == w["users"][email], (users[email],
                                                   w["users"][email])
    for email in (n + ORG for n in BUSY):
        assert users[email]["audioConferencing"]["conferenceId"], \
            users[email]
    for name in QUIET:
        assert hashes_after[name] == hashes_before[name], name
    for old in w["revoked"]:
        got = r.lookup(old)
        assert got["state"] == "revoked", got
    for u in users.values():
        live = r.lookup(u["audioConferencing"]["conferenceId"])
        assert live["state"] == "live" and live["user"]["email"] == \
            u["email"], live
    for m in w["meetings"]:
        got = r.ok("GET", "/api/v1/meetings/" + m["id"])
        assert got == m, (got, m)
    now_pending = pending(r)
    lost = {k: v for k, v in w["pending"].items() if k not in now_pending}
    assert not lost, "pending emails lost by the restore: %r" % lost


def sip_check(r, w):
    """A caller keys an ID revoked before the backup (refused), then Ada's
    live ID and her PIN (set before the backup): she opens it."""
    ada = r.user("ada" + ORG)["audioConferencing"]["conferenceId"]
    s = RawSip(r, "+15557770000")
    try:
        status, _ = s.invite(NUMBER)
        assert status == 200, status
        s.keys(w["revoked"][0] + "#")
        deadline = time.monotonic() + 10
        while not any(a["action"] == "dialin.failure" for a in r.audit()):
            assert time.monotonic() < deadline, \
                "the revoked ID %s was not refused" % w["revoked"][0]
            time.sleep(0.1)
        c = [c for c in calls(r) if c["caller"] == mask("+15557770000")]
        assert c and c[0].get("conferenceId") in (None, ""), c
        s.keys(ada + "#")
        wait_call(r, mask("+15557770000"),
                  lambda c: c["conferenceId"] == ada, "resolved")
        s.keys("*")
        wait_call(r, mask("+15557770000"),
                  lambda c: c["state"] == "organizer-pin", "organizer-pin")
        s.keys(w["pins"]["ada"] + "#")
        wait_call(r, mask("+15557770000"),
                  lambda c: c["state"] == "in-conference", "in-conference")
        s.bye()
    finally:
        s.sock.close()
        s.rtp.close()


def sqlite_hashes(path):
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        return {e.split("@")[0]: h for e, h in
                db.execute("SELECT email, pin_hash FROM users")}
    finally:
        db.close()


def pg_hashes(url):
    return {e.split("@")[0]: h for e, h in
            psql(url, "SELECT email, pin_hash FROM users")}


def test_sqlite_backup_of_a_busy_node_restores_everything():
    once()
    src = Daemon(["--mail", blackhole()], db="sqlite:")
    tmp = tempfile.mkdtemp(prefix="dialconf-bk-")
    dst_dir = os.path.join(tmp, "restored")
    copy = os.path.join(tmp, "b.db")
    try:
        with src:
            src_db = os.path.join(src.data_dir, "dialconf.db")
            w = base_world(src)
            before = sqlite_hashes(src_db)
            out = []
            writes = busy_backup(src, lambda: out.append(
                admin("backup", src.data_dir, copy)))
            rc, so, se = out[0]
            assert rc == 0, (rc, so, se)
            assert os.stat(copy).st_mode & 0o077 == 0, \
                oct(os.stat(copy).st_mode)
            # Restoring under a running serve is refused, changes nothing.
            rc, so, se = admin("restore", src.data_dir, copy)
            assert rc == 1 and "in use" in se, (rc, so, se)
            src.user("ken" + ORG)
            assert src.stop() == 0
            source = sqlite_rows(src_db)
        rc, so, se = admin("restore", dst_dir, copy)
        assert rc == 0, (rc, so, se)
        dst_db = os.path.join(dst_dir, "dialconf.db")
        check_prefix(sqlite_rows(dst_db), source)
        after = sqlite_hashes(dst_db)
        r = Daemon(["--mail", blackhole()], db="sqlite:", data_dir=dst_dir)
        with r:
            check_restored(r, w, before, after)
            sip_check(r, w)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("# busy writes: %d before the backup, %d in flight during it, "
          "%d in all" % writes)


def test_sqlite_restore_refuses_what_is_no_dialconf_database():
    once()
    tmp = tempfile.mkdtemp(prefix="dialconf-restore-")
    junk = os.path.join(tmp, "junk.db")
    with open(junk, "w") as f:
        f.write("not a database\n")
    other = os.path.join(tmp, "other.db")
    db = sqlite3.connect(other)
    db.execute("CREATE TABLE t (x)")
    db.commit()
    db.close()
    data = os.path.join(tmp, "data")
    rc, so, se = run([harness.DIALCONF, "admin", "token", "--data", data])
    assert rc == 0, se
    for bad in (junk, other):
        rc, so, se = admin("restore", data, bad)
        assert rc == 1 and "not a dialconf database" in se, (rc, so, se)
    rc, so, se = admin("restore", data, os.path.join(tmp, "none.db"))
    assert rc == 1 and "No such file" in se, (rc, so, se)
    # The token made before is still there: nothing was replaced.
    n = sqlite3.connect(os.path.join(data, "dialconf.db")).execute(
        "SELECT count(*) FROM api_tokens").fetchone()[0]
    assert n == 1, n


def test_postgres_pg_dump_of_a_busy_node_restores_everything():
    once()
    need_pg()
    src_db = PgDatabase()
    dst_db = PgDatabase()
    dump = os.path.join(tempfile.mkdtemp(prefix="dialconf-bk-"), "b.dump")
    try:
        src = Daemon(["--mail", blackhole()], db=src_db.url)
        with src:
            w = base_world(src)
            before = pg_hashes(src_db.url)
            rc, so, se = admin("backup", src.data_dir, dump,
                               db=src_db.url)
            assert rc == 1 and "pg_dump" in se, (rc, so, se)
            # The commands of docs/operations.md, "Backups and upgrades".
            out = []
            writes = busy_backup(src, lambda: out.append(run(
                ["pg_dump", "-Fc", "-f", dump, "-d", src_db.url])))
            assert out[0][0] == 0, out[0]
            assert src.stop() == 0
            source = pg_rows(src_db.url)
        rc, so, se = run(["pg_restore", "--no-owner", "--exit-on-error",
                          "-d", dst_db.url, dump])
        assert rc == 0, (rc, so, se)
        check_prefix(pg_rows(dst_db.url), source)
        after = pg_hashes(dst_db.url)
        r = Daemon(["--mail", blackhole()], db=dst_db.url)
        with r:
            check_restored(r, w, before, after)
            sip_check(r, w)
        print("# busy writes: %d before the backup, %d in flight during "
              "it, %d in all" % writes)
    finally:
        src_db.drop()
        dst_db.drop()
