"""The conference bridge (SPEC §6, issue 6): callers in one conference hear
each other, never themselves, and nobody else.

Real callers: headless baresip user agents (test_sip.Baresip), each
sending a pure tone from a WAV file (aufile) and recording what it hears
(sndfile). What a caller heard is judged by the RMS of its recording in a
narrow band around each tone (sox sinc band-pass, then stat): the tone of
someone in the conference must be loud, one's own tone and the tones of
other conferences must be near silence, with a clear ratio between the
two. Recording times are taken from the test's clock at CALL_ESTABLISHED,
and every window starts well after prompts and entry tones have ended.

Callers reach the conference through the attendant with the lobby bypass
on (ID, '#', then '#' for "not the organizer"), or as the organizer with
'*' and the PIN."""

import atexit
import os
import re
import shutil
import subprocess
import tempfile
import time

from test_sip import (Baresip, calls, mask, org, rms, wait_call,
                      wait_gone)

# Tone frequencies and the band-pass around each (Hz).
BANDS = {440: (400, 480), 1000: (950, 1050), 1800: (1750, 1850),
         2600: (2550, 2650)}
HEARD_MIN = 0.03      # RMS (0..1) of a tone one hears: sent at 0.3 peak
SILENT_MAX = 0.01     # RMS of a tone one must not hear
RATIO_MIN = 10.0      # heard / not heard, in the same recording
WINDOW = 1.5          # seconds measured
SETTLE = 2.8          # after joining: the "joining" prompt and entry tone

_tones = {}
_setup = set()


def tone(hz):
    """An 8 kHz mono 16-bit WAV of hz, 60 s at 0.3 of full scale."""
    if hz not in _tones:
        d = tempfile.mkdtemp(prefix="dialconf-tone-")
        atexit.register(shutil.rmtree, d, True)
        path = os.path.join(d, "tone%d.wav" % hz)
        subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-b", "16",
                        path, "synth", "60", "sine", str(hz), "vol", "0.3"],
                       check=True)
        _tones[hz] = path
    return _tones[hz]


def setup(d):
    """Ada (org()) and Bob, each with a personal conference; callers may
    bypass the lobby. Once per daemon."""
    o = org(d)
    if d.url not in _setup:
        bob = d.create_user("bob@example.org", "Bob Bridge")
        o["bob"] = bob["audioConferencing"]["conferenceId"]
        d.ok("PATCH", "/api/v1/settings",
             {"allowPstnUsersToBypassLobby": True})
        _setup.add(d.url)
    return o


def band(path, start, hz):
    """RMS (0..1) of path's band around hz over WINDOW s from start."""
    lo, hi = BANDS[hz]
    p = subprocess.run(["sox", path, "-n", "trim", "%.2f" % start,
                        str(WINDOW), "sinc", "%d-%d" % (lo, hi), "stat"],
                       capture_output=True, text=True)
    m = re.search(r"RMS\s+amplitude:\s+([0-9.]+)", p.stderr)
    assert m, p.stderr
    return float(m.group(1))


class Caller:
    """A baresip caller sending a tone (users must differ before their
    last four digits, which GET /calls masks); t0 is when its call was
    established, so window() can tell where "now" is in its recording."""

    def __init__(self, user, hz, codec="PCMU"):
        self.user, self.hz = user, hz
        self.ua = Baresip(user, source=tone(hz), codec=codec)
        self.t0 = None
        self.windows = {}

    def dial(self, d):
        self.ua.dial(d)
        self.t0 = time.monotonic()

    def keys(self, digits):
        self.ua.cmd("sndcode", digits)

    def mark(self, name):
        """Measure the window starting now (once the recording is read)."""
        self.windows[name] = time.monotonic() - self.t0

    def hangup(self):
        self.ua.cmd("hangup")
        self.ua.wait_event("CALL_CLOSED")

    def recording(self):
        # sndfile completes the WAV header when the call closes.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            rec = self.ua.recording()
            if rec and os.path.getsize(rec) > 44:
                return rec
            time.sleep(0.1)
        raise AssertionError("%s recorded nothing" % self.user)

    def close(self):
        self.ua.close()


def join(d, callers, conf_id):
    """Dial all, key in ID## (bypass), and wait until each is in."""
    for c in callers:
        c.dial(d)
    for c in callers:
        c.keys(conf_id + "##")
    for c in callers:
        wait_call(d, mask(c.user), lambda x: x["state"] == "in-conference",
                  "in-conference")


def check(c, window, hears, not_hears):
    """In c's recording at window: every tone of hears is loud, every one
    of not_hears near silence, with a clear margin. Prints the figures."""
    rec = c.recording()
    start = c.windows[window]
    got = {hz: band(rec, start, hz) for hz in set(hears) | set(not_hears)}
    print("# bridge: %s (%d Hz) at %s +%.1fs: %s" % (
        c.user, c.hz, window, start,
        ", ".join("%d Hz %.4f" % kv for kv in sorted(got.items()))))
    for hz in hears:
        assert got[hz] > HEARD_MIN, \
            "%s does not hear %d Hz at %s: %r" % (c.user, hz, window, got)
    for hz in not_hears:
        assert got[hz] < SILENT_MAX, \
            "%s hears %d Hz at %s: %r" % (c.user, hz, window, got)
        for h in hears:
            assert got[h] > RATIO_MIN * got[hz], \
                "%s: %d Hz not clearly above %d Hz at %s: %r" % (
                    c.user, h, hz, window, got)


def close_all(callers):
    for c in callers:
        c.close()


# -- tests --------------------------------------------------------------------

