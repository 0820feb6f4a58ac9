"""The phone edge is hostile (issue 12, DESIGN.md): safe to put on the
public telephone network.

Every caller here is a network source of its own: its SIP and RTP sockets
are bound to a loopback address of its own (127.0.0.NN, all of
127.0.0.0/8 is local; attackers and honest callers never share one),
because a call's source is the address its INVITE came from. What is
checked is what an attacker or a caller would notice: 403/503 answers,
BYEs, the state of a call in GET /api/v1/calls, what a listener hears in
the mix, and what an operator sees in the audit log and GET /metrics.

- Guessing: every wrong conference ID and every wrong PIN counts against
  the source at once, not per call (dialinFailureLimit within
  dialinFailureWindowMinutes: 403 for dialinCooloffMinutes); the From user
  is the attacker's to choose and changes nothing; a valid ID clears
  nothing; wrong PINs for one conference from anywhere close its organizer
  path (dialinPinFailureLimit: '*' leads to the lobby).
- Resources: calls per source at once and per second (403), calls per
  node (503 + Retry-After), a flood of INVITEs never ACKed, lobby time,
  RTP silence, call length.
- Media only from the caller: RTP from any other address (RFC 4733 digits
  or audio) is dropped, whatever SSRC and sequence it claims.
- Revocation reaches callers who have not joined yet (lobby, PIN entry).
- Trusted proxies (sipTrustedProxies): X-Dialconf-Source and
  P-Asserted-Identity are believed from a listed address only.
- Two nodes on one PostgreSQL share the guard.

Each test runs its own daemon (settings of its own, an audit log that is
all its own), so counts are exact. Waits are polls with short bounds; a
setting changed through the API is given SETTINGS_APPLY to reach the SIP
side, which reads its limits once a second.
"""

import contextlib
import os
import random
import socket
import threading
import time
from datetime import datetime, timedelta, timezone

from harness import Daemon, PgDatabase, q
from sipkit import (NUMBER, Baresip, RawSip, RtpStream, band_rms, calls,
                    mask, org, wait_call, wait_gone)

API = "/api/v1"
RESET = API + "/users/ada@example.org/audio-conferencing/reset-conference-id"
# Well-formed conference IDs (7 digits, first 1-9, not one digit repeated,
# not a straight run) that no daemon issued: wrong IDs, not malformed ones.
WRONG_IDS = ["2718281", "3141592", "1618033", "5772156", "1414213",
             "1732050", "2236067", "6931471", "4669201", "1202056"]
PIN_LENGTH = 10          # long PINs: a leaked one cannot be a coincidence
SETTLE = 1.5             # at most, for a wrong ID to reach the audit log
SETTLE_PIN = 4.0         # a wrong PIN (argon2 first, slow on a busy host)
# The SIP side reads its limits again once a second: a setting changed
# through the API is in force for calls that start this much later.
SETTINGS_APPLY = 2.0
BAND_1K = (950, 1050)
HEARD_MIN = 0.03
SILENT_MAX = 0.01


def ip(n):
    return "127.0.0.%d" % n


def user(n, k=0):
    """The caller number of address n (GET /calls masks the last four
    digits: callers of different addresses differ before them)."""
    return "+1555%03d%04d" % (n, k)


def rand_user():
    return "+1%d" % random.randrange(2000000000, 9999999999)


# -- a daemon of the test's own ----------------------------------------------

def set_settings(d, values):
    status, _, body = d.api("PATCH", API + "/settings", values)
    assert status == 200, (
        "PATCH /settings %r answered %d: %s (the daemon does not know "
        "these settings or their bounds)" % (values, status,
                                             d.last_raw[:300]))
    got = d.settings()
    for k, v in values.items():
        assert got.get(k) == v, "setting %s is %r after PATCH %r" % (
            k, got.get(k), v)
    time.sleep(SETTINGS_APPLY)


@contextlib.contextmanager
def edge(settings=None):
    """A daemon with a dial-in number and Ada (a PIN of PIN_LENGTH
    digits), then settings; yields (d, org) and closes every RawSip and
    Baresip the test made with track()."""
    with Daemon() as d:
        d.tracked = []
        try:
            d.ok("PATCH", API + "/settings", {"pinLength": PIN_LENGTH})
            o = org(d)
            if settings:
                set_settings(d, settings)
            yield d, o
        finally:
            for x in reversed(d.tracked):
                try:
                    if isinstance(x, RawSip):
                        x.bye(timeout=0.5)
                    x.close()
                except Exception:
                    pass


def track(d, x):
    d.tracked.append(x)
    return x


def raw(d, n, k=0):
    """A RawSip caller on 127.0.0.n, number user(n, k)."""
    return track(d, RawSip(d, user(n, k), ip=ip(n)))


def audit_count(d, action):
    return sum(1 for a in d.audit() if a["action"] == action)


