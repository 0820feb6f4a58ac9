"""One conference across nodes (issue 13): conference homes and inter-node
legs.

Two `dialconf serve` nodes on one fresh PostgreSQL database (skipped
without DIALCONF_TEST_PG_URL, as test_nodes.py), real baresip callers
sending tones (test_bridge.Caller), one ID. The first caller's node
becomes the conference's home; a caller of the same ID on the other node
is bridged to it over an inter-node SIP leg. What a caller heard is judged
by band energy, as the bridge tests do: each hears the others' tones and
not their own (no echo through the other node)."""

import signal
import time

from harness import PgDatabase
from sipkit import NUMBER, RawSip, calls, mask, org, own_calls, wait_call
from test_bridge import SETTLE, WINDOW, Caller, check, close_all
from test_kamailio import Front, Kamailio, node_of
from test_nodes import close_nodes, start_nodes

FAILOVER_S = 5.0  # the goal: talking again within 5 s


def in_conference(d, c):
    wait_call(d, mask(c.user), lambda x: x["state"] == "in-conference",
              "in-conference")


def bypass(d, on):
    d.ok("PATCH", "/api/v1/settings", {"allowPstnUsersToBypassLobby": on})


def cluster():
    pg = PgDatabase()
    nodes = start_nodes(pg, 2)
    return pg, nodes


def test_callers_on_two_nodes_hear_each_other_stranger_refused():
    """Behind deploy/kamailio: its dispatcher sends the two calls to the
    two nodes in turn; the first caller's node (a) is the home, the
    second's (b) bridges its caller there."""
    pg, nodes = cluster()
    o = org(nodes[0])
    bypass(nodes[0], True)
    kam = Kamailio(nodes)
    x = Caller("+15551310000", 440)
    y = Caller("+15551320000", 1000)
    try:
        x.dial(Front(kam.port))
        a = node_of(nodes, mask(x.user))
        x.keys(o["id"] + "##")
        in_conference(a, x)          # node a is the home from now on
        y.dial(Front(kam.port))
        b = node_of(nodes, mask(y.user))
        assert a is not b, "Kamailio sent both calls to one node"
        y.keys(o["id"] + "##")
        in_conference(b, y)          # bridged to a
        assert "event=leg-out" in b.log_text(), b.log_tail()
        assert "event=leg-in" in a.log_text(), a.log_tail()
        # Each node lists its own caller once; the leg is no caller.
        assert [c["caller"] for c in own_calls(a)] == [mask(x.user)], \
            calls(a)
        assert [c["caller"] for c in own_calls(b)] == [mask(y.user)], \
            calls(b)
        homes = pg.sql("SELECT sip_uri FROM conference_homes")
        assert homes == [["sip:127.0.0.1:%d" % a.sip_port]], homes  # A
        time.sleep(SETTLE)
        x.mark("both")
        y.mark("both")
        time.sleep(WINDOW + 0.2)
        # *6 on node B mutes at the home, and node B's list says so.
        y.keys("*6")
        wait_call(b, mask(y.user), lambda c: c["muted"], "muted")
        time.sleep(0.5)
        x.mark("muted")
        time.sleep(WINDOW + 0.2)
        # An admin unmutes the bridged caller through node A's API: the
        # control reaches node B, which holds the call, and the home
        # unmutes it (B's list follows the home).
        yid = [c["id"] for c in own_calls(b) if c["caller"] == mask(y.user)]
        a.ok("POST", "/api/v1/calls/%s/unmute" % yid[0], {})
        wait_call(b, mask(y.user), lambda c: not c["muted"], "unmuted")

        # A stranger who knows the Request-URI form: no signature, or a
        # wrong one, is refused (and never joins).
        s = RawSip(a, "+15551330000")
        try:
            conf = "conf-personal-%s" % o["user"]
            st, _ = s.invite(conf)
            assert st == 403, st
            st, _ = s.invite(conf, headers=(
                "X-Dialconf-Role: organizer",
                "X-Dialconf-Conference: " + o["id"],
                "X-Dialconf-Time: %d" % int(time.time()),
                "X-Dialconf-Auth: " + "0" * 64))
            assert st == 403, st
        finally:
            s.close()
        assert "event=leg-refused status=403" in a.log_text()

        x.hangup()
        y.hangup()
        check(x, "both", [1000], [440])
        check(y, "both", [440], [1000])
        check(x, "muted", [], [440, 1000])
        # The last caller gone, the home is given up.
        deadline = time.monotonic() + 10
        while pg.sql("SELECT count(*) FROM conference_homes") != [["0"]]:
            assert time.monotonic() < deadline, "home never released"
            time.sleep(0.1)
    except Exception:
        print("# kamailio log:\n# " + kam.text()[-2000:].replace(
            "\n", "\n# "))
        raise
    finally:
        kam.close()
        close_all([x, y])
        close_nodes(nodes)


