"""Call records (issue 15): every call leaves one record, written durably
by a background writer, crash-marked after a SIGKILL, deleted after the
retention period; GET /api/v1/calls lists the calls of every node.

Real callers (sipkit.RawSip, digits as SIP INFO, one loopback address
each), read back through GET /api/v1/call-records as an admin would."""

import json
import signal
import time
import urllib.parse

import harness
from harness import Daemon, PgDatabase, Skip
from sipkit import NUMBER, RawSip, calls, mask, org, wait_call, wait_gone

API = "/api/v1"
HEX64 = set("0123456789abcdef")


def ip(n):
    return "127.0.0.%d" % (60 + n)


def user(n):
    return "+1555%03d7777" % (60 + n)


def records(d, **params):
    q = urllib.parse.urlencode(params)
    return d.ok("GET", API + "/call-records" + ("?" + q if q else ""))


def record_of(d, caller, pred=lambda r: True, what="there", timeout=10.0):
    """Poll the records until the one of caller (masked) satisfies pred."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        for r in records(d, limit=100)["records"]:
            if r["caller"] == mask(caller):
                last = r
                if pred(r):
                    return r
        time.sleep(0.1)
    raise AssertionError("record of %s never %s; last %r\n%s"
                         % (caller, what, last, d.log_tail(10)))


def ended(r):
    return r["endedAt"] is not None


def audit_count(d, action):
    return sum(1 for a in d.audit() if a["action"] == action)


def wait_audit(d, action, n, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and audit_count(d, action) < n:
        time.sleep(0.05)


def call(d, n):
    s = RawSip(d, user(n), ip=ip(n))
    status, _ = s.invite(NUMBER)
    assert status == 200, "INVITE from %s: %d" % (s.ip, status)
    return s, time.monotonic()


def key_id(d, s, conf_id):
    assert s.try_keys(conf_id + "#"), "call of %s ended" % s.user
    wait_call(d, mask(s.user), lambda c: c["conferenceId"] == conf_id,
              "resolved", timeout=5)


def test_records_of_calls_crash_and_retention():
    # A node restarts under its name: --node (the default name holds the
    # SIP port, which the harness picks anew at each start).
    with Daemon(["--node", "solo"]) as d:
        o = org(d)
        d.ok("PATCH", API + "/settings", {"dialinFailureLimit": 3})
        node = None
        try:
            # A lobby caller who hangs up: abandoned.
            lob, t0 = call(d, 1)
            key_id(d, lob, o["id"])
            assert lob.try_keys("#")
            c = wait_call(d, mask(lob.user), lambda c: c["state"] == "lobby",
                          "lobby", timeout=5)
            node = c["node"]
            assert node, c
            live = record_of(d, lob.user, lambda r: r["state"] == "lobby",
                             "in the lobby")
            assert live["outcome"] == "live" and live["endedAt"] is None, \
                live
            lob.bye()
            r = record_of(d, lob.user, ended, "ended")
            assert r["outcome"] == "abandoned", r
            assert r["joinedAt"] is None and r["conferenceSeconds"] == 0, r

            # A joined call: the organizer, in the conference ~2 s.
            org_s, t0 = call(d, 2)
            key_id(d, org_s, o["id"])
            assert org_s.try_keys("*")
            wait_call(d, mask(org_s.user),
                      lambda c: c["state"] == "organizer-pin", "pin", 5)
            assert org_s.try_keys(o["pin"] + "#")
            wait_call(d, mask(org_s.user),
                      lambda c: c["state"] == "in-conference", "joined", 10)
            t_in = time.monotonic()
            time.sleep(2)
            org_s.bye()
            t1 = time.monotonic()
            r = record_of(d, org_s.user, ended, "ended")
            assert r["outcome"] == "joined", r
            assert abs(r["durationSeconds"] - (t1 - t0)) < 1.0, \
                (r["durationSeconds"], t1 - t0)
            assert abs(r["conferenceSeconds"] - (t1 - t_in)) <= 1.0, \
                (r["conferenceSeconds"], t1 - t_in)
            assert r["codec"] == "PCMU", r
            assert r["conferenceId"] == o["id"], r
            assert r["userId"] == str(o["user"]), r
            assert r["dialedNumber"] == NUMBER and r["node"] == node, r
            assert r["caller"] == mask(user(2)), r
            assert len(r["callerKey"]) == 64 and set(r["callerKey"]) <= HEX64
            assert r["state"] is None, r
            assert user(2) not in json.dumps(records(d)), "full number"

            # Three wrong IDs: goodbye, wrong-id (and the source refused).
            bad, _ = call(d, 3)
            wrong = "2345678" if o["id"] != "2345678" else "3456789"
            for i in range(3):
                if not bad.try_keys(wrong + "#"):
                    break
                wait_audit(d, "dialin.failure", i + 1)
            assert bad.wait_bye(timeout=20), "no goodbye after 3 wrong IDs"
            r = record_of(d, bad.user, ended, "ended")
            assert r["outcome"] == "wrong-id", r
            assert r["conferenceId"] is None, r

            # SIGKILL mid-call: after the restart the record is crashed.
            victim, _ = call(d, 4)
            key_id(d, victim, o["id"])
            record_of(d, victim.user, lambda r: r["conferenceId"] == o["id"],
                      "resolved in its record")
            time.sleep(1.2)  # a heartbeat after the record
            killed_at = time.time()
            assert d.stop(signal.SIGKILL) == -signal.SIGKILL
            d.start()
            r = record_of(d, victim.user, ended, "ended after the restart")
            assert r["outcome"] == "crashed", r
            ended_s = time.mktime(time.strptime(
                r["endedAt"], "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
            assert killed_at - 3 <= ended_s <= killed_at + 1, \
                (r["endedAt"], killed_at)

            # The guard's refusal, decided by the workers (the node's
            # edge forgot the address with the restart): refused.
            again = RawSip(d, user(3), ip=ip(3))
            try:
                status, _ = again.invite(NUMBER)
                assert status == 403, status
            finally:
                again.close()
            rs = [x for x in records(d)["records"]
                  if x["caller"] == mask(user(3))]
            deadline = time.monotonic() + 5
            while len(rs) < 2 and time.monotonic() < deadline:
                time.sleep(0.1)
                rs = [x for x in records(d)["records"]
                      if x["caller"] == mask(user(3))]
            assert [x["outcome"] for x in rs] == ["refused", "wrong-id"], rs
            assert rs[0]["answeredAt"] is None and rs[0]["endedAt"], rs[0]

            # Paging and filters.
            all_ = records(d, limit=100)["records"]
            assert len(all_) == 5, [x["outcome"] for x in all_]
            page = records(d, limit=4)
            assert len(page["records"]) == 4 and page["nextCursor"]
            rest = records(d, limit=4, cursor=page["nextCursor"])
            assert rest["nextCursor"] is None
            assert [x["id"] for x in page["records"] + rest["records"]] == \
                [x["id"] for x in all_]
            mine = records(d, conferenceId=o["id"])["records"]
            assert {x["caller"] for x in mine} == \
                {mask(user(n)) for n in (1, 2, 4)}, mine
            assert records(d, **{"from": "2100-01-01T00:00:00Z"})[
                "records"] == []
            st, _, _ = d.api("GET", API + "/call-records?from=yesterday")
            assert st == 400

            rc, out, err = d.cli("records", "list", "--conference", o["id"])
            assert rc == 0, (rc, out, err)
            assert "joined" in out and "crashed" in out and "solo" in out \
                and "wrong-id" not in out, out

            # Retention 0 days: the ended records go, a live one stays.
            live_s, _ = call(d, 5)
            record_of(d, live_s.user, what="written")
            d.ok("PATCH", API + "/settings", {"callRecordRetentionDays": 0})
            deadline = time.monotonic() + 10
            left = None
            while time.monotonic() < deadline:
                left = records(d)["records"]
                if len(left) == 1:
                    break
                time.sleep(0.2)
            assert [x["caller"] for x in left] == [mask(user(5))], left
            live_s.bye()
        finally:
            for s in ("lob", "org_s", "bad", "victim", "live_s"):
                x = locals().get(s)
                if x is not None:
                    x.close()


def test_two_nodes_list_each_others_calls_and_mark_a_dead_one():
    if harness.PG_ALL:  # its own database already: once, in the SQLite lane
        raise Skip("runs with DIALCONF_TEST_PG_URL in the SQLite lane")
    pg = PgDatabase()
    nodes = []
    callers = []
    try:
        for name in ("alpha", "beta"):
            nodes.append(Daemon(["--node", name], db=pg.url).start())
        a, b = nodes
        o = org(a)
        for i, d in enumerate(nodes):
            s = RawSip(d, user(10 + i), ip=ip(10 + i))
            callers.append(s)
            status, _ = s.invite(NUMBER)
            assert status == 200, status
            key_id(d, s, o["id"])
        want = {mask(user(10)): "alpha", mask(user(11)): "beta"}
        for d in nodes:
            deadline = time.monotonic() + 5
            seen = {}
            while time.monotonic() < deadline:
                seen = {c["caller"]: c["node"] for c in calls(d)}
                if seen == want:
                    break
                time.sleep(0.1)
            assert seen == want, (d.url, seen)
        # The other node's call as its record has it (a batch behind).
        wait_call(a, mask(user(11)),
                  lambda c: c["node"] == "beta" and
                  c["conferenceId"] == o["id"], "resolved on beta", 5)
        rc, out, err = a.cli("calls")
        assert rc == 0 and "beta" in out and "alpha" in out, (out, err)
        # beta dies: once its heartbeat is 10 s old, alpha lists its call
        # no more and marks its record crashed (each node looks every 5 s).
        assert b.stop(signal.SIGKILL) == -signal.SIGKILL
        r = record_of(a, user(11), ended, "ended by alpha", timeout=25)
        assert r["outcome"] == "crashed" and r["node"] == "beta", r
        wait_gone(a, mask(user(11)), timeout=5)
        assert [c["node"] for c in calls(a)] == ["alpha"]
    finally:
        for s in callers:
            s.close()
        for d in nodes:
            d.close(check=False)
        pg.drop()
