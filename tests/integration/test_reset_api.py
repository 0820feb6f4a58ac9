"""Reset conference ID through the REST API (SPEC §2, §3)."""

import threading

from harness import (user_of, TOKEN_NAME, assert_confid, assert_problem,
                     assert_unchanged)

RESET = "/api/v1/users/%s/audio-conferencing/reset-conference-id"


def test_reset_gives_new_id_and_revokes_old(d):
    ada = d.create_user("ada@example.org", "Ada Lovelace")
    old = ada["audioConferencing"]["conferenceId"]
    assert_confid(old, "ID issued at creation")
    assert ada["audioConferencing"]["enabled"] is True
    assert d.lookup(old)["state"] == "live"
    audit_before = len(d.audit())

    res = d.ok("POST", RESET % "ada@example.org", {})
    new = res["conferenceId"]
    assert_confid(new, "ID issued by the reset")
    assert new != old, "reset gave back the same ID %s" % old
    assert res["previousConferenceId"] == old, res
    assert res["meetingsUpdated"] == 0, res
    assert isinstance(res["emailQueued"], bool), res

    # The admin sees the new ID under "Conference ID".
    assert d.user("ada@example.org")["audioConferencing"]["conferenceId"] \
        == new
    assert d.user(ada["id"])["audioConferencing"]["conferenceId"] == new

    o = d.lookup(old)
    assert o["conferenceId"] == old
    assert o["state"] == "revoked", o
    assert o["kind"] == "personal", o
    assert o["user"]["id"] == ada["id"], o
    assert o["user"]["email"] == "ada@example.org", o
    assert o["meeting"] is None, o
    assert o["revokedAt"], "a revoked ID has no revokedAt: %r" % o
    assert o["issuedAt"], o

    n = d.lookup(new)
    assert n["conferenceId"] == new
    assert n["state"] == "live", n
    assert n["kind"] == "personal", n
    assert n["user"] == {"id": ada["id"], "email": "ada@example.org"}, n
    assert n["revokedAt"] is None, n

    entries = d.audit()
    assert len(entries) == audit_before + 1, \
        "one reset wrote %d audit entries" % (len(entries) - audit_before)
    e = entries[0]
    assert e["action"] == "confid.reset", e
    assert e["actor"] == TOKEN_NAME, "actor %r, expected the token name %r" \
        % (e["actor"], TOKEN_NAME)
    assert e["target"] == "ada@example.org", e
    assert e["at"], e


def test_reset_without_body_and_by_id(d):
    bob = d.create_user("bob@example.org", "Bob Babbage")
    ids = [bob["audioConferencing"]["conferenceId"]]
    # No body at all, then by numeric id with both flags off.
    res = d.ok("POST", RESET % "bob@example.org")
    ids.append(res["conferenceId"])
    res = d.ok("POST", RESET % bob["id"],
               {"sendEmail": False, "updateInvitations": False})
    assert res["emailQueued"] is False, \
        "sendEmail false but emailQueued %r" % res["emailQueued"]
    ids.append(res["conferenceId"])
    for v in ids:
        assert_confid(v)
    assert len(set(ids)) == 3, "three IDs in a row repeat: %r" % ids
    assert [d.lookup(v)["state"] for v in ids] == \
        ["revoked", "revoked", "live"]
    assert d.user(bob["id"])["audioConferencing"]["conferenceId"] == ids[-1]


def test_reset_wrong_body_changes_nothing(d):
    d.create_user("carol@example.org", "Carol Shaw")
    before = d.snapshot()
    for body, why in (({"sendEmail": "no"}, "wrong type"),
                      ({"conferenceId": "5820417"}, "chosen ID (unknown "
                                                   "field)"),
                      ([], "not an object")):
        assert_problem(d.api("POST", RESET % "carol@example.org", body), 400,
                       why)
    assert_unchanged(before, d.snapshot(), "rejected resets")


