"""Upgrades (issue 19): a database made by an older dialconf opens with
this one, is migrated to the newest schema, and keeps its data.

tests/fixtures/schema-vN.sql is a SQLite database at schema version N with
an organization in it (scripts/make-schema-fixture.sh makes the one of the
newest version; add one per release that adds a migration). Every fixture
present is loaded, opened by the current binary (which migrates it), and
compared row by row with what it held; then a serve on it (the oldest's
and the newest's) answers for that data through the API. tests/fixtures/pg-schema-vN.sql (from version 6
on: `scripts/make-schema-fixture.sh --pg URL`) are the same on
PostgreSQL, dumped by pg_dump."""

import glob
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile

import harness
from harness import PSQL, Daemon, PgDatabase, free_port, need_pg

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "fixtures")



def once():
    """These tests pick their database themselves (SQLite and
    PostgreSQL both, in the first pass of tests/run-all): the pass with
    every daemon on PostgreSQL would repeat them."""
    if harness.PG_ALL:
        raise harness.Skip("ran in the first pass, on both databases")

def fixtures(prefix="schema-v"):
    """(version, path) of every fixture, oldest first: SQLite's, or with
    prefix "pg-schema-v" PostgreSQL's."""
    found = []
    for path in glob.glob(os.path.join(FIXTURES, prefix + "*.sql")):
        m = re.search(r"/%s(\d+)\.sql$" % prefix, path)
        if m:
            found.append((int(m.group(1)), path))
    return sorted(found)


def run(*args):
    p = subprocess.run([harness.DIALCONF] + list(args), capture_output=True,
                       text=True, timeout=60, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout, p.stderr


def newest_version(tmp):
    """The schema version this binary makes: a fresh database's."""
    rc, _, err = run("admin", "token", "--data", os.path.join(tmp, "fresh"))
    assert rc == 0, err
    return versions(os.path.join(tmp, "fresh", "dialconf.db"))[-1]


def versions(path):
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        return [r[0] for r in db.execute(
            "SELECT version FROM schema_version ORDER BY version")]
    finally:
        db.close()


def contents(path):
    """{table: (columns, rows by rowid)} of every table of ours but
    schema_version."""
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        out = {}
        for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = "
                               "'table' AND name NOT LIKE 'sqlite_%' AND "
                               "name <> 'schema_version'"):
            cols = [r[1] for r in db.execute("PRAGMA table_info(%s)" % t)]
            rows = db.execute("SELECT %s FROM %s ORDER BY rowid"
                              % (", ".join(cols), t)).fetchall()
            out[t] = (cols, rows)
        return out
    finally:
        db.close()


def rows_of(path, table, cols):
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        return db.execute("SELECT %s FROM %s ORDER BY rowid"
                          % (", ".join(cols), table)).fetchall()
    finally:
        db.close()


def load(fixture, data):
    os.makedirs(data, mode=0o700)
    db = sqlite3.connect(os.path.join(data, "dialconf.db"))
    try:
        with open(fixture) as f:
            db.executescript(f.read())
    finally:
        db.close()


def check_api(d, old):
    """What a serve on the migrated database answers for the fixture's
    data old (contents())."""
    cols, rows = old["users"]
    users = {u["email"].lower(): u for u in d.all_users()}
    assert len(users) == len(rows), (sorted(users), rows)
    ids = [dict(zip(old["conference_ids"][0], r))
           for r in old["conference_ids"][1]]
    for r in rows:
        u = dict(zip(cols, r))
        got = users[u["email"].lower()]
        assert got["displayName"] == u["display_name"], got
        assert got["audioConferencing"]["pinSet"] == bool(u["pin_hash"]), got
        live = [i for i in ids if i["user_id"] == u["id"] and
                i["kind"] == "personal" and i["revoked_at"] is None]
        want = str(live[0]["value"]) if live else None
        assert got["audioConferencing"]["conferenceId"] == want, (got, live)
    for i in ids:
        if i["kind"] == "personal":
            got = d.lookup(str(i["value"]))
            assert got["state"] == ("live" if i["revoked_at"] is None
                                    else "revoked"), (got, i)
    settings = d.settings()
    # Rows the API never shows (callRecordCallerKey, the key of the call
    # records' caller hashes) are the node's own, not the admins'.
    hidden = {"callRecordCallerKey"}
    for name, value in old["settings"][1]:
        if name in hidden:
            continue
        assert str(settings[name]).lower() == str(value).lower(), \
            (name, value)
    numbers = {n["number"] for n in d.numbers()}
    assert numbers == {r[0] for r in old["dial_in_numbers"][1]}, numbers
    if "meetings" in old:
        for r in old["meetings"][1]:
            m = dict(zip(old["meetings"][0], r))
            got = d.ok("GET", "/api/v1/meetings/%d" % m["id"])
            assert got["subject"] == m["subject"] and \
                got["uid"] == m["uid"], (got, m)
    if "outbox" in old:
        emails = {e["id"]: e for e in
                  d.ok("GET", "/api/v1/outbox?limit=1000")["emails"]}
        for r in old["outbox"][1]:
            m = dict(zip(old["outbox"][0], r))
            got = emails.get(str(m["id"]))
            assert got and got["kind"] == m["kind"] and \
                got["to"] == m["to_addr"], (got, m)
    audit = d.audit()
    assert len(audit) >= len(old["audit"][1]), len(audit)


