"""Usage reports (issue 15): GET /api/v1/reports/usage and `dialconf report
usage` over the call records of real calls.

Real callers (sipkit.RawSip, digits as SIP INFO, one loopback address
each): a caller on the toll number and one on the toll-free number join
the same conference and overlap, then a third dials a wrong ID and hangs
up. The report must count what they did: minutes from the seconds each
spent in the conference, three calls, three callers, two at once; by
number, user, conference and day; the same as CSV (format=csv, Accept:
text/csv, the CLI's --csv); and a clear 400 for each kind of bad input."""

import csv
import io
import time
import urllib.parse
from datetime import datetime, timedelta, timezone

from sipkit import NUMBER, RawSip, mask, org, wait_call

API = "/api/v1"
TOLL_FREE = "+18005550199"


def ip(n):
    return "127.0.0.%d" % (90 + n)


def user(n):
    return "+1555%03d3333" % (90 + n)


def report(d, **params):
    return d.ok("GET", API + "/reports/usage?" +
                urllib.parse.urlencode(params))


def report_csv(d, headers=None, **params):
    status, h, _ = d.api("GET", API + "/reports/usage?" +
                         urllib.parse.urlencode(params), headers=headers)
    assert status == 200, (status, d.last_raw[:300])
    assert h["Content-Type"].startswith("text/csv"), h["Content-Type"]
    text = d.last_raw.decode()
    assert text.endswith("\r\n"), "RFC 4180 lines end in CRLF: %r" % text
    return text, list(csv.reader(io.StringIO(text)))


def ended_records(d, n, timeout=10.0):
    """The records of our n callers once all have ended."""
    deadline = time.monotonic() + timeout
    ours = {mask(user(i)) for i in range(1, n + 1)}
    while True:
        recs = [r for r in d.ok("GET", API + "/call-records?limit=100")
                ["records"] if r["caller"] in ours]
        if len(recs) == n and all(r["endedAt"] for r in recs):
            return {r["caller"]: r for r in recs}
        assert time.monotonic() < deadline, \
            "records not ended: %r\n%s" % (recs, d.log_tail(10))
        time.sleep(0.1)


def join(d, n, number, conf_id):
    """Caller n dials number and joins conf_id (the lobby is bypassed);
    returns the call and the moment it joined."""
    s = RawSip(d, user(n), ip=ip(n))
    status, _ = s.invite(number)
    assert status == 200, "INVITE from %s: %d" % (s.ip, status)
    assert s.try_keys(conf_id + "#"), "call of %s ended" % s.user
    wait_call(d, mask(s.user), lambda c: c["conferenceId"] == conf_id,
              "resolved", timeout=5)
    assert s.try_keys("#")  # no organizer PIN: a participant
    wait_call(d, mask(s.user), lambda c: c["state"] == "in-conference",
              "in the conference", timeout=5)
    return s, time.monotonic()


