"""Jitsi Meet dial-in (issue #16, SPEC §7): the conference mapper and the
dial-in numbers endpoints in the shapes Jitsi Meet's web app reads
(dialInConfCodeUrl, dialInNumbersUrl), their CORS and rate limit, and a
caller who keys a room's ID being sent on to a stand-in Jigasi."""

import datetime
import json
import urllib.request

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
    assert info["state"] == "live", info

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
    # The earlier tests of this file spent some of this minute's budget
    # already: after five more, the address is refused whatever it asks.
    configure(d, per_minute=5)
    got = [jitsi(d, MAPPER + "?id=1000003")[0] for _ in range(6)]
    assert got[-1] == 429 and set(got) <= {404, 429}, got
    status, h, body = jitsi(d, NUMBERS)
    assert status == 429 and 1 <= int(h["Retry-After"]) <= 60, (status, body)
    assert body["message"], body
    configure(d)  # the limit is the setting's, read at each request
    assert jitsi(d, MAPPER + "?id=1000003")[0] == 404
