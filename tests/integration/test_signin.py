"""Sign-in under attack (issue 14, docs/api.md "Admin center session"):
throttling per address and per (address, account) instead of a lockout,
the same answers for unknown and existing accounts, a bound on password
checks at once, small bodies before authentication, and a cap on
connections per address.

Every client binds its own loopback address (127.0.0.0/8 all reaches the
daemon on 127.0.0.1), so the attacker and the administrator are different
sources as they would be on a network. Each test takes addresses of its
own: the throttle's counters live in the shared daemon's database."""

import http.client
import json
import os
import re
import socket
import subprocess
import sys
import time

from harness import Daemon, assert_problem

HERE = os.path.dirname(os.path.abspath(__file__))


def initial_password(d):
    with open(os.path.join(d.data_dir, "initial-admin-password")) as f:
        return f.read().strip()


def request(d, source, method, path, body=None, headers=None, timeout=20):
    """One request from source (an address of 127/8); returns (status,
    headers, parsed body or None)."""
    c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=timeout,
                                   source_address=(source, 0))
    try:
        data = json.dumps(body).encode() if body is not None else None
        h = {"Content-Type": "application/json"} if data else {}
        h.update(headers or {})
        c.request(method, path, body=data, headers=h)
        r = c.getresponse()
        raw = r.read()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        return r.status, r.headers, parsed
    finally:
        c.close()


def sign_in(d, source, username, password):
    return request(d, source, "POST", "/api/v1/session",
                   {"username": username, "password": password})


def setting(d, name, value):
    d.ok("PATCH", "/api/v1/settings", {name: value})


def test_attacker_cannot_lock_the_admin_out(d):
    """Wrong passwords from 127.0.0.5 get 429 with Retry-After at once; the
    admin signs in from 127.0.0.2 throughout, and again from 127.0.0.3."""
    attacker, admin = "127.0.0.5", "127.0.0.2"
    pw = initial_password(d)
    statuses = []
    for i in range(12):
        status, h, body = sign_in(d, attacker, "admin", "wrong %d" % i)
        statuses.append(status)
        if status == 429:
            assert 0 < int(h["Retry-After"]) <= 15 * 60, h["Retry-After"]
        if i in (4, 11):  # as the attacker's block starts, and later
            assert sign_in(d, admin, "admin", pw)[0] == 200, \
                "the admin is refused after %d wrong passwords" % (i + 1)
    assert statuses[:5] == [401] * 5, statuses
    assert statuses[-1] == 429, statuses
    # The attacker is refused even the right password; nobody else is.
    status, h, body = sign_in(d, attacker, "admin", pw)
    assert_problem((status, h, body), 429, "right password, attacker")
    assert sign_in(d, "127.0.0.3", "admin", pw)[0] == 200
    failures = [e for e in d.audit(60) if e["action"] == "session.failure"]
    assert any(e["detail"].get("source") == attacker and
               e["detail"].get("refusedUntil") for e in failures), failures


def strip_digits(body):
    return re.sub(r"[0-9]+", "N", json.dumps(body, sort_keys=True))


def test_unknown_and_existing_accounts_answer_alike(d):
    """Same status, body and Retry-After for a real and a made-up name,
    wrong password after wrong password, into the throttle."""
    seen = []
    setting(d, "adminSigninFailureLimit", 2)  # fewer slow checks
    try:
        for i in range(4):
            real = sign_in(d, "127.0.0.6", "admin", "wrong %d" % i)
            fake = sign_in(d, "127.0.0.7", "nobody-0", "wrong %d" % i)
            assert real[0] == fake[0], (i, real, fake)
            # Seconds may tick between the two: compare without digits.
            assert strip_digits(real[2]) == strip_digits(fake[2]), \
                (i, real, fake)
            ra, fa = real[1].get("Retry-After"), fake[1].get("Retry-After")
            assert (ra is None) == (fa is None), (ra, fa)
            assert ra is None or abs(int(ra) - int(fa)) <= 1, (ra, fa)
            seen.append(real[0])
    finally:
        setting(d, "adminSigninFailureLimit", 5)
    assert seen == [401] * 2 + [429] * 2, seen


def test_address_guessing_many_names_is_throttled(d):
    setting(d, "adminSigninAddressFailureLimit", 3)
    try:
        got = [sign_in(d, "127.0.0.9", "name%d" % i, "x")[0]
               for i in range(5)]
        assert got == [401] * 3 + [429] * 2, got
        assert sign_in(d, "127.0.0.10", "admin", initial_password(d))[0] \
            == 200
    finally:
        setting(d, "adminSigninAddressFailureLimit", 20)


