"""The dialconf command line against the real daemon: output, --json and
exit codes (0 ok, 1 operation failed, 2 usage)."""

import json
import os
import re
import shutil
import subprocess
import tempfile

from harness import user_of, TOKEN_NAME, assert_confid


def run(d, *args, rc=0):
    got, out, err = d.cli(*args)
    assert got == rc, "dialconf %s: exit %d, expected %d\nstdout: %s\n" \
        "stderr: %s" % (" ".join(args), got, rc, out, err)
    return out, err


def show_json(d, *args):
    out, _ = run(d, *args, "--json")
    try:
        return json.loads(out)
    except ValueError:
        raise AssertionError("dialconf %s --json printed no JSON: %r"
                             % (" ".join(args), out))


def test_cli_reset_conference_id(d):
    out, _ = run(d, "user", "add", "ada@example.org", "--name",
                 "Ada Lovelace")
    assert "ada@example.org" in out, "user add says nothing of the user"
    user = show_json(d, "user", "show", "ada@example.org")
    assert user == d.user("ada@example.org"), \
        "user show --json is not the API's user"
    old = user["audioConferencing"]["conferenceId"]
    assert_confid(old)
    out, _ = run(d, "user", "show", "ada@example.org")
    assert old in out and "Ada Lovelace" in out, \
        "user show does not show the name and the conference ID: %r" % out

    out, err = run(d, "user", "reset-conference-id", "ada@example.org")
    new = d.user("ada@example.org")["audioConferencing"]["conferenceId"]
    assert_confid(new)
    assert new != old
    assert new in out, "reset output does not mention the new ID %s: %r" \
        % (new, out)

    o = show_json(d, "conference-id", "show", old)
    assert (o["conferenceId"], o["state"], o["kind"], o["user"]["email"]) \
        == (old, "revoked", "personal", "ada@example.org"), o
    n = show_json(d, "conference-id", "show", new)
    assert (n["state"], n["kind"], n["user"]["email"]) == \
        ("live", "personal", "ada@example.org"), n
    out, _ = run(d, "conference-id", "show", old)
    assert "revoked" in out.lower(), "human output of a revoked ID: %r" % out
    assert "ada@example.org" in out
    out, _ = run(d, "conference-id", "show", new)
    assert "live" in out.lower(), "human output of a live ID: %r" % out

    # --json of the reset is the API's answer.
    res = show_json(d, "user", "reset-conference-id", "ada@example.org",
                    "--no-email", "--no-invitation-update")
    assert res["previousConferenceId"] == new, res
    assert_confid(res["conferenceId"])
    assert res["emailQueued"] is False, res

    audit = show_json(d, "audit", "--limit", "5")
    entries = audit["entries"] if isinstance(audit, dict) else audit
    resets = [e for e in entries if e["action"] == "confid.reset"]
    assert len(resets) == 2, entries
    assert all(e["actor"] == TOKEN_NAME and e["target"] == "ada@example.org"
               for e in resets), resets
    out, _ = run(d, "audit")
    assert "confid.reset" in out and "ada@example.org" in out, out


def test_cli_exit_codes(d):
    before = d.snapshot()
    for args in (("user", "show", "nobody@example.org"),
                 ("user", "reset-conference-id", "nobody@example.org"),
                 ("user", "reset-pin", "nobody@example.org"),
                 ("user", "delete", "nobody@example.org"),
                 ("number", "remove", "+14255550000"),
                 ("conference-id", "show", "5820417")):
        out, err = run(d, *args, rc=1)
        assert err.strip(), "dialconf %s: no message on stderr" % " ".join(
            args)
    got, _, err = d.cli("conference-id", "show", "12ab")
    assert got in (1, 2) and err.strip(), \
        "malformed ID: exit %d, stderr %r" % (got, err)
    _, err = run(d, "user", "show", "nobody@example.org", rc=1)
    assert "nobody@example.org" in err or "not found" in err.lower() or \
        "no user" in err.lower(), "unhelpful message: %r" % err

    for args in (("frobnicate",),
                 ("user", "frobnicate"),
                 ("user", "list", "--bogus"),
                 ("user", "add", "x@example.org"),           # no --name
                 ("user", "reset-conference-id"),            # no USER
                 ("user", "set", "x@example.org", "--audio-conferencing",
                  "maybe"),
                 ("settings", "set", "pinLength"),           # no =VALUE
                 ("audit", "--limit")):
        out, err = run(d, *args, rc=2)
        assert err.strip(), "usage error without a message: %r" % (args,)
    assert d.snapshot() == before, "failed commands changed something"


