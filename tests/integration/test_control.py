"""Live control of running conferences (issue 15, docs/api.md "Live
control"): an admin mutes, unmutes, removes and admits callers, mutes a
whole conference, locks, unlocks and ends it, through the REST API; the
organizer does the essentials from the phone (*7 lock, *8 lobby, *9 mute
the others). Each admin action is audited; an unknown call or conference
is 404, a state that forbids the action 409.

Real callers (baresip, test_bridge.Caller): each sends its own tone, and
what the others hear is judged by the tone's band in their recordings
(test_bridge.check). A control that reaches a call on another node goes
through the database: two nodes on PostgreSQL, a caller on node B muted
through node A's API (skipped without DIALCONF_TEST_PG_URL)."""

import threading
import time

from harness import Daemon, PgDatabase
from sipkit import calls, mask, org, own_calls, rms, wait_call, wait_gone
from test_bridge import SETTLE, WINDOW, Caller, check

API = "/api/v1"


def audit_count(d, action):
    return sum(1 for e in d.ok("GET", API + "/audit?limit=500")["entries"]
               if e["action"] == action)


def call_of(d, c):
    return wait_call(d, mask(c.user), lambda x: True, "listed")


def bypass(d, on):
    d.ok("PATCH", API + "/settings", {"allowPstnUsersToBypassLobby": on})


def closed(c, timeout=15.0):
    """The server hung up on caller c (its BYE arrived)."""
    c.ua.wait_event("CALL_CLOSED", timeout=timeout)


def control(d, what, key, action, expect=200):
    st, _, body = d.api("POST", "%s/%s/%s/%s" % (API, what, key, action), {})
    assert st == expect, "%s %s %s: %d %r" % (what, key, action, st, body)
    return body


def test_mute_unmute_remove(d):
    o = org(d)
    bypass(d, True)
    a = Caller("+15551010000", 440)
    b = Caller("+15551020000", 1000)
    try:
        for x in (a, b):
            x.dial(d)
            x.keys(o["id"] + "##")
        for x in (a, b):
            wait_call(d, mask(x.user), lambda c: c["state"] ==
                      "in-conference", "in-conference")
        time.sleep(SETTLE)
        a.mark("before")
        time.sleep(WINDOW + 0.2)

        bid = call_of(d, b)["id"]
        got = control(d, "calls", bid, "mute")
        assert got["muted"] is True and got["id"] == bid, got
        wait_call(d, mask(b.user), lambda c: c["muted"], "muted")
        time.sleep(0.5)
        a.mark("muted")
        time.sleep(WINDOW + 0.2)

        # The CLI does the same (dialconf calls unmute ID).
        rc, out, err = d.cli("calls", "unmute", bid)
        assert rc == 0 and "unmute" in out and mask(b.user) in out, \
            (rc, out, err)
        wait_call(d, mask(b.user), lambda c: not c["muted"], "unmuted")
        time.sleep(0.5)
        a.mark("unmuted")
        time.sleep(WINDOW + 0.2)

        # Removed: out of the mix at once, the goodbye, then the BYE.
        b.mark("removed")
        got = control(d, "calls", bid, "remove")
        assert got["state"] == "removed", got
        closed(b)
        wait_gone(d, mask(b.user))
        a.mark("alone")
        time.sleep(WINDOW + 0.2)
        a.hangup()

        check(a, "before", [1000], [440])
        check(a, "muted", [], [1000, 440])
        check(a, "unmuted", [1000], [440])
        check(a, "alone", [], [1000])
        # b heard its goodbye (speech), not the conference.
        rec = b.recording()
        start = b.windows["removed"] + 0.3
        assert rms(rec, start, 1.0) > 0.02, \
            "the removed caller heard no goodbye"
        for action in ("call.mute", "call.unmute", "call.remove"):
            assert audit_count(d, action) == 1, action
        # Gone: 404, and 404 for a call that never was.
        control(d, "calls", bid, "mute", 404)
        control(d, "calls", "999999", "unmute", 404)
        control(d, "calls", "x1", "remove", 404)
    finally:
        for x in (a, b):
            x.close()


