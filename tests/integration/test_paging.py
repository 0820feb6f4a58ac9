"""Users list: paging with nextCursor and search (docs/api.md)."""

import json
import urllib.parse

N_PLAIN = 113
HOPPERS = ["Grace Hopper", "Grace B. Hopper", "Admiral Hopper",
           "Hopper Grace", "GRACE HOPPER", "grace hopper", "Grasshopper Jo"]


def populate(d):
    if d.api("GET", "/api/v1/users/person000@example.org")[0] == 200:
        return
    # Without audio conferencing: no PIN to hash, so creation is cheap.
    for i in range(N_PLAIN):
        d.create_user("person%03d@example.org" % i, "Person %03d" % i,
                      audio=False)
    for i, name in enumerate(HOPPERS):
        d.create_user("gh%d@navy.example" % i, name, audio=False)


def pages(d, limit, search=None):
    seen, cursor, sizes = [], None, []
    for _ in range(1000):
        params = {"limit": str(limit)}
        if search is not None:
            params["search"] = search
        if cursor is not None:
            params["cursor"] = cursor
        page = d.ok("GET", "/api/v1/users?" + urllib.parse.urlencode(params))
        assert set(page) >= {"users", "nextCursor"}, page.keys()
        assert len(page["users"]) <= limit, "page of %d with limit %d" % (
            len(page["users"]), limit)
        sizes.append(len(page["users"]))
        seen += page["users"]
        cursor = page["nextCursor"]
        if cursor is None:
            return seen, sizes
        assert isinstance(cursor, str) and cursor, cursor
    raise AssertionError("more than 1000 pages")


def test_paging_sees_everyone_once(d):
    populate(d)
    total = N_PLAIN + len(HOPPERS)
    seen, sizes = pages(d, 50)
    emails = [u["email"] for u in seen]
    dupes = {e for e in emails if emails.count(e) > 1}
    assert not dupes, "seen twice: %s" % sorted(dupes)
    assert len(emails) == total, "paged through %d users of %d" % (
        len(emails), total)
    assert sizes[:2] == [50, 50] and sum(sizes) == total, sizes
    assert sizes[-1] > 0 or len(sizes) == 4, sizes
    # Every page is whole users.
    for u in seen[:3]:
        assert u == d.user(u["id"])

    # Default limit is 50.
    first = d.ok("GET", "/api/v1/users")
    assert len(first["users"]) == 50 and first["nextCursor"], \
        "default page: %d users" % len(first["users"])

    # Small pages give the same users in the same order.
    seen7, sizes7 = pages(d, 7)
    assert [u["email"] for u in seen7] == emails
    assert len(sizes7) == -(-total // 7) or sizes7[-1] == 0, sizes7


def test_search_by_name_and_email(d):
    populate(d)
    found, _ = pages(d, 50, search="hopper")
    names = sorted(u["displayName"] for u in found)
    assert names == sorted(HOPPERS), "search 'hopper' found %r" % names
    found, _ = pages(d, 2, search="HoPPer")
    assert sorted(u["displayName"] for u in found) == sorted(HOPPERS), \
        "case-insensitive search with paging"
    found, _ = pages(d, 50, search="navy.example")
    assert len(found) == len(HOPPERS), "search by email domain"
    found, _ = pages(d, 50, search="person10")
    assert sorted(u["email"] for u in found) == \
        ["person%03d@example.org" % i for i in range(100, 110)], \
        [u["email"] for u in found]
    found, _ = pages(d, 50, search="no such person")
    assert found == []
    # Search text with SQL wildcard characters is text.
    found, _ = pages(d, 50, search="%")
    assert found == [], "search '%%' matched %d users" % len(found)
    found, _ = pages(d, 50, search="_")
    assert found == [], "search '_' matched %d users" % len(found)


def test_cli_list_search(d):
    populate(d)
    rc, out, err = d.cli("user", "list", "--search", "hopper", "--json")
    assert rc == 0, err
    listing = json.loads(out)
    users = listing["users"] if isinstance(listing, dict) else listing
    assert sorted(u["displayName"] for u in users) == sorted(HOPPERS)
    rc, out, err = d.cli("user", "list", "--search", "hopper")
    assert rc == 0, err
    for name in HOPPERS:
        assert name in out, "%r missing from user list output" % name
    assert "Person 001" not in out
    rc, out, err = d.cli("user", "list", "--limit", "5", "--json")
    assert rc == 0, err
    listing = json.loads(out)
    users = listing["users"] if isinstance(listing, dict) else listing
    assert len(users) == 5, "user list --limit 5 gave %d" % len(users)
