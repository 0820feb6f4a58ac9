"""Jitsi Meet dial-in (issue #16, SPEC §7): the conference mapper and the
dial-in numbers endpoints in the shapes Jitsi Meet's web app reads
(dialInConfCodeUrl, dialInNumbersUrl), their CORS and rate limit, and a
caller who keys a room's ID being sent on to a stand-in Jigasi."""

import datetime
import json
import math
import random
import re
import socket
import threading
import time

import sipkit
from harness import Daemon

ORIGIN = "https://meet.example.org"
ROOM = "Daily-Standup@conference.meet.example.org"
MAPPER = "/jitsi/conference-mapper"
NUMBERS = "/jitsi/dial-in-numbers"
JIGASI = "sip:jigasi@127.0.0.1:5099"  # replaced by the SIP test's own


def jitsi(d, path, origin=None, accept=None, method="GET"):
    """A browser's request: no token, maybe an Origin."""
    h = {}
    if origin:
        h["Origin"] = origin
    if accept:
        h["Accept"] = accept
    return d.api(method, path, token=None, headers=h)


def configure(d, jigasi=JIGASI, per_minute=600):
    d.ok("PATCH", "/api/v1/settings", {
        "jitsiJigasiUri": jigasi, "jitsiAllowedOrigins": ORIGIN +
        ",https://meet2.example.org", "jitsiRequestsPerMinute":
        per_minute})


def test_off_until_configured(d):
    status, _, body = jitsi(d, MAPPER + "?conference=" + ROOM)
    assert status == 404 and body["message"], (status, body)
    status, _, body = jitsi(d, NUMBERS)
    assert status == 404, (status, body)
    assert d.ok("GET", "/api/v1/jitsi/rooms")["rooms"] == []


def test_mapper_shapes_and_namespace(d):
    configure(d)
    ada = d.create_user("ada@example.org", "Ada Lovelace")
    personal = ada["audioConferencing"]["conferenceId"]
    start = datetime.datetime.now(datetime.timezone.utc) + \
        datetime.timedelta(days=1)
    meeting = d.ok("POST", "/api/v1/meetings", {
        "organizer": "ada@example.org", "subject": "Budget",
        "start": start.isoformat(), "end":
        (start + datetime.timedelta(hours=1)).isoformat()},
        expect=(201,))["conferenceId"]

    status, h, body = jitsi(d, MAPPER + "?conference=" + ROOM, ORIGIN)
    assert status == 200, (status, body)
    assert h["Content-Type"] == "application/json"
    assert h["Access-Control-Allow-Origin"] == ORIGIN
    conference = ROOM.lower()  # Jitsi's rooms are lowercase
    assert body == {"message": "Successfully retrieved conference mapping",
                    "id": body["id"], "conference": conference}, body
    rid = body["id"]
    assert isinstance(rid, int) and 1000000 <= rid <= 9999999, body
    # The same room, the same ID; another room, another ID.
    assert jitsi(d, MAPPER + "?conference=" + conference)[2]["id"] == rid
    ids = {str(rid), personal, meeting}
    for i in range(8):
        other = jitsi(d, MAPPER + "?conference=room%d@conference."
                      "meet.example.org" % i)[2]["id"]
        ids.add(str(other))
    assert len(ids) == 11, "an ID was given twice: %r" % ids
    # It is a conference ID like any other.
    info = d.lookup(str(rid))
    assert (info["state"], info["kind"], info["jitsiRoom"]) == \
        ("live", "jitsi", conference), info
    assert d.lookup(personal)["jitsiRoom"] is None

    # Back by ID.
    status, _, body = jitsi(d, MAPPER + "?id=%d" % rid, ORIGIN)
    assert (status, body) == (200, {
        "message": "Successfully retrieved conference mapping", "id": rid,
        "conference": conference}), body
    # Unknown, a personal ID, a meeting ID, junk: one 404, Jitsi's shape.
    for q in ("1000003", personal, meeting):
        status, h, body = jitsi(d, MAPPER + "?id=" + q, ORIGIN)
        assert status == 404, (q, status, body)
        assert h["Content-Type"] == "application/json"
        assert body == {"message": "No conference mapping was found",
                        "id": int(q), "conference": False}, body
    status, _, body = jitsi(d, MAPPER + "?id=abc")
    assert status == 404 and body["conference"] is False, body
    # A name that is not room@domain.
    status, _, body = jitsi(d, MAPPER + "?conference=no-domain")
    assert status == 400 and "@" in body["message"], body
    assert jitsi(d, MAPPER)[0] == 400

    rooms = d.ok("GET", "/api/v1/jitsi/rooms")["rooms"]
    assert [r["conference"] for r in rooms][0] == conference, rooms
    assert {"conference": conference, "conferenceId": str(rid)}.items() <= \
        rooms[0].items(), rooms
    assert d.audit(limit=20)[0]["action"] == "jitsi.map"
    code, out, err = d.cli("jitsi", "rooms")
    assert code == 0 and conference in out and str(rid) in out, (out, err)
    # Not without a token.
    assert d.api("GET", "/api/v1/jitsi/rooms", token=None)[0] == 401


