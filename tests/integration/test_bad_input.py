"""Bad input gets the right 4xx problem (docs/api.md) and changes nothing.

Every test takes a snapshot (users, settings, dial-in numbers, audit log)
before the bad requests and compares it after."""

import socket

from harness import assert_problem, assert_unchanged


def seed(d):
    """One enabled user and one number, made once for the file."""
    if d.api("GET", "/api/v1/users/ada@example.org")[0] != 200:
        d.create_user("ada@example.org", "Ada Lovelace")
        d.ok("POST", "/api/v1/dial-in-numbers",
             {"number": "+14255550100", "type": "toll", "countryCode": "US",
              "city": "Redmond"}, expect=(201,))
    return d.snapshot()


def test_malformed_json(d):
    before = seed(d)
    for raw in (b'{"email": "x@example.org", "displayName": ',
                b"{email: 'x@example.org'}", b"\xff\xfe{}", b"{}}",
                b'{"email":"x@example.org","displayName":"X"} trailing'):
        assert_problem(d.api("POST", "/api/v1/users", raw=raw), 400,
                       "POST /users %r" % raw)
    assert_problem(d.api("PATCH", "/api/v1/settings", raw=b'{"pinLength":'),
                   400, "PATCH /settings truncated")
    assert_problem(d.api("PATCH", "/api/v1/users/ada@example.org",
                         raw=b"{,}"), 400, "PATCH user malformed")
    assert_unchanged(before, d.snapshot(), "malformed JSON")


def test_non_object_body(d):
    before = seed(d)
    for body in ([], ["x@example.org"], "x@example.org", 42, None, True):
        raw = b"null" if body is None else None
        for method, path in (("POST", "/api/v1/users"),
                             ("PATCH", "/api/v1/settings"),
                             ("PATCH", "/api/v1/users/ada@example.org"),
                             ("POST", "/api/v1/dial-in-numbers")):
            resp = d.api(method, path, body=body, raw=raw)
            assert_problem(resp, 400, "%s %s with %r" % (method, path, body))
    assert_unchanged(before, d.snapshot(), "non-object bodies")


def big_post(d, path, size):
    """POST size bytes of JSON-looking data with a raw socket (urllib gives
    up when the server answers before reading everything). Returns the
    status line and whether the server reset the connection."""
    s = socket.create_connection(("127.0.0.1", d.port), timeout=20)
    head = ("POST %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
            "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
            "Content-Length: %d\r\nConnection: close\r\n\r\n"
            % (path, d.port, d.token, size)).encode()
    chunk = b'{"email":"' + b"x" * (64 * 1024 - 10)
    sent_all = True
    try:
        s.sendall(head)
        left = size
        while left > 0:
            part = chunk[:left]
            s.sendall(part)
            left -= len(part)
    except (BrokenPipeError, ConnectionResetError):
        sent_all = False
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            got = s.recv(65536)
            if not got:
                break
            data += got
    except ConnectionResetError:
        pass
    finally:
        s.close()
    return data.split(b"\r\n", 1)[0].decode("latin-1"), data, sent_all


def test_ten_megabyte_body(d):
    before = seed(d)
    status_line, data, _ = big_post(d, "/api/v1/users", 10 * 1024 * 1024)
    assert status_line.split(" ")[1:2] == ["413"], \
        "10 MB body: expected 413, got %r" % status_line
    assert b"application/problem+json" in data.lower(), data[:400]
    # The daemon still answers, and nothing changed.
    assert d.api("GET", "/healthz", token=None)[0] == 200
    # One byte over the 1 MiB cap.
    status_line, data, _ = big_post(d, "/api/v1/users", 1024 * 1024 + 1)
    assert status_line.split(" ")[1:2] == ["413"], \
        "1 MiB + 1 byte: expected 413, got %r" % status_line
    assert d.api("GET", "/healthz", token=None)[0] == 200
    assert_unchanged(before, d.snapshot(), "oversized bodies")


def test_unknown_user_is_404(d):
    before = seed(d)
    for method, path, body in (
            ("GET", "/api/v1/users/nobody@example.org", None),
            ("GET", "/api/v1/users/999999", None),
            ("PATCH", "/api/v1/users/nobody@example.org",
             {"displayName": "Nobody"}),
            ("DELETE", "/api/v1/users/nobody@example.org", None),
            ("POST", "/api/v1/users/nobody@example.org/audio-conferencing/"
             "reset-pin", {}),
            ("DELETE", "/api/v1/dial-in-numbers/+14255559999", None),
            ("PATCH", "/api/v1/dial-in-numbers/+14255559999",
             {"isDefault": True})):
        p = assert_problem(d.api(method, path, body), 404,
                           "%s %s" % (method, path))
        assert p.get("detail"), "404 without a detail: %r" % p
    assert_unchanged(before, d.snapshot(), "unknown user")


def test_bad_e164_numbers(d):
    before = seed(d)
    for number in ("not a number", "+0123456789", "+1", "+1234567890123456",
                   "+1425555O100", "", "14255550100x"):
        assert_problem(d.api("POST", "/api/v1/dial-in-numbers",
                             {"number": number, "type": "toll",
                              "countryCode": "US"}), 400,
                       "dial-in number %r" % number)
    for body in ({"number": "+14255550123", "type": "mobile",
                  "countryCode": "US"},
                 {"number": "+14255550123", "type": "toll",
                  "countryCode": "USA"},
                 {"number": "+14255550123", "type": "toll"},
                 {"type": "toll", "countryCode": "US"},
                 {"number": "+14255550123", "type": "toll",
                  "countryCode": "US", "colour": "blue"}):
        assert_problem(d.api("POST", "/api/v1/dial-in-numbers", body), 400,
                       "dial-in number %r" % body)
    assert_problem(d.api("PATCH", "/api/v1/users/ada@example.org",
                         {"audioConferencing": {"tollNumber": "12"}}), 400,
                   "user toll number '12'")
    assert_unchanged(before, d.snapshot(), "bad E.164 numbers")


