"""A PostgreSQL restart under a running node (issue 20 item 1).

A transient database error must never look like a bad credential: while
the server is down every request is answered 503 with Retry-After (never
401, and an admin center session keeps its cookie), and once the server is
back the node answers again by itself, from its first request on, on every
pooled connection.

The server restarted here is one of the test's own
(scripts/pg-test-server.sh, stopped with a fast shutdown and started again
on the same port), so no other test's database goes away. PostgreSQL only:
skipped without DIALCONF_TEST_PG_URL, like test_pg_retry.py, and left out of
tests/run-all's DIALCONF_TEST_DB=postgres pass.
"""

import os
import subprocess
import tempfile

from harness import Daemon, need_pg

API = "/api/v1"
HERE = os.path.dirname(os.path.abspath(__file__))
PG_SERVER = os.path.join(HERE, "..", "..", "scripts", "pg-test-server.sh")
COOKIE = "dialconf_session"
POOL = 8  # store connections of serve's HTTP threads (SERVE_NCONN)


def pg_server(verb, d):
    p = subprocess.run([PG_SERVER, verb, d], capture_output=True, text=True,
                       timeout=120, stdin=subprocess.DEVNULL)
    assert p.returncode == 0, "pg-test-server.sh %s: %s" % (verb, p.stderr)
    return p.stdout.strip()


def sign_in(d):
    with open(os.path.join(d.data_dir, "initial-admin-password")) as f:
        password = f.read().strip()
    status, h, body = d.api("POST", API + "/session",
                            {"username": "admin", "password": password},
                            token=None)
    assert status == 200, "sign-in: %d %r" % (status, body)
    cookie = [v.split(";")[0].split("=", 1)[1]
              for v in h.get_all("Set-Cookie") or []
              if v.startswith(COOKIE + "=")]
    assert len(cookie) == 1 and cookie[0], h.get_all("Set-Cookie")
    return {"Cookie": "%s=%s" % (COOKIE, cookie[0])}


def requests(d, cookie):
    """What an admin and a load balancer send: (what, status, headers,
    body) of each."""
    out = []
    for what, method, path, body, token, hdrs in (
            ("token GET", "GET", API + "/users", None, ..., None),
            ("token POST", "POST", API + "/users",
             {"email": "grace@example.org", "displayName": "Grace Hopper"},
             ..., None),
            ("session GET", "GET", API + "/session", None, None, cookie),
            ("healthz", "GET", "/healthz", None, None, None)):
        status, h, got = d.api(method, path, body, token=token,
                               headers=hdrs)
        out.append((what, status, h, got))
    return out


def test_pg_restart_answers_503_then_recovers():
    need_pg()
    srv = tempfile.mkdtemp(prefix="dialconf-itest-pgsrv-")
    os.rmdir(srv)  # pg-test-server.sh wants a new or empty folder
    url = pg_server("start", srv)
    d = Daemon(db=url)
    try:
        d.start()
        d.create_user("ada@example.org", "Ada Lovelace")
        cookie = sign_in(d)

        # A restart while the node is idle: its pooled connections died
        # unseen. The first request after it is answered, and so is one on
        # every connection of the pool.
        pg_server("down", srv)
        pg_server("up", srv)
        for i in range(2 * POOL):
            status, _, body = d.api("GET", API + "/users")
            assert status == 200, "request %d after a restart: %d %r" % (
                i + 1, status, body)

        # While the server is down: 503 with Retry-After, never 401.
        pg_server("down", srv)
        for _ in range(3):
            for what, status, h, body in requests(d, cookie):
                assert status != 401, "%s while the database is down: " \
                    "401 %r" % (what, body)
                assert status == 503, "%s while the database is down: " \
                    "%d %r" % (what, status, body)
                assert (h.get("Retry-After") or "").isdigit(), \
                    "%s: 503 without Retry-After: %r" % (what, dict(h))
                assert body and body.get("status") == 503, (what, body)
                assert COOKIE + "=;" not in str(h.get_all("Set-Cookie")), \
                    "%s: the session cookie was cleared" % what
        assert "event=reconnect" in d.log_text(), d.log_tail()

        # Back: the node answers by itself, the session still holds.
        pg_server("up", srv)
        for what, status, _, body in requests(d, cookie):
            want = 201 if what == "token POST" else 200
            assert status == want, "%s after the database came back: " \
                "%d %r" % (what, status, body)
        emails = sorted(u["email"] for u in d.all_users())
        assert emails == ["ada@example.org", "grace@example.org"], emails
        d.close()
    finally:
        d.cleanup()
        pg_server("stop", srv)