def settle(d, action, n, timeout=SETTLE):
    """Wait (bounded, no assertion) until the audit log holds n entries
    of action: the failure just keyed has been counted."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if audit_count(d, action) >= n:
            time.sleep(0.1)  # the attendant takes digits again
            return True
        time.sleep(0.05)
    return False


def metrics(d):
    """GET /metrics as {name: value} (samples without labels)."""
    status, _, _ = d.api("GET", "/metrics")
    assert status == 200, status
    out = {}
    for line in d.last_raw.decode().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        name, _, value = line.rpartition(" ")
        if "{" not in name:
            out[name] = float(value)
    return out


def metric_delta(before, after, name):
    assert name in after, "GET /metrics has no %s" % name
    return after[name] - before.get(name, 0)


def assert_audit_clean(d, secrets, what):
    """No string in the audit log contains any of secrets (typed PIN
    digits, full caller numbers), and no number equals one."""
    entries = d.audit()

    def walk(v, path):
        if isinstance(v, str):
            for s in secrets:
                assert s not in v, "%s: the audit log holds %r at %s: %r" \
                    % (what, s, path, v)
        elif isinstance(v, bool) or v is None:
            return
        elif isinstance(v, (int, float)):
            assert str(v) not in secrets, "%s: the audit log holds %r at " \
                "%s" % (what, v, path)
        elif isinstance(v, dict):
            for k, x in v.items():
                walk(k, path + "." + str(k))
                walk(x, path + "." + str(k))
        elif isinstance(v, list):
            for i, x in enumerate(v):
                walk(x, "%s[%d]" % (path, i))
    walk(entries, "entries")


# -- what callers do ----------------------------------------------------------

class Guesser:
    """Keys wrong IDs and PINs on a daemon and keeps count of what the
    audit log must show, so each entry can wait until it is counted."""

    def __init__(self, d, o):
        self.d, self.o = d, o
        self.ids = 0
        self.pins = 0
        self.typed_pins = []

    def wrong_id(self, i):
        v = WRONG_IDS[i % len(WRONG_IDS)]
        assert v != self.o["id"]
        return v

    def wrong_ids(self, s, n):
        """n wrong IDs on s's call while it lasts; the number keyed."""
        done = 0
        for _ in range(n):
            if not s.try_keys(self.wrong_id(self.ids) + "#"):
                break
            self.ids += 1
            done += 1
            settle(self.d, "dialin.failure", self.ids)
        return done

    def wrong_pin(self):
        while True:
            p = "".join(random.choice("0123456789")
                        for _ in range(len(self.o["pin"])))
            if p != self.o["pin"] and p not in self.o["id"]:
                return p

    def to_pin(self, s, who):
        """ID#, then '*': the call asks for the PIN."""
        assert s.try_keys(self.o["id"] + "#"), "%s: call ended" % who
        wait_call(self.d, mask(s.from_user),
                  lambda c: c["conferenceId"] == self.o["id"],
                  "resolved", timeout=5)
        assert s.try_keys("*"), "%s: call ended" % who
        wait_call(self.d, mask(s.from_user),
                  lambda c: c["state"] == "organizer-pin",
                  "asked for the PIN (%s)" % who, timeout=5)

    def wrong_pins(self, s, n):
        done = 0
        for _ in range(n):
            p = self.wrong_pin()
            if not s.try_keys(p + "#"):
                break
            self.typed_pins.append(p)
            self.pins += 1
            done += 1
            settle(self.d, "dialin.pin-failure", self.pins, SETTLE_PIN)
        return done


def status_of(s, **kw):
    """INVITE from s; the final status (a 200 stays up for the test)."""
    time.sleep(0.25)  # never more than 4 new calls a second per address
    return s.invite(NUMBER, **kw)[0]


def watch_byes(callers, timeout):
    """Poll the sockets of callers (name -> RawSip) for the server's BYE
    until all have one or timeout; returns name -> seconds (monotonic
    time of arrival) for those that got one."""
    got = {}
    deadline = time.monotonic() + timeout
    while len(got) < len(callers) and time.monotonic() < deadline:
        for name, s in callers.items():
            if name not in got and s.wait_bye(timeout=0.05):
                got[name] = time.monotonic()
    return got


def enter(d, s, conf_id, then=""):
    """Key conf_id# by INFO, wait until the call resolved it, then key
    then: '#' not the organizer, '*' the organizer."""
    assert s.try_keys(conf_id + "#"), "the call from %s ended" % s.ip
    wait_call(d, mask(s.from_user), lambda c: c["conferenceId"] == conf_id,
              "resolved", timeout=5)
    if then:
        assert s.try_keys(then), "the call from %s ended" % s.ip


def join_as_organizer(d, s, o, what="organizer"):
    assert s.try_keys(o["id"] + "#"), "%s: call ended" % what
    wait_call(d, mask(s.from_user), lambda c: c["conferenceId"] == o["id"],
              "resolved (%s)" % what, timeout=5)
    assert s.try_keys("*"), "%s: call ended" % what
    wait_call(d, mask(s.from_user), lambda c: c["state"] == "organizer-pin",
              "organizer-pin (%s)" % what, timeout=5)
    assert s.try_keys(o["pin"] + "#"), "%s: call ended" % what
    return wait_call(d, mask(s.from_user),
                     lambda c: c["state"] == "in-conference",
                     "in-conference (%s)" % what, timeout=5)


def schedule_meeting(d):
    start = (datetime.now(timezone.utc) + timedelta(hours=1)).replace(
        microsecond=0)
    return d.ok("POST", API + "/meetings",
                {"organizer": "ada@example.org", "subject": "Edge review",
                 "start": start.isoformat(),
                 "end": (start + timedelta(hours=1)).isoformat(),
                 "attendees": ["grace@example.org"]}, expect=(201,))


# -- guessing: IDs and PINs count each, per address ---------------------------

def test_hang_up_after_two_wrong_ids_each_counts():
    """Three calls that hang up after two wrong IDs each (never reaching
    the attendant's three): the sixth wrong ID refuses the address."""
    with edge() as (d, o):
        before = metrics(d)
        g = Guesser(d, o)
        s = raw(d, 11)
        for call in range(3):
            st = status_of(s)
            assert st == 200, "call %d refused (%d) after only %d wrong " \
                "IDs" % (call + 1, st, g.ids)
            assert g.wrong_ids(s, 2) == 2, "call %d hung up early" % (
                call + 1)
            s.bye()
        st = status_of(s)
        assert st == 403, "6 wrong IDs from %s in 3 calls hung up after " \
            "two each, and its next INVITE got %d, not 403" % (s.ip, st)
        assert audit_count(d, "dialin.failure") == 6, \
            "the audit log does not hold one dialin.failure per wrong ID: " \
            "%r" % [a for a in d.audit() if a["action"].startswith("dialin")]
        assert_audit_clean(d, [user(11)], "wrong IDs")
        after = metrics(d)
        assert metric_delta(before, after,
                            "dialconf_dialin_failures_total") == 6, after
        assert metric_delta(before, after,
                            "dialconf_dialin_refused_total") >= 1, after