def test_settings_out_of_bounds_and_unknown(d):
    before = seed(d)
    assert before["settings"]["pinLength"] == 5
    for body in ({"pinLength": 13}, {"pinLength": 3}, {"pinLength": "6"},
                 {"pinLength": 6.5}, {"pinLength": [6]},
                 {"conferenceIdQuarantineDays": -1},
                 {"automaticallySendEmailsToUsers": "yes"},
                 {"noSuchSetting": 1},
                 {"pinLength": 6, "noSuchSetting": 1},
                 {"pinLength": 6, "organizationName": 7},
                 {"conferenceIdLength": 8}):
        assert_problem(d.api("PATCH", "/api/v1/settings", body), 400,
                       "PATCH settings %r" % body)
        assert d.settings() == before["settings"], \
            "rejected %r changed the settings" % body
    assert_unchanged(before, d.snapshot(), "rejected settings")


def test_bad_user_bodies(d):
    before = seed(d)
    assert_problem(d.api("POST", "/api/v1/users",
                         {"email": "ada@example.org",
                          "displayName": "Ada Again"}), 409,
                   "duplicate email")
    for body in ({"email": "not-an-email", "displayName": "X"},
                 {"displayName": "No Email"},
                 {"email": "x@example.org"},
                 {"email": "x@example.org", "displayName": 42},
                 {"email": "x@example.org", "displayName": "X",
                  "favouriteColour": "blue"},
                 {"email": "x@example.org", "displayName": "X",
                  "audioConferencing": {"enabled": "yes"}},
                 {"email": "x@example.org", "displayName": "X",
                  "audioConferencing": {"conferenceId": "5820417"}}):
        assert_problem(d.api("POST", "/api/v1/users", body), 400,
                       "POST /users %r" % body)
    for body in ({"displayName": 7}, {"email2": "a@b.org"},
                 {"audioConferencing": {"enabled": 1}},
                 {"audioConferencing": {"conferenceId": "5820417"}}):
        assert_problem(d.api("PATCH", "/api/v1/users/ada@example.org", body),
                       400, "PATCH user %r" % body)
    assert_unchanged(before, d.snapshot(), "bad user bodies")


def test_bad_query_parameters(d):
    before = seed(d)
    for path in ("/api/v1/users?limit=0", "/api/v1/users?limit=501",
                 "/api/v1/users?limit=ten",
                 "/api/v1/audit?limit=0", "/api/v1/audit?limit=1001"):
        assert_problem(d.api("GET", path), 400, "GET " + path)
    assert_unchanged(before, d.snapshot(), "bad query parameters")


def test_conference_id_lookup_malformed_vs_never_issued(d):
    before = seed(d)
    taken = {u["audioConferencing"]["conferenceId"]
             for u in before["users"]}
    # Each answer says which rule the ID breaks (issue 20 item 8).
    for bad, why in (("123", "it has 3 digits; a conference ID has 7"),
                     ("12345678", "it has 8 digits"),
                     ("0123456", "first digit may not be 0"),
                     ("12a4567", "only the digits 0-9"),
                     ("abcdefg", "only the digits 0-9"),
                     ("+123456", "only the digits 0-9"),
                     ("1111111", "trivial pattern"),
                     ("7654321", "trivial pattern")):
        resp = d.api("GET", "/api/v1/conference-ids/" + bad)
        assert_problem(resp, 400, "lookup of malformed %r" % bad)
        detail = resp[2].get("detail", "")
        assert detail.startswith("not a valid conference ID: ") and \
            why in detail, "lookup of %r: %r, wanted %r" % (bad, detail, why)
    never = next(v for v in ("5820417", "6931528", "7042639")
                 if v not in taken)
    assert_problem(d.api("GET", "/api/v1/conference-ids/" + never), 404,
                   "lookup of never-issued %s" % never)
    assert_unchanged(before, d.snapshot(), "lookups")


def test_unknown_route_and_method(d):
    before = seed(d)
    assert_problem(d.api("GET", "/api/v1/nothing-here"), 404, "unknown route")
    assert_problem(d.api("GET", "/api/v2/users"), 404, "unknown version")
    for method, path, allowed in (
            ("DELETE", "/api/v1/settings", {"GET", "PATCH"}),
            ("PUT", "/api/v1/users", {"GET", "POST"}),
            ("DELETE", "/api/v1/audit", {"GET"}),
            ("POST", "/api/v1/conference-ids/5820417", {"GET"})):
        status, headers, _ = resp = d.api(method, path, {} if method in
                                          ("PUT", "POST") else None)
        assert_problem(resp, 405, "%s %s" % (method, path))
        allow = {m.strip() for m in headers.get("Allow", "").split(",")
                 if m.strip()}
        assert allowed <= allow, "%s %s: Allow %r, expected %s" % (
            method, path, headers.get("Allow"), sorted(allowed))
    assert_unchanged(before, d.snapshot(), "unknown routes")
