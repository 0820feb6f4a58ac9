"""Users through the API: what an administrator types comes back as typed,
and every change leaves its audit record."""

from harness import (user_of, TOKEN_NAME, assert_confid, assert_problem,
                     assert_unchanged)


def test_create_show_update_delete(d):
    st, headers, ada = d.api("POST", "/api/v1/users",
                             {"email": "ada@example.org",
                              "displayName": "Ada Lovelace"})
    assert st == 201, st
    assert headers.get("Content-Type", "").startswith("application/json")
    assert set(ada) == {"id", "email", "displayName", "audioConferencing",
                        "emailQueued"}, ada
    ada = user_of(ada)
    assert isinstance(ada["id"], str) and ada["id"], ada
    ac = ada["audioConferencing"]
    assert ac["enabled"] is True, "audio conferencing is on by default"
    assert_confid(ac["conferenceId"])
    assert ac["pinSet"] is True, "an enabled user gets a PIN"
    assert d.user(ada["id"]) == ada == d.user("ada@example.org")
    # A path with the @ percent-encoded, as some clients send it.
    assert d.api("GET", "/api/v1/users/ada%40example.org")[2] == ada
    e = d.audit(limit=1)[0]
    assert (e["action"], e["actor"], e["target"]) == \
        ("user.create", TOKEN_NAME, "ada@example.org"), e

    renamed = user_of(d.ok("PATCH", "/api/v1/users/ada@example.org",
                           {"displayName": "Augusta Ada King"}))
    assert renamed["displayName"] == "Augusta Ada King"
    assert renamed["audioConferencing"] == ac, \
        "renaming changed the audio conferencing: %r" % renamed
    assert d.user(ada["id"]) == renamed
    e = d.audit(limit=1)[0]
    assert (e["action"], e["target"]) == ("user.update", "ada@example.org")

    st, _, body = d.api("DELETE", "/api/v1/users/ada@example.org")
    assert st == 204 and body is None, (st, body)
    assert_problem(d.api("GET", "/api/v1/users/ada@example.org"), 404,
                   "deleted user")
    assert_problem(d.api("GET", "/api/v1/users/" + ada["id"]), 404,
                   "deleted user by id")
    # A caller can no longer reach the deleted user's room.
    assert d.lookup(ac["conferenceId"])["state"] == "revoked"
    assert d.audit(limit=1)[0]["action"] == "user.delete"

    # The address can be used again: a new user, a new ID. A new id too:
    # a script that retries `DELETE /users/ID` (or `dialconf user delete
    # ID`) must not remove someone else.
    again = d.create_user("ada@example.org", "Ada Lovelace")
    assert again["id"] != ada["id"], \
        "the deleted user's id %s was given to a new user" % ada["id"]
    assert_problem(d.api("DELETE", "/api/v1/users/" + ada["id"]), 404,
                   "DELETE of the deleted user's id, again")
    assert again["audioConferencing"]["conferenceId"] != ac["conferenceId"]


def test_names_round_trip(d):
    for email, name in (("zoe@example.org", "Zoë Ångström"),
                        ("li@example.org", "李小龍"),
                        ("obrien@example.org", "Seán O'Brien \"Junior\""),
                        ("amp@example.org", "R&D <Lab> \\ Team")):
        u = d.create_user(email, name, audio=False)
        assert u["displayName"] == name, u
        assert d.user(email)["displayName"] == name
        rc, out, err = d.cli("user", "show", email)
        assert rc == 0 and name in out, "CLI shows %r for %r" % (out, name)
    found = d.ok("GET", "/api/v1/users?search=%C3%85ngstr%C3%B6m")["users"]
    assert [u["email"] for u in found] == ["zoe@example.org"], found


def test_same_address_other_case_is_a_duplicate(d):
    d.create_user("grace@example.org", "Grace Hopper", audio=False)
    before = d.snapshot()
    # The domain of an address is case-insensitive (RFC 5321 §2.4).
    assert_problem(d.api("POST", "/api/v1/users",
                         {"email": "grace@EXAMPLE.ORG",
                          "displayName": "Grace Again"}), 409,
                   "same address, domain in capitals")
    assert_unchanged(before, d.snapshot(), "duplicate address")


def test_name_bounds(d):
    before = d.snapshot()
    for name in ("", "x" * 10000, "tab\there", "new\nline"):
        assert_problem(d.api("POST", "/api/v1/users",
                             {"email": "n@example.org", "displayName": name,
                              "audioConferencing": {"enabled": False}}),
                       400, "displayName %r" % name[:20])
    assert_unchanged(before, d.snapshot(), "refused names")


def test_audit_is_newest_first_and_limited(d):
    for i in range(3):
        d.create_user("audit%d@example.org" % i, "Audit %d" % i, audio=False)
    two = d.audit(limit=2)
    assert len(two) == 2, "limit=2 gave %d entries" % len(two)
    assert [e["target"] for e in two] == ["audit2@example.org",
                                          "audit1@example.org"], two
    every = d.audit()
    assert every[:2] == two
    ats = [e["at"] for e in every]
    assert ats == sorted(ats, reverse=True), "audit not newest first"
    default = d.ok("GET", "/api/v1/audit")["entries"]
    assert default == every[:100]
    # Settings changes are audited too, and PATCH answers every setting.
    s = d.ok("PATCH", "/api/v1/settings", {"organizationName": "Fabrikam"})
    assert s == d.settings() and s["organizationName"] == "Fabrikam"
    e = d.audit(limit=1)[0]
    assert (e["action"], e["actor"]) == ("settings.set", TOKEN_NAME), e