STORM = r"""
import http.client, json, os, sys, threading, time
os.nice(10)  # the attacker's machine: its own CPU is not the daemon's
port, n, seconds, base = int(sys.argv[1]), int(sys.argv[2]), \
    float(sys.argv[3]), sys.argv[4]
codes, lock, end = {}, threading.Lock(), time.monotonic() + seconds
slowest = {}  # status: the longest wait for one answer of it, seconds
types = set()
go = threading.Barrier(n)
def one(i):
    go.wait()
    while time.monotonic() < end:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30,
            source_address=(base % (i % 8 + 1), 0))
        t0 = time.monotonic()
        try:
            c.request("POST", "/api/v1/session", json.dumps(
                {"username": "storm%d" % i, "password": "bad"}),
                {"Content-Type": "application/json"})
            r = c.getresponse()
            s, wait = r.status, float(r.headers.get("Retry-After") or 0)
            if s in (429, 503) and wait < 1:
                s = -s  # no Retry-After: counted apart
            with lock:
                types.add(r.headers.get("Content-Type"))
        except OSError:
            s, wait = 0, 0
        finally:
            c.close()
        with lock:
            codes[s] = codes.get(s, 0) + 1
            slowest[s] = max(slowest.get(s, 0), time.monotonic() - t0)
        # A client that does as it is told; one that does not is a plain
        # flood, no cheaper for /healthz itself (the per-address
        # connection cap is the answer to that).
        time.sleep(min(wait, max(0, end - time.monotonic())))
ts = [threading.Thread(target=one, args=(i,)) for i in range(n)]
[t.start() for t in ts]
[t.join() for t in ts]
print(json.dumps({"codes": codes, "slowest": slowest,
                  "types": sorted(types)}))
"""


def storm(d, n, seconds, base):
    # A session of its own: with the kernel's autogroup scheduling the
    # attacker's CPU is then not taken from the daemon's share, as on a
    # machine of its own (it is niced too).
    return subprocess.Popen([sys.executable, "-c", STORM, str(d.port),
                             str(n), str(seconds), base],
                            stdout=subprocess.PIPE, text=True,
                            start_new_session=True)


def test_healthz_stays_fast_during_a_sign_in_storm(d):
    """The issue's figure: 64 parallel bad sign-ins (a separate process,
    from 8 addresses; each client sends its next one when answered, after
    the Retry-After it was given) and /healthz's p99 stays under 100 ms.
    On today's code the sign-ins sleep in the HTTP threads and /healthz
    waits for them (0.4 s and more)."""
    p = storm(d, 64, 3.0, "127.0.1.%d")
    try:
        time.sleep(0.5)  # let the storm build up; not an assertion
        times = []
        while p.poll() is None and len(times) < 300:
            t0 = time.monotonic()
            assert request(d, "127.0.0.11", "GET", "/healthz")[0] == 200
            times.append(time.monotonic() - t0)
    finally:
        out, _ = p.communicate(timeout=60)
    codes = json.loads(out)["codes"]
    assert sum(codes.values()) >= 64, codes
    assert len(times) >= 20, len(times)
    times.sort()
    p99 = times[int(len(times) * 0.99) - 1]
    print("# healthz under the storm: %d samples, p50 %.1f ms, p99 %.1f ms;"
          " sign-in answers %s" % (len(times), times[len(times) // 2] * 1e3,
                                   p99 * 1e3, codes))
    assert p99 < 0.100, "p99 %.0f ms (%s)" % (p99 * 1e3, codes)


def test_password_checks_are_bounded(d):
    """With one check at a time, a burst gets 503 with Retry-After for
    those over the bound, at once; 401 for the ones checked."""
    setting(d, "adminSigninConcurrentChecks", 1)
    try:
        p = storm(d, 16, 1.5, "127.0.2.%d")
        got = json.loads(p.communicate(timeout=60)[0])
    finally:
        setting(d, "adminSigninConcurrentChecks", 2)
    codes = got["codes"]
    assert codes.get("503", 0) > 0 and codes.get("401", 0) > 0, got
    assert set(codes) <= {"401", "429", "503"}, got
    assert got["types"] == ["application/problem+json"], got
    # Printed, not asserted (speed belongs to bench/): a 503 takes
    # milliseconds, a checked 401 a password check's time.
    print("# slowest answers: %s" % got["slowest"])


def raw_exchange(d, source, head, body=b"", timeout=10):
    """Send head and body as they are; the status line's code, or None."""
    s = socket.create_connection(("127.0.0.1", d.port), timeout=timeout,
                                 source_address=(source, 0))
    try:
        s.sendall(head)
        try:
            s.sendall(body)
        except OSError:
            pass  # answered and closed before the upload ended
        data = b""
        while b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        parts = data.split(b" ", 2)
        return int(parts[1]) if len(parts) > 1 else None
    finally:
        s.close()


def test_body_cap_before_sign_in(d):
    """An unauthenticated body over a few KiB is 413 at once, announced or
    chunked; a signed-in client keeps the large cap."""
    big = b'{"username": "admin", "password": "' + b"x" * 64 * 1024 + b'"}'
    t0 = time.monotonic()
    code = raw_exchange(d, "127.0.0.12",
                        b"POST /api/v1/session HTTP/1.1\r\nHost: x\r\n"
                        b"Content-Type: application/json\r\n"
                        b"Content-Length: %d\r\n\r\n" % len(big))
    assert code == 413, code
    assert time.monotonic() - t0 < 5  # not after the connection's timeout
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(big), big)
    code = raw_exchange(d, "127.0.0.12",
                        b"POST /api/v1/session HTTP/1.1\r\nHost: x\r\n"
                        b"Content-Type: application/json\r\n"
                        b"Transfer-Encoding: chunked\r\n\r\n", chunked)
    assert code == 413, code
    # With a token, the same size is read and judged on its content.
    resp = d.api("PATCH", "/api/v1/settings",
                 raw=b'{"organizationName": "' + b"x" * 64 * 1024 + b'"}')
    assert_problem(resp, 400, "64 KiB setting, signed in")


