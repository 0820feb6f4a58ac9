"""Conflicts between transactions are retried, not shown (issue 8).

When PostgreSQL aborts a transaction because it lost to a concurrent one
(SQLSTATE 40P01 deadlock_detected, 40001 serialization_failure), the use
case runs again from its start, a few times, and the admin sees either the
result or, when the conflicts do not stop, a 5xx that says to try again,
with nothing changed.

The conflicts are real server errors, made on purpose: a trigger installed
with psql raises the SQLSTATE for the first N rows it sees. The rows it
counts come from a sequence, which a rolled-back transaction does not take
back, so it also tells how many times the use case ran.

PostgreSQL only: each test makes a database of its own on the server
DIALCONF_TEST_PG_URL names, and is skipped without one. tests/run-all runs
this file once, in the SQLite pass (like test_nodes.py), and leaves it out
of the DIALCONF_TEST_DB=postgres pass.
"""

from datetime import datetime, timedelta, timezone

from harness import Daemon, PgDatabase, assert_confid, assert_problem, q

API = "/api/v1"
RESET = API + "/users/%s/audio-conferencing/reset-conference-id"

FUNCTION = """
CREATE OR REPLACE FUNCTION itest_inject() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF nextval('itest_runs') <= TG_ARGV[1]::bigint THEN
    RAISE EXCEPTION 'injected conflict' USING ERRCODE = TG_ARGV[0];
  END IF;
  RETURN NEW;
END $$"""


class Inject:
    """A BEFORE INSERT trigger on table for rows with action (the audit
    table's column) that fails the first n of them with sqlstate."""

    def __init__(self, pg, table, action, sqlstate, n):
        self.pg = pg
        self.table = table
        pg.sql("DROP SEQUENCE IF EXISTS itest_runs; "
               "CREATE SEQUENCE itest_runs")
        pg.sql(FUNCTION)
        pg.sql("CREATE TRIGGER itest_inject BEFORE INSERT ON %s "
               "FOR EACH ROW WHEN (NEW.action = '%s') "
               "EXECUTE FUNCTION itest_inject('%s', %d)"
               % (table, action, sqlstate, n))

    def runs(self):
        """How many times the trigger fired: failed and passed runs."""
        value, called = self.pg.sql("SELECT last_value, is_called "
                                    "FROM itest_runs")[0]
        return int(value) if called == "t" else 0

    def drop(self):
        self.pg.sql("DROP TRIGGER IF EXISTS itest_inject ON %s; "
                    "DROP FUNCTION IF EXISTS itest_inject(); "
                    "DROP SEQUENCE IF EXISTS itest_runs" % self.table)


def with_daemon(fn):
    """fn(pg, d) on a fresh database and a daemon on it; both go after."""
    pg = PgDatabase()
    d = Daemon(db=pg.url)
    try:
        d.start()
        fn(pg, d)
        d.close()
    finally:
        d.cleanup()
        pg.drop()


def count(pg, sql):
    return int(pg.sql(sql)[0][0])


def live_personal(pg, email):
    """The live personal IDs of the user, as the database holds them."""
    return sorted(str(r[0]) for r in pg.sql(
        "SELECT c.value FROM conference_ids c JOIN users u "
        "ON u.id = c.user_id WHERE lower(u.email) = lower('%s') "
        "AND c.kind = 'personal' AND c.revoked_at IS NULL" % email))


def resets(pg):
    return count(pg, "SELECT count(*) FROM audit "
                     "WHERE action = 'confid.reset'")


def test_reset_runs_again_after_a_deadlock():
    def run(pg, d):
        ada = d.create_user("ada@example.org", "Ada Lovelace")
        old = ada["audioConferencing"]["conferenceId"]
        inj = Inject(pg, "audit", "confid.reset", "40P01", 1)
        try:
            status, _, body = d.api("POST", RESET % q("ada@example.org"),
                                    {"sendEmail": False})
            runs = inj.runs()
        finally:
            inj.drop()
        assert status == 200, "one deadlock reached the admin: %d %r" % (
            status, body)
        assert runs == 2, "the reset ran %d times, expected 2 (one lost " \
            "to the injected deadlock, one committed)" % runs
        new = body["conferenceId"]
        assert_confid(new)
        assert new != old and body["previousConferenceId"] == old, body

        assert resets(pg) == 1, "%d confid.reset audit entries" % resets(pg)
        assert live_personal(pg, "ada@example.org") == [new], \
            "live personal IDs %r, expected only %s" % (
                live_personal(pg, "ada@example.org"), new)
        assert d.user("ada@example.org")["audioConferencing"][
            "conferenceId"] == new
        assert d.lookup(old)["state"] == "revoked", d.lookup(old)
        assert d.lookup(new)["state"] == "live", d.lookup(new)
    with_daemon(run)