def test_cors_preflight(d):
    configure(d)
    req = {"Access-Control-Request-Method": "GET"}
    status, h, _ = d.api("OPTIONS", MAPPER, token=None, headers=dict(
        req, Origin=ORIGIN))
    assert status == 204, status
    assert h["Access-Control-Allow-Origin"] == ORIGIN
    assert "GET" in h["Access-Control-Allow-Methods"]
    status, h, _ = d.api("OPTIONS", NUMBERS, token=None, headers=dict(
        req, Origin="https://meet2.example.org"))
    assert status == 204
    assert h["Access-Control-Allow-Origin"] == "https://meet2.example.org"
    # A refused origin: no CORS header, so the browser keeps the answer
    # from the page.
    status, h, _ = d.api("OPTIONS", MAPPER, token=None, headers=dict(
        req, Origin="https://evil.example.org"))
    assert status == 403, status
    assert "Access-Control-Allow-Origin" not in h
    status, h, _ = jitsi(d, MAPPER + "?conference=" + ROOM,
                         "https://evil.example.org")
    assert "Access-Control-Allow-Origin" not in h


def test_dial_in_numbers_both_forms(d):
    configure(d)
    status, _, body = jitsi(d, NUMBERS + "?conference=" + ROOM)
    assert (status, body["numbersEnabled"]) == (200, False), body
    for n, t, cc in (("+14255550100", "toll", "US"),
                     ("+18005550199", "tollFree", "US"),
                     ("+442071234567", "toll", "GB")):
        d.ok("POST", "/api/v1/dial-in-numbers", {
            "number": n, "type": t, "countryCode": cc}, expect=(201,))
    status, h, body = jitsi(d, NUMBERS + "?conference=" + ROOM, ORIGIN)
    assert status == 200 and h["Access-Control-Allow-Origin"] == ORIGIN
    assert body["numbersEnabled"] is True and body["message"], body
    assert body["numbers"] == {"US": ["+1 425 555 0100", "+1 800 555 0199"],
                               "GB": ["+442071234567"]}, body
    want = [{"countryCode": "us", "tollFree": False,
             "formattedNumber": "+1 425 555 0100", "default": True},
            {"countryCode": "gb", "tollFree": False,
             "formattedNumber": "+442071234567", "default": False},
            {"countryCode": "us", "tollFree": True,
             "formattedNumber": "+1 800 555 0199", "default": True}]
    status, _, body = jitsi(d, NUMBERS + "?format=array&conference=" + ROOM)
    assert sorted(body, key=json.dumps) == sorted(want, key=json.dumps), body
    status, _, body = jitsi(d, NUMBERS + "?conference=" + ROOM,
                            accept="application/json; format=array")
    assert isinstance(body, list) and len(body) == 3, body