def test_connections_per_address_are_capped(d):
    """32 connections from one address are held; the 33rd is closed at
    once; another address is served meanwhile."""
    held = []
    try:
        for _ in range(32):
            held.append(socket.create_connection(
                ("127.0.0.1", d.port), timeout=10,
                source_address=("127.0.0.13", 0)))
        # The daemon accepts them in its own time: poll until it refuses.
        deadline = time.monotonic() + 10
        refused = False
        while time.monotonic() < deadline and not refused:
            try:
                status = request(d, "127.0.0.13", "GET", "/healthz",
                                 timeout=5)[0]
                refused = status != 200
            except (OSError, http.client.HTTPException):
                refused = True
        assert refused, "a 33rd connection from one address was served"
        assert request(d, "127.0.0.14", "GET", "/healthz")[0] == 200
    finally:
        for s in held:
            s.close()
    deadline = time.monotonic() + 10
    while True:
        try:
            if request(d, "127.0.0.13", "GET", "/healthz")[0] == 200:
                break
        except (OSError, http.client.HTTPException):
            pass
        assert time.monotonic() < deadline, "the address stays refused"
        time.sleep(0.05)


# -- API tokens ----------------------------------------------------------


def iso_in(seconds):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ",
                         time.gmtime(time.time() + seconds))


def tokens(d):
    return {t["id"]: t for t in d.ok("GET", "/api/v1/tokens")["tokens"]}


def works(d, token):
    return d.api("GET", "/api/v1/users", token=token)[0] == 200


def test_tokens_listed_revoked_and_expired_through_the_api(d):
    made = d.ok("POST", "/api/v1/tokens", {"name": "ci-bot"}, expect=(201,))
    secret = made.pop("token")
    assert secret.startswith("dct_") and made["expiresAt"] is None, made
    assert works(d, secret)
    listed = tokens(d)[made["id"]]
    assert listed["name"] == "ci-bot" and "token" not in listed, listed
    assert listed["lastUsedAt"], listed  # the request just made
    assert secret not in json.dumps(d.ok("GET", "/api/v1/tokens"))
    assert secret not in json.dumps(d.audit(20))
    # Revoked: 401 at once, gone from the list, audited; once only.
    status, _, _ = d.api("DELETE", "/api/v1/tokens/%s" % made["id"])
    assert status == 204
    resp = d.api("GET", "/api/v1/users", token=secret)
    assert_problem(resp, 401, "revoked token")
    assert made["id"] not in tokens(d)
    assert_problem(d.api("DELETE", "/api/v1/tokens/%s" % made["id"]), 404,
                   "revoked twice")
    assert any(e["action"] == "token.revoke" and e["target"] == "ci-bot"
               for e in d.audit(20))
    # Expiry: works until then, 401 after.
    short = d.ok("POST", "/api/v1/tokens",
                 {"name": "short", "expiresAt": iso_in(3)}, expect=(201,))
    assert short["expiresAt"], short
    assert works(d, short["token"])
    deadline = time.monotonic() + 20
    while works(d, short["token"]):
        assert time.monotonic() < deadline, "the token never expired"
        time.sleep(0.2)
    assert_problem(d.api("GET", "/api/v1/users", token=short["token"]), 401,
                   "expired token")
    assert tokens(d)[short["id"]]["expiresAt"] == short["expiresAt"]
    for bad in ({"name": "x", "expiresAt": iso_in(-60)},
                {"name": "x", "expiresAt": "tomorrow"}, {"name": ""},
                {"expiresAt": None}, {"name": "x", "secret": "y"}):
        assert_problem(d.api("POST", "/api/v1/tokens", bad), 400, repr(bad))