def test_reset_gives_up_when_conflicts_go_on():
    def run(pg, d):
        ada = d.create_user("ada@example.org", "Ada Lovelace")
        old = ada["audioConferencing"]["conferenceId"]
        before = {
            "ids": count(pg, "SELECT count(*) FROM conference_ids"),
            "audit": count(pg, "SELECT count(*) FROM audit"),
        }
        inj = Inject(pg, "audit", "confid.reset", "40001", 1000)
        try:
            resp = d.api("POST", RESET % q("ada@example.org"),
                         {"sendEmail": False})
            runs = inj.runs()
        finally:
            inj.drop()
        status = resp[0]
        assert 500 <= status < 600, "expected a 5xx, got %d %r" % (
            status, resp[2])
        body = assert_problem(resp, status, "reset under endless conflicts")
        assert "try again" in body["detail"], body
        assert "conflict" in body["detail"], body
        assert 1 < runs <= 10, "the reset ran %d times: expected a few " \
            "runs, then an answer" % runs
        assert "event=tx.conflict" in d.log_text(), d.log_tail()

        # Nothing changed: the same live ID, no new row, no new entry.
        assert live_personal(pg, "ada@example.org") == [old]
        assert d.user("ada@example.org")["audioConferencing"][
            "conferenceId"] == old
        assert d.lookup(old)["state"] == "live"
        after = {
            "ids": count(pg, "SELECT count(*) FROM conference_ids"),
            "audit": count(pg, "SELECT count(*) FROM audit"),
        }
        assert after == before, "changed: before %r, after %r" % (before,
                                                                 after)

        # The conflicts gone, the node resets as before.
        res = d.ok("POST", RESET % q("ada@example.org"),
                   {"sendEmail": False})
        assert res["previousConferenceId"] == old, res
        assert live_personal(pg, "ada@example.org") == \
            [res["conferenceId"]]
    with_daemon(run)


def test_user_create_runs_again_after_a_deadlock():
    # The audit record goes out with the transaction's next statement (the
    # read of the default numbers), so this conflict comes mid-transaction,
    # where the reset's came with the COMMIT.
    def run(pg, d):
        inj = Inject(pg, "audit", "user.create", "40P01", 1)
        try:
            status, _, body = d.api(
                "POST", API + "/users",
                {"email": "ada@example.org", "displayName": "Ada Lovelace",
                 "audioConferencing": {"enabled": True},
                 "sendEmail": False})
            runs = inj.runs()
        finally:
            inj.drop()
        assert status == 201, "one deadlock reached the admin: %d %r" % (
            status, body)
        assert runs == 2, "the create ran %d times, expected 2" % runs
        confid = body["audioConferencing"]["conferenceId"]
        assert_confid(confid)

        assert count(pg, "SELECT count(*) FROM users WHERE "
                         "lower(email) = 'ada@example.org'") == 1
        assert live_personal(pg, "ada@example.org") == [confid]
        assert count(pg, "SELECT count(*) FROM audit "
                         "WHERE action = 'user.create'") == 1
        users = [u for u in d.all_users() if u["email"] == "ada@example.org"]
        assert len(users) == 1 and users[0]["id"] == body["id"], users
    with_daemon(run)


def test_every_converted_use_case_runs_again():
    """One lost conflict each (both SQLSTATEs in turn) for the other use
    cases that run in app_tx_run: each answers as without it and writes
    its audit entry once."""
    start = datetime.now(timezone.utc) + timedelta(days=1)
    meeting = {"organizer": "ada@example.org", "subject": "Budget review",
               "start": start.isoformat(),
               "end": (start + timedelta(hours=1)).isoformat(),
               "attendees": ["bob@example.org"]}
    steps = [
        ("pin.reset", "POST", API + "/users/ada@example.org/"
         "audio-conferencing/reset-pin", {"sendEmail": False}, 200),
        ("user.update", "PATCH", API + "/users/ada@example.org",
         {"displayName": "Ada King"}, 200),
        ("meeting.schedule", "POST", API + "/meetings", meeting, 201),
        ("meeting.cancel", "DELETE", API + "/meetings/%s", None, 200),
        ("user.delete", "DELETE", API + "/users/ada@example.org", None,
         204),
    ]

    def run(pg, d):
        d.create_user("ada@example.org", "Ada Lovelace")
        mid = None
        for i, (action, method, path, body, want) in enumerate(steps):
            if "%s" in path:
                path = path % mid
            inj = Inject(pg, "audit", action, ("40P01", "40001")[i % 2], 1)
            try:
                status, _, got = d.api(method, path, body)
                runs = inj.runs()
            finally:
                inj.drop()
            assert status == want, "%s: one conflict reached the admin: " \
                "%d %r" % (action, status, got)
            assert runs == 2, "%s ran %d times, expected 2" % (action, runs)
            n = count(pg, "SELECT count(*) FROM audit WHERE action = '%s'"
                      % action)
            assert n == 1, "%s audited %d times" % (action, n)
            if action == "meeting.schedule":
                mid = got["id"]
                assert_confid(got["conferenceId"])
            if action == "meeting.cancel":
                assert got["state"] == "cancelled", got
        assert count(pg, "SELECT count(*) FROM users") == 0
    with_daemon(run)