def test_retransmitted_info_is_one_digit():
    """An INFO sent again with the same CSeq (its 200 got lost, so the
    caller's stack retransmits) is answered again but is one key press:
    a busy node took each retransmission as one more digit, so the ID
    turned wrong, counted against the source and refused it."""
    with edge() as (d, o):
        s = raw(d, 12)
        assert status_of(s) == 200
        for k in o["id"] + "#":
            assert s.info(k) == 200
            s.cseq -= 1  # the same request again
            assert s.info(k) == 200
        wait_call(d, mask(user(12)),
                  lambda c: c.get("conferenceId") == o["id"],
                  "the ID resolved")
        assert audit_count(d, "dialin.failure") == 0


def test_rotating_caller_number_from_one_address_refused():
    """The From user is the caller's to choose: a new one for every call
    from the same address is still the same source."""
    with edge() as (d, o):
        g = Guesser(d, o)
        s = raw(d, 12)
        used = []
        for call in range(2):
            used.append(rand_user())
            st = status_of(s, user=used[-1])
            assert st == 200, "call %d refused (%d)" % (call + 1, st)
            assert g.wrong_ids(s, 3) == 3, "call %d ended early" % (call + 1)
            s.bye()
        used.append(rand_user())
        st = status_of(s, user=used[-1])
        assert st == 403, "6 wrong IDs from %s under two caller numbers, " \
            "then a third number from the same address got %d, not 403" \
            % (s.ip, st)
        st = status_of(s, user="anonymous")
        assert st == 403, "anonymous from the refused address: %d" % st
        assert_audit_clean(d, used, "rotating caller numbers")
        # Another address is not affected.
        t = raw(d, 13)
        assert status_of(t) == 200, "an innocent address refused"


def test_valid_id_in_between_does_not_clear_failures():
    with edge() as (d, o):
        g = Guesser(d, o)
        s = raw(d, 14)
        assert status_of(s) == 200
        assert g.wrong_ids(s, 3) == 3
        s.bye()
        # A valid ID in its own call, and in the middle of a call.
        assert status_of(s) == 200, "refused after 3 wrong IDs"
        assert s.try_keys(o["id"] + "#")
        wait_call(d, mask(user(14)), lambda c: c["conferenceId"] == o["id"],
                  "resolved", timeout=5)
        s.bye()
        assert status_of(s) == 200, "refused after 3 wrong IDs"
        assert g.wrong_ids(s, 2) == 2
        s.bye()
        assert status_of(s) == 200, "refused after 5 wrong IDs"
        assert g.wrong_ids(s, 1) == 1
        s.bye()
        st = status_of(s)
        assert st == 403, "6 wrong IDs with valid ones in between, then " \
            "%d, not 403: a valid ID cleared the count" % st
        assert audit_count(d, "dialin.failure") == 6


def test_refusal_survives_a_restart():
    """The guard's counts live in the database: restarting the node does
    not forgive a refused address."""
    with edge() as (d, o):
        g = Guesser(d, o)
        s = raw(d, 17)
        # Calls of three wrong IDs until the address is refused (the rule
        # of how many is other tests' business).
        for call in range(4):
            if status_of(s) == 403:
                break
            assert g.wrong_ids(s, 3) == 3
            s.bye()
        else:
            raise AssertionError("12 wrong IDs, and %s is not refused" % s.ip)
        d.restart()
        st = status_of(s)
        assert st == 403, "after a restart the refused address %s got %d" \
            % (s.ip, st)
        assert status_of(raw(d, 18)) == 200, "another address refused"


def test_pin_guessing_across_calls_refused():
    """Wrong PINs count against the address as wrong IDs do: two calls of
    three wrong PINs, then 403; audited without the digits."""
    with edge() as (d, o):
        before = metrics(d)
        g = Guesser(d, o)
        s = raw(d, 15)
        for call in range(2):
            st = status_of(s)
            assert st == 200, "call %d refused (%d) after %d wrong PINs" % (
                call + 1, st, g.pins)
            g.to_pin(s, "call %d" % (call + 1))
            assert g.wrong_pins(s, 3) == 3, "call %d ended early" % (
                call + 1)
            s.bye()
        st = status_of(s)
        assert st == 403, "6 wrong PINs from %s in two calls, then %d, " \
            "not 403" % (s.ip, st)
        n = audit_count(d, "dialin.pin-failure")
        assert n == 6, "%d dialin.pin-failure entries for 6 wrong PINs" % n
        assert_audit_clean(d, g.typed_pins + [o["pin"], user(15)],
                           "PIN guessing")
        after = metrics(d)
        assert metric_delta(before, after,
                            "dialconf_dialin_pin_failures_total") == 6, after
        assert metric_delta(before, after,
                            "dialconf_dialin_refused_total") >= 1, after


def test_wrong_ids_and_pins_count_together():
    with edge() as (d, o):
        g = Guesser(d, o)
        s = raw(d, 16)
        assert status_of(s) == 200
        assert g.wrong_ids(s, 2) == 2
        g.to_pin(s, "call 1")
        assert g.wrong_pins(s, 2) == 2
        s.bye()
        assert status_of(s) == 200, "refused after 4 failures"
        assert g.wrong_ids(s, 1) == 1
        g.to_pin(s, "call 2")
        assert g.wrong_pins(s, 1) == 1
        s.bye()
        st = status_of(s)
        assert st == 403, "3 wrong IDs and 3 wrong PINs from one address, " \
            "then %d, not 403" % st