def test_rate_limited_per_address(d):
    # The budget is per minute of the clock: start well inside one, so
    # that the checks below all fall in the same one.
    left = 60 - time.time() % 60
    if left < 5:
        time.sleep(left + 0.1)
    # The earlier tests of this file spent some of this minute's budget
    # already: after five more, the address is refused whatever it asks.
    configure(d, per_minute=5)
    got = [jitsi(d, MAPPER + "?id=1000003")[0] for _ in range(6)]
    assert got[-1] == 429 and set(got) <= {404, 429}, got
    assert got.count(404) <= 5, got
    status, h, body = jitsi(d, NUMBERS)
    assert status == 429 and 1 <= int(h["Retry-After"]) <= 60, (status, body)
    assert body["message"], body
    # X-Forwarded-For from an untrusted address changes nothing.
    status, _, _ = d.api("GET", NUMBERS, token=None,
                         headers={"X-Forwarded-For": "203.0.113.9"})
    assert status == 429
    # Behind a trusted proxy each forwarded client has its own budget.
    d.ok("PATCH", "/api/v1/settings", {"httpTrustedProxies": "127.0.0.1"})
    via = [d.api("GET", NUMBERS, token=None, headers={
        "X-Forwarded-For": "198.51.100.7, 203.0.113.5"})[0]
        for _ in range(7)]
    assert via[:5] == [200] * 5 and via[-1] == 429, via
    status, _, _ = d.api("GET", NUMBERS, token=None, headers={
        "X-Forwarded-For": "203.0.113.6"})
    assert status == 200, status
    d.ok("PATCH", "/api/v1/settings", {"httpTrustedProxies": ""})
    configure(d)  # the limit is the setting's, read at each request
    assert jitsi(d, MAPPER + "?id=1000003")[0] == 404


def test_rooms_capped_for_strangers(d):
    """jitsiMaxRooms bounds what the unauthenticated mapper takes from the
    ID namespace: past it a new room gets 503, a mapped one still its ID."""
    configure(d)
    rooms = d.ok("GET", "/api/v1/jitsi/rooms")["rooms"]
    d.ok("PATCH", "/api/v1/settings", {"jitsiMaxRooms": len(rooms) + 1})
    try:
        status, _, first = jitsi(d, MAPPER + "?conference=cap-1@" + ROOM
                                 .split("@")[1])
        assert status == 200, (status, first)
        for i in range(2, 5):
            status, _, body = jitsi(d, MAPPER + "?conference=cap-%d@%s"
                                    % (i, ROOM.split("@")[1]))
            # A server-side refusal: problem+json naming the setting.
            assert status == 503 and "jitsiMaxRooms" in body["detail"], \
                (status, body)
        status, _, again = jitsi(d, MAPPER + "?conference=cap-1@" + ROOM
                                 .split("@")[1])
        assert status == 200 and again["id"] == first["id"], (status, again)
        assert len(d.ok("GET", "/api/v1/jitsi/rooms")["rooms"]) == \
            len(rooms) + 1
    finally:
        d.ok("PATCH", "/api/v1/settings", {"jitsiMaxRooms": 10000})


# -- a caller sent on to a stand-in Jigasi -----------------------------------

def ulaw_decode(b):
    """G.711 µ-law byte to a linear sample (ITU-T G.711)."""
    b = ~b & 0xFF
    mag = (((b & 0x0F) << 3) + 0x84) << ((b >> 4) & 0x07)
    return (0x84 - mag) if b & 0x80 else (mag - 0x84)


def tone_level(payload, hz):
    """Amplitude of the hz component of µ-law audio (the last second of
    it), by one DFT bin: ~9800 for sipkit's tones, near 0 without."""
    x = [ulaw_decode(b) for b in payload[-8000:]]
    n = len(x)
    if n < 1600:
        return 0.0
    w = 2 * math.pi * hz / 8000
    re_ = sum(v * math.cos(w * i) for i, v in enumerate(x))
    im = sum(v * math.sin(w * i) for i, v in enumerate(x))
    return 2 * math.hypot(re_, im) / n


class RtpSink:
    """Collects the PCMU payloads arriving on a socket, on a thread."""

    def __init__(self, sock):
        self.sock = sock
        self.payload = bytearray()
        self.quit = False
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        self.sock.settimeout(0.2)
        while not self.quit:
            try:
                data, _ = self.sock.recvfrom(2048)
            except (socket.timeout, OSError):
                continue
            if len(data) > 12 and data[1] & 0x7F == 0:
                with self.lock:
                    self.payload += data[12:]

    def take(self):
        with self.lock:
            out = bytes(self.payload)
            self.payload.clear()
        return out

    def stop(self):
        self.quit = True
        self.thread.join(timeout=2)