def get_on(conn, path, token):
    """GET path on a kept-alive connection: (status, parsed body)."""
    conn.request("GET", path, headers={"Authorization": "Bearer " + token})
    resp = conn.getresponse()
    return resp.status, json.loads(resp.read() or b"null")


def warm(node, path, token, conns=8, rounds=3):
    """conns kept-alive connections to node, each having read path rounds
    times: every HTTP thread of the node has read it lately (a node keeps
    a copy per thread of what nothing has changed since, app/memo.c)."""
    host, port = node.url.split("//")[1].rsplit(":", 1)
    out = [http.client.HTTPConnection(host, int(port), timeout=10)
           for _ in range(conns)]
    for _ in range(rounds):
        for c in out:
            status, body = get_on(c, path, token)
            assert status == 200, (path, status, body)
    return out


def test_token_revoked_on_one_node_is_refused_at_once_on_another(d):
    """Two nodes on one database: a token just used on every connection to
    node B and revoked on node A is refused by each of B's very next
    requests (what B keeps is only good while nothing has committed)."""
    db = d.db or "sqlite:" + os.path.join(d.data_dir, "dialconf.db")
    with Daemon(db=db, token=False) as b:
        for i in range(5):
            made = d.ok("POST", "/api/v1/tokens", {"name": "two-nodes-%d" % i},
                        expect=(201,))
            conns = warm(b, "/api/v1/users", made["token"])
            status, _, _ = d.api("DELETE", "/api/v1/tokens/%s" % made["id"])
            assert status == 204
            for n, c in enumerate(conns):
                status, body = get_on(c, "/api/v1/users", made["token"])
                assert status == 401, ("revoked on the other node, round "
                                       "%d, connection %d" % (i, n), body)
            assert_problem(b.api("GET", "/api/v1/users",
                                 token=made["token"]), 401,
                           "revoked on the other node, round %d" % i)


def test_user_changed_anywhere_is_read_at_once(d):
    """A user read again and again on every connection to node B, then
    changed on node A, on B itself, then deleted on A: each of B's next
    answers shows the change, by id and by email."""
    db = d.db or "sqlite:" + os.path.join(d.data_dir, "dialconf.db")
    u = d.ok("POST", "/api/v1/users",
             {"email": "memo@example.org", "displayName": "Before",
              "audioConferencing": {"enabled": True}, "sendEmail": False},
             expect=(201,))
    with Daemon(db=db, token=False) as b:
        refs = ["/api/v1/users/" + u["id"], "/api/v1/users/memo@example.org"]
        for name, node in (("On A", d), ("On B", b)):
            conns = {ref: warm(b, ref, d.token, conns=4) for ref in refs}
            status, _, body = node.api("PATCH", refs[0], {"displayName": name},
                                       token=d.token)
            assert status == 200, body
            for ref in refs:
                for c in conns[ref]:
                    status, body = get_on(c, ref, d.token)
                    assert (status, body["displayName"]) == (200, name), \
                        (ref, status, body)
        conns = {ref: warm(b, ref, d.token, conns=4) for ref in refs}
        status, _, _ = d.api("DELETE", refs[0])
        assert status == 204
        for ref in refs:
            for c in conns[ref]:
                status, body = get_on(c, ref, d.token)
                assert status == 404, (ref, status, body)


def test_tokens_from_the_cli(d):
    code, out, err = d.cli("token", "create", "cli-made", "--expires-days",
                           "7")
    assert code == 0, err
    secret = out.strip()
    assert works(d, secret)
    made = [t for t in tokens(d).values() if t["name"] == "cli-made"]
    assert len(made) == 1 and made[0]["expiresAt"], made
    code, out, err = d.cli("token", "list")
    assert code == 0 and "cli-made" in out and secret not in out, (out, err)
    code, out, err = d.cli("token", "revoke", made[0]["id"])
    assert code == 0, err
    assert not works(d, secret)
    code, out, err = d.cli("token", "revoke", made[0]["id"])
    assert code != 0 and "no token" in err, (code, err)
    # Offline, on the data directory the server runs with.
    argv = [d.bin, "admin", "token", "--data", d.data_dir, "--name",
            "offline", "--expires-days", "2"]
    if d.db:
        argv += ["--db", d.db]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert works(d, p.stdout.strip())
    off = [t for t in tokens(d).values() if t["name"] == "offline"]
    assert len(off) == 1, off
    left = time.mktime(time.strptime(off[0]["expiresAt"],
                                     "%Y-%m-%dT%H:%M:%SZ")) - time.mktime(
        time.gmtime())
    assert 2 * 86400 - 120 < left <= 2 * 86400 + 5, left
    p = subprocess.run(argv[:-2] + ["--expires-days", "0"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2, p.stderr
