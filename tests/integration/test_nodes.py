"""Several nodes on one PostgreSQL (issue 8, SPEC §3 and §8).

Two `dialconf serve` processes share one fresh database on the server
DIALCONF_TEST_PG_URL names (tests/run-all starts a throwaway one); without
it every test here is skipped. Resets are driven at both nodes at once by
threads on keep-alive connections, as a load balancer in front of them
would; what they leave behind is checked through the API of both nodes and
with psql straight in the database.
"""

import http.client
import json
import queue
import re
import signal
import threading
import time

from harness import (Daemon, PgDatabase, SmtpServer, assert_confid,
                     describe_mails, q)

import test_sip as sip

API = "/api/v1"
RESET = API + "/users/%s/audio-conferencing/reset-conference-id"
SUBJECT_RE = re.compile(r"Your new conference ID: *([0-9]{7})")
MAIL_TIMEOUT = 90.0  # a node killed with rows leased: the lease (60 s) ends


class Client:
    """One keep-alive HTTP/1.1 connection to a node (to its port of the
    moment: a restarted node listens on a new one)."""

    def __init__(self, d):
        self.d = d
        self.conn = None

    def call(self, method, path, body=None):
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.d.port,
                                                   timeout=30)
        data = json.dumps(body).encode() if body is not None else None
        hdrs = {"Authorization": "Bearer " + self.d.token}
        if data is not None:
            hdrs["Content-Type"] = "application/json"
        try:
            self.conn.request(method, path, body=data, headers=hdrs)
            r = self.conn.getresponse()
            raw = r.read()
        except Exception:
            self.close()
            raise
        if (r.getheader("Connection") or "").lower() == "close":
            self.close()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw[:300]
        return r.status, parsed

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def parallel(fn, items, threads=16):
    """fn(item) for every item on threads; the results in order. Raises
    the first exception."""
    items = list(items)
    out = [None] * len(items)
    errs = []
    it = iter(range(len(items)))
    lock = threading.Lock()

    def run():
        while True:
            with lock:
                i = next(it, None)
            if i is None or errs:
                return
            try:
                out[i] = fn(items[i])
            except Exception as e:  # noqa: BLE001 - re-raised below
                errs.append(e)
                return

    ts = [threading.Thread(target=run) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errs:
        raise errs[0]
    return out


def make_users(nodes, n, prefix="user"):
    """n enabled users, created alternately on each node, without emails;
    returns their emails and their first conference IDs."""
    def create(i):
        d = nodes[i % len(nodes)]
        email = "%s%03d@example.org" % (prefix, i)
        u = d.ok("POST", API + "/users",
                 {"email": email, "displayName": "User %d" % i,
                  "audioConferencing": {"enabled": True},
                  "sendEmail": False}, expect=(201,))
        return email, u["audioConferencing"]["conferenceId"]
    pairs = parallel(create, range(n))
    return [e for e, _ in pairs], {e: c for e, c in pairs}


class Storm:
    """n resets of users (in turn) sent by threads_per_node threads to each
    node at once. A request whose connection breaks (its node was stopped)
    is noted as unknown, and that thread goes on with another node, as a
    load balancer would."""

    def __init__(self, nodes, users, n, threads_per_node=8, email=False):
        self.nodes = nodes
        self.tasks = queue.Queue()
        for i in range(n):
            self.tasks.put(users[i % len(users)])
        self.email = email
        self.acked = []    # (user email, new ID, previous ID, node index)
        self.unknown = []  # (user email, node index, error)
        self.refused = []  # (user email, node index, status, body)
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, args=(k,))
                        for k in range(threads_per_node * len(nodes))]
        self.started = None
        self.seconds = None

    def start(self):
        self.started = time.monotonic()
        for t in self.threads:
            t.start()
        return self

    def wait(self):
        for t in self.threads:
            t.join()
        self.seconds = time.monotonic() - self.started
        return self

    def run(self):
        return self.start().wait()

    def _run(self, k):
        ni = k % len(self.nodes)
        c = Client(self.nodes[ni])
        while True:
            try:
                user = self.tasks.get_nowait()
            except queue.Empty:
                c.close()
                return
            try:
                status, body = c.call("POST", RESET % q(user),
                                      {"sendEmail": self.email})
            except (OSError, http.client.HTTPException) as e:
                with self.lock:
                    self.unknown.append((user, ni, repr(e)))
                c.close()
                ni = (ni + 1) % len(self.nodes)
                c = Client(self.nodes[ni])
                continue
            with self.lock:
                if status == 200:
                    self.acked.append((user, body["conferenceId"],
                                       body["previousConferenceId"], ni))
                else:
                    self.refused.append((user, ni, status, body))

    def check_answers(self):
        assert not self.refused, "%d resets refused, e.g. %r" % (
            len(self.refused), self.refused[:5])
        new = [a[1] for a in self.acked]
        for v in new[:50]:
            assert_confid(v)
        dup = {v for v in new if new.count(v) > 1} if \
            len(set(new)) != len(new) else set()
        assert not dup, "the same new ID was issued twice: %s" % sorted(dup)
        per_node = [sum(1 for a in self.acked if a[3] == i)
                    for i in range(len(self.nodes))]
        assert all(per_node), "a node answered no reset: %s" % per_node
        return per_node


