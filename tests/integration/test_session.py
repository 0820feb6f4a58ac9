"""The admin center's sign-in (issue 7, docs/api.md "Admin center
session"): the session cookie and its CSRF token, wrong passwords (throttling:
test_signin.py), sign-out, `dialconf admin passwd`, the security headers, and the
embedded web/ files.

Tests run in file order on one shared daemon; the one that changes the
admin's password comes last."""

import os
import re
import subprocess

from harness import CLI_TIMEOUT, assert_problem

HERE = os.path.dirname(os.path.abspath(__file__))
WEB = os.path.join(HERE, "..", "..", "web")
COOKIE = "dialconf_session"
SECURITY = {
    "Content-Security-Policy": None,  # checked in full below
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def initial_password(d):
    with open(os.path.join(d.data_dir, "initial-admin-password")) as f:
        return f.read().strip()


def sign_in(d, username, password, headers=None):
    """POST /api/v1/session; returns (status, headers, body, cookie value
    or None)."""
    status, h, body = d.api("POST", "/api/v1/session",
                            {"username": username, "password": password},
                            token=None, headers=headers)
    cookie = None
    for v in h.get_all("Set-Cookie") or []:
        m = re.match(COOKIE + r"=([^;]*)", v)
        if m and m.group(1):
            cookie = m.group(1)
    return status, h, body, cookie


def as_session(d, method, path, cookie, csrf=None, body=None):
    hdrs = {"Cookie": "%s=%s" % (COOKIE, cookie)}
    if csrf is not None:
        hdrs["X-CSRF-Token"] = csrf
    return d.api(method, path, body, token=None, headers=hdrs)


def session(d, password=None):
    status, _, body, cookie = sign_in(d, "admin",
                                      password or initial_password(d))
    assert status == 200, (status, body)
    return cookie, body["csrfToken"]


def passwd(d, user, password):
    argv = [d.bin, "admin", "passwd", "--data", d.data_dir]
    if d.db:
        argv += ["--db", d.db]
    if user:
        argv.append(user)
    return subprocess.run(argv, input=password + "\n", capture_output=True,
                          text=True, timeout=CLI_TIMEOUT)


def check_security_headers(resp, what):
    h = resp[1]
    for name, want in SECURITY.items():
        got = h.get(name)
        assert got, "%s: no %s header" % (what, name)
        if want:
            assert got == want, "%s: %s is %r" % (what, name, got)
    csp = {p.strip().split(" ")[0]: p.strip()
           for p in h["Content-Security-Policy"].split(";")}
    for must in ("default-src 'self'", "script-src 'self'",
                 "frame-ancestors 'none'", "base-uri 'none'"):
        assert csp.get(must.split(" ")[0]) == must, \
            "%s: CSP %r lacks %s" % (what, h["Content-Security-Policy"],
                                     must)
    assert "unsafe-inline" not in h["Content-Security-Policy"]


def test_wrong_password_same_as_unknown_user(d):
    s1, h1, b1, c1 = sign_in(d, "admin", "not the password")
    s2, _, b2, c2 = sign_in(d, "nobody", initial_password(d))
    assert_problem((s1, h1, b1), 401, "wrong password")
    assert (s2, b2) == (s1, b1), "unknown user %r vs wrong password %r" % (
        (s2, b2), (s1, b1))
    assert c1 is None and c2 is None
    # A password typed at sign-in never reaches the daemon's log (the
    # first start prints the initial one, once, by design).
    log = [ln for ln in d.log_text(since_start=False).splitlines()
           if not ln.startswith("admin password")]
    assert not [ln for ln in log if initial_password(d) in ln or
                "not the password" in ln], log


def test_sign_in_cookie_and_csrf(d):
    status, h, body, cookie = sign_in(d, "admin", initial_password(d))
    assert status == 200, body
    assert set(body) == {"csrfToken", "username", "expiresAt"}, body
    assert body["username"] == "admin"
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", body["expiresAt"])
    csrf = body["csrfToken"]
    assert len(csrf) >= 22 and csrf != cookie
    (raw,) = [v for v in h.get_all("Set-Cookie") if v.startswith(COOKIE)]
    attrs = [a.strip() for a in raw.split(";")[1:]]
    assert "HttpOnly" in attrs and "SameSite=Strict" in attrs, raw
    assert "Path=/" in attrs, raw
    assert "Secure" not in attrs, "plain HTTP: no Secure (%s)" % raw
    assert len(cookie) >= 22, "a 128-bit id: %r" % cookie

    # Reads need only the cookie.
    resp = as_session(d, "GET", "/api/v1/users", cookie)
    assert resp[0] == 200, resp
    resp = as_session(d, "GET", "/api/v1/session", cookie)
    assert resp[0] == 200 and resp[2]["csrfToken"] == csrf, resp

    # Changes need the CSRF header too, the session's own.
    before = d.settings()
    for label, token in (("no X-CSRF-Token", None), ("an empty one", ""),
                         ("the cookie as token", cookie),
                         ("a wrong one", csrf[:-1] + "x")):
        resp = as_session(d, "PATCH", "/api/v1/settings", cookie, token,
                          {"organizationName": "Hijacked"})
        assert_problem(resp, 403, "PATCH with the cookie and %s" % label)
    assert d.settings() == before
    resp = as_session(d, "PATCH", "/api/v1/settings", cookie, csrf,
                      {"organizationName": "Session Org"})
    assert resp[0] == 200 and resp[2]["organizationName"] == "Session Org"
    entry = d.audit(5)[0]
    assert entry["action"] == "settings.set" and entry["actor"] == "admin", \
        entry

    # A bearer token needs no CSRF header, cookie or not.
    d.ok("PATCH", "/api/v1/settings", {"organizationName": "Contoso"})
    actions = [e["action"] for e in d.audit(50)]
    assert "session.create" in actions and "session.failure" in actions


def test_secure_behind_https(d):
    _, h, _, cookie = sign_in(d, "admin", initial_password(d),
                              headers={"X-Forwarded-Proto": "https"})
    (raw,) = [v for v in h.get_all("Set-Cookie") if v.startswith(COOKIE)]
    assert "Secure" in [a.strip() for a in raw.split(";")], raw


def test_sign_in_from_another_site_refused(d):
    status, h, body, cookie = sign_in(
        d, "admin", initial_password(d),
        headers={"Origin": "https://evil.example"})
    assert_problem((status, h, body), 403, "cross-site sign-in")
    assert cookie is None
    status, _, _, cookie = sign_in(d, "admin", initial_password(d),
                                   headers={"Origin": d.url})
    assert status == 200 and cookie


def test_bad_sign_in_bodies(d):
    for body in ({}, {"username": "admin"}, {"username": 1, "password": "x"},
                 {"username": "admin", "password": "x", "extra": 1}):
        resp = d.api("POST", "/api/v1/session", body, token=None)
        assert_problem(resp, 400, "sign-in with %r" % body)
    resp = d.api("POST", "/api/v1/session", raw=b"{", token=None)
    assert_problem(resp, 400, "sign-in with bad JSON")


def test_sign_out(d):
    cookie, csrf = session(d)
    other, _ = session(d)
    resp = as_session(d, "DELETE", "/api/v1/session", cookie)
    assert_problem(resp, 403, "sign-out without X-CSRF-Token")
    resp = as_session(d, "DELETE", "/api/v1/session", cookie, csrf)
    assert resp[0] == 204, resp
    cleared = [v for v in resp[1].get_all("Set-Cookie") or []
               if v.startswith(COOKIE + "=")]
    assert cleared and "Max-Age=0" in cleared[0], cleared
    for method, path, token in (("GET", "/api/v1/users", None),
                                ("DELETE", "/api/v1/session", csrf),
                                ("PATCH", "/api/v1/settings", csrf)):
        resp = as_session(d, method, path, cookie, token,
                          {"pinLength": 6} if method == "PATCH" else None)
        assert_problem(resp, 401, "%s %s after sign-out" % (method, path))
    # Another session of the same admin goes on.
    assert as_session(d, "GET", "/api/v1/users", other)[0] == 200
    assert "session.delete" in [e["action"] for e in d.audit(20)]


def test_security_headers(d):
    cookie, _ = session(d)
    for what, resp in (
            ("GET /", d.api("GET", "/", token=None)),
            ("GET /index.html", d.api("GET", "/index.html", token=None)),
            ("GET /healthz", d.api("GET", "/healthz", token=None)),
            ("GET /api/v1/users", d.api("GET", "/api/v1/users")),
            ("GET /api/v1/users with the cookie",
             as_session(d, "GET", "/api/v1/users", cookie)),
            ("401", d.api("GET", "/api/v1/users", token=None)),
            ("404", d.api("GET", "/api/v1/users/nobody@example.org")),
            ("sign-in", d.api("POST", "/api/v1/session",
                              {"username": "x", "password": "y"},
                              token=None))):
        check_security_headers(resp, what)


def web_files():
    out = []
    for root, _, files in os.walk(WEB):
        for name in files:
            if name == "meson.build" or name.startswith("."):
                continue
            path = os.path.join(root, name)
            out.append(os.path.relpath(path, WEB).replace(os.sep, "/"))
    return sorted(out)


def test_web_files_embedded(d):
    """Every file of web/ is served, byte for byte, with a type, and no
    token; a file missing from web/meson.build fails here."""
    files = web_files()
    assert "index.html" in files, files
    types = {".html": "text/html", ".js": "text/javascript",
             ".css": "text/css"}
    for rel in files:
        status, h, _ = d.api("GET", "/" + rel, token=None)
        assert status == 200, "GET /%s -> %d: is it in web/meson.build?" % (
            rel, status)
        with open(os.path.join(WEB, rel), "rb") as f:
            assert d.last_raw == f.read(), "/%s differs from web/%s" % (
                rel, rel)
        ctype = h.get("Content-Type", "")
        ext = os.path.splitext(rel)[1]
        if ext in types:
            assert ctype.startswith(types[ext]), (rel, ctype)
        assert ctype, rel
    status, h, _ = d.api("GET", "/", token=None)
    with open(os.path.join(WEB, "index.html"), "rb") as f:
        assert status == 200 and d.last_raw == f.read()
    # Files answer without a token; the API and unknown paths do not.
    for method, path in (("GET", "/api/v1/nothing"), ("GET", "/no-such.js"),
                         ("POST", "/index.html"), ("GET", "/api/index.html"),
                         ("GET", "/../index.html")):
        assert_problem(d.api(method, path, token=None), 401,
                       "%s %s without a token" % (method, path))


def test_admin_passwd_offline(d):
    """Last: changes the admin's password for good."""
    cookie, _ = session(d)
    old = initial_password(d)
    p = passwd(d, None, "short")
    assert p.returncode == 1 and "8" in p.stderr, (p.returncode, p.stderr)
    p = passwd(d, None, "a new admin password")
    assert p.returncode == 0, p.stderr
    assert "a new admin password" not in p.stdout + p.stderr
    # The first password's file goes with it (the API has no password
    # change: `admin passwd` is the one path, app_admin_passwd() the code).
    assert not os.path.exists(os.path.join(d.data_dir,
                                           "initial-admin-password"))
    assert sign_in(d, "admin", old)[0] == 401
    assert sign_in(d, "admin", "a new admin password")[0] == 200
    # The sessions of the old password have ended.
    assert_problem(as_session(d, "GET", "/api/v1/users", cookie), 401,
                   "a session from before the new password")
    p = subprocess.run([d.bin, "admin", "passwd", "--data", d.data_dir] +
                       (["--db", d.db] if d.db else []),
                       input="", capture_output=True, text=True,
                       timeout=CLI_TIMEOUT)
    assert p.returncode == 1, "no password on stdin: %d" % p.returncode
    p = subprocess.run([d.bin, "admin", "passwd", "--bogus"],
                       capture_output=True, text=True, timeout=CLI_TIMEOUT)
    assert p.returncode == 2