def test_lobby_admit_lock_end(d):
    o = org(d)
    bypass(d, False)
    p = Caller("+15552010000", 440)
    q = Caller("+15552020000", 1000)
    late = Caller("+15552030000", 1800)
    after = Caller("+15552040000", 2600)
    try:
        for x in (p, q):
            x.dial(d)
            x.keys(o["id"] + "##")
        for x in (p, q):
            wait_call(d, mask(x.user), lambda c: c["state"] == "lobby",
                      "lobby")
        pid, qid = call_of(d, p)["id"], call_of(d, q)["id"]
        # A lobby caller cannot be muted; nobody is in the conference to
        # lock or mute; unknown conferences are 404.
        control(d, "calls", pid, "mute", 409)
        rc, out, err = d.cli("calls", "mute", pid)
        assert rc == 1 and "not in the conference" in err, (rc, out, err)
        control(d, "conferences", o["id"], "lock", 409)
        control(d, "conferences", o["id"], "mute-all", 409)
        control(d, "conferences", "1234567", "end", 404)
        control(d, "conferences", "12", "lock", 404)

        # One admitted, the other waits on.
        got = control(d, "calls", pid, "admit")
        assert got["state"] == "admitted", got
        wait_call(d, mask(p.user), lambda c: c["state"] == "in-conference",
                  "admitted")
        time.sleep(1.0)
        assert call_of(d, q)["state"] == "lobby", calls(d)
        control(d, "calls", pid, "admit", 409)

        # Locked: a new caller hears so and is hung up; those in stay.
        bypass(d, True)
        got = control(d, "conferences", o["id"], "lock")
        assert got["calls"] == 2 and got["action"] == "lock", got
        wait_call(d, mask(p.user), lambda c: c["conferenceLocked"],
                  "locked")
        late.dial(d)
        late.keys(o["id"] + "##")
        closed(late)
        wait_gone(d, mask(late.user))
        assert call_of(d, q)["state"] == "lobby"

        rc, out, err = d.cli("conference", "unlock", o["id"], "--json")
        assert rc == 0 and '"action": "unlock"' in out, (rc, out, err)
        after.dial(d)
        after.keys(o["id"] + "##")
        wait_call(d, mask(after.user), lambda c: c["state"] ==
                  "in-conference", "in after the unlock")

        # Ended: everyone, in the conference or in the lobby, gets BYE.
        got = control(d, "conferences", o["id"], "end")
        assert got["calls"] == 3, got
        for x in (p, q, after):
            closed(x)
        for x in (p, q, after):
            wait_gone(d, mask(x.user))
        control(d, "conferences", o["id"], "end", 404)
        for action in ("call.admit", "conference.lock", "conference.unlock",
                       "conference.end"):
            assert audit_count(d, action) == 1, action
    finally:
        for x in (p, q, late, after):
            x.close()


def test_organizer_keys(d):
    o = org(d)
    bypass(d, True)
    boss = Caller("+15553010000", 440)
    guest = Caller("+15553020000", 1000)
    late = Caller("+15553030000", 1800)
    try:
        boss.dial(d)
        boss.keys(o["id"] + "#")
        wait_call(d, mask(boss.user), lambda c: c["state"] ==
                  "collecting-id" and c["conferenceId"], "resolved")
        boss.keys("*" + o["pin"] + "#")
        guest.dial(d)
        guest.keys(o["id"] + "##")
        for x in (boss, guest):
            wait_call(d, mask(x.user), lambda c: c["state"] ==
                      "in-conference", "in-conference")
        # A guest's *7 *9 do nothing but the help.
        guest.keys("*7")
        guest.keys("*9")
        time.sleep(0.5)
        assert not any(c["muted"] or c["conferenceLocked"]
                       for c in calls(d)), calls(d)

        boss.keys("*9")
        wait_call(d, mask(guest.user), lambda c: c["muted"], "muted by *9")
        assert not call_of(d, boss)["muted"]
        boss.keys("*7")
        wait_call(d, mask(guest.user), lambda c: c["conferenceLocked"],
                  "locked by *7")
        late.dial(d)
        late.keys(o["id"] + "##")
        closed(late)
        boss.keys("*7")
        wait_call(d, mask(guest.user), lambda c: not c["conferenceLocked"],
                  "unlocked by *7")
        boss.keys("*8")  # nobody waits: the words, and nothing else
        time.sleep(0.5)
        assert len(calls(d)) == 2, calls(d)
    finally:
        for x in (boss, guest, late):
            x.close()


def test_control_across_nodes():
    pg = PgDatabase()
    a = Daemon(db=pg.url)
    b = Daemon(db=pg.url)
    caller = Caller("+15554010000", 440)
    try:
        started = [threading.Thread(target=x.start) for x in (a, b)]
        for t in started:
            t.start()
        for t in started:
            t.join()
        t0 = time.monotonic()
        o = org(b)
        bypass(b, True)
        caller.dial(b)
        caller.keys(o["id"] + "##")
        cid = wait_call(b, mask(caller.user), lambda c: c["state"] ==
                        "in-conference", "in-conference")["id"]
        # Node a lists it (the cluster's calls) but does not hold it.
        assert not any(c["id"] == cid for c in own_calls(a))
        got = control(a, "calls", cid, "mute")
        assert got["muted"] is True, got
        wait_call(b, mask(caller.user), lambda c: c["muted"],
                  "muted through the other node")
        got = control(a, "conferences", o["id"], "lock")
        assert got["node"] != "" and got["calls"] == 1, got
        wait_call(b, mask(caller.user), lambda c: c["conferenceLocked"],
                  "locked through the other node")
        # Audited once, by the node that carried it out.
        rows = pg.sql("SELECT count(*) FROM audit WHERE action = "
                      "'call.mute'")
        assert int(rows[0][0]) == 1, rows
        # Nobody holds it: 404 after the wait.
        control(a, "calls", "999999", "mute", 404)
        print("# control: across nodes in %.1f s" % (time.monotonic() - t0))
        control(a, "calls", cid, "remove")
        closed(caller)
    finally:
        caller.close()
        for x in (a, b):
            x.close()
            x.cleanup()
        pg.drop()
