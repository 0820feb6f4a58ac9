"""Nothing but /healthz answers without a valid token (docs/api.md).

The routes are read from docs/api.md itself, so a route added to the
contract is covered here without editing this file."""

import os
import re

from harness import assert_problem, assert_unchanged

API_MD = os.path.join(os.path.dirname(__file__), "..", "..", "docs",
                      "api.md")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# Routes that answer without a token besides /healthz: signing in to the
# admin center is how one gets a session (tests/integration/test_session.py);
# the OpenAPI description is public for tools that fetch it before they have
# a token (tests/integration/test_openapi.py).
PUBLIC = {("POST", "/api/v1/session"), ("GET", "/api/v1/openapi.json")}


def documented_routes():
    """(method, path template) for every `METHOD /path` in docs/api.md."""
    with open(API_MD, encoding="utf-8") as f:
        text = f.read()
    routes = set()
    for m in re.finditer(r"`(GET|POST|PUT|PATCH|DELETE) (/[^`?\s{]*"
                         r"(?:\{[^}]*\}[^`?\s{]*)*)", text):
        routes.add((m.group(1), m.group(2)))
    return sorted(routes)


def fill(template, cid):
    path = template.replace("{user}", "ada@example.org")
    path = path.replace("{e164}", "+14255550100")
    path = re.sub(r"\{[^}]*\}", cid, path)  # {7 digits}, {id}
    return path


def setup(d):
    ada = d.create_user("ada@example.org", "Ada Lovelace")
    d.ok("POST", "/api/v1/dial-in-numbers",
         {"number": "+14255550100", "type": "toll", "countryCode": "US",
          "city": "Redmond"}, expect=(201,))
    return ada["audioConferencing"]["conferenceId"]


def test_docs_list_the_routes():
    routes = documented_routes()
    paths = {p for _, p in routes}
    # If the parser stops finding routes, every other test here is empty.
    for must in ("/healthz", "/api/v1/users", "/api/v1/users/{user}",
                 "/api/v1/settings", "/api/v1/audit",
                 "/api/v1/dial-in-numbers/{e164}"):
        assert must in paths, "docs/api.md: no route %s in %r" % (must,
                                                                 routes)
    assert len(routes) >= 15, routes


def bodies(method, path):
    """A valid body, so that a route that forgot to check the token would
    succeed and show up in the snapshot."""
    if method not in ("POST", "PUT", "PATCH"):
        return None
    if path == "/api/v1/users":
        return {"email": "mallory@example.org", "displayName": "Mallory"}
    if path == "/api/v1/dial-in-numbers":
        return {"number": "+14255550666", "type": "toll",
                "countryCode": "US"}
    if path == "/api/v1/settings":
        return {"pinLength": 9}
    if path.startswith("/api/v1/users/") and method == "PATCH":
        return {"displayName": "Pwned"}
    if path.startswith("/api/v1/dial-in-numbers/"):
        return {"isDefault": True}
    return {}


def test_every_route_needs_a_token(d):
    cid = setup(d)
    before = d.snapshot()
    wrong = d.token[:-1] + ("A" if d.token[-1] != "A" else "B")
    creds = (("no Authorization", None, None),
             ("a wrong token", "not-a-token", None),
             ("the token with one character changed", wrong, None),
             ("an empty bearer", None, {"Authorization": "Bearer "}),
             ("the token as Basic", None,
              {"Authorization": "Basic " + d.token}),
             ("the token without a scheme", None,
              {"Authorization": d.token}))
    checked = 0
    for method, template in documented_routes():
        if template == "/healthz" or (method, template) in PUBLIC:
            continue
        path = fill(template, cid)
        for label, token, headers in creds:
            resp = d.api(method, path, bodies(method, template), token=token,
                         headers=headers)
            what = "%s %s with %s" % (method, path, label)
            assert_problem(resp, 401, what)
            www = resp[1].get("WWW-Authenticate", "")
            assert www.lower().startswith("bearer"), \
                "%s: WWW-Authenticate %r" % (what, www)
            checked += 1
    assert checked >= 15 * len(creds)
    assert_unchanged(before, d.snapshot(), "unauthenticated requests")
    # The real token still works on the same routes.
    assert d.api("GET", "/api/v1/users/ada@example.org")[0] == 200


def test_undocumented_methods_need_a_token_too(d):
    """A method a route does not have: no token still gets 401, never a
    hint of what exists (405 with Allow comes only after authentication)."""
    cid = d.user("ada@example.org")["audioConferencing"]["conferenceId"]
    routes = documented_routes()
    for template in sorted({p for _, p in routes} - {"/healthz"}):
        for method in METHODS:
            if (method, template) in routes:
                continue
            resp = d.api(method, fill(template, cid), token=None)
            assert_problem(resp, 401, "%s %s without a token"
                           % (method, template))


def test_healthz_needs_no_token(d):
    status, headers, body = d.api("GET", "/healthz", token=None)
    assert status == 200
    assert body == {"status": "ok"}, body
    assert headers.get("Content-Type", "").startswith("application/json")
    status, _, body = d.api("GET", "/healthz", token="not-a-token")
    assert status == 200, "healthz with a bad token: %d" % status


def test_head_is_get_without_the_body(d):
    """HEAD answers as GET would, headers only: a load balancer's HEAD
    /healthz needs no token; every other GET route still does."""
    status, headers, _ = d.api("HEAD", "/healthz", token=None)
    assert status == 200, "HEAD /healthz: %d" % status
    assert d.last_raw == b"", d.last_raw
    assert headers.get("Content-Type", "").startswith("application/json")
    status, headers, _ = d.api("HEAD", "/api/v1/users", token=None)
    assert status == 401, "HEAD /api/v1/users without a token: %d" % status
    assert headers.get("WWW-Authenticate", "").lower().startswith("bearer")
    status, _, _ = d.api("HEAD", "/api/v1/users")
    assert status == 200, "HEAD /api/v1/users with the token: %d" % status
    assert d.last_raw == b"", d.last_raw
