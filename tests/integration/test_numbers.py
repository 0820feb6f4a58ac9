"""Dial-in numbers: add, default per type, a user's own numbers, remove."""

import json

from harness import user_of, assert_problem, assert_unchanged

NUMBERS = "/api/v1/dial-in-numbers"


def add(d, number, type_, country="US", city=None, default=None):
    body = {"number": number, "type": type_, "countryCode": country}
    if city:
        body["city"] = city
    if default is not None:
        body["isDefault"] = default
    return d.ok("POST", NUMBERS, body, expect=(201,))


def defaults(d):
    """{type: default number} and a check that there is one per type."""
    out = {}
    for n in d.numbers():
        if n["isDefault"]:
            assert n["type"] not in out, "two defaults of type %s: %r" % (
                n["type"], d.numbers())
            out[n["type"]] = n["number"]
    return out


def test_numbers_and_defaults(d):
    assert d.numbers() == []
    toll = add(d, "+14255550100", "toll", city="Redmond")
    assert toll == {"number": "+14255550100", "type": "toll",
                    "countryCode": "US", "city": "Redmond",
                    "languages": toll["languages"], "isDefault": True}, toll
    assert isinstance(toll["languages"], list)
    second = add(d, "+14255550111", "toll", city="Seattle")
    assert second["isDefault"] is False, "the second toll number took the " \
        "default"
    free = add(d, "+18005550199", "tollFree")
    assert free["isDefault"] is True, "first toll-free number is not default"
    assert len(d.numbers()) == 3
    assert defaults(d) == {"toll": "+14255550100",
                           "tollFree": "+18005550199"}

    # A user gets the defaults.
    u = d.create_user("ada@example.org", "Ada Lovelace")
    assert u["audioConferencing"]["tollNumber"] == "+14255550100", u
    assert u["audioConferencing"]["tollFreeNumber"] == "+18005550199", u

    # The default moves, and users following the default move with it.
    moved = d.ok("PATCH", NUMBERS + "/+14255550111", {"isDefault": True})
    assert moved["isDefault"] is True and moved["number"] == "+14255550111"
    assert defaults(d) == {"toll": "+14255550111",
                           "tollFree": "+18005550199"}
    assert d.user("ada@example.org")["audioConferencing"]["tollNumber"] \
        == "+14255550111"
    assert d.audit(limit=1)[0]["action"] == "number.default"

    # A new number added with isDefault takes the default of its type only.
    add(d, "+442079460000", "toll", country="GB", city="London",
        default=True)
    assert defaults(d) == {"toll": "+442079460000",
                           "tollFree": "+18005550199"}

    # Duplicates are refused.
    before = d.snapshot()
    assert_problem(d.api("POST", NUMBERS, {"number": "+14255550100",
                                           "type": "toll",
                                           "countryCode": "US"}),
                   409, "duplicate number")
    assert_unchanged(before, d.snapshot(), "duplicate number")

    # Remove a number that is not a default: gone, and 404 the second time.
    st, _, body = d.api("DELETE", NUMBERS + "/+14255550100")
    assert st == 200, "DELETE number: %d" % st
    assert body == {"number": "+14255550100", "type": "toll",
                    "wasDefault": False, "usersMoved": 0,
                    "default": "+442079460000"}, body
    assert "+14255550100" not in [n["number"] for n in d.numbers()]
    assert d.audit(limit=1)[0]["action"] == "number.remove"
    assert_problem(d.api("DELETE", NUMBERS + "/+14255550100"), 404,
                   "second DELETE")
    # Without the +, and with %2B.
    assert d.api("DELETE", NUMBERS + "/14255550111")[0] == 200
    add(d, "+14255550122", "toll")
    assert d.api("DELETE", NUMBERS + "/%2B14255550122")[0] == 200
    assert sorted(n["number"] for n in d.numbers()) == \
        ["+18005550199", "+442079460000"]
    actions = [e["action"] for e in d.audit()]
    assert actions.count("number.add") == 5, actions