def test_pin_guessing_from_many_addresses_closes_organizer_path():
    """Each address stays below its own limit; the conference's PIN is
    what is attacked, so its organizer path closes: '*' then leads to the
    lobby, even with the right PIN."""
    with edge({"dialinPinFailureLimit": 4}) as (d, o):
        g = Guesser(d, o)
        for n in (21, 22, 23, 24):
            s = raw(d, n)
            assert status_of(s) == 200, "address %s refused" % s.ip
            g.to_pin(s, "guesser %s (PIN failures so far %d)" % (s.ip,
                                                                  g.pins))
            assert g.wrong_pins(s, 1) == 1
            s.bye()
        # The organizer herself, from a fresh address, with the right PIN.
        boss = raw(d, 25)
        assert status_of(boss) == 200
        assert boss.try_keys(o["id"] + "#")
        wait_call(d, mask(user(25)), lambda c: c["conferenceId"] == o["id"],
                  "resolved", timeout=5)
        assert boss.try_keys("*")
        seen = set()
        deadline = time.monotonic() + 10
        state = None
        while time.monotonic() < deadline:
            mine = [c for c in calls(d) if c["caller"] == mask(user(25))]
            state = mine[0]["state"] if mine else None
            seen.add(state)
            assert state != "organizer-pin", "after 4 wrong PINs for the " \
                "conference (limit 4) '*' still asks for the PIN"
            if state == "lobby":
                break
            time.sleep(0.1)
        assert state == "lobby", "'*' on a closed organizer path: states " \
            "%r, not the lobby" % seen
        boss.try_keys(o["pin"] + "#")
        time.sleep(1.5)
        c = [c for c in calls(d) if c["caller"] == mask(user(25))]
        assert c and c[0]["state"] == "lobby", "the right PIN after '*' on " \
            "a closed organizer path: %r" % c
        closed = audit_count(d, "dialin.organizer-closed")
        assert closed == 1, "dialin.organizer-closed audited %d times" \
            % closed
        # Another '*' is not audited again; the guessers are not refused.
        other = raw(d, 26)
        assert status_of(other) == 200
        enter(d, other, o["id"], "*")
        wait_call(d, mask(user(26)), lambda c: c["state"] == "lobby",
                  "lobby", timeout=10)
        assert audit_count(d, "dialin.organizer-closed") == 1
        again = raw(d, 21, 1)
        assert status_of(again) == 200, "one wrong PIN refused an address"
        assert audit_count(d, "dialin.pin-failure") == 4
        assert_audit_clean(d, g.typed_pins + [o["pin"]], "PIN guessing")
        # The admin lets the organizer in; the lobby follows her.
        boss_call = [c for c in calls(d) if c["caller"] == mask(user(25))][0]
        st, _, body = d.api("POST", "/api/v1/calls/%s/admit"
                            % boss_call["id"], {})
        assert st == 200, body
        wait_call(d, mask(user(25)), lambda c: c["state"] == "in-conference",
                  "admitted by the admin", timeout=10)
        wait_call(d, mask(user(26)), lambda c: c["state"] == "in-conference",
                  "let in with the organizer", timeout=10)
        assert audit_count(d, "call.admit") == 1
        # Admitting a caller who is not in the lobby is a conflict.
        st, _, body = d.api("POST", "/api/v1/calls/%s/admit"
                            % boss_call["id"], {})
        assert st == 409, body
        st, _, body = d.api("POST", "/api/v1/calls/999999/admit", {})
        assert st == 404, body


# -- media only from the caller -----------------------------------------------

def attacker_stream(d, n, victim, audio=False):
    """RTP from 127.0.0.n at victim's server-side RTP port, continuing
    victim's own stream (its SSRC, sequence and clock) as if sniffed."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((ip(n), 0))
    m = victim.media
    if m is not None:
        with m.lock:
            ssrc, seq, ts = m.ssrc, (m.seq + 3) & 0xFFFF, m.ts + 480
    else:
        ssrc = seq = ts = None
    st = RtpStream(sock, victim.remote_rtp, ssrc=ssrc, seq=seq, ts=ts,
                   audio=audio)

    class Closer:
        def close(self):
            st.stop()
            sock.close()
    track(d, Closer())
    return st


def stays(d, who, pred, secs, what):
    """GET /calls: the call of who satisfies pred all through secs."""
    deadline = time.monotonic() + secs
    while time.monotonic() < deadline:
        c = [c for c in calls(d) if c["caller"] == mask(who)]
        assert c, "the call of %s is gone" % who
        assert pred(c[0]), "%s: %r" % (what, c[0])
        time.sleep(0.1)


def test_foreign_rtp_digits_do_not_mute_a_member():
    with edge() as (d, o):
        m = raw(d, 31)
        assert status_of(m) == 200
        media = m.start_media()
        join_as_organizer(d, m, o)
        time.sleep(0.3)
        evil = attacker_stream(d, 32, m)
        evil.dtmf("*6")
        stays(d, user(31), lambda c: not c["muted"], 1.5,
              "RFC 4733 '*6' from another address (%s) muted the member"
              % ip(32))
        # The member's own '*6', on its own stream, does.
        media.dtmf("*6")
        wait_call(d, mask(user(31)), lambda c: c["muted"],
                  "muted by its own *6", timeout=5)


def test_foreign_rtp_digits_ignored_in_id_entry():
    """Digits from another address, before the caller sent any RTP and
    after, never reach the attendant; the caller's own do."""
    with edge() as (d, o):
        v = raw(d, 33)
        assert status_of(v) == 200
        # Before the caller's first packet: the attacker's come first.
        evil = attacker_stream(d, 34, v)
        evil.dtmf(o["id"] + "#")
        stays(d, user(33), lambda c: c["conferenceId"] is None and
              c["state"] == "collecting-id", 1.0,
              "digits from %s (before the caller's RTP) were taken" % ip(34))
        media = v.start_media()
        time.sleep(0.4)
        evil = attacker_stream(d, 34, v)  # now continuing the caller's
        evil.dtmf(o["id"] + "#")
        stays(d, user(33), lambda c: c["conferenceId"] is None and
              c["state"] == "collecting-id", 1.0,
              "digits from %s (while the caller streams) were taken"
              % ip(34))
        media.dtmf(o["id"] + "#")
        wait_call(d, mask(user(33)), lambda c: c["conferenceId"] == o["id"],
                  "resolved by its own digits", timeout=5)


