"""Dial-in: the SIP auto attendant (SPEC §6, issue 5).

Real callers: headless baresip user agents driven over ctrl_tcp
(netstring-framed JSON), and a small SIP client of our own (RawSip) for
what baresip 1.0.0 cannot do: digits as SIP INFO, offers of our choosing,
requests that must be refused. The state of each call is read back from
GET /api/v1/calls, the contract of the attendant."""

import json
import re
import time

from sipkit import (NUMBER, PIN_RE, Baresip, RawSip, _free_pair,  # noqa: F401
                    _org, calls, mask, org, rms, wait_call, wait_gone)


# -- tests --------------------------------------------------------------------

def test_lobby_then_organizer_with_pin(d):
    o = org(d)
    guest = Baresip("+15551110000")
    boss = Baresip("+15552220000")
    try:
        guest.dial(d)
        g = wait_call(d, mask("+15551110000"), lambda c: True, "listed")
        assert g["dialedNumber"] == NUMBER, g
        assert g["state"] == "collecting-id", g
        time.sleep(1.5)  # let the welcome prompt be heard (recorded below)
        guest.cmd("sndcode", o["id"] + "#")
        g = wait_call(d, mask("+15551110000"),
                      lambda c: c["state"] == "lobby", "lobby")
        assert g["conferenceId"] == o["id"], g
        assert g["userId"] == o["user"], g

        boss.dial(d)
        boss.cmd("sndcode", o["id"] + "#")
        wait_call(d, mask("+15552220000"),
                  lambda c: c["conferenceId"] == o["id"], "resolved")
        boss.cmd("sndcode", "*")
        wait_call(d, mask("+15552220000"),
                  lambda c: c["state"] == "organizer-pin", "organizer-pin")
        boss.cmd("sndcode", o["pin"] + "#")
        wait_call(d, mask("+15552220000"),
                  lambda c: c["state"] == "in-conference", "in-conference")
        g = wait_call(d, mask("+15551110000"),
                      lambda c: c["state"] == "in-conference",
                      "in-conference after the organizer")
        rc, out, err = d.cli("calls")
        assert rc == 0 and "in-conference" in out and "+1555111****" in out, \
            (rc, out, err)
        assert "+15551110000" not in out and "+15551110000" not in d.log_text()
        guest.cmd("hangup")
        guest.wait_event("CALL_CLOSED")
        wait_gone(d, mask("+15551110000"))
        rec = guest.recording()
        assert rec, "baresip recorded nothing"
        # The welcome prompt plays from the answer: speech, well above the
        # silence a joined caller hears until the mixer (issue 6).
        speech = rms(rec, 0.3, 1.0)
        assert speech > 0.02, "no speech in the welcome prompt: RMS %f" \
            % speech
    finally:
        guest.close()
        boss.close()


def test_reset_old_id_not_valid_new_id_in(d):
    o = org(d)
    res = d.ok("POST", "/api/v1/users/ada@example.org/audio-conferencing/"
               "reset-conference-id", {"sendEmail": False})
    new, old_id = res["conferenceId"], res["previousConferenceId"]
    o["id"] = new
    caller = Baresip("+15553330000")
    try:
        caller.dial(d)
        for _ in range(3):
            caller.cmd("sndcode", old_id + "#")
            time.sleep(2.4)  # 240 ms a digit
        caller.wait_event("CALL_CLOSED", timeout=10)
        wait_gone(d, mask("+15553330000"))
        fails = [a for a in d.audit() if a["action"] == "dialin.failure"]
        assert fails and fails[0]["target"] == "+1555333****", fails[:1]
    finally:
        caller.close()
    caller = Baresip("+15554440000")
    try:
        caller.dial(d)
        caller.cmd("sndcode", new + "#")
        c = wait_call(d, mask("+15554440000"),
                      lambda c: c["conferenceId"] == new, "resolved")
        assert c["userId"] == o["user"], c
        caller.cmd("hangup")
        caller.wait_event("CALL_CLOSED")
    finally:
        caller.close()


def test_not_a_dial_in_number_404_options_488(d):
    org(d)
    s = RawSip(d, "+15555550000")
    try:
        assert s.options() == 200
        assert s.invite("+19995550123")[0] == 404
        assert s.invite("19995550123")[0] == 404
        # Only G.722 offered: no G.711 to answer with.
        assert s.invite(NUMBER, formats="9")[0] == 488
        # Without '+', and a bare static payload type 8 without rtpmap.
        status, sdp = s.invite(NUMBER[1:], formats="8 101")
        assert status == 200, status
        assert re.search(r"m=audio \d+ RTP/AVP 8 101", sdp), sdp
        assert "telephone-event" in sdp, sdp
        s.info("#")
    finally:
        s.close()


def test_info_digits_and_wrong_pin_three_times(d):
    o = org(d)
    s = RawSip(d, "+15556660000")
    try:
        status, sdp = s.invite(NUMBER, formats="0 8 101")
        assert status == 200
        assert re.search(r"m=audio \d+ RTP/AVP 0 101", sdp), sdp
        s.keys(o["id"][:3])
        s.keys(o["id"][3:], "application/dtmf")
        s.keys("#", "application/dtmf")
        wait_call(d, mask("+15556660000"),
                  lambda c: c["conferenceId"] == o["id"], "resolved by INFO")
        s.keys("*")
        wait_call(d, mask("+15556660000"),
                  lambda c: c["state"] == "organizer-pin", "organizer-pin")
        wrong = "1" if o["pin"][0] != "1" else "2"
        for _ in range(3):
            s.keys(wrong * len(o["pin"]) + "#")
            time.sleep(0.4)  # argon2 verification, off the SIP thread
        assert s.wait_bye(), "not hung up after three wrong PINs"
        wait_gone(d, mask("+15556660000"))
    finally:
        s.close()


def test_three_failed_calls_then_403(d):
    org(d)
    user = "+15557770000"
    s = RawSip(d, user)
    try:
        for n in range(3):
            assert s.invite(NUMBER)[0] == 200, "call %d refused" % (n + 1)
            for _ in range(3):
                s.keys("9999999#")
                time.sleep(0.3)
            assert s.wait_bye(), "call %d not hung up" % (n + 1)
        assert s.invite(NUMBER)[0] == 403
        fails = [a for a in d.audit() if a["action"] == "dialin.failure"
                 and a["target"] == mask(user)]
        assert len(fails) == 3, fails
        assert user not in json.dumps(d.audit())
        # Another source is not affected.
        t = RawSip(d, "+15558880000")
        try:
            assert t.invite(NUMBER)[0] == 200
        finally:
            t.close()
    finally:
        s.close()
