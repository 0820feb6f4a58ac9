"""`dialconf serve --demo` (what `make run` starts): a small organization
ready for the README's walk-through."""

from harness import user_of, Daemon, assert_confid


def check_demo(d):
    users = d.all_users()
    assert 2 <= len(users) <= 50, "demo has %d users" % len(users)
    by_email = {u["email"]: u for u in users}
    # The README's walk-through uses Ada.
    assert "ada@example.org" in by_email, sorted(by_email)
    ada = by_email["ada@example.org"]
    assert ada["audioConferencing"]["enabled"] is True

    numbers = d.numbers()
    types = {n["type"] for n in numbers}
    assert types >= {"toll", "tollFree"}, numbers
    for t in ("toll", "tollFree"):
        defs = [n for n in numbers if n["type"] == t and n["isDefault"]]
        assert len(defs) == 1, "demo %s defaults: %r" % (t, defs)
        assert ada["audioConferencing"][{"toll": "tollNumber",
                                         "tollFree": "tollFreeNumber"}[t]] \
            == defs[0]["number"]

    enabled = [u for u in users if u["audioConferencing"]["enabled"]]
    assert enabled, "no demo user is enabled for audio conferencing"
    ids = set()
    for u in users:
        ac = u["audioConferencing"]
        if ac["enabled"]:
            assert_confid(ac["conferenceId"], u["email"])
            look = d.lookup(ac["conferenceId"])
            assert look["state"] == "live", look
            assert look["user"]["id"] == u["id"], look
            ids.add(ac["conferenceId"])
        else:
            assert ac["conferenceId"] is None, u
    assert len(ids) == len(enabled), "demo users share an ID"
    return users, numbers


def test_demo_organization():
    with Daemon(["--demo"]) as d:
        users, numbers = check_demo(d)
        settings = d.settings()
        # `make run` runs serve --demo every time on ./var: the second start
        # must neither fail nor add the demo again.
        d.restart()
        users2, numbers2 = check_demo(d)
        assert users2 == users, "restart with --demo changed the users"
        assert numbers2 == numbers
        assert d.settings() == settings

        # The walk-through works on it.
        rc, out, err = d.cli("user", "reset-conference-id", "ada@example.org")
        assert rc == 0, err
        new = d.user("ada@example.org")["audioConferencing"]["conferenceId"]
        assert new in out
        assert d.lookup(new)["state"] == "live"


def test_demo_is_not_added_to_a_used_organization():
    """--demo on a data dir with the admin's own data keeps that data as it
    was and never adds the demo people twice."""
    with Daemon() as d:
        mine = d.create_user("zed@example.org", "Zed Own")
        d.extra_args = ["--demo"]
        d.restart()
        assert d.user("zed@example.org") == user_of(mine)
        count = len(d.all_users())
        d.restart()
        assert len(d.all_users()) == count, "--demo adds users at every start"