def test_n_minus_one_and_mute(d):
    o = setup(d)
    a = Caller("+15550010000", 440)
    b = Caller("+15550020000", 1000)
    c = Caller("+15550030000", 1800)
    try:
        join(d, [a, b], o["id"])
        time.sleep(SETTLE)
        a.mark("two")
        b.mark("two")
        time.sleep(WINDOW + 0.2)

        join(d, [c], o["id"])
        time.sleep(SETTLE)
        for x in (a, b, c):
            x.mark("three")
        time.sleep(WINDOW + 0.2)

        c.keys("*6")
        wait_call(d, mask(c.user), lambda x: x["muted"], "muted")
        assert not any(x["muted"] for x in calls(d) if x["caller"] != mask(
            c.user)), calls(d)
        time.sleep(0.3)
        for x in (a, b, c):
            x.mark("muted")
        time.sleep(WINDOW + 0.2)

        c.keys("*6")
        wait_call(d, mask(c.user), lambda x: not x["muted"], "unmuted")
        time.sleep(0.3)
        a.mark("unmuted")
        b.mark("unmuted")
        time.sleep(WINDOW + 0.2)
        for x in (a, b, c):
            x.hangup()

        # Each hears the other and not themselves.
        check(a, "two", [1000], [440])
        check(b, "two", [440], [1000])
        for x in (a, b, c):
            check(x, "three", [h for h in (440, 1000, 1800) if h != x.hz],
                  [x.hz])
        # Muted: not heard, but still hearing everyone.
        check(a, "muted", [1000], [440, 1800])
        check(b, "muted", [440], [1000, 1800])
        check(c, "muted", [440, 1000], [1800])
        check(a, "unmuted", [1000, 1800], [440])
        check(b, "unmuted", [440, 1800], [1000])
        for x in (a, b, c):
            wait_gone(d, mask(x.user))
    finally:
        close_all([a, b, c])


def test_pcmu_pcma_and_two_conferences(d):
    o = setup(d)
    p = Caller("+15550040000", 440, "PCMU")
    q = Caller("+15550050000", 1000, "PCMA")
    r = Caller("+15550060000", 1800, "PCMA")
    s = Caller("+15550070000", 2600, "PCMU")
    try:
        for x in (p, q, r, s):
            x.dial(d)
        p.keys(o["id"] + "##")
        q.keys(o["id"] + "##")
        r.keys(o["bob"] + "##")
        s.keys(o["bob"] + "##")
        for x in (p, q, r, s):
            wait_call(d, mask(x.user),
                      lambda c: c["state"] == "in-conference",
                      "in-conference")
        log = d.log_text()
        for x, codec in ((p, "PCMU"), (q, "PCMA"), (r, "PCMA"),
                         (s, "PCMU")):
            assert re.search(r"caller=%s codec=%s" % (
                re.escape(mask(x.user)), codec), log), (x.user, codec)
        time.sleep(SETTLE)
        for x in (p, q, r, s):
            x.mark("both")
        time.sleep(WINDOW + 0.2)
        for x in (p, q, r, s):
            x.hangup()
        everyone = {440, 1000, 1800, 2600}
        # Ada's conference: PCMU and PCMA hear each other; nothing of
        # Bob's conference, and the other way round.
        check(p, "both", [1000], everyone - {1000})
        check(q, "both", [440], everyone - {440})
        check(r, "both", [2600], everyone - {2600})
        check(s, "both", [1800], everyone - {1800})
    finally:
        close_all([p, q, r, s])


def test_full_conference_and_organizer_leaving(d):
    o = setup(d)
    d.ok("PATCH", "/api/v1/settings", {"maxParticipants": 2})
    boss = Caller("+15550080000", 440)
    guest = Caller("+15550090000", 1000)
    extra = Caller("+15550100000", 2600)
    late = Caller("+15550110000", 1800)
    try:
        boss.dial(d)
        boss.keys(o["id"] + "#")
        wait_call(d, mask(boss.user),
                  lambda c: c["conferenceId"] == o["id"], "resolved")
        boss.keys("*")
        wait_call(d, mask(boss.user),
                  lambda c: c["state"] == "organizer-pin", "organizer-pin")
        boss.keys(o["pin"] + "#")
        join(d, [guest], o["id"])
        wait_call(d, mask(boss.user),
                  lambda c: c["state"] == "in-conference", "in-conference")

        # A third caller in a conference of at most two: told, hung up.
        extra.dial(d)
        extra.keys(o["id"] + "##")
        extra.ua.wait_event("CALL_CLOSED", timeout=15)
        wait_gone(d, mask(extra.user))
        assert "event=conference-full" in d.log_text()
        # After its digits: "this conference is full", speech.
        speech = rms(extra.recording(), 2.8, WINDOW)
        print("# bridge: turned-away caller heard RMS %.4f" % speech)
        assert speech > 0.02, speech

        # The organizer leaves: the conference goes on, and has room.
        boss.hangup()
        wait_gone(d, mask(boss.user))
        time.sleep(0.5)
        g = [c for c in calls(d) if c["caller"] == mask(guest.user)]
        assert g and g[0]["state"] == "in-conference", calls(d)
        join(d, [late], o["id"])
        time.sleep(SETTLE)
        guest.mark("after")
        late.mark("after")
        time.sleep(WINDOW + 0.2)
        guest.hangup()
        late.hangup()
        check(guest, "after", [1800], [1000, 440])
        check(late, "after", [1000], [1800, 440])
    finally:
        d.ok("PATCH", "/api/v1/settings", {"maxParticipants": 250})
        close_all([boss, guest, extra, late])