def test_foreign_audio_never_reaches_the_mix():
    """An address that is not the member's sends 1 kHz into the member's
    server-side RTP port (continuing the member's SSRC and sequence); a
    listener in the conference must not hear it. The member's own 1 kHz
    afterwards is heard (the recording works)."""
    with edge({"allowPstnUsersToBypassLobby": True}) as (d, o):
        # baresip sends RTP from a wildcard socket: on loopback it leaves
        # from 127.0.0.1 whatever its SIP address, so it calls from there
        # (no other caller of this test uses 127.0.0.1).
        lis = track(d, Baresip(user(35)))
        lis.dial(d)
        t0 = time.monotonic()
        lis.cmd("sndcode", o["id"] + "##")
        m = raw(d, 36)
        assert status_of(m) == 200
        media = m.start_media()
        enter(d, m, o["id"], "#")
        for who in (35, 36):
            wait_call(d, mask(user(who)),
                      lambda c: c["state"] == "in-conference",
                      "in-conference", timeout=10)
        time.sleep(2.8)  # the joining prompt and entry tone
        media.audio(False)
        evil = attacker_stream(d, 37, m)
        evil.tone(1000)
        t_attack = time.monotonic() - t0
        time.sleep(2.2)
        evil.audio(False)
        media.tone(1000)
        t_own = time.monotonic() - t0
        time.sleep(2.2)
        lis.cmd("hangup")
        lis.wait_event("CALL_CLOSED")
        rec = None
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            rec = lis.recording()
            if rec and os.path.getsize(rec) > 44:
                break
            time.sleep(0.1)
        assert rec, "the listener recorded nothing"
        attack = band_rms(rec, t_attack + 0.4, 1.5, *BAND_1K)
        own = band_rms(rec, t_own + 0.4, 1.5, *BAND_1K)
        print("# edge: 1 kHz heard from the attacker %.4f, from the member "
              "%.4f" % (attack, own))
        assert own > HEARD_MIN, "the member's own 1 kHz not heard: %.4f " \
            "(the recording does not work)" % own
        assert attack < SILENT_MAX, "audio from %s (not the member's " \
            "address) reached the mix: 1 kHz RMS %.4f" % (ip(37), attack)


def rtp_from(sock, secs):
    """The SSRCs of the RTP packets sock receives within secs."""
    ssrcs = set()
    deadline = time.monotonic() + secs
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            data = sock.recv(2048)
        except (socket.timeout, BlockingIOError):
            continue
        if len(data) >= 12 and data[0] >> 6 == 2:
            ssrcs.add(int.from_bytes(data[8:12], "big"))
    return ssrcs


def open_fds(d):
    return len(os.listdir("/proc/%d/fd" % d.proc.pid))


def test_calls_share_one_rtp_socket_each_gets_its_own_media():
    """Issue 18: every call's RTP is on one socket of the node (a call
    costs no descriptor), told apart by the caller's address: each caller
    hears its own stream, and the RFC 4733 digits of one reach that call
    only."""
    n = 8
    with edge() as (d, o):
        callers = [raw(d, 70 + i) for i in range(n)]
        idle = open_fds(d)
        for c in callers:
            assert status_of(c) == 200
        ports = {c.remote_rtp[1] for c in callers}
        assert len(ports) == 1, "the answers name %d RTP ports" % len(ports)
        grew = open_fds(d) - idle
        assert grew <= 2, "%d calls took %d more descriptors" % (n, grew)
        streams = [c.start_media() for c in callers]
        heard = [rtp_from(c.rtp, 0.3) for c in callers]
        for c, ssrcs in zip(callers, heard):
            assert len(ssrcs) == 1, "the caller on %s got %d streams" % (
                c.ip, len(ssrcs))
        assert len(set().union(*heard)) == n, "two callers got one stream"
        streams[3].dtmf(o["id"] + "#")
        wait_call(d, mask(callers[3].from_user),
                  lambda c: c["conferenceId"] == o["id"], "resolved by its "
                  "own RFC 4733 digits", timeout=5)
        for c in callers[:3] + callers[4:]:
            got = [x for x in calls(d) if x["caller"] == mask(c.from_user)]
            assert got and got[0]["conferenceId"] is None, \
                "another caller's digits reached %s: %r" % (c.ip, got)


def test_rtp_from_the_signalling_host_at_another_port():
    """A caller behind NAT: its RTP leaves from another port than its
    offer says, from the signalling host. The call takes it (its digits
    work) and answers there; a second port of the same host afterwards is
    foreign."""
    with edge() as (d, o):
        v = raw(d, 80)
        assert status_of(v) == 200
        natted = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        natted.bind((ip(80), 0))
        track(d, natted)
        st = RtpStream(natted, v.remote_rtp)

        class Stop:
            def close(self):
                st.stop()
        track(d, Stop())
        assert rtp_from(natted, 1.0), "no RTP back at the NAT's port"
        other = attacker_stream(d, 80, v)  # same host, a third port
        other.dtmf(WRONG_IDS[0] + "#")
        stays(d, user(80), lambda c: c["conferenceId"] is None and
              c["state"] == "collecting-id", 1.0,
              "digits from a second port of %s were taken" % ip(80))
        st.dtmf(o["id"] + "#")
        wait_call(d, mask(user(80)), lambda c: c["conferenceId"] == o["id"],
                  "resolved by the digits from the NAT's port", timeout=5)


# -- resources ----------------------------------------------------------------