class StandInJigasi:
    """Just enough of a SIP gateway: answers one INVITE with 200 and an SDP
    answer of PCMU, keeps its headers, then streams a tone to the offer's
    address and records what comes back; answers BYE."""

    def __init__(self, hz, refuse=None):
        self.hz = hz
        self.refuse = refuse  # "486 Busy Here": refuse the INVITE
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rtp.bind(("127.0.0.1", 0))
        self.invite = None   # (request line, headers, body)
        self.got_bye = False
        self.media = None
        self.sink = RtpSink(self.rtp)
        self.quit = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def uri(self):
        return "sip:jigasi@127.0.0.1:%d" % self.port

    def _reply(self, hdrs, addr, status, extra="", body=""):
        text = ("SIP/2.0 %s\r\nVia: %s\r\nFrom: %s\r\nTo: %s\r\n"
                "Call-ID: %s\r\nCSeq: %s\r\n%sContent-Length: %d\r\n\r\n%s"
                % (status, hdrs["via"], hdrs["from"], hdrs["to"],
                   hdrs["call-id"], hdrs["cseq"], extra, len(body), body))
        self.sock.sendto(text.encode(), addr)

    def _run(self):
        self.sock.settimeout(0.2)
        while not self.quit:
            try:
                data, addr = self.sock.recvfrom(65536)
            except (socket.timeout, OSError):
                continue
            line, hdrs, body = sipkit.parse_msg(data)
            method = line.split()[0]
            if method == "INVITE" and self.invite is None and self.refuse:
                self.invite = (line, hdrs, body)
                hdrs = dict(hdrs, to=hdrs["to"] + ";tag=jigasi1")
                self._reply(hdrs, addr, self.refuse)
            elif method == "INVITE" and self.invite is None:
                self.invite = (line, hdrs, body)
                self.peer = addr
                hdrs = dict(hdrs, to=hdrs["to"] + ";tag=jigasi1")
                sdp = ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"
                       "c=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                       "m=audio %d RTP/AVP 0\r\n"
                       "a=rtpmap:0 PCMU/8000\r\n"
                       % self.rtp.getsockname()[1])
                self._reply(hdrs, addr, "200 OK",
                            "Contact: <sip:jigasi@127.0.0.1:%d>\r\n"
                            "Content-Type: application/sdp\r\n" % self.port,
                            sdp)
                target = sipkit.sdp_media(body)
                self.media = sipkit.RtpStream(self.rtp, target)
                self.media.tone(self.hz)
            elif method == "BYE":
                self.got_bye = True
                self._reply(hdrs, addr, "200 OK")
            elif method not in ("ACK", "SIP/2.0"):
                self._reply(hdrs, addr, "200 OK")

    def hang_up(self):
        """BYE of our own in the dialog (RFC 3261 §15.1.1)."""
        _, hdrs, _ = self.invite
        contact = re.search(r"<([^>]+)>", hdrs["contact"]).group(1)
        text = ("BYE %s SIP/2.0\r\n"
                "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bKjb%x\r\n"
                "Max-Forwards: 70\r\nFrom: %s;tag=jigasi1\r\nTo: %s\r\n"
                "Call-ID: %s\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n"
                % (contact, self.port, random.getrandbits(32), hdrs["to"],
                   hdrs["from"], hdrs["call-id"]))
        self.sock.sendto(text.encode(), self.peer)

    def header(self, name):
        return self.invite[1].get(name.lower()) if self.invite else None

    def close(self):
        self.quit = True
        self.thread.join(timeout=2)
        if self.media:
            self.media.stop()
        self.sink.stop()
        self.sock.close()
        self.rtp.close()


