"""dialconf user import FILE.csv (SPEC §7) and POST /api/v1/users/import:
libcsv quoting, the whole file checked before anything is sent, all rows
created in one transaction or none, one line per row, a summary, exit
0 / 1 / 2."""

import atexit
import os
import tempfile

_tmp = tempfile.TemporaryDirectory(prefix="dialconf-import-")
atexit.register(_tmp.cleanup)
_n = [0]


def write_csv(text):
    """A CSV file in this module's temporary folder, bytes as given."""
    _n[0] += 1
    path = os.path.join(_tmp.name, "users%d.csv" % _n[0])
    with open(path, "wb") as f:
        f.write(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def emails(d):
    return {u["email"] for u in d.all_users()}


def outbox_ids(d):
    return {e["id"] for e in
            d.ok("GET", "/api/v1/outbox?limit=500")["emails"]}


def add_numbers(d):
    for n in ("+14255550100", "+14255550101"):
        if not any(x["number"] == n for x in d.numbers()):
            d.ok("POST", "/api/v1/dial-in-numbers",
                 {"number": n, "type": "toll", "countryCode": "US"},
                 expect=(201,))


GOOD_ROWS = [
    "\"Lovelace, Ada\",ada@example.org,true,+14255550101\r\n",
    "Grace Hopper,grace@example.org,,\r\n",
    "José Müller-Łukasiewicz,jose@example.org,no,\r\n",
    "\"Alan \"\"Prof\"\" Turing\",alan@example.org,yes,\r\n",
    "Katherine Johnson,\"katherine@example.org\",FALSE,\r\n",
]
HEADER = "displayName,email,audioConferencing,tollNumber\r\n"


def test_import_one_bad_row_changes_nothing(d):
    """All or nothing (README, issue #20): one bad row anywhere and no user
    is created, no email queued, nothing audited; the error names the row.
    The fixed file then imports whole."""
    add_numbers(d)
    d.create_user("existing@example.org", "Already Here")
    # (a bad row put at the row number the error must name, its reason)
    bad = [
        (4, "Not An Email,not-an-email,true,\r\n", "email"),
        (3, "Bad Number,bad@example.org,true,+14255550199\r\n",
         "+14255550199 is not a configured dial-in number"),
        (7, "Ada Again,ADA@example.org,true,\r\n", "twice"),
        (2, "Someone,existing@example.org,true,\r\n", "exists already"),
    ]
    for row, line, why in bad:
        before, mail = d.snapshot(), outbox_ids(d)
        rows = list(GOOD_ROWS)
        rows.insert(row - 2, line)
        rc, out, err = d.cli("user", "import", write_csv(HEADER +
                                                           "".join(rows)))
        assert rc == 1, "exit %d\nstdout: %s\nstderr: %s" % (rc, out, err)
        assert "row %d: error: " % row in err and why in err, (row, err)
        assert err.count("row ") == 1, err   # only the bad row is named
        assert "nothing was imported" in err, err
        assert "created\n" not in out.replace(" created, ", ""), out
        assert d.snapshot() == before, "a refused import changed something"
        assert outbox_ids(d) == mail, "a refused import queued an email"

    # Two bad rows: both named, still nothing.
    rc, out, err = d.cli("user", "import", write_csv(
        HEADER + "".join(GOOD_ROWS) + bad[0][1] + bad[1][1]))
    assert rc == 1 and "row 7: error: " in err and "row 8: error: " in err, err
    assert out.strip().splitlines()[-1] == "0 created, 2 failed", out

    # The fixed file: every row, with its number, and the emails queued.
    mail = outbox_ids(d)
    rc, out, err = d.cli("user", "import", write_csv(HEADER +
                                                       "".join(GOOD_ROWS)))
    assert rc == 0, "exit %d\nstdout: %s\nstderr: %s" % (rc, out, err)
    assert "row 2: ada@example.org: created" in out, out
    assert "row 6: katherine@example.org: created" in out, out
    assert out.strip().splitlines()[-1] == "5 created, 0 failed", out
    got = emails(d)
    for e in ("ada@example.org", "grace@example.org", "jose@example.org",
              "alan@example.org", "katherine@example.org"):
        assert e in got, (e, got)
    ada = d.user("ada@example.org")
    assert ada["displayName"] == "Lovelace, Ada", ada
    assert ada["audioConferencing"]["enabled"] is True
    assert ada["audioConferencing"]["tollNumber"] == "+14255550101", ada
    jose = d.user("jose@example.org")
    assert jose["displayName"] == "José Müller-Łukasiewicz", jose
    assert jose["audioConferencing"]["enabled"] is False, jose
    assert d.user("alan@example.org")["displayName"] == 'Alan "Prof" Turing'
    k = d.user("katherine@example.org")
    assert k["audioConferencing"]["enabled"] is False, k
    # Ada, Grace and Alan have audio conferencing: their "enabled" emails.
    new = [e for e in d.ok("GET", "/api/v1/outbox?limit=500")["emails"]
           if e["id"] not in mail]
    assert len(new) == 3, new
    # Run again: every row exists now, so the whole file is refused.
    before = d.snapshot()
    rc, out, err = d.cli("user", "import", write_csv(HEADER +
                                                       "".join(GOOD_ROWS)))
    assert rc == 1 and err.count("exists already") == 5, err
    assert d.snapshot() == before


def test_import_api_all_or_nothing(d):
    """POST /api/v1/users/import (docs/api.md): the refused users by index,
    the bounds, and a good import in one answer."""
    before = d.snapshot()
    u = [{"email": "api1@example.org", "displayName": "One"},
         {"email": "api2@example.org", "displayName": "",
          "audioConferencing": {"enabled": False}},
         {"email": "api3@example.org", "displayName": "Three",
          "audioConferencing": {"tollFreeNumber": "+18005550000"}}]
    status, _, p = d.api("POST", "/api/v1/users/import", {"users": u})
    assert status == 400, (status, p)
    assert [e["index"] for e in p["errors"]] == [1, 2], p
    assert "nothing was imported" in p["detail"], p
    for body in ({"users": []}, {"users": "x"}, {},
                 {"users": [{"email": "x@example.org"}]},
                 {"users": u[:1], "sendMail": False},
                 {"users": [{"email": "x%d@example.org" % i,
                             "displayName": "X"} for i in range(1001)]}):
        status, _, p = d.api("POST", "/api/v1/users/import", body)
        assert status == 400, (body, status, p)
    assert d.snapshot() == before
    got = d.ok("POST", "/api/v1/users/import",
               {"users": [u[0], {"email": "api2@example.org",
                                 "displayName": "Two",
                                 "audioConferencing": {"enabled": False}}],
                "sendEmail": False}, expect=(201,))
    assert got == {"created": 2, "emailsQueued": 0}, got
    assert {"api1@example.org", "api2@example.org"} <= emails(d)


def test_import_all_good_exit_0(d):
    path = write_csv("email,displayName\n"
                     "ok1@example.org,One\n\n"
                     "ok2@example.org,Two\n")
    rc, out, err = d.cli("user", "import", path)
    assert rc == 0, "exit %d\n%s\n%s" % (rc, out, err)
    assert out.strip().splitlines()[-1] == "2 created, 0 failed", out


def test_import_malformed_sends_nothing(d):
    before = d.snapshot()
    bad = {
        "unbalanced quotes": "email,displayName\n"
                             "m1@example.org,Fine\n"
                             "m2@example.org,\"Never closed\n",
        "misplaced quote": "email,displayName\n"
                           "m1@example.org,Fine\n"
                           "m2@example.org,Bad\"quote\n",
        "unknown column": "email,displayName,shoeSize\n"
                          "m1@example.org,Fine,42\n",
        "no email column": "displayName\nFine\n",
        "extra field": "email,displayName\n"
                       "m1@example.org,Fine\n"
                       "m2@example.org,Fine,extra\n",
        "empty file": "",
        "row over 4 KiB": "email,displayName\n"
                          "m1@example.org,Fine\n"
                          "m2@example.org,\"" + "x" * 5000 + "\"\n",
    }
    for what, text in bad.items():
        rc, out, err = d.cli("user", "import", write_csv(text))
        assert rc == 2, "%s: exit %d\nstdout: %s\nstderr: %s" % (
            what, rc, out, err)
        assert "nothing was imported" in err, (what, err)
    rc, _, err = d.cli("user", "import", "/nonexistent/users.csv")
    assert rc == 2, err
    rc, _, err = d.cli("user", "import")
    assert rc == 2, err
    assert d.snapshot() == before, "a malformed file changed something"
    assert "m1@example.org" not in emails(d)


def test_import_help(d):
    rc, out, _ = d.cli("user", "import", "--help")
    assert rc == 0
    assert "before anything is sent" in out, out
