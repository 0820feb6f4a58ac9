"""dialconf user import FILE.csv (SPEC §7): libcsv quoting, the whole file
checked before anything is sent, one line per row, a summary, exit 0 / 1 /
2."""

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


def test_import_good_and_bad_rows(d):
    d.ok("POST", "/api/v1/dial-in-numbers",
         {"number": "+14255550100", "type": "toll", "countryCode": "US"},
         expect=(201,))
    d.ok("POST", "/api/v1/dial-in-numbers",
         {"number": "+14255550101", "type": "toll", "countryCode": "US"},
         expect=(201,))
    # CRLF line ends, a quoted name with a comma, UTF-8, columns in another
    # order, a bad email and a repeat of an earlier row.
    path = write_csv(
        "displayName,email,audioConferencing,tollNumber\r\n"
        "\"Lovelace, Ada\",ada@example.org,true,+14255550101\r\n"
        "Grace Hopper,grace@example.org,,\r\n"
        "José Müller-Łukasiewicz,jose@example.org,no,\r\n"
        "\"Alan \"\"Prof\"\" Turing\",alan@example.org,yes,\r\n"
        "Not An Email,not-an-email,true,\r\n"
        "Ada Again,ada@example.org,true,\r\n"
        "Katherine Johnson,\"katherine@example.org\",FALSE,\r\n")
    rc, out, err = d.cli("user", "import", path, "--no-email")
    assert rc == 1, "exit %d\nstdout: %s\nstderr: %s" % (rc, out, err)
    assert "row 2: ada@example.org: created" in out, out
    assert "row 5: alan@example.org: created" in out, out
    assert "row 8: katherine@example.org: created" in out, out
    assert "row 6: error: " in err, err
    assert "row 7: error: " in err, err
    assert out.strip().splitlines()[-1] == "5 created, 2 failed", out

    got = emails(d)
    for e in ("ada@example.org", "grace@example.org", "jose@example.org",
              "alan@example.org", "katherine@example.org"):
        assert e in got, (e, got)
    assert "not-an-email" not in got
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