# -- what the database holds ---------------------------------------------------

ENABLED = "u.audio_enabled::text IN ('1', 'true', 't')"


def check_database(pg, users):
    """Straight in PostgreSQL: live IDs unique, every enabled user exactly
    one live personal ID, no live personal ID of anyone else."""
    dup = pg.sql("SELECT value, count(*) FROM conference_ids "
                 "WHERE revoked_at IS NULL GROUP BY value "
                 "HAVING count(*) > 1")
    assert not dup, "live conference IDs held twice: %s" % dup
    rows = pg.sql("SELECT u.email, count(c.value) FROM users u "
                  "LEFT JOIN conference_ids c ON c.user_id = u.id "
                  "AND c.kind = 'personal' AND c.revoked_at IS NULL "
                  "WHERE %s GROUP BY u.email" % ENABLED)
    counts = {e.lower(): int(n) for e, n in rows}
    assert set(counts) >= {u.lower() for u in users}, \
        "enabled users missing: %s" % (set(users) - set(counts))
    bad = {e: n for e, n in counts.items() if n != 1}
    assert not bad, "enabled users without exactly one live personal " \
        "ID: %s" % bad
    stray = pg.sql("SELECT c.value FROM conference_ids c "
                   "LEFT JOIN users u ON u.id = c.user_id "
                   "WHERE c.kind = 'personal' AND c.revoked_at IS NULL "
                   "AND (u.id IS NULL OR NOT (%s))" % ENABLED)
    assert not stray, "live personal IDs of no enabled user: %s" % stray


def audit_resets(pg):
    return int(pg.sql("SELECT count(*) FROM audit "
                      "WHERE action = 'confid.reset'")[0][0])


def check_chains(storm, first, current):
    """Per user, the acknowledged resets form one chain from the first ID
    to the one the user has now: no two resets replaced the same ID (a
    lost update), none was skipped."""
    by_user = {}
    for user, new, prev, _ in storm.acked:
        by_user.setdefault(user, {})
        assert prev not in by_user[user], \
            "two resets of %s both replaced %s (one gave %s, one %s)" % (
                user, prev, by_user[user][prev], new)
        by_user[user][prev] = new
    for user, links in by_user.items():
        v, steps = first[user], 0
        while v in links:
            v = links.pop(v)
            steps += 1
        assert not links, "resets of %s not on one chain from %s: %s" % (
            user, first[user], links)
        assert v == current[user], "%s: the chain of resets ends at %s, " \
            "the user shows %s" % (user, v, current[user])


def current_ids(d):
    return {u["email"]: u["audioConferencing"]["conferenceId"]
            for u in d.all_users()}


