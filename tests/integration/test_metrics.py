"""GET /metrics (docs/api.md "Metrics"): Prometheus text format 0.0.4 behind
the token, counting what an operator watches: resets, failed and refused
dial-ins (SPEC §6: every failure is counted), emails, HTTP answers, and
gauges read from the database."""

import re
import time
import urllib.request

from harness import Daemon, assert_problem
from sipkit import NUMBER, RawSip, mask, org, wait_call, wait_gone

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"'
SAMPLE = re.compile(r"^(%s)(\{%s(?:,%s)*\})? (-?[0-9]+(?:\.[0-9]+)?"
                    r"(?:e[+-]?[0-9]+)?|[+-]Inf|NaN)$" % (NAME, LABEL, LABEL))
COMMENT = re.compile(r"^# (HELP|TYPE) (%s) (.*)$" % NAME)


def scrape(d):
    """The exposition, checked line by line; {(name, labels): value}."""
    req = urllib.request.Request(d.url + "/metrics", headers={
        "Authorization": "Bearer " + d.token})
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.status == 200
        ctype = r.headers.get("Content-Type", "")
        text = r.read().decode("utf-8")
    assert ctype.startswith("text/plain; version=0.0.4"), ctype
    assert text.endswith("\n"), "the last line has no line feed"
    samples, types = {}, {}
    for line in text.splitlines():
        m = COMMENT.match(line)
        if m:
            if m.group(1) == "TYPE":
                assert m.group(3) in ("counter", "gauge", "histogram"), line
                assert m.group(2) not in types, "TYPE twice: " + line
                types[m.group(2)] = m.group(3)
            continue
        m = SAMPLE.match(line)
        assert m, "not a Prometheus sample line: %r" % line
        name, labels = m.group(1), m.group(2) or ""
        family = re.sub(r"_(bucket|sum|count)$", "", name)
        assert name in types or types.get(family) == "histogram", \
            "sample before its TYPE: %r" % line
        assert (name, labels) not in samples, "series twice: %r" % line
        samples[(name, labels)] = float(m.group(3))
    for name, t in types.items():
        assert t != "counter" or name.endswith("_total"), name
    return samples


def test_metrics_needs_a_token(d):
    assert_problem(d.api("GET", "/metrics", token=None), 401, "no token")
    assert_problem(d.api("GET", "/metrics", token="not-a-token"), 401,
                   "bad token")
    assert d.api("POST", "/metrics")[0] == 405


def test_metrics_series_present(d):
    s = scrape(d)
    for key in (("dialconf_conference_id_resets_total", ""),
                ("dialconf_pin_resets_total", ""),
                ("dialconf_dialin_failures_total", ""),
                ("dialconf_dialin_invalid_ids_total", ""),
                ("dialconf_dialin_refused_total", ""),
                ("dialconf_emails_sent_total", ""),
                ("dialconf_email_failures_total", '{kind="temporary"}'),
                ("dialconf_email_failures_total", '{kind="permanent"}'),
                ("dialconf_conference_ids_live", ""),
                ("dialconf_users", "")):
        assert key in s, "missing %s%s" % key
    for st in ("collecting-id", "organizer-pin", "lobby", "in-conference"):
        assert ("dialconf_calls_active", '{state="%s"}' % st) in s, st
    for st in ("pending", "sent", "failed"):
        assert ("dialconf_outbox_emails", '{state="%s"}' % st) in s, st
    for c in range(1, 6):
        assert ("dialconf_http_requests_total", '{code="%dxx"}' % c) in s


def test_meta_lists_the_states_the_gauges_count(d):
    """GET /api/v1/meta (docs/api.md "Meta") names the mail and call states
    the admin center shows; /metrics has a gauge series for each."""
    assert_problem(d.api("GET", "/api/v1/meta", token=None), 401, "no token")
    status, _, meta = d.api("GET", "/api/v1/meta")
    assert status == 200, (status, meta)
    mail = {m["name"]: m for m in meta["mailStates"]}
    assert meta["mailStates"][0]["name"] == "pending", meta["mailStates"]
    assert mail["pending"] == {"name": "pending", "label": "Pending",
                               "due": True, "delivered": False,
                               "retry": False}, mail
    assert mail["sent"]["delivered"] and not mail["sent"]["due"], mail
    assert mail["failed"]["retry"] and not mail["failed"]["due"], mail
    calls = [c["name"] for c in meta["callStates"]]
    for name in ("collecting-id", "organizer-pin", "lobby", "in-conference"):
        assert name in calls, calls
    assert all(s["label"] for s in meta["mailStates"] + meta["callStates"])
    # The audit actions the admin center labels (issue 20 item 8).
    actions = {a["name"]: a for a in meta["auditActions"]}
    for name in ("user.create", "confid.reset", "session.failure",
                 "admin.passwd", "mail.retry", "dialin.failure",
                 "call.admit"):
        assert actions[name]["label"] and actions[name]["help"], actions
    s = scrape(d)
    for st in meta["mailStates"]:
        assert ("dialconf_outbox_emails", '{state="%s"}' % st["name"]) in s
    for st in meta["callStates"]:
        assert ("dialconf_calls_active", '{state="%s"}' % st["name"]) in s


