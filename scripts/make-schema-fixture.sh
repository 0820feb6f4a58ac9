#!/usr/bin/env bash
# Make tests/fixtures/schema-vN.sql: a SQLite database at this build's
# newest schema version N, holding what an organization has, written by
# the real service through its API, dumped as SQL. tests/integration/
# test_upgrade.py opens every fixture with the current binary, migrates it
# and finds the data intact. Run it once per release that adds a
# migration, and commit the new file next to the older ones:
#
#   scripts/make-schema-fixture.sh [build/dialconf]
#   scripts/make-schema-fixture.sh --version N [build/dialconf]
#   scripts/make-schema-fixture.sh --pg URL [build/dialconf]
#
# --pg URL: the same organization on PostgreSQL, in the empty database
# URL (created by the caller, e.g. with createdb), dumped with pg_dump as
# tests/fixtures/pg-schema-vN.sql (from version 6 on).
#
# What is in it: two dial-in numbers, changed settings, users (one with
# its own number, one not enabled for audio), conference IDs live and
# revoked (a reset), PIN hashes, meetings (one cancelled) with attendees,
# pending emails (the mail server is a closed port), an API token, an
# admin session, and the audit log of all that.
#
# --version N (N older than the newest) keeps of those rows what schema N
# holds: the schema is made by migrations 1..N, read from
# src/store/sqlite_schema.c (released steps are never edited), and the
# rows of the tables and columns it has are copied in. The fixtures of
# versions 1-6 were made so, the script being younger than them.
set -euo pipefail

want=""
pg=""
if [ "${1:-}" = "--version" ]; then
  want=$2
  shift 2
elif [ "${1:-}" = "--pg" ]; then
  pg=$2
  shift 2
fi
top=$(cd "$(dirname "$0")/.." && pwd)
bin=$(realpath "${1:-$top/build/dialconf}")
tmp=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

http=127.0.0.1:$(port)
db_args=()
[ -n "$pg" ] && db_args=(--db "$pg")
"$bin" serve --data "$tmp/data" "${db_args[@]}" --http "$http" \
  --sip "127.0.0.1:$(port)" --rtp-ports 41000-41099 \
  --mail "smtp://127.0.0.1:$(port)" >"$tmp/log" 2>&1 &
pid=$!
for _ in $(seq 100); do
  curl -sf "http://$http/healthz" >/dev/null && break
  sleep 0.1
done
token=$("$bin" admin token --data "$tmp/data" "${db_args[@]}" --name fixture 2>/dev/null)

# api METHOD PATH [JSON]: the answer's body.
api() {
  curl -sS --fail-with-body -X "$1" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' ${3:+--data "$3"} "http://$http/api/v1$2"
}
# field EXPR: a value of the JSON on stdin, by a Python subscript.
field() {
  python3 -c 'import json, sys; print(eval("d" + sys.argv[1], {"d": json.load(sys.stdin)}))' "$1"
}
when() { date -u -d "$1" +%Y-%m-%dT%H:%M:%SZ; }

api POST /dial-in-numbers '{"number":"+14255550100","type":"toll","countryCode":"US","city":"Redmond","languages":["en-US"]}' >/dev/null
api POST /dial-in-numbers '{"number":"+18005550199","type":"tollFree","countryCode":"US"}' >/dev/null
api POST /dial-in-numbers '{"number":"+442071234567","type":"toll","countryCode":"GB","city":"London","languages":["en-US"]}' >/dev/null
api PATCH /settings '{"organizationName":"Contoso Fixture","pinLength":6}' >/dev/null
api POST /users '{"email":"ada@example.org","displayName":"Ada Lovelace"}' >/dev/null
api POST /users '{"email":"Grace@Example.org","displayName":"Grace Hopper"}' >/dev/null
api PATCH /users/grace@example.org '{"audioConferencing":{"tollNumber":"+442071234567"}}' >/dev/null
api POST /users '{"email":"alan@example.org","displayName":"Alan Turing"}' >/dev/null
api POST /users '{"email":"off@example.org","displayName":"Not Enabled","audioConferencing":{"enabled":false}}' >/dev/null
api POST /users/ada@example.org/audio-conferencing/reset-conference-id '{}' >/dev/null
api POST /users/ada@example.org/audio-conferencing/reset-pin '{}' >/dev/null
api POST /users/alan@example.org/audio-conferencing/send-conference-info '{"to":"alan.other@example.net"}' >/dev/null
api POST /meetings "{\"organizer\":\"ada@example.org\",\"subject\":\"Budget review\",\"start\":\"$(when '+30 days')\",\"end\":\"$(when '+30 days 1 hour')\",\"attendees\":[\"grace@example.org\",\"guest@example.net\"]}" >/dev/null
id=$(api POST /meetings "{\"organizer\":\"grace@example.org\",\"subject\":\"Cancelled one\",\"start\":\"$(when '+31 days')\",\"end\":\"$(when '+31 days 30 minutes')\",\"attendees\":[\"ada@example.org\"]}" | field '["id"]')
api DELETE "/meetings/$id" >/dev/null
pw=$(cat "$tmp/data/initial-admin-password")
curl -sf -X POST -H 'Content-Type: application/json' \
  --data "{\"username\":\"admin\",\"password\":\"$pw\"}" "http://$http/api/v1/session" >/dev/null
kill "$pid"
wait "$pid" || true
pid=""

if [ -n "$pg" ]; then
  version=$(psql -X -A -t -d "$pg" -c 'SELECT max(version) FROM schema_version')
  pg_dump --no-owner --no-privileges -d "$pg" -f "$top/tests/fixtures/pg-schema-v$version.sql"
  echo "tests/fixtures/pg-schema-v$version.sql"
  exit 0
fi

db=$tmp/data/dialconf.db
newest=$(sqlite3 "$db" 'SELECT max(version) FROM schema_version')
version=${want:-$newest}
if [ "$version" != "$newest" ]; then
  python3 - "$top/src/store/sqlite_schema.c" "$db" "$version" "$tmp/old.db" <<'EOF'
import re, sqlite3, sys
src, new, version, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
text = re.sub(r"/\*.*?\*/", "", open(src).read(), flags=re.S)
old = sqlite3.connect(out)
old.execute("CREATE TABLE schema_version (version INTEGER NOT NULL PRIMARY KEY,"
            " applied_at INTEGER NOT NULL)")
for v in range(1, version + 1):
    body = re.search(r"migration_%d\[\] =(.*?);\n" % v, text, re.S).group(1)
    old.executescript("".join(re.findall(r'"([^"]*)"', body)))
    old.execute("INSERT INTO schema_version VALUES (?, strftime('%s', 'now'))", (v,))
old.commit()
old.execute("ATTACH ? AS new", (new,))
tables = [r[0] for r in old.execute(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    " AND name <> 'schema_version' ORDER BY rowid")]
for t in tables:
    cols = ", ".join(r[1] for r in old.execute("PRAGMA main.table_info(%s)" % t))
    # Before meetings (4) no ID was a meeting's.
    where = ("WHERE kind = 'personal'" if t == "conference_ids" and
             "meetings" not in tables else "")
    old.execute("INSERT INTO main.%s (%s) SELECT %s FROM new.%s %s ORDER BY rowid"
                % (t, cols, cols, t, where))
old.commit()
EOF
  db=$tmp/old.db
fi
sqlite3 "$db" .dump >"$top/tests/fixtures/schema-v$version.sql"
echo "tests/fixtures/schema-v$version.sql"