def start_nodes(pg, n=2, extra_args=()):
    """n nodes on pg, started one after the other (the first migrates)."""
    nodes = []
    try:
        for _ in range(n):
            nodes.append(Daemon(list(extra_args), db=pg.url).start())
    except BaseException:
        for d in nodes:
            d.cleanup()
        raise
    return nodes


def close_nodes(nodes, check=True):
    errs = []
    for d in nodes:
        try:
            d.close(check=check)
        except AssertionError as e:
            errs.append(e)
    if errs:
        raise errs[0]


def log_tails(nodes):
    return "\n".join(d.log_tail(15) for d in nodes)


# -- tests ---------------------------------------------------------------------

def test_two_nodes_start_at_once_on_an_empty_database():
    pg = PgDatabase()
    nodes = [Daemon(db=pg.url), Daemon(db=pg.url)]
    try:
        errs = []

        def start(d):
            try:
                d.start()
            except Exception as e:  # noqa: BLE001
                errs.append(e)
        ts = [threading.Thread(target=start, args=(d,)) for d in nodes]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        assert not errs, "two nodes starting at once on an empty " \
            "database: %s" % errs[0]
        admins = int(pg.sql("SELECT count(*) FROM admins")[0][0])
        assert admins == 1, "%d administrators after two first starts" \
            % admins
        created = int(pg.sql("SELECT count(*) FROM audit "
                             "WHERE action = 'admin.create'")[0][0])
        assert created == 1, "admin.create audited %d times" % created
        # Each works on what the other wrote.
        nodes[0].create_user("ada@example.org", "Ada Lovelace")
        assert nodes[1].user("ada@example.org")["audioConferencing"][
            "enabled"] is True
        close_nodes(nodes)
    finally:
        for d in nodes:
            d.cleanup()
        pg.drop()


def test_1000_resets_over_two_nodes_at_once():
    pg = PgDatabase()
    nodes = start_nodes(pg)
    try:
        a, b = nodes
        users, first = make_users(nodes, 40)
        before = audit_resets(pg)
        storm = Storm(nodes, users, 1000, threads_per_node=8).run()
        assert not storm.unknown, "requests failed: %s" % storm.unknown[:5]
        per_node = storm.check_answers()
        assert len(storm.acked) == 1000, len(storm.acked)

        # The database itself.
        check_database(pg, users)
        got = audit_resets(pg) - before
        assert got == 1000, "the audit holds %d reset entries, not 1000" \
            % got
        entries = b.audit(1000)
        assert [e["action"] for e in entries] == ["confid.reset"] * 1000, \
            "the newest 1000 audit entries are not the 1000 resets"
        assert {e["target"] for e in entries} == set(users)

        # Through the API of either node: one chain per user, ending at the
        # ID the user shows; every replaced ID revoked, every new one
        # either live (the last) or revoked.
        cur_a, cur_b = current_ids(a), current_ids(b)
        assert cur_a == cur_b, "the nodes show different users"
        check_chains(storm, first, cur_a)
        assert len(set(cur_a.values())) == len(cur_a)
        live = set(cur_a.values())
        lookups = [(nodes[(i + 1) % 2], v, v in live)
                   for i, (_, v, _, _) in enumerate(storm.acked)]
        lookups += [(a, v, False) for v in first.values()]

        def look(item):
            d, v, is_live = item
            c = d.lookup(v)
            want = "live" if is_live else "revoked"
            assert c["state"] == want and c["kind"] == "personal", \
                "%s on %s: %r, expected %s" % (v, d.url, c, want)
        parallel(look, lookups)
        print("# 1000 resets on two nodes in %.2f s (%d on A, %d on B)"
              % (storm.seconds, per_node[0], per_node[1]))
        close_nodes(nodes)
    except AssertionError as e:
        raise AssertionError("%s\n%s" % (e, log_tails(nodes))) from None
    finally:
        for d in nodes:
            d.cleanup()
        pg.drop()