def test_metrics_count_resets_and_gauges(d):
    o = org(d)
    before = scrape(d)
    for _ in range(2):
        d.ok("POST", "/api/v1/users/ada@example.org/audio-conferencing/"
             "reset-conference-id", {"sendEmail": True})
    o["id"] = d.user("ada@example.org")["audioConferencing"]["conferenceId"]
    d.ok("POST", "/api/v1/users/ada@example.org/audio-conferencing/"
         "reset-pin", {"sendEmail": False})
    d.create_user("margaret@example.org", "Margaret Hamilton", audio=False)
    # A refused reset is no reset.
    assert d.api("POST", "/api/v1/users/margaret@example.org/"
                 "audio-conferencing/reset-conference-id")[0] == 409
    d.api("GET", "/api/v1/users/nobody@example.org")  # a 4xx

    # The reset emails reach the Maildir: sent, as the outbox says.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        sent = d.ok("GET", "/api/v1/outbox?state=sent&limit=1000")["emails"]
        if len(sent) >= 2:
            break
        time.sleep(0.2)
    after = scrape(d)

    def delta(name, labels=""):
        return after[(name, labels)] - before[(name, labels)]

    assert delta("dialconf_conference_id_resets_total") == 2, after
    assert delta("dialconf_pin_resets_total") == 1, after
    assert delta("dialconf_http_requests_total", '{code="4xx"}') >= 2
    assert delta("dialconf_http_requests_total", '{code="2xx"}') >= 4
    users = d.all_users()
    assert after[("dialconf_users", "")] == len(users)
    enabled = [u for u in users if u["audioConferencing"]["enabled"]]
    assert after[("dialconf_conference_ids_live", "")] == len(enabled)
    for st in ("pending", "sent", "failed"):
        n = len(d.ok("GET", "/api/v1/outbox?state=%s&limit=1000" % st)
                ["emails"])
        assert after[("dialconf_outbox_emails", '{state="%s"}' % st)] == n
    assert after[("dialconf_outbox_emails", '{state="sent"}')] >= 2
    assert delta("dialconf_emails_sent_total") >= 2, after


def test_metrics_count_failed_and_refused_dialins(d):
    """Every wrong ID and every wrong PIN counts at once: six from one
    address (dialinFailureLimit) refuse it; the counters say so."""
    o = org(d)
    user = "+15557771234"
    before = scrape(d)
    s = RawSip(d, user, ip="127.0.0.31")
    try:
        # A valid ID, then three wrong PINs: three PIN failures.
        assert s.invite(NUMBER)[0] == 200
        s.keys(o["id"] + "#")
        time.sleep(0.3)
        s.keys("*")
        for _ in range(3):
            s.keys("99999#")
            time.sleep(0.5)
        assert s.wait_bye(), "not hung up after three wrong PINs"
        # Three wrong IDs: the sixth failure refuses the address.
        assert s.invite(NUMBER)[0] == 200
        for _ in range(3):
            s.keys("9999999#")
            time.sleep(0.3)
        assert s.wait_bye(), "not hung up after three wrong IDs"
        assert s.invite(NUMBER)[0] == 403
    finally:
        s.close()
    wait_gone(d, mask(user))
    after = scrape(d)

    def delta(name):
        return after[(name, "")] - before[(name, "")]

    audit = d.audit()
    fails = [a for a in audit if a["action"] == "dialin.failure"
             and a["target"] == mask(user)]
    pins = [a for a in audit if a["action"] == "dialin.pin-failure"
            and a["target"] == mask(user)]
    assert delta("dialconf_dialin_failures_total") == len(fails) == 3
    assert delta("dialconf_dialin_pin_failures_total") == len(pins) == 3
    assert delta("dialconf_dialin_invalid_ids_total") == 3, after
    assert delta("dialconf_dialin_refused_total") == 1, after
    assert delta("dialconf_dialin_limited_total") == 0, after
    assert sum(v for (n, _), v in after.items()
               if n == "dialconf_calls_active") == 0, after


def test_calls_are_counted_not_logged():
    """At the default log level a call and the API requests write no line
    of their own (a busy node wrote one per call event and per request:
    issue 18); /metrics counts them instead, and shows how late the 20 ms
    media clock sends its frames."""
    with Daemon(extra_args=["--log-level", "info"]) as d:
        o = org(d)
        before = scrape(d)
        user = "+15557770018"
        s = RawSip(d, user, ip="127.0.0.32")
        try:
            assert s.invite(NUMBER)[0] == 200
            s.keys(o["id"] + "#")
            time.sleep(0.3)
            s.keys("*" + o["pin"] + "#")
            wait_call(d, mask(user), lambda c: c["state"] == "in-conference",
                      "in-conference")
            time.sleep(0.2)  # a few frames of the conference's clock
            after = scrape(d)
            s.bye()
        finally:
            s.close()
        wait_gone(d, mask(user))
        log = d.log_text()

    def delta(name, labels=""):
        return after[(name, labels)] - before.get((name, labels), 0)

    assert delta("dialconf_calls_answered_total") == 1, after
    assert delta("dialconf_conference_joins_total") == 1, after
    clock = "dialconf_media_clock_lateness_seconds"
    assert delta(clock + "_count") > 0, after
    assert after[(clock + "_bucket", '{le="+Inf"}')] == \
        after[(clock + "_count", "")]
    for line in log.splitlines():
        assert not re.search(r"event=(answered|resolved|join|conference-join"
                             r"|pin|end)\b|method=", line), line