def wait_for(pred, what, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


def test_caller_forwarded_to_jigasi(d):
    jigasi = StandInJigasi(1000)
    caller = sipkit.RawSip(d, "+14255557788", ip="127.0.0.61")
    try:
        configure(d, jigasi=jigasi.uri())
        if not any(n["number"] == sipkit.NUMBER for n in d.numbers()):
            d.ok("POST", "/api/v1/dial-in-numbers", {
                "number": sipkit.NUMBER, "type": "toll",
                "countryCode": "US"}, expect=(201,))
        rid = jitsi(d, MAPPER + "?conference=" + ROOM)[2]["id"]
        before = next(r for r in d.ok("GET", "/api/v1/jitsi/rooms")["rooms"]
                      if r["conferenceId"] == str(rid))["lastUsedAt"]

        status, _ = caller.invite(sipkit.NUMBER)
        assert status == 200, status
        heard = RtpSink(caller.rtp)
        caller.start_media()  # silence first: our media address is proven
        caller.keys("%d#" % rid)

        wait_for(lambda: jigasi.invite is not None, "the INVITE to Jigasi")
        assert jigasi.header("Jitsi-Conference-Room") == ROOM.lower(), \
            jigasi.invite
        assert "+1425555****" in jigasi.header("from"), jigasi.invite
        call = sipkit.wait_call(d, sipkit.mask("+14255557788"),
                                lambda c: c["state"] == "in-conference",
                                "forwarded")
        assert call["conferenceId"] == str(rid), call

        # Tones both ways: 440 Hz from the caller, 1 kHz from Jigasi.
        caller.media.tone(440)
        jigasi.sink.take()
        heard.take()
        time.sleep(1.5)
        at_jigasi = jigasi.sink.take()
        at_caller = heard.take()
        assert tone_level(at_jigasi, 440) > 3000, \
            "the caller's tone did not reach Jigasi (%d bytes, level %.0f)" \
            % (len(at_jigasi), tone_level(at_jigasi, 440))
        assert tone_level(at_caller, 1000) > 3000, \
            "Jigasi's tone did not reach the caller (%d bytes, level %.0f)" \
            % (len(at_caller), tone_level(at_caller, 1000))
        # Relayed, not mixed: nobody hears their own tone back.
        assert tone_level(at_caller, 440) < 1000
        assert tone_level(at_jigasi, 1000) < 1000

        # The call counts as use of the room.
        rooms = d.ok("GET", "/api/v1/jitsi/rooms")["rooms"]
        assert next(r for r in rooms if r["conferenceId"] == str(rid))[
            "lastUsedAt"] >= before

        # The caller hangs up: Jigasi gets its BYE.
        caller.bye()
        wait_for(lambda: jigasi.got_bye, "the BYE to Jigasi")
        sipkit.wait_gone(d, sipkit.mask("+14255557788"))
        heard.stop()
    finally:
        caller.close()
        jigasi.close()


def forwarded_call(d, jigasi, caller):
    """caller dials in and keys the room's ID; configured for jigasi."""
    configure(d, jigasi=jigasi.uri())
    rid = jitsi(d, MAPPER + "?conference=" + ROOM)[2]["id"]
    status, _ = caller.invite(sipkit.NUMBER)
    assert status == 200, status
    caller.start_media()
    caller.keys("%d#" % rid)
    wait_for(lambda: jigasi.invite is not None, "the INVITE to Jigasi")


def test_jigasi_refuses_or_hangs_up(d):
    # Jigasi refuses: the caller hears goodbye and is hung up.
    jigasi = StandInJigasi(1000, refuse="486 Busy Here")
    caller = sipkit.RawSip(d, "+14255557789", ip="127.0.0.62")
    try:
        forwarded_call(d, jigasi, caller)
        assert caller.wait_bye(timeout=10), "the caller was not hung up"
    finally:
        caller.close()
        jigasi.close()
    # Jigasi answers, later hangs up: so is the caller.
    jigasi = StandInJigasi(1000)
    caller = sipkit.RawSip(d, "+14255557790", ip="127.0.0.63")
    try:
        forwarded_call(d, jigasi, caller)
        sipkit.wait_call(d, sipkit.mask("+14255557790"),
                         lambda c: c["state"] == "in-conference",
                         "forwarded")
        jigasi.hang_up()
        assert caller.wait_bye(timeout=5), "the caller stayed on the line"
        sipkit.wait_gone(d, sipkit.mask("+14255557790"))
    finally:
        caller.close()
        jigasi.close()