def test_cli_help(d):
    for args in (("--help",), ("user", "--help"), ("user", "list", "--help"),
                 ("user", "reset-conference-id", "--help"),
                 ("user", "set", "--help"), ("number", "add", "--help"),
                 ("settings", "set", "--help"),
                 ("conference-id", "show", "--help"), ("audit", "--help"),
                 ("admin", "token", "--help"), ("serve", "--help")):
        out, err = run(d, *args, rc=0)
        assert out.strip(), "dialconf %s prints nothing" % " ".join(args)
    out, _ = run(d, "user", "reset-conference-id", "--help")
    assert "--no-email" in out, out
    # Every way to the help names both offline admin commands (issue 20).
    for args in (("--help",), ("admin", "--help"), ("admin", "passwd",
                                                     "--help")):
        out, _ = run(d, *args, rc=0)
        assert "admin passwd" in out, "dialconf %s: %s" % (" ".join(args),
                                                            out)
    for args in (("admin",), ("admin", "bogus"), ("bogus",)):
        _, err = run(d, *args, rc=2)
        assert "admin token" in err and "admin passwd" in err, \
            "dialconf %s: %s" % (" ".join(args), err)


def admin_token(d, *args):
    """`dialconf admin token ARGS` as $(...) would run it: (stdout, stderr)."""
    p = subprocess.run([d.bin, "admin", "token"] + list(args),
                       capture_output=True, text=True, timeout=30,
                       stdin=subprocess.DEVNULL)
    assert p.returncode == 0, "admin token %s: exit %d: %s" % (
        " ".join(args), p.returncode, p.stderr)
    return p.stdout, p.stderr


def test_cli_admin_token_names_its_database(d):
    """Issue 20 item 4: stdout is the token alone (for $(...)), stderr
    says which database it went to, so a token made for another --data is
    not a mystery 401."""
    args = ["--data", d.data_dir, "--name", "cli-where"]
    if d.db:
        args += ["--db", d.db]
    out, err = admin_token(d, *args)
    token = out.strip()
    assert re.fullmatch(r"[A-Za-z0-9_-]+", token) and out == token + "\n", \
        "stdout is more than the token: %r" % out
    if d.db:  # PostgreSQL: the database, never its credentials
        assert d.db.rsplit("/", 1)[1] in err, err
        assert "postgres://" in err, err
    else:
        assert os.path.join(d.data_dir, "dialconf.db") in err, err
    assert d.data_dir in err, err
    status, _, me = d.api("GET", "/api/v1/users", token=token)
    assert status == 200, "the token it printed: %d %r" % (status, me)

    # Another folder: stderr names it, and the server refuses the token.
    other = tempfile.mkdtemp(prefix="dialconf-itest-other-")
    try:
        out, err = admin_token(d, "--data", other)
        assert os.path.join(other, "dialconf.db") in err, err
        assert d.data_dir not in err, err
        status = d.api("GET", "/api/v1/users", token=out.strip())[0]
        assert status == 401, "a token of another database: %d" % status
    finally:
        shutil.rmtree(other, ignore_errors=True)


def test_cli_bad_token_and_no_daemon(d):
    got, out, err = d.cli("user", "list", token="not-a-token")
    assert got == 1, "bad token: exit %d" % got
    assert err.strip()
    got, out, err = d.cli("user", "list", url="http://127.0.0.1:9")
    assert got == 1, "no daemon: exit %d" % got
    assert err.strip()


def test_cli_user_lifecycle(d):
    run(d, "user", "add", "bob@example.org", "--name", "Bob Babbage",
        "--no-audio-conferencing")
    u = show_json(d, "user", "show", "bob@example.org")
    assert u["audioConferencing"]["enabled"] is False
    assert u["audioConferencing"]["conferenceId"] is None
    _, err = run(d, "user", "reset-conference-id", "bob@example.org", rc=1)
    assert err.strip()

    u = show_json(d, "user", "set", "bob@example.org", "--audio-conferencing",
                  "on", "--name", "Robert Babbage")
    assert u["displayName"] == "Robert Babbage"
    cid = u["audioConferencing"]["conferenceId"]
    assert_confid(cid)
    assert d.user("bob@example.org") == user_of(u)
    run(d, "user", "set", "bob@example.org", "--audio-conferencing", "off")
    assert d.lookup(cid)["state"] == "revoked"

    listing = show_json(d, "user", "list")
    users = listing["users"] if isinstance(listing, dict) else listing
    mine = [x for x in users if x["email"] == "bob@example.org"]
    assert mine == [d.user("bob@example.org")], listing
    assert len(users) == len(d.all_users()), listing
    out, _ = run(d, "user", "list")
    assert "bob@example.org" in out and "Robert Babbage" in out, out

    run(d, "user", "delete", "bob@example.org")
    assert d.api("GET", "/api/v1/users/bob@example.org")[0] == 404
    assert d.audit(limit=1)[0]["action"] == "user.delete"
    run(d, "user", "show", "bob@example.org", rc=1)