def test_flood_of_unacked_invites_then_honest_caller():
    with edge() as (d, o):
        before = metrics(d)
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        sock.bind((ip(50), 0))
        port = sock.getsockname()[1]
        finals = {}
        stop = threading.Event()

        def drain():
            sock.settimeout(0.2)
            while not stop.is_set():
                try:
                    data, _ = sock.recvfrom(65536)
                except socket.timeout:
                    continue
                except OSError:
                    return
                first, _, rest = data.partition(b"\r\n")
                if not first.startswith(b"SIP/2.0 "):
                    continue
                code = int(first.split()[1])
                cid = b""
                for ln in rest.split(b"\r\n"):
                    if ln.lower().startswith(b"call-id:"):
                        cid = ln.split(b":", 1)[1].strip()
                if code >= 200:
                    finals.setdefault(cid, code)
        th = threading.Thread(target=drain, daemon=True)
        th.start()
        try:
            sdp = ("v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\n"
                   "t=0 0\r\nm=audio %d RTP/AVP 0 101\r\n"
                   "a=rtpmap:101 telephone-event/8000\r\n"
                   % (ip(50), ip(50), port + 2))
            t_start = time.monotonic()
            for i in range(2000):
                cid = "flood%d-%x@%s" % (i, random.getrandbits(32), ip(50))
                msg = ("INVITE sip:%s@127.0.0.1:%d SIP/2.0\r\n"
                       "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK%x;rport\r\n"
                       "Max-Forwards: 70\r\n"
                       "From: <sip:%s@%s>;tag=%x\r\n"
                       "To: <sip:%s@127.0.0.1>\r\n"
                       "Call-ID: %s\r\nCSeq: 1 INVITE\r\n"
                       "Contact: <sip:x@%s:%d>\r\n"
                       "Content-Type: application/sdp\r\n"
                       "Content-Length: %d\r\n\r\n%s"
                       % (NUMBER, d.sip_port, ip(50), port,
                          random.getrandbits(48), rand_user(), ip(50),
                          random.getrandbits(32), NUMBER, cid, ip(50), port,
                          len(sdp), sdp))
                sock.sendto(msg.encode(), ("127.0.0.1", d.sip_port))
                if i % 50 == 49:
                    time.sleep(0.03)
            sent_s = time.monotonic() - t_start
            # Until the answers stop coming (bounded).
            deadline = time.monotonic() + 5
            last = -1
            while time.monotonic() < deadline and len(finals) != last:
                last = len(finals)
                time.sleep(0.5)
        finally:
            stop.set()
            th.join(timeout=2)
            sock.close()
        by_code = {}
        for code in finals.values():
            by_code[code] = by_code.get(code, 0) + 1
        print("# edge: 2000 INVITEs in %.1f s, final answers %r"
              % (sent_s, by_code))
        assert d.crashed() is None, "the daemon died under the flood"
        # An honest caller from another address gets in.
        h = raw(d, 51)
        st = status_of(h)
        assert st == 200, "after the flood from %s an honest caller got " \
            "%d (answers to the flood: %r)" % (ip(50), st, by_code)
        h.start_media()
        enter(d, h, o["id"], "#")
        wait_call(d, mask(user(51)),
                  lambda c: c["state"] in ("lobby", "in-conference"),
                  "in the lobby", timeout=10)
        after = metrics(d)
        assert metric_delta(before, after,
                            "dialconf_dialin_refused_total") >= \
            by_code.get(403, 1), (by_code, after)


def test_calls_at_once_per_address_limited():
    with edge() as (d, o):
        held = []
        for k in range(10):
            s = raw(d, 52, k)
            st = status_of(s)
            assert st == 200, "call %d of %s at once refused (%d)" % (
                k + 1, ip(52), st)
            held.append(s)
        extra = raw(d, 52, 10)
        st = status_of(extra)
        assert st == 403, "an 11th call at once from %s got %d, not 403" \
            % (ip(52), st)
        other = raw(d, 53)
        assert status_of(other) == 200, "another address refused"
        held[0].bye()
        time.sleep(0.5)
        assert status_of(extra) == 200, "a call ended, yet the address is " \
            "still refused"


def test_new_calls_per_second_per_address_limited():
    with edge() as (d, o):
        s = raw(d, 54)
        got = []
        t = time.monotonic()
        for _ in range(11):  # one at a time: never two at once
            got.append(s.invite(NUMBER)[0])
            if got[-1] == 200:
                s.bye()
        took = time.monotonic() - t
        assert took < 1.0, "11 calls took %.2f s: the machine is too slow " \
            "for this test" % took
        assert got[:5] == [200] * 5, "the first 5 calls of a second: %r" \
            % got
        assert 403 in got, "11 new calls within %.2f s from one address, " \
            "none refused: %r" % (took, got)
        time.sleep(2.0)
        assert s.invite(NUMBER)[0] == 200, "still refused 2 s later"


def test_calls_per_node_limited_503_retry_after():
    with edge({"dialinMaxCallsPerNode": 3}) as (d, o):
        held = [raw(d, n) for n in (55, 56, 57)]
        for h in held:
            assert status_of(h) == 200, "call from %s refused" % h.ip
        s = raw(d, 58)
        st = status_of(s)
        assert st == 503, "a 4th call on a node of 3: %d, not 503" % st
        ra = s.final[1].get("retry-after", "")
        assert ra.split(";")[0].strip().isdigit(), \
            "503 without a Retry-After of seconds: %r" % s.final[1]
        held[-1].bye()
        time.sleep(0.5)
        assert status_of(s) == 200, "a place freed, still refused"


