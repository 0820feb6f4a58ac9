"""Organizer PIN reset (SPEC §4): pinLength digits, shown once, never again."""

import json
import re

from harness import assert_problem

PIN = "/api/v1/users/%s/audio-conferencing/reset-pin"


def strings_in(v):
    if isinstance(v, dict):
        for k, x in v.items():
            yield str(k)
            yield from strings_in(x)
    elif isinstance(v, list):
        for x in v:
            yield from strings_in(x)
    elif v is not None:
        yield str(v)


def reset_pin(d, who, length):
    res = d.ok("POST", PIN % who, {"sendEmail": False})
    pin = res["pin"]
    assert isinstance(pin, str) and re.fullmatch(r"[0-9]{%d}" % length, pin), \
        "PIN %r is not %d digits" % (pin, length)
    assert len(set(pin)) > 1, "trivial PIN %r" % pin
    assert res["emailQueued"] is False, res
    return pin


def test_reset_pin_shown_once(d):
    d.create_user("ada@example.org", "Ada Lovelace")
    assert d.settings()["pinLength"] == 5, "default pinLength is 5"
    pin = reset_pin(d, "ada@example.org", 5)
    pin2 = reset_pin(d, "ada@example.org", 5)
    assert pin2 != pin, "two PIN resets gave the same PIN %s" % pin

    st, _, user = d.api("GET", "/api/v1/users/ada@example.org")
    assert st == 200
    assert user["audioConferencing"]["pinSet"] is True
    raw = d.last_raw.decode()
    assert pin2 not in raw and "pin\"" not in raw.lower().replace(
        "pinset\"", ""), "GET user shows the PIN: %s" % raw
    listing = json.dumps(d.ok("GET", "/api/v1/users?search=ada"))
    assert pin2 not in listing, "user list shows the PIN"

    entries = [e for e in d.audit() if e["action"] == "pin.reset"]
    assert len(entries) == 2, "two PIN resets, %d audit entries" % len(
        entries)
    for e in entries:
        assert e["target"] == "ada@example.org", e
        for s in strings_in(e.get("detail")):
            assert pin not in s and pin2 not in s, \
                "audit detail holds the PIN: %r" % e


def test_pin_length_setting(d):
    d.create_user("bob@example.org", "Bob Babbage")
    rc, out, err = d.cli("settings", "set", "pinLength=8")
    assert rc == 0, "settings set pinLength=8: rc %d %s" % (rc, err)
    assert d.settings()["pinLength"] == 8
    reset_pin(d, "bob@example.org", 8)
    # Bounds 4-12, through the API.
    d.ok("PATCH", "/api/v1/settings", {"pinLength": 12})
    reset_pin(d, "bob@example.org", 12)
    d.ok("PATCH", "/api/v1/settings", {"pinLength": 4})
    reset_pin(d, "bob@example.org", 4)


def test_cli_reset_pin(d):
    d.create_user("carol@example.org", "Carol Shaw")
    length = d.settings()["pinLength"]
    rc, out, err = d.cli("user", "reset-pin", "carol@example.org",
                         "--no-email", "--json")
    assert rc == 0, err
    res = json.loads(out)
    assert re.fullmatch(r"[0-9]{%d}" % length, res["pin"]), res
    rc, out, err = d.cli("user", "reset-pin", "carol@example.org",
                         "--no-email")
    assert rc == 0, err
    pins = re.findall(r"\b[0-9]{%d}\b" % length, out)
    assert pins, "human output of reset-pin does not show the PIN: %r" % out
    rc, out, err = d.cli("user", "show", "carol@example.org")
    assert rc == 0
    for p in pins:
        assert p not in out, "user show prints the PIN"


def test_reset_pin_user_without_audio(d):
    d.create_user("dora@example.org", "Dora Disabled", audio=False)
    before = d.snapshot()
    assert_problem(d.api("POST", PIN % "dora@example.org", {}), 409,
                   "PIN reset of a user not enabled")
    assert d.snapshot() == before
    rc, out, err = d.cli("user", "reset-pin", "dora@example.org")
    assert rc == 1, "CLI reset-pin of a user not enabled: rc %d" % rc
    assert err.strip(), "no message on stderr"