def test_reset_on_a_old_id_refused_on_b_new_id_in():
    pg = PgDatabase()
    nodes = start_nodes(pg)
    try:
        a, b = nodes
        o = sip.org(a)  # the number and Ada, written through node A
        old = o["id"]
        # Node B has seen the old ID work (whatever it keeps in memory).
        caller = sip.Baresip("+15550100001")
        try:
            caller.dial(b)
            caller.cmd("sndcode", old + "#")
            sip.wait_call(b, sip.mask("+15550100001"),
                          lambda c: c["conferenceId"] == old,
                          "resolved on B before the reset")
            caller.cmd("hangup")
            caller.wait_event("CALL_CLOSED")
        finally:
            caller.close()

        res = a.ok("POST", RESET % "ada@example.org", {"sendEmail": False})
        new = res["conferenceId"]
        assert res["previousConferenceId"] == old, res
        sip._org[a.url]["id"] = new

        # The old ID on node B, at once: not valid, three times, goodbye.
        caller = sip.Baresip("+15550100002")
        try:
            caller.dial(b)
            masked = sip.mask("+15550100002")
            for _ in range(3):
                caller.cmd("sndcode", old + "#")
                time.sleep(2.4)  # 240 ms a digit
                for c in sip.calls(b):
                    assert c["caller"] != masked or \
                        c["conferenceId"] is None, \
                        "node B let the revoked ID %s in: %r" % (old, c)
            caller.wait_event("CALL_CLOSED", timeout=10)
            sip.wait_gone(b, masked)
        finally:
            caller.close()
        fails = [e for e in b.audit() if e["action"] == "dialin.failure"]
        assert fails and fails[0]["target"] == "+1555010****", fails[:1]

        # The new ID on node B: in.
        caller = sip.Baresip("+15550100003")
        try:
            caller.dial(b)
            caller.cmd("sndcode", new + "#")
            c = sip.wait_call(b, sip.mask("+15550100003"),
                              lambda c: c["conferenceId"] == new,
                              "resolved on B with the new ID")
            assert c["userId"] == o["user"], c
            caller.cmd("hangup")
            caller.wait_event("CALL_CLOSED")
        finally:
            caller.close()
        close_nodes(nodes)
    except AssertionError as e:
        raise AssertionError("%s\n%s" % (e, log_tails(nodes))) from None
    finally:
        for d in nodes:
            d.cleanup()
        pg.drop()


def wait_outbox_sent(pg, timeout):
    """Poll until every outbox row is sent; returns the row count."""
    deadline = time.monotonic() + timeout
    while True:
        rows = dict(pg.sql("SELECT state, count(*) FROM outbox "
                           "GROUP BY state"))
        if set(rows) <= {"sent"}:
            return int(rows.get("sent", 0))
        if time.monotonic() > deadline:
            raise AssertionError("outbox not all sent after %.0f s: %s"
                                 % (timeout, rows))
        time.sleep(0.2)


def reset_mails(smtp):
    """(new ID, Message-ID) of every reset email the server holds."""
    out = []
    for m in smtp.messages():
        s = SUBJECT_RE.search(str(m.get("Subject", "")))
        if s:
            out.append((s.group(1), str(m.get("Message-ID", "")).strip()))
    return out


def test_emails_queued_on_both_nodes_delivered_once():
    pg = PgDatabase()
    with SmtpServer(quiet=True) as smtp:
        nodes = start_nodes(pg, extra_args=["--mail", smtp.url])
        try:
            users, _ = make_users(nodes, 20, prefix="mail")
            storm = Storm(nodes, users, 200, threads_per_node=4,
                          email=True).run()
            assert not storm.unknown, storm.unknown[:5]
            storm.check_answers()
            sent = wait_outbox_sent(pg, 30)
            assert sent == 200, "%d outbox rows, 200 resets" % sent
            time.sleep(1.5)  # time for a second copy to show
            got = reset_mails(smtp)
            ids = [m for _, m in got]
            dups = sorted({m for m in ids if ids.count(m) > 1})
            assert not dups, "delivered more than once: %s" % dups[:10]
            assert len(got) == 200, "%d reset emails arrived, 200 " \
                "expected: %s" % (len(got), describe_mails(
                    smtp.messages())[:2000])
            assert {v for v, _ in got} == {a[1] for a in storm.acked}, \
                "the emails do not carry the 200 new IDs"
            close_nodes(nodes)
        except AssertionError as e:
            raise AssertionError("%s\n%s" % (e, log_tails(nodes))) from None
        finally:
            for d in nodes:
                d.cleanup()
            pg.drop()