def minutes(seconds):
    return int((seconds * 10 + 30) // 60) / 10


def test_usage_report_of_real_calls(d):
    o = org(d)
    d.ok("POST", API + "/dial-in-numbers", {
        "number": TOLL_FREE, "type": "tollFree", "countryCode": "US",
        "city": "Seattle"}, expect=(200, 201))
    d.ok("PATCH", API + "/settings", {"allowPstnUsersToBypassLobby": True})
    now = datetime.now(timezone.utc)
    # Yesterday too: the calls may straddle midnight UTC.
    frm = (now - timedelta(days=1)).strftime("%Y-%m-%d")
    to = now.strftime("%Y-%m-%d")
    before = report(d, **{"from": frm, "to": to, "groupBy": "number"})
    assert before["totals"] == {"minutes": 0, "calls": 0,
                                "uniqueCallers": 0,
                                "peakConcurrentCalls": 0}, before

    calls = []
    try:
        a, a_in = join(d, 1, NUMBER, o["id"])
        calls.append(a)
        b, b_in = join(d, 2, TOLL_FREE, o["id"])
        calls.append(b)
        time.sleep(2.0)  # both in the conference: two at once
        a.bye()
        a_out = time.monotonic()
        time.sleep(1.5)
        b.bye()
        b_out = time.monotonic()

        wrong = "2345678" if o["id"] != "2345678" else "3456789"
        c = RawSip(d, user(3), ip=ip(3))
        calls.append(c)
        status, _ = c.invite(NUMBER)
        assert status == 200, status
        assert c.try_keys(wrong + "#")
        c.bye()
    finally:
        for s in calls:
            s.close()

    recs = ended_records(d, 3)
    ra, rb, rc = (recs[mask(user(i))] for i in (1, 2, 3))
    # The records the report adds up are the callers' own times.
    assert abs(ra["conferenceSeconds"] - (a_out - a_in)) <= 1.0, \
        (ra, a_out - a_in)
    assert abs(rb["conferenceSeconds"] - (b_out - b_in)) <= 1.0, \
        (rb, b_out - b_in)
    assert rc["conferenceSeconds"] == 0 and rc["conferenceId"] is None, rc
    secs_a, secs_b = ra["conferenceSeconds"], rb["conferenceSeconds"]
    assert secs_a >= 2 and secs_b >= 2, (secs_a, secs_b)

    rng = {"from": frm, "to": to}
    total = {"minutes": minutes(secs_a + secs_b), "calls": 3,
             "uniqueCallers": 3, "peakConcurrentCalls": 2}

    by_number = report(d, groupBy="number", **rng)
    assert by_number["timeZone"] == "UTC", by_number
    assert by_number["from"] == frm + "T00:00:00Z", by_number
    assert by_number["totals"] == total, by_number
    groups = {g["key"]: g for g in by_number["groups"]}
    assert set(groups) == {NUMBER, TOLL_FREE}, groups
    toll = groups[NUMBER]
    assert (toll["minutes"], toll["calls"], toll["uniqueCallers"],
            toll["peakConcurrentCalls"]) == (minutes(secs_a), 2, 2, 1), toll
    assert toll["label"] == "Redmond, US", toll
    free = groups[TOLL_FREE]
    assert (free["minutes"], free["calls"], free["uniqueCallers"],
            free["peakConcurrentCalls"]) == (minutes(secs_b), 1, 1, 1), free
    assert free["label"] == "Seattle, US", free

    by_user = report(d, groupBy="user", **rng)
    ada, nobody = by_user["groups"]  # most minutes first
    assert ada["key"] == str(o["user"]) and \
        ada["email"] == "ada@example.org" and \
        ada["label"] == "Ada Lovelace <ada@example.org>", ada
    assert (ada["calls"], ada["peakConcurrentCalls"],
            ada["minutes"]) == (2, 2, total["minutes"]), ada
    assert nobody["key"] == "" and nobody["calls"] == 1 and \
        nobody["minutes"] == 0 and nobody["email"] is None, nobody

    by_conf = report(d, groupBy="conference", **rng)
    assert [(g["key"], g["calls"], g["peakConcurrentCalls"])
            for g in by_conf["groups"]] == [(o["id"], 2, 2), ("", 1, 1)], \
        by_conf

    by_day = report(d, **rng)  # groupBy defaults to day
    assert [g["key"] for g in by_day["groups"]] == [frm, to], by_day
    assert sum(g["calls"] for g in by_day["groups"]) == 3, by_day
    assert max(g["peakConcurrentCalls"] for g in by_day["groups"]) == 2
    assert by_day["totals"] == total, by_day

    # CSV: the same figures, by format=csv and by Accept.
    text, rows = report_csv(d, groupBy="number", format="csv", **rng)
    assert rows[0] == ["number", "label", "minutes", "calls",
                       "unique_callers", "peak_concurrent_calls"], rows
    want = {NUMBER: [NUMBER, "Redmond, US", "%.1f" % minutes(secs_a),
                     "2", "2", "1"],
            TOLL_FREE: [TOLL_FREE, "Seattle, US", "%.1f" % minutes(secs_b),
                        "1", "1", "1"]}
    # In the JSON's order: most minutes first.
    assert rows[1:3] == [want[g["key"]] for g in by_number["groups"]], rows
    assert rows[3] == ["Total", "", "%.1f" % total["minutes"], "3", "3",
                       "2"], rows
    assert len(rows) == 4, rows
    again, _ = report_csv(d, headers={"Accept": "text/csv"},
                          groupBy="number", **rng)
    assert again == text
    _, rows = report_csv(d, groupBy="user", format="csv", **rng)
    assert rows[0][:4] == ["user", "label", "email", "display_name"], rows
    assert rows[1][:4] == [str(o["user"]), "Ada Lovelace <ada@example.org>",
                           "ada@example.org", "Ada Lovelace"], rows

    # The CLI prints the server's CSV as it is, and a table by default.
    rc_, out, err = d.cli("report", "usage", "--from", frm, "--to", to,
                          "--group-by", "number", "--csv")
    assert rc_ == 0, (rc_, out, err)
    assert out.replace("\r\n", "\n") == text.replace("\r\n", "\n"), \
        (out, text)
    rc_, out, err = d.cli("report", "usage", "--from", frm, "--to", to,
                          "--group-by", "conference")
    assert rc_ == 0 and o["id"] in out and \
        "Total: %.1f minutes, 3 calls, 3 unique callers, peak 2" \
        % total["minutes"] in out, (rc_, out, err)


def test_usage_report_bad_input(d):
    today = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    cases = [
        ({"to": today}, "from is required"),
        ({"from": today}, "to is required"),
        ({"from": "2026-02-30", "to": today}, "neither a date"),
        ({"from": "yesterday", "to": today}, "neither a date"),
        ({"from": "2026-12-01T10:00:00", "to": today}, "neither a date"),
        ({"from": today, "to": "2020-01-01"}, "to must be after from"),
        ({"from": "2024-01-01", "to": "2025-06-01"}, "longer than 366 days"),
        ({"from": today, "to": today, "groupBy": "week"}, "groupBy 'week'"),
        ({"from": today, "to": today, "format": "xml"}, "format 'xml'"),
    ]
    for params, why in cases:
        status, _, problem = d.api("GET", API + "/reports/usage?" +
                                   urllib.parse.urlencode(params))
        assert status == 400, (params, status, problem)
        assert why in problem["detail"], (params, problem)
    # A date-time with an offset is taken, and said back in UTC.
    r = report(d, **{"from": "2026-12-01T10:00:00+02:00",
                     "to": "2026-12-01T12:00:00Z"})
    assert (r["from"], r["to"]) == ("2026-12-01T08:00:00Z",
                                    "2026-12-01T12:00:00Z"), r
    # The longest range is a leap year's 366 days.
    report(d, **{"from": "2024-01-01", "to": "2024-12-31"})
    rc, out, err = d.cli("report", "usage", "--from", today, "--to",
                         "2020-01-01")
    assert rc == 1 and "to must be after from" in err, (rc, out, err)
    rc, out, err = d.cli("report", "usage", "--from", today)
    assert rc == 2 and "--from and --to are required" in err, (rc, err)
