#!/usr/bin/python3
"""Real SIP calls for the browser test of the Reports page
(admin_center.mjs): sipkit's RawSip callers against the daemon the e2e run
booted, so that the page draws bars of calls that happened.

    calls.py URL TOKEN SIP_PORT CONFERENCE_ID NUMBER_A NUMBER_B

Caller 1 dials NUMBER_A and caller 2 NUMBER_B; both join the conference
(the lobby bypassed), overlap, and hang up (1 after about 3 s in it, 2
after about 4 s); caller 3 dials NUMBER_A, types a wrong ID and hangs up.
Prints one JSON line: the seconds each joined caller spent in the
conference as measured here. Exits non-zero when a call does not go as
planned."""

import json
import os
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "integration"))

from sipkit import RawSip, mask, wait_call  # noqa: E402


class Target:
    """What sipkit needs of a daemon: its SIP port and GET of the API."""

    def __init__(self, url, token, sip_port):
        self.url = url
        self.token = token
        self.sip_port = sip_port

    def ok(self, method, path):
        req = urllib.request.Request(
            self.url + path, method=method,
            headers={"Authorization": "Bearer " + self.token})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())


def join(d, n, number, conf_id):
    s = RawSip(d, "+1555%03d4444" % n, ip="127.0.0.%d" % (120 + n))
    status, _ = s.invite(number)
    assert status == 200, "INVITE: %d" % status
    assert s.try_keys(conf_id + "#")
    assert s.try_keys("#")
    wait_call(d, mask(s.user), lambda c: c["state"] == "in-conference",
              "in the conference", timeout=10)
    return s, time.monotonic()


def main():
    url, token, sip_port, conf_id, num_a, num_b = sys.argv[1:7]
    d = Target(url, token, int(sip_port))
    calls = []
    try:
        a, a_in = join(d, 1, num_a, conf_id)
        calls.append(a)
        b, b_in = join(d, 2, num_b, conf_id)
        calls.append(b)
        time.sleep(3.0)
        a.bye()
        a_out = time.monotonic()
        time.sleep(1.0)
        b.bye()
        b_out = time.monotonic()
        wrong = "2345678" if conf_id != "2345678" else "3456789"
        c = RawSip(d, "+15553334444", ip="127.0.0.123")
        calls.append(c)
        status, _ = c.invite(num_a)
        assert status == 200, "INVITE: %d" % status
        assert c.try_keys(wrong + "#")
        c.bye()
    finally:
        for s in calls:
            s.close()
    print(json.dumps({"a": a_out - a_in, "b": b_out - b_in}))


if __name__ == "__main__":
    main()