def test_reset_of_user_without_audio_is_409(d):
    u = d.create_user("dora@example.org", "Dora Disabled", audio=False)
    ac = u["audioConferencing"]
    assert ac["enabled"] is False
    assert ac["conferenceId"] is None, "not enabled but has ID %r" \
        % ac["conferenceId"]
    assert ac["pinSet"] is False
    before = d.snapshot()
    assert_problem(d.api("POST", RESET % "dora@example.org", {}), 409,
                   "reset of a user not enabled")
    assert_problem(d.api("POST", "/api/v1/users/dora@example.org/"
                         "audio-conferencing/reset-pin", {}), 409,
                   "PIN reset of a user not enabled")
    assert_unchanged(before, d.snapshot(), "refused resets")


def test_reset_unknown_user_is_404(d):
    before = d.snapshot()
    assert_problem(d.api("POST", RESET % "nobody@example.org", {}), 404,
                   "reset of an unknown user")
    assert_problem(d.api("POST", RESET % "999999", {}), 404,
                   "reset of an unknown id")
    assert_unchanged(before, d.snapshot(), "reset of an unknown user")


def test_enable_then_disable_revokes_id(d):
    u = d.create_user("eve@example.org", "Eve Enabled", audio=False)
    path = "/api/v1/users/eve@example.org"
    on = d.ok("PATCH", path, {"audioConferencing": {"enabled": True}})
    cid = on["audioConferencing"]["conferenceId"]
    assert on["audioConferencing"]["enabled"] is True
    assert_confid(cid, "ID issued on enabling")
    assert on["audioConferencing"]["pinSet"] is True, \
        "enabling issues a PIN (SPEC §2)"
    assert d.lookup(cid)["state"] == "live"
    assert d.lookup(cid)["user"]["id"] == u["id"]

    off = d.ok("PATCH", path, {"audioConferencing": {"enabled": False}})
    assert off["audioConferencing"]["enabled"] is False
    assert off["audioConferencing"]["conferenceId"] is None, off
    assert off["audioConferencing"]["pinSet"] is False, off
    assert d.user("eve@example.org") == user_of(off)
    gone = d.lookup(cid)
    assert gone["state"] == "revoked", "disabling left the ID %r" % gone
    assert gone["revokedAt"]
    actions = [e["action"] for e in d.audit(limit=3)]
    assert actions[:2] == ["user.audio-disable", "user.audio-enable"], actions

    # Enabled again: a fresh ID, never the quarantined one.
    again = d.ok("PATCH", path, {"audioConferencing": {"enabled": True}})
    cid2 = again["audioConferencing"]["conferenceId"]
    assert_confid(cid2)
    assert cid2 != cid, "the revoked ID %s came back at once" % cid


def test_concurrent_resets_never_share_an_id(d):
    users = [d.create_user("par%d@example.org" % i, "Parallel %d" % i)
             for i in range(4)]
    results, errors = [], []
    lock = threading.Lock()

    def worker(email):
        try:
            for _ in range(3):
                st, _, body = d.api("POST", RESET % email, {})
                with lock:
                    results.append((email, st, body))
        except Exception as e:  # reported below
            with lock:
                errors.append(repr(e))

    threads = [threading.Thread(target=worker, args=(u["email"],))
               for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert all(st == 200 for _, st, _ in results), \
        [(e, st, b) for e, st, b in results if st != 200]
    issued = [b["conferenceId"] for _, _, b in results]
    assert len(issued) == 12 and len(set(issued)) == 12, \
        "concurrent resets issued the same ID twice: %r" % sorted(issued)
    live = {}
    for u in users:
        cid = d.user(u["id"])["audioConferencing"]["conferenceId"]
        look = d.lookup(cid)
        assert look["state"] == "live" and look["user"]["id"] == u["id"]
        live[u["id"]] = cid
    assert len(set(live.values())) == 4
    for cid in issued:
        if cid not in live.values():
            assert d.lookup(cid)["state"] == "revoked", cid