def test_lobby_released_from_the_other_node_limit_counts_both():
    pg, (a, b) = cluster()
    o = org(a)
    bypass(a, False)
    a.ok("PATCH", "/api/v1/settings", {"maxParticipants": 3})
    guest = Caller("+15551410000", 440)
    guest2 = Caller("+15551440000", 2600)
    boss = Caller("+15551420000", 1000)
    extra = Caller("+15551430000", 1800)
    late = Caller("+15551450000", 1800)
    try:
        guest.dial(a)
        guest.keys(o["id"] + "##")
        wait_call(a, mask(guest.user), lambda c: c["state"] == "lobby",
                  "lobby")
        # A second guest on node B waits in the home's lobby (bridged).
        guest2.dial(b)
        guest2.keys(o["id"] + "##")
        wait_call(b, mask(guest2.user), lambda c: c["state"] == "lobby",
                  "lobby")
        deadline = time.monotonic() + 10
        while "role=lobby" not in a.log_text():
            assert time.monotonic() < deadline, a.log_tail()
            time.sleep(0.1)
        # The organizer calls node B: its arrival at the home lets both
        # guests in, the one on node A and the one on node B.
        boss.dial(b)
        boss.keys(o["id"] + "#")
        wait_call(b, mask(boss.user),
                  lambda c: c["conferenceId"] == o["id"], "resolved")
        boss.keys("*")
        wait_call(b, mask(boss.user),
                  lambda c: c["state"] == "organizer-pin", "organizer-pin")
        boss.keys(o["pin"] + "#")
        in_conference(b, boss)
        in_conference(a, guest)
        in_conference(b, guest2)
        time.sleep(SETTLE)
        for c in (guest, guest2, boss):
            c.mark("in")
        time.sleep(WINDOW + 0.2)

        # A fourth caller, on node B, in a conference of at most three
        # (one on node A, two on node B): turned away by the home.
        extra.dial(b)
        extra.keys(o["id"] + "##")
        extra.ua.wait_event("CALL_CLOSED", timeout=20)
        assert "event=conference-full" in a.log_text(), a.log_tail()
        # Locked through node b's API, whose callers of it are all bridged
        # (no mix there: the lock goes on to the home): a new caller on
        # node b is turned away by the home, though the organizer is in
        # and there is room again.
        a.ok("PATCH", "/api/v1/settings", {"maxParticipants": 10})
        b.ok("POST", "/api/v1/conferences/%s/lock" % o["id"], {})
        deadline = time.monotonic() + 10
        while "event=conference-lock" not in a.log_text():
            assert time.monotonic() < deadline, a.log_tail()
            time.sleep(0.1)
        late.dial(b)
        late.keys(o["id"] + "##")
        late.ua.wait_event("CALL_CLOSED", timeout=20)
        assert not any(c["caller"] == mask(late.user) and
                       c["state"] == "in-conference" for c in calls(a))
        for c in (guest, guest2, boss):
            c.hangup()
        check(guest, "in", [1000, 2600], [440])
        check(guest2, "in", [440, 1000], [2600])
        check(boss, "in", [440, 2600], [1000])
    finally:
        close_all([guest, guest2, boss, extra, late])
        close_nodes([a, b])


def test_home_killed_survivors_talk_again_within_5s_then_no_database():
    pg, (a, b) = cluster()
    o = org(a)
    bypass(a, True)
    x = Caller("+15551510000", 440)
    y = Caller("+15551520000", 1000)
    z = Caller("+15551530000", 1800)
    try:
        x.dial(a)
        x.keys(o["id"] + "##")
        in_conference(a, x)
        for c in (y, z):
            c.dial(b)
            c.keys(o["id"] + "##")
        for c in (y, z):
            in_conference(b, c)
        time.sleep(SETTLE)
        y.mark("before")
        z.mark("before")
        time.sleep(WINDOW + 0.2)

        killed = time.monotonic()
        a.stop(signal.SIGKILL)
        # Talking again within 5 s: the window measured ends there.
        time.sleep(max(0.0, killed + FAILOVER_S - WINDOW - time.monotonic()))
        y.mark("after")
        z.mark("after")
        time.sleep(WINDOW + 0.2)
        assert "event=leg-silent" in b.log_text(), b.log_tail()

        # Then the database goes away too (dropped, its connections cut,
        # every reconnection refused): node b's conference goes on, and a
        # new caller is told 503 with Retry-After (Kamailio's dispatcher
        # then tries another node), not 500, not a call never answered.
        pg.drop()
        time.sleep(0.5)
        y.mark("no-db")
        z.mark("no-db")
        s = RawSip(b, "+15551540000")
        try:
            st, _ = s.invite(NUMBER, timeout=10)
            assert st == 503, st
            assert s.final[1].get("retry-after"), s.final
        finally:
            s.close()
        time.sleep(max(0.0, WINDOW + 0.2 - 0.5))
        y.hangup()
        z.hangup()
        check(y, "before", [440, 1800], [1000])
        check(z, "before", [440, 1000], [1800])
        # (The dead node's caller is gone with it.)
        check(y, "after", [1800], [1000, 440])
        check(z, "after", [1000], [1800, 440])
        check(y, "no-db", [1800], [1000])
        check(z, "no-db", [1000], [1800])
    finally:
        close_all([x, y, z])
        close_nodes([b])
        a.cleanup()