def test_settings_number_and_sign_in_run_again():
    """One lost conflict each for a settings change, a new dial-in number,
    an admin's sign-in and sign-out: each answers as without it, ran twice
    and wrote its audit entry once; the session it made works."""
    cookie_name = "dialconf_session"

    def audited(pg, action):
        return count(pg, "SELECT count(*) FROM audit WHERE action = '%s'"
                     % action)

    def step(pg, d, action, sqlstate, call):
        before = audited(pg, action)
        inj = Inject(pg, "audit", action, sqlstate, 1)
        try:
            resp = call()
            runs = inj.runs()
        finally:
            inj.drop()
        assert runs == 2, "%s ran %d times, expected 2" % (action, runs)
        n = audited(pg, action) - before
        assert n == 1, "%s audited %d times" % (action, n)
        return resp

    def run(pg, d):
        status, _, got = step(pg, d, "settings.set", "40P01", lambda: d.api(
            "PATCH", API + "/settings", {"organizationName": "Fabrikam",
                                         "pinLength": 6}))
        assert status == 200, "settings: %d %r" % (status, got)
        assert got["organizationName"] == "Fabrikam", got
        assert got["pinLength"] == 6, got
        assert d.settings()["organizationName"] == "Fabrikam"

        # The second toll number asks to be the default: the run that
        # commits must still see that, whatever the lost one did.
        d.ok("POST", API + "/dial-in-numbers",
             {"number": "+14255550100", "type": "toll",
              "countryCode": "US"}, expect=(201,))
        status, _, got = step(pg, d, "number.add", "40001", lambda: d.api(
            "POST", API + "/dial-in-numbers",
            {"number": "+14255550111", "type": "toll", "countryCode": "US",
             "city": "Redmond", "isDefault": True}))
        assert status == 201, "number: %d %r" % (status, got)
        assert got["number"] == "+14255550111" and got["isDefault"], got
        assert got["countryCode"] == "US", got
        defaults = [x["number"] for x in d.numbers() if x["isDefault"]]
        assert defaults == ["+14255550111"], defaults

        with open("%s/initial-admin-password" % d.data_dir) as f:
            password = f.read().strip()
        status, h, got = step(pg, d, "session.create", "40P01",
                              lambda: d.api("POST", API + "/session",
                                            {"username": "admin",
                                             "password": password},
                                            token=None))
        assert status == 200, "sign-in: %d %r" % (status, got)
        cookie = [v.split(";")[0].split("=", 1)[1]
                  for v in h.get_all("Set-Cookie") or []
                  if v.startswith(cookie_name + "=")]
        assert len(cookie) == 1 and cookie[0], h.get_all("Set-Cookie")
        assert count(pg, "SELECT count(*) FROM admin_sessions") == 1
        assert count(pg, "SELECT count(*) FROM audit "
                         "WHERE action = 'session.failure'") == 0
        hdrs = {"Cookie": "%s=%s" % (cookie_name, cookie[0])}
        status, _, me = d.api("GET", API + "/session", token=None,
                              headers=hdrs)
        assert status == 200 and me["username"] == "admin", (status, me)
        assert me["csrfToken"] == got["csrfToken"], (me, got)

        hdrs["X-CSRF-Token"] = got["csrfToken"]
        status, _, body = step(pg, d, "session.delete", "40001",
                               lambda: d.api("DELETE", API + "/session",
                                             token=None, headers=hdrs))
        assert status == 204, "sign-out: %d %r" % (status, body)
        status = d.api("GET", API + "/session", token=None,
                       headers=hdrs)[0]
        assert status == 401, "the session outlived its sign-out: %d" % (
            status)
    with_daemon(run)