def test_rtp_silence_hangs_up_attendant_and_lobby_callers():
    with edge({"dialinRtpTimeoutSeconds": 3}) as (d, o):
        a, b, c, e = raw(d, 71), raw(d, 72), raw(d, 73), raw(d, 74)
        started = {}
        for name, s in (("attendant", a), ("lobby", b), ("streaming", c),
                        ("stopped", e)):
            assert status_of(s) == 200
            started[name] = time.monotonic()
        c.start_media()
        e.start_media()
        for s in (b, c, e):
            enter(d, s, o["id"], "#")
        for n in (72, 73, 74):
            wait_call(d, mask(user(n)), lambda x: x["state"] == "lobby",
                      "lobby", timeout=5)
        e.media.audio(False)
        stopped_at = time.monotonic()
        got = watch_byes({"attendant": a, "lobby": b, "stopped": e},
                         timeout=9)
        # The streaming caller, watched to well past twice the timeout.
        left = started["streaming"] + 7.5 - time.monotonic()
        got.update(watch_byes({"streaming": c}, timeout=max(left, 0.5)))
        for name in ("attendant", "lobby"):
            assert name in got, "a caller silent in the %s phase was not " \
                "hung up within %.0f s (timeout 3 s)" % (
                    name, time.monotonic() - started[name])
            took = got[name] - started[name]
            assert took >= 2.5, "the silent %s caller hung up after %.1f s" \
                % (name, took)
        assert "stopped" in got, "a caller whose RTP stopped was not hung up"
        assert got["stopped"] - stopped_at >= 2.5, \
            "hung up %.1f s after its RTP stopped" % (got["stopped"] -
                                                      stopped_at)
        assert "streaming" not in got, "a caller who kept sending RTP was " \
            "hung up after %.1f s" % (got["streaming"] - started["streaming"])
        wait_call(d, mask(user(73)), lambda x: x["state"] == "lobby",
                  "still in the lobby", timeout=1)


def test_lobby_timeout_hangs_up():
    with edge({"dialinLobbyTimeoutSeconds": 5}) as (d, o):
        s = raw(d, 75)
        assert status_of(s) == 200
        s.start_media()
        enter(d, s, o["id"], "#")
        wait_call(d, mask(user(75)), lambda c: c["state"] == "lobby",
                  "lobby", timeout=5)
        t = time.monotonic()
        got = watch_byes({"lobby": s}, timeout=15)
        assert "lobby" in got, "a lobby caller not hung up %.0f s into a " \
            "lobby timeout of 5 s" % (time.monotonic() - t)
        assert got["lobby"] - t >= 4.5, "hung up %.1f s into the lobby" % (
            got["lobby"] - t)
        wait_gone(d, mask(user(75)), timeout=3)


def test_max_call_duration():
    with edge({"dialinMaxCallSeconds": 10}) as (d, o):
        boss, guest = raw(d, 76), raw(d, 77)
        t = {}
        for name, s in (("boss", boss), ("guest", guest)):
            assert status_of(s) == 200
            t[name] = time.monotonic()
            s.start_media()
        join_as_organizer(d, boss, o)
        enter(d, guest, o["id"], "#")
        wait_call(d, mask(user(77)), lambda c: c["state"] == "in-conference",
                  "in-conference", timeout=5)
        got = watch_byes({"boss": boss, "guest": guest}, timeout=16)
        for name in ("boss", "guest"):
            assert name in got, "the %s's call not hung up %.0f s after " \
                "it began (dialinMaxCallSeconds 10)" % (
                    name, time.monotonic() - t[name])
            took = got[name] - t[name]
            assert 9.0 <= took <= 15.0, "the %s hung up after %.1f s" % (
                name, took)


# -- revocation reaches callers who have not joined ---------------------------

def test_reset_hangs_up_lobby_and_pin_callers_members_stay():
    with edge() as (d, o):
        meeting = schedule_meeting(d)
        mid = meeting["conferenceId"]
        # In the meeting's conference: the organizer and a guest.
        m_org, m_guest = raw(d, 61), raw(d, 62)
        for s in (m_org, m_guest):
            assert status_of(s) == 200
            s.start_media()
        mo = dict(o, id=mid)
        join_as_organizer(d, m_org, mo, "meeting organizer")
        enter(d, m_guest, mid, "#")
        wait_call(d, mask(user(62)), lambda c: c["state"] == "in-conference",
                  "in the meeting", timeout=5)
        # On Ada's personal ID, not joined yet: in the lobby, at the PIN.
        lobby, pin = raw(d, 63), raw(d, 64)
        for s in (lobby, pin):
            assert status_of(s) == 200
            s.start_media()
        enter(d, lobby, o["id"], "#")
        wait_call(d, mask(user(63)), lambda c: c["state"] == "lobby",
                  "lobby", timeout=5)
        enter(d, pin, o["id"], "*")
        wait_call(d, mask(user(64)), lambda c: c["state"] == "organizer-pin",
                  "organizer-pin", timeout=5)

        res = d.ok("POST", RESET, {"sendEmail": False})
        new = res["conferenceId"]
        o["id"] = new
        got = watch_byes({"lobby": lobby, "pin": pin}, timeout=10)
        # The organizer comes in on the new ID.
        boss = raw(d, 65)
        assert status_of(boss) == 200
        boss.start_media()
        join_as_organizer(d, boss, o, "organizer on the new ID")
        time.sleep(1.0)
        now = calls(d)
        for n, what in ((63, "lobby"), (64, "PIN entry")):
            c = [c for c in now if c["caller"] == mask(user(n))]
            assert not c or c[0]["state"] != "in-conference", \
                "the caller in %s on the revoked ID joined the organizer " \
                "on the new one: %r" % (what, c)
        assert "lobby" in got, "the lobby caller on the revoked ID was not " \
            "hung up within 10 s of the reset"
        assert "pin" in got, "the caller entering the PIN on the revoked ID " \
            "was not hung up within 10 s of the reset"
        for n in (63, 64):
            assert not any(c["caller"] == mask(user(n)) for c in now), now
        # Callers already in a conference stay, though its ID changed.
        for n, s in ((61, m_org), (62, m_guest)):
            c = [c for c in now if c["caller"] == mask(user(n))]
            assert c and c[0]["state"] == "in-conference", \
                "a member of the meeting was dropped by the reset: %r" % now
            assert not s.ended, "a member of the meeting got a BYE"