def test_user_numbers_must_be_configured(d):
    # State from the test above: +442079460000 (toll, default), +18005550199.
    add(d, "+14255550133", "toll", city="Redmond")
    path = "/api/v1/users/bob@example.org"
    d.create_user("bob@example.org", "Bob Babbage")
    u = d.ok("PATCH", path, {"audioConferencing":
                             {"tollNumber": "+14255550133"}})
    assert u["audioConferencing"]["tollNumber"] == "+14255550133"
    assert d.user("bob@example.org") == user_of(u)

    before = d.snapshot()
    for ac, why in (({"tollNumber": "+14255559999"}, "unconfigured toll"),
                    ({"tollNumber": "+18005550199"}, "toll-free as toll"),
                    ({"tollFreeNumber": "+14255550133"}, "toll as toll-free"),
                    ({"tollFreeNumber": "+18885550000"},
                     "unconfigured toll-free")):
        assert_problem(d.api("PATCH", path, {"audioConferencing": ac}), 400,
                       why)
    assert_unchanged(before, d.snapshot(), "refused user numbers")

    # "" goes back to the organization default.
    u = d.ok("PATCH", path, {"audioConferencing": {"tollNumber": ""}})
    assert u["audioConferencing"]["tollNumber"] == "+442079460000", u
    # The CLI does the same.
    rc, out, err = d.cli("user", "set", "bob@example.org", "--toll-number",
                         "+14255550133", "--json")
    assert rc == 0, err
    assert json.loads(out)["audioConferencing"]["tollNumber"] == \
        "+14255550133"
    rc, out, err = d.cli("user", "set", "bob@example.org", "--toll-number",
                         "+14255559999")
    assert rc == 1 and err.strip(), "CLI unconfigured number: rc %d" % rc
    assert d.user("bob@example.org")["audioConferencing"]["tollNumber"] \
        == "+14255550133"


def test_numbers_cli(d):
    rc, out, err = d.cli("number", "add", "+61290000000", "--type", "toll",
                         "--country", "AU", "--city", "Sydney", "--json")
    assert rc == 0, err
    n = json.loads(out)
    assert (n["number"], n["type"], n["countryCode"], n["city"],
            n["isDefault"]) == ("+61290000000", "toll", "AU", "Sydney",
                                False), n
    rc, out, err = d.cli("number", "list", "--json")
    assert rc == 0, err
    listed = json.loads(out)
    listed = listed["numbers"] if isinstance(listed, dict) else listed
    assert sorted(x["number"] for x in listed) == \
        sorted(x["number"] for x in d.numbers())
    rc, out, err = d.cli("number", "list")
    assert rc == 0 and "+61290000000" in out and "Sydney" in out, out

    rc, out, err = d.cli("number", "set-default", "+61290000000")
    assert rc == 0, err
    assert defaults(d)["toll"] == "+61290000000"
    rc, _, err = d.cli("number", "add", "+61290000000", "--type", "toll",
                       "--country", "AU")
    assert rc == 1 and err.strip(), "duplicate number through the CLI: %d" \
        % rc
    rc, _, err = d.cli("number", "add", "+18665550100", "--type", "tollFree",
                       "--country", "US", "--default")
    assert rc == 0, err
    assert defaults(d)["tollFree"] == "+18665550100"
    rc, _, err = d.cli("number", "remove", "+18005550199")
    assert rc == 0, err
    assert "+18005550199" not in [x["number"] for x in d.numbers()]
    rc, _, err = d.cli("number", "remove", "+18005550199")
    assert rc == 1 and err.strip()


def test_removing_a_number_says_who_moved(d):
    """Issue 20 item 8: the users who had chosen a removed number move to
    the default of its type, and the answer (API and CLI) says how many and
    to which number."""
    add(d, "+14255550177", "toll", city="Kirkland")
    add(d, "+14255550188", "toll", city="Bellevue")
    toll_default = defaults(d)["toll"]
    for email, name in (("cathy@example.org", "Cathy"),
                        ("dan@example.org", "Dan"),
                        ("eve@example.org", "Eve")):
        d.create_user(email, name)
    for email, number in (("cathy@example.org", "+14255550177"),
                          ("dan@example.org", "+14255550177"),
                          ("eve@example.org", "+14255550188")):
        d.ok("PATCH", "/api/v1/users/" + email,
             {"audioConferencing": {"tollNumber": number}})

    body = d.ok("DELETE", NUMBERS + "/+14255550177")
    assert body == {"number": "+14255550177", "type": "toll",
                    "wasDefault": False, "usersMoved": 2,
                    "default": toll_default}, body
    for email in ("cathy@example.org", "dan@example.org"):
        assert d.user(email)["audioConferencing"]["tollNumber"] == \
            toll_default, email

    # The CLI says the same in a sentence, and --json gives the object.
    rc, out, err = d.cli("number", "remove", "+14255550188")
    assert rc == 0, err
    assert "Removed dial-in number +14255550188." in out and \
        "1 user who had chosen it moved to the default toll number %s." \
        % toll_default in out, out
    assert d.user("eve@example.org")["audioConferencing"]["tollNumber"] == \
        toll_default
    add(d, "+14255550199", "toll")
    rc, out, err = d.cli("number", "remove", "+14255550199", "--json")
    assert rc == 0, err
    assert json.loads(out)["usersMoved"] == 0, out