def test_cli_settings(d):
    s = show_json(d, "settings", "show")
    assert s == d.settings(), "settings show --json is not the API's"
    out, _ = run(d, "settings", "show")
    assert re.search(r"pinLength\W+%d" % s["pinLength"], out), out
    run(d, "settings", "set", "pinLength=6",
        "automaticallySendEmailsToUsers=false",
        "organizationName=Fabrikam Ltd")
    s2 = d.settings()
    assert (s2["pinLength"], s2["automaticallySendEmailsToUsers"],
            s2["organizationName"]) == (6, False, "Fabrikam Ltd"), s2
    # A bad value anywhere: refused, nothing changed.
    got, _, err = d.cli("settings", "set", "pinLength=7", "pinLength2=1")
    assert got == 1, "unknown setting: exit %d" % got
    got, _, err = d.cli("settings", "set", "pinLength=13")
    assert got == 1, "pinLength=13: exit %d" % got
    assert err.strip()
    assert d.settings() == s2


def test_cli_settings_same_answer_as_api(d):
    """One parser, one message (issue #20): for the same bad value the CLI
    says what the API says, word for word, and nothing changes."""
    before = d.settings()
    for name, text, body in (
            ("maxParticipants", "abc", "abc"),          # text for an integer
            ("automaticallySendEmailsToUsers", "yes", "yes"),  # not a bool
            ("maxParticipants", "1", 1),                # out of range
            ("maxParticipants", "10001", 10001),
            ("pinLength", "4.5", 4.5),
            ("noSuchSetting", "1", 1)):
        status, _, problem = d.api("PATCH", "/api/v1/settings",
                                   {name: body})
        assert status == 400, (name, text, status, problem)
        got, out, err = d.cli("settings", "set", "%s=%s" % (name, text))
        assert got == 1, (name, text, got, out, err)
        assert err.strip() == "dialconf: " + problem["detail"], (
            name, text, err, problem)
    assert d.settings() == before
    # The good values still take their JSON types.
    run(d, "settings", "set", "maxParticipants=30",
        "automaticallySendEmailsToUsers=false")
    s = d.settings()
    assert (s["maxParticipants"], s["automaticallySendEmailsToUsers"]) == (
        30, False), s


def test_cli_admin_passwd_removes_the_initial_password_file():
    """Issue 20 item 8: once admin's password is changed, the first one in
    DATA/initial-admin-password is stale, and the file goes. Its own daemon:
    the shared one's admin password stays as it was."""
    from harness import Daemon

    with Daemon(token=False) as d:
        path = os.path.join(d.data_dir, "initial-admin-password")
        assert os.path.exists(path), "serve wrote no initial password file"

        def passwd(*user):
            argv = [d.bin, "admin", "passwd", "--data", d.data_dir]
            if d.db:
                argv += ["--db", d.db]
            p = subprocess.run(argv + list(user), input="a new secret pw\n",
                               capture_output=True, text=True, timeout=30)
            assert p.returncode == 0, (user, p.returncode, p.stderr)
            return p

        # Another account's password: admin's first one still works.
        passwd("ops")
        assert os.path.exists(path), \
            "another user's password removed admin's initial password file"
        passwd()  # USERNAME defaults to admin
        assert not os.path.exists(path), \
            "initial-admin-password is stale after admin passwd"
        passwd("admin")  # again, with no file: no error


def test_cli_malformed_conference_id_says_why(d):
    """Issue 20 item 8: "not a valid conference ID" says which rule."""
    for bad, why in (("123", "it has 3 digits; a conference ID has 7"),
                     ("0582041", "first digit may not be 0"),
                     ("2222222", "trivial pattern")):
        _, err = run(d, "conference-id", "show", bad, rc=1)
        assert "not a valid conference ID" in err and why in err, \
            "dialconf conference-id show %s: %r" % (bad, err)