def test_meeting_cancel_hangs_up_waiting_callers():
    with edge() as (d, o):
        meeting = schedule_meeting(d)
        mid = meeting["conferenceId"]
        lobby, pin = raw(d, 66), raw(d, 67)
        for s in (lobby, pin):
            assert status_of(s) == 200
            s.start_media()
        enter(d, lobby, mid, "#")
        wait_call(d, mask(user(66)), lambda c: c["state"] == "lobby",
                  "lobby", timeout=5)
        enter(d, pin, mid, "*")
        wait_call(d, mask(user(67)), lambda c: c["state"] == "organizer-pin",
                  "organizer-pin", timeout=5)
        d.ok("DELETE", API + "/meetings/" + q(meeting["id"]))
        got = watch_byes({"lobby": lobby, "pin": pin}, timeout=10)
        assert "lobby" in got, "the lobby caller of a cancelled meeting " \
            "was not hung up within 10 s"
        assert "pin" in got, "the caller entering the PIN of a cancelled " \
            "meeting was not hung up within 10 s"
        for n in (66, 67):
            wait_gone(d, mask(user(n)), timeout=3)


def test_user_disabled_hangs_up_lobby_caller():
    with edge() as (d, o):
        s = raw(d, 68)
        assert status_of(s) == 200
        s.start_media()
        enter(d, s, o["id"], "#")
        wait_call(d, mask(user(68)), lambda c: c["state"] == "lobby",
                  "lobby", timeout=5)
        d.ok("PATCH", API + "/users/ada@example.org",
             {"audioConferencing": {"enabled": False}})
        got = watch_byes({"lobby": s}, timeout=10)
        assert "lobby" in got, "the lobby caller of a disabled user was " \
            "not hung up within 10 s"
        wait_gone(d, mask(user(68)), timeout=3)


# -- trusted proxies ----------------------------------------------------------

def test_trusted_proxy_source_believed_only_from_listed_address():
    proxy_ip = ip(40)
    with edge({"sipTrustedProxies": proxy_ip}) as (d, o):
        g = Guesser(d, o)

        def fail_calls(s, headers, calls_n=2):
            for call in range(calls_n):
                st = status_of(s, user=rand_user(), headers=headers)
                assert st == 200, "call %d %r refused (%d)" % (
                    call + 1, headers, st)
                assert g.wrong_ids(s, 3) == 3, "call ended early"
                s.bye()

        def xds(a):
            return ["X-Dialconf-Source: %s" % a]

        def pai(num):
            return ["P-Asserted-Identity: <sip:%s@carrier.example>" % num]

        p = raw(d, 40)
        # Behind the proxy, by X-Dialconf-Source (From rotating).
        fail_calls(p, xds("198.51.100.7"))
        st = status_of(p, user=rand_user(), headers=xds("198.51.100.7"))
        assert st == 403, "6 wrong IDs from X-Dialconf-Source 198.51.100.7 " \
            "via the trusted proxy, then %d, not 403" % st
        assert status_of(p, user=rand_user(),
                         headers=xds("198.51.100.8")) == 200, \
            "another source behind the proxy refused"
        p.bye()
        # An unlisted address cannot borrow that identity...
        u = raw(d, 41)
        assert status_of(u, headers=xds("198.51.100.7")) == 200, \
            "X-Dialconf-Source believed from an unlisted address"
        u.bye()
        # ...nor hide behind made-up ones.
        a = raw(d, 42)
        for call in range(2):
            st = status_of(a, user=rand_user(),
                           headers=xds("203.0.113.%d" % (call + 1)) +
                           pai(rand_user()))
            assert st == 200, "call %d refused (%d)" % (call + 1, st)
            assert g.wrong_ids(a, 3) == 3
            a.bye()
        st = status_of(a, user=rand_user(), headers=xds("203.0.113.9"))
        assert st == 403, "an unlisted address rotating X-Dialconf-Source " \
            "and P-Asserted-Identity: %d after 6 wrong IDs, not 403" % st
        # Behind the proxy without X-Dialconf-Source: the caller identity,
        # P-Asserted-Identity first, else the From user.
        victim = "+15550001111"
        fail_calls(p, pai(victim))
        st = status_of(p, user=rand_user(), headers=pai(victim))
        assert st == 403, "6 wrong IDs from P-Asserted-Identity %s via the " \
            "proxy, then %d, not 403" % (victim, st)
        st = status_of(p, user=victim)
        assert st == 403, "From %s without P-Asserted-Identity via the " \
            "proxy: %d, not 403" % (victim, st)
        assert status_of(p, user=rand_user(),
                         headers=pai("+15550002222")) == 200, \
            "another caller behind the proxy refused"
        p.bye()
        assert status_of(raw(d, 43), user=victim, headers=pai(victim)) \
            == 200, "P-Asserted-Identity believed from an unlisted address"


# -- several nodes ------------------------------------------------------------

def test_two_nodes_share_the_guard():
    pg = PgDatabase()
    nodes = []
    try:
        for _ in range(2):
            nodes.append(Daemon(db=pg.url).start())
        a, b = nodes
        o = org(a)
        a.tracked = []
        g = Guesser(a, o)  # the audit log is one, read through node A
        sa = track(a, RawSip(a, user(81), ip=ip(81)))
        sb = track(a, RawSip(b, user(81, 1), ip=ip(81)))
        for s in (sa, sb):
            st = status_of(s)
            assert st == 200, "refused (%d) by %s after %d wrong IDs" % (
                st, s.d.url, g.ids)
            assert g.wrong_ids(s, 3) == 3
            s.bye()
        time.sleep(0.5)
        got = (status_of(sa), status_of(sb))
        assert got == (403, 403), "3 wrong IDs on each node from %s, then " \
            "node A answered %d and node B %d, not 403 on both" % (
                (ip(81),) + got)
        for x in a.tracked:
            x.bye(timeout=0.5)
            x.close()
        for d in nodes:
            d.close()
    finally:
        for d in nodes:
            d.cleanup()
        pg.drop()