def test_a_fixture_for_every_schema_version():
    once()
    tmp = tempfile.mkdtemp(prefix="dialconf-upgrade-")
    try:
        newest = newest_version(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    have = [v for v, _ in fixtures()]
    missing = [v for v in range(1, newest + 1) if v not in have]
    assert not missing, "no tests/fixtures/schema-vN.sql for version(s) " \
        "%s: run scripts/make-schema-fixture.sh (the newest) and commit " \
        "it" % missing


def test_every_fixture_migrates_to_the_newest_schema_with_its_data():
    once()
    found = fixtures()
    assert found, "no fixture in tests/fixtures"
    tmp = tempfile.mkdtemp(prefix="dialconf-upgrade-")
    try:
        newest = newest_version(tmp)
        for version, fixture in found:
            data = os.path.join(tmp, "v%d" % version)
            load(fixture, data)
            db = os.path.join(data, "dialconf.db")
            assert versions(db)[-1] == version, (fixture, versions(db))
            old = contents(db)
            # Opening migrates; a backup changes no row (unlike a token).
            rc, _, err = run("admin", "backup", "--data", data,
                             os.path.join(tmp, "v%d.bak" % version))
            assert rc == 0, (fixture, err)
            assert versions(db) == list(range(1, newest + 1)), \
                (fixture, versions(db))
            for table, (cols, rows) in old.items():
                assert rows_of(db, table, cols) == rows, \
                    "%s: table %s changed by the migration" % (fixture, table)
            if version not in (found[0][0], found[-1][0]):
                continue  # a serve on the oldest and the newest is enough
            mail = "smtp://127.0.0.1:%d" % free_port()  # emails stay due
            with Daemon(["--mail", mail], db="sqlite:", data_dir=data) as d:
                check_api(d, old)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def pg_contents(url):
    """contents() of a PostgreSQL database, in two psql runs: each row as
    row_to_json gives it (NULL None, integers int), sorted."""
    def query(sql):
        p = subprocess.run([PSQL, "-X", "-q", "-A", "-t", "-v",
                            "ON_ERROR_STOP=1", "-d", url, "-c", sql],
                           capture_output=True, text=True, timeout=60,
                           stdin=subprocess.DEVNULL)
        assert p.returncode == 0, p.stderr
        return p.stdout.splitlines()

    tables = query("SELECT tablename FROM pg_tables WHERE schemaname = "
                   "'public' AND tablename <> 'schema_version' ORDER BY 1")
    out = {t: [] for t in tables}
    lines = query("".join("SELECT '%s', row_to_json(x)::text FROM %s x;"
                          % (t, t) for t in tables))
    for ln in lines:
        t, _, row = ln.partition("|")
        out[t].append(json.loads(row, object_pairs_hook=list))
    return {t: ([c for c, _ in rows[0]] if rows else [],
                sorted((tuple(v for _, v in r) for r in rows), key=repr))
            for t, rows in out.items()}


def test_every_pg_fixture_migrates_to_the_newest_schema_with_its_data():
    once()
    need_pg()
    found = fixtures("pg-schema-v")
    assert found, "no pg-schema-vN.sql in tests/fixtures"
    tmp = tempfile.mkdtemp(prefix="dialconf-upgrade-")
    try:
        newest = newest_version(tmp)
        for version, fixture in found:
            db = PgDatabase()
            try:
                p = subprocess.run([PSQL, "-X", "-q", "-v", "ON_ERROR_STOP=1",
                                    "-d", db.url, "-f", fixture],
                                   capture_output=True, text=True,
                                   timeout=60, stdin=subprocess.DEVNULL)
                assert p.returncode == 0, (fixture, p.stderr)
                old = pg_contents(db.url)
                data = os.path.join(tmp, "pg%d" % version)
                # Opening migrates; the token adds its row and audit entry.
                rc, _, err = run("admin", "token", "--data", data, "--db",
                                 db.url, "--name", "upgrade")
                assert rc == 0, (fixture, err)
                got = [int(v) for (v,) in db.sql(
                    "SELECT version FROM schema_version ORDER BY version")]
                assert got == list(range(1, newest + 1)), (fixture, got)
                new = pg_contents(db.url)
                for table, (cols, rows) in old.items():
                    now = [r[:len(cols)] for r in new[table][1]]
                    if table in ("api_tokens", "audit"):
                        assert set(rows) <= set(now), (fixture, table)
                    else:
                        assert sorted(now, key=repr) == rows, \
                            "%s: table %s changed by the migration" % (
                                fixture, table)
                mail = "smtp://127.0.0.1:%d" % free_port()
                with Daemon(["--mail", mail], db=db.url,
                            data_dir=data) as d:
                    check_api(d, old)
            finally:
                db.drop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