def test_node_restarted_mid_storm_loses_nothing():
    pg = PgDatabase()
    with SmtpServer(quiet=True) as smtp:
        nodes = start_nodes(pg, extra_args=["--mail", smtp.url])
        try:
            a, b = nodes
            users, first = make_users(nodes, 30, prefix="crash")
            before = audit_resets(pg)
            storm = Storm(nodes, users, 600, threads_per_node=6,
                          email=True).start()
            events = []

            def acked():
                with storm.lock:
                    return len(storm.acked)

            def wait_acked(n):
                while acked() < n and any(t.is_alive()
                                          for t in storm.threads):
                    time.sleep(0.005)
                return acked()

            # kill -9 node B in the middle of the storm, start it again;
            # later SIGTERM node A (it must exit 0) and start it again.
            events.append(("kill -9 B", wait_acked(150)))
            b.stop(signal.SIGKILL)
            b.start()
            events.append(("SIGTERM A", wait_acked(350)))
            rc = a.stop(signal.SIGTERM)
            assert rc == 0, "node A: SIGTERM mid-storm gave exit %r\n%s" \
                % (rc, a.log_tail())
            a.start()
            storm.wait()
            assert not storm.refused, storm.refused[:5]
            print("# events %s; %d acknowledged, %d lost with a connection"
                  % (events, len(storm.acked), len(storm.unknown)))

            # Every acknowledged reset is in the database.
            acked_ids = {a_[1]: a_[0] for a_ in storm.acked}
            assert len(acked_ids) == len(storm.acked), "a new ID twice"
            rows = pg.sql("SELECT c.value, u.email FROM conference_ids c "
                          "JOIN users u ON u.id = c.user_id "
                          "WHERE c.kind = 'personal'")
            owner = {v: e for v, e in rows}
            missing = [v for v in acked_ids
                       if owner.get(v, "").lower() != acked_ids[v]]
            assert not missing, "%d acknowledged resets are not in the " \
                "database: %s" % (len(missing), missing[:10])
            check_database(pg, users)
            got = audit_resets(pg) - before
            assert len(storm.acked) <= got <= len(storm.acked) + \
                len(storm.unknown), "audit holds %d resets; %d " \
                "acknowledged, %d unknown" % (got, len(storm.acked),
                                              len(storm.unknown))
            cur = current_ids(b)
            assert cur == current_ids(a)
            for user in users:
                v = cur[user]
                assert b.lookup(v)["state"] == "live"

            # Every queued email arrives: one per committed reset (the
            # outbox row is written with it), each Message-ID at least
            # once; a second copy (a node killed between delivering and
            # noting it) has the same Message-ID.
            rows = wait_outbox_sent(pg, MAIL_TIMEOUT)
            assert rows == got, "%d outbox rows for %d resets" % (rows, got)
            deadline = time.monotonic() + 10
            while len({m for _, m in reset_mails(smtp)}) < rows and \
                    time.monotonic() < deadline:
                time.sleep(0.2)
            mails = reset_mails(smtp)
            distinct = {m for _, m in mails}
            assert len(distinct) == rows, "%d distinct reset emails " \
                "arrived, %d queued" % (len(distinct), rows)
            by_mid = {}
            for v, m in mails:
                assert by_mid.setdefault(m, v) == v, \
                    "two emails with Message-ID %s: %s and %s" % (
                        m, by_mid[m], v)
            delivered = set(by_mid.values())
            lost = [v for v in acked_ids if v not in delivered]
            assert not lost, "no email for acknowledged resets: %s" % lost[:10]
            close_nodes(nodes)
        except AssertionError as e:
            raise AssertionError("%s\n%s" % (e, log_tails(nodes))) from None
        finally:
            for d in nodes:
                d.cleanup()
            pg.drop()
