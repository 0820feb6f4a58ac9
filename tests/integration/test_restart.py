"""The daemon's life: first start, SIGTERM, restart on the same data."""

import os
import stat
import subprocess

from harness import Daemon, assert_confid


def test_data_survives_restart():
    with Daemon() as d:
        ada = d.create_user("ada@example.org", "Ada Lovelace")
        d.create_user("bob@example.org", "Bob Babbage", audio=False)
        old = ada["audioConferencing"]["conferenceId"]
        new = d.ok("POST", "/api/v1/users/ada@example.org/audio-conferencing/"
                   "reset-conference-id", {})["conferenceId"]
        d.ok("POST", "/api/v1/dial-in-numbers",
             {"number": "+14255550100", "type": "toll", "countryCode": "US",
              "city": "Redmond"}, expect=(201,))
        d.ok("PATCH", "/api/v1/settings", {"pinLength": 7})
        before = d.snapshot()

        d.restart()  # asserts exit status 0 on SIGTERM

        # The same token still works (it is stored, not in memory).
        after = d.snapshot()
        assert after == before, "restart changed what the admin sees:\n" \
            "before %r\nafter  %r" % (before, after)
        assert d.user("ada@example.org")["audioConferencing"][
            "conferenceId"] == new
        assert d.lookup(new)["state"] == "live"
        assert d.lookup(old)["state"] == "revoked"
        assert d.settings()["pinLength"] == 7
        # And it keeps working: a reset after the restart.
        newer = d.ok("POST", "/api/v1/users/ada@example.org/"
                     "audio-conferencing/reset-conference-id",
                     {})["conferenceId"]
        assert_confid(newer)
        assert newer not in (old, new)
        assert d.lookup(new)["state"] == "revoked"


def test_first_start_prints_admin_password_once():
    with Daemon() as d:
        path = os.path.join(d.data_dir, "initial-admin-password")
        assert os.path.isfile(path), "no %s after the first start" % path
        mode = stat.S_IMODE(os.stat(path).st_mode)
        assert mode == 0o600, "initial-admin-password has mode %o" % mode
        with open(path) as f:
            password = f.read().strip()
        assert len(password) >= 12, "a weak first password: %r" % password
        first = d.log_text()
        assert password in first, \
            "serve did not print the first admin password:\n%s" % first
        assert first.count(password) == 1, "printed more than once"
        actions = [e["action"] for e in d.audit()]
        assert "admin.create" in actions, actions
        assert "token.create" in actions, actions

        d.restart()
        second = d.log_text()
        assert password not in second, \
            "the password was printed again on the second start:\n%s" % second
        assert [e["action"] for e in d.audit()].count("admin.create") == 1


def test_port_in_use_fails_cleanly():
    with Daemon() as d:
        other = Daemon()
        try:
            p = subprocess.run(
                [other.bin, "serve", "--data", other.data_dir, "--http",
                 "127.0.0.1:%d" % d.port], capture_output=True, text=True,
                timeout=15, stdin=subprocess.DEVNULL)
            assert p.returncode == 1, "serve on a busy port: exit %d" \
                % p.returncode
            assert p.stderr.strip(), "serve on a busy port: no message"
        finally:
            other.cleanup()
        assert d.api("GET", "/healthz", token=None)[0] == 200
