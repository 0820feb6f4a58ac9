/* sqlite_schema: the SQLite schema as an ordered list of migrations.
 *
 * Each step runs in its own transaction and is recorded in schema_version,
 * so a crash mid-way leaves the database at the previous version. Steps are
 * never edited once released: a change is a new step at the end.
 *
 * The SQL keeps to what PostgreSQL can mirror line for line: INTEGER
 * PRIMARY KEY becomes BIGINT GENERATED ALWAYS AS IDENTITY, COLLATE NOCASE a
 * unique index on lower(email), GLOB a regular expression CHECK, and each
 * trigger a plpgsql function raising unique_violation (23505), which the
 * PostgreSQL backend maps to EEXIST as SQLite's RAISE(ABORT) is here.
 *
 * The invariants of SPEC §8 live here, not only in the code above, so that
 * two nodes resetting at once can never issue the same ID:
 *   - one account per email, whatever its case;
 *   - live IDs unique across personal and meeting IDs (partial unique index);
 *   - one live personal ID per user (partial unique index);
 *   - a revoked ID is not issued again before its quarantine_until (trigger);
 *   - only users enabled for audio conferencing hold a live personal ID;
 *   - conference_ids is history: rows are never deleted, a revocation is
 *     final, and a user holding live IDs cannot be deleted (their IDs must
 *     be revoked, and so quarantined, first);
 *   - at most one default dial-in number per type;
 *   - the audit log is append-only. */
#include <stddef.h>

#include "store/sqlite_priv.h"

static const char migration_1[] =
	/* AUTOINCREMENT: a deleted user's id is never given to someone
	 * else, so a retried DELETE /users/ID cannot remove another person. */
	"CREATE TABLE users ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" email TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (email <> ''),"
	" display_name TEXT NOT NULL DEFAULT '',"
	" audio_enabled INTEGER NOT NULL DEFAULT 0"
	"  CHECK (audio_enabled IN (0, 1)),"
	" toll_number TEXT NOT NULL DEFAULT '',"
	" toll_free_number TEXT NOT NULL DEFAULT '',"
	" pin_hash TEXT CHECK (pin_hash <> ''),"
	" created_at INTEGER NOT NULL"
	");"

	/* row: increasing with each issue, so other nodes can follow the
	 * table by scanning row > last seen. user_id NULL once the user is
	 * deleted: the history keeps answering who had an old ID (nobody
	 * now), the row itself stays to hold the quarantine. */
	"CREATE TABLE conference_ids ("
	" row INTEGER PRIMARY KEY,"
	" value INTEGER NOT NULL CHECK (value BETWEEN 1000000 AND 9999999),"
	" kind TEXT NOT NULL CHECK (kind IN ('personal', 'meeting')),"
	" user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,"
	" meeting_id INTEGER CHECK (meeting_id IS NULL OR kind = 'meeting'),"
	" issued_at INTEGER NOT NULL,"
	" revoked_at INTEGER,"
	" quarantine_until INTEGER,"
	" CHECK ((revoked_at IS NULL) = (quarantine_until IS NULL)),"
	" CHECK (kind <> 'personal' OR revoked_at IS NOT NULL"
	"        OR user_id IS NOT NULL)"
	");"
	"CREATE UNIQUE INDEX conference_ids_live ON conference_ids (value)"
	" WHERE revoked_at IS NULL;"
	"CREATE UNIQUE INDEX conference_ids_live_personal"
	" ON conference_ids (user_id)"
	" WHERE kind = 'personal' AND revoked_at IS NULL;"
	"CREATE INDEX conference_ids_value ON conference_ids (value);"
	"CREATE INDEX conference_ids_user ON conference_ids (user_id);"
	"CREATE INDEX conference_ids_quarantine"
	" ON conference_ids (quarantine_until)"
	" WHERE quarantine_until IS NOT NULL;"

	"CREATE TRIGGER conference_ids_quarantined"
	" BEFORE INSERT ON conference_ids"
	" WHEN EXISTS (SELECT 1 FROM conference_ids"
	"  WHERE value = NEW.value AND quarantine_until > NEW.issued_at)"
	" BEGIN SELECT RAISE(ABORT, 'conference ID quarantined'); END;"

	"CREATE TRIGGER conference_ids_personal_enabled"
	" BEFORE INSERT ON conference_ids"
	" WHEN NEW.kind = 'personal' AND NEW.revoked_at IS NULL"
	"  AND NOT EXISTS (SELECT 1 FROM users"
	"   WHERE id = NEW.user_id AND audio_enabled = 1)"
	" BEGIN SELECT RAISE(ABORT, 'user not enabled for audio'); END;"

	"CREATE TRIGGER conference_ids_history"
	" BEFORE UPDATE ON conference_ids"
	" WHEN NEW.row <> OLD.row OR NEW.value <> OLD.value"
	"  OR NEW.kind <> OLD.kind OR NEW.issued_at <> OLD.issued_at"
	"  OR NEW.meeting_id IS NOT OLD.meeting_id"
	"  OR (NEW.user_id IS NOT OLD.user_id AND NEW.user_id IS NOT NULL)"
	"  OR (OLD.revoked_at IS NOT NULL"
	"      AND NEW.revoked_at IS NOT OLD.revoked_at)"
	" BEGIN SELECT RAISE(ABORT, 'conference ID history is fixed'); END;"

	"CREATE TRIGGER conference_ids_keep"
	" BEFORE DELETE ON conference_ids"
	" BEGIN SELECT RAISE(ABORT, 'conference ID history is kept'); END;"

	"CREATE TRIGGER users_disable"
	" BEFORE UPDATE OF audio_enabled ON users"
	" WHEN NEW.audio_enabled = 0 AND EXISTS (SELECT 1 FROM conference_ids"
	"  WHERE user_id = NEW.id AND kind = 'personal'"
	"  AND revoked_at IS NULL)"
	" BEGIN SELECT RAISE(ABORT, 'revoke the personal ID first'); END;"

	"CREATE TRIGGER users_delete"
	" BEFORE DELETE ON users"
	" WHEN EXISTS (SELECT 1 FROM conference_ids"
	"  WHERE user_id = OLD.id AND revoked_at IS NULL)"
	" BEGIN SELECT RAISE(ABORT, 'user holds live conference IDs'); END;"

	/* E.164 with its '+': 8 to 15 digits, no leading 0 (core/e164.h). */
	"CREATE TABLE dial_in_numbers ("
	" number TEXT NOT NULL PRIMARY KEY"
	"  CHECK (number GLOB '+[1-9]*' AND length(number) BETWEEN 9 AND 16"
	"   AND substr(number, 2) NOT GLOB '*[^0-9]*'),"
	" toll_free INTEGER NOT NULL CHECK (toll_free IN (0, 1)),"
	" country TEXT NOT NULL CHECK (country GLOB '[A-Z][A-Z]'),"
	" city TEXT NOT NULL DEFAULT '',"
	" languages TEXT NOT NULL DEFAULT '',"
	" is_default INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1))"
	");"
	"CREATE UNIQUE INDEX dial_in_numbers_default"
	" ON dial_in_numbers (toll_free) WHERE is_default = 1;"

	"CREATE TABLE settings ("
	" name TEXT NOT NULL PRIMARY KEY,"
	" value TEXT NOT NULL"
	");"

	"CREATE TABLE audit ("
	" id INTEGER PRIMARY KEY,"
	" at INTEGER NOT NULL,"
	" actor TEXT NOT NULL,"
	" action TEXT NOT NULL CHECK (action <> ''),"
	" target TEXT NOT NULL DEFAULT '',"
	" detail TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(detail))"
	");"
	"CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
	" BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;"
	"CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
	" BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;"

	"CREATE TABLE api_tokens ("
	" digest TEXT NOT NULL PRIMARY KEY CHECK (digest <> ''),"
	" name TEXT NOT NULL,"
	" created_at INTEGER NOT NULL"
	");"

	"CREATE TABLE admins ("
	" id INTEGER PRIMARY KEY,"
	" username TEXT NOT NULL UNIQUE CHECK (username <> ''),"
	" password_hash TEXT NOT NULL"
	");";

/* The email outbox (SPEC §5), written in the same transaction as the change
 * that causes an email. A row is pending until the worker reports it sent
 * or failed; lease_until keeps two workers from sending the same row at
 * once, and a lease that runs out (a worker that died) makes the row due
 * again, so an email is sent at least once. The index serves the claim:
 * pending rows by due time. */
static const char migration_2[] =
	"CREATE TABLE outbox ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" created_at INTEGER NOT NULL,"
	" kind TEXT NOT NULL CHECK (kind <> ''),"
	" to_addr TEXT NOT NULL CHECK (to_addr <> ''),"
	" to_name TEXT NOT NULL DEFAULT '',"
	" from_addr TEXT NOT NULL CHECK (from_addr <> ''),"
	" from_name TEXT NOT NULL DEFAULT '',"
	" subject TEXT NOT NULL DEFAULT '',"
	" token TEXT NOT NULL UNIQUE CHECK (length(token) >= 16),"
	" vars TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(vars)),"
	" state TEXT NOT NULL DEFAULT 'pending'"
	"  CHECK (state IN ('pending', 'sent', 'failed')),"
	" attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),"
	" next_attempt_at INTEGER,"
	" lease_until INTEGER,"
	" sent_at INTEGER,"
	" last_error TEXT,"
	" CHECK ((state = 'pending') = (next_attempt_at IS NOT NULL)),"
	" CHECK ((state = 'sent') = (sent_at IS NOT NULL))"
	");"
	"CREATE INDEX outbox_due ON outbox (next_attempt_at)"
	" WHERE state = 'pending';"
	"CREATE INDEX outbox_state ON outbox (state, id);";

/* Admin center sign-in. A session is found by the digest of its
 * random id, so the table read back from a backup signs nobody in; it ends
 * when idle too long or at expires_at, whichever comes first, and goes with
 * its admin. failed_logins counts wrong passwords since the last success;
 * locked_until refuses every sign-in of that admin until then. */
static const char migration_3[] =
	"CREATE TABLE admin_sessions ("
	" digest TEXT NOT NULL PRIMARY KEY CHECK (length(digest) = 64),"
	" admin_id INTEGER NOT NULL REFERENCES admins (id) ON DELETE CASCADE,"
	" csrf TEXT NOT NULL CHECK (length(csrf) >= 16),"
	" created_at INTEGER NOT NULL,"
	" last_seen_at INTEGER NOT NULL CHECK (last_seen_at >= created_at),"
	" expires_at INTEGER NOT NULL CHECK (expires_at > created_at)"
	");"
	"CREATE INDEX admin_sessions_admin ON admin_sessions (admin_id);"
	"ALTER TABLE admins ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0"
	" CHECK (failed_logins >= 0);"
	"ALTER TABLE admins ADD COLUMN locked_until INTEGER NOT NULL DEFAULT 0;";

/* Meetings. A meeting's conference IDs live in conference_ids
 * (kind 'meeting', meeting_id set), one row per issue, so a reset's new ID
 * and the revoked old one are both history; the meeting row holds what an
 * invitation says: subject, times (UTC unix seconds), the iCalendar UID
 * and SEQUENCE (RFC 5545 §3.8.4.7, §3.8.7.4). "ended" is not stored: it is
 * end_at passed. A meeting outlives its organizer's account (organizer_id
 * NULL), as the ID history does. Attendees: one row each, unique per
 * meeting whatever the case of the address; 1000 and more per meeting. */
static const char migration_4[] =
	"CREATE TABLE meetings ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" organizer_id INTEGER REFERENCES users (id) ON DELETE SET NULL,"
	" subject TEXT NOT NULL CHECK (length(subject) BETWEEN 1 AND 255),"
	" start_at INTEGER NOT NULL,"
	" end_at INTEGER NOT NULL CHECK (end_at > start_at),"
	" uid TEXT NOT NULL UNIQUE CHECK (uid <> ''),"
	" sequence INTEGER NOT NULL DEFAULT 0 CHECK (sequence >= 0),"
	" state TEXT NOT NULL DEFAULT 'scheduled'"
	"  CHECK (state IN ('scheduled', 'cancelled')),"
	" created_at INTEGER NOT NULL"
	");"
	"CREATE INDEX meetings_organizer ON meetings (organizer_id, end_at);"
	"CREATE INDEX meetings_end ON meetings (end_at);"
	"CREATE TABLE meeting_attendees ("
	" meeting_id INTEGER NOT NULL REFERENCES meetings (id)"
	"  ON DELETE CASCADE,"
	" email TEXT NOT NULL COLLATE NOCASE CHECK (email <> ''),"
	" PRIMARY KEY (meeting_id, email)"
	");"
	"CREATE INDEX conference_ids_meeting ON conference_ids (meeting_id)"
	" WHERE meeting_id IS NOT NULL;";

/* Nothing: step 5 changed how PostgreSQL enforces the quarantine (an insert
 * trigger in place of an exclusion constraint, pg_schema.c); here the
 * single writer made the trigger of step 1 enough all along. The step
 * exists so that both lists keep the same versions. */
static const char migration_5[] = "";

/* The abuse guard's counters (SPEC §6), one row per key: a caller's source
 * ("src:ADDRESS") or one conference's organizer path ("pin:KIND:ID"). The
 * columns are core/guard.h's struct guard_state; updated_at is the time of
 * the last write, which the purge of quiet keys goes by (hence the index).
 * The key's bound is in bytes, as the C buffer's is (STORE_GUARD_KEY_SIZE,
 * NUL included); length() would count characters. */
static const char migration_6[] =
	"CREATE TABLE dialin_guard ("
	" key TEXT NOT NULL PRIMARY KEY"
	"  CHECK (length(CAST(key AS BLOB)) BETWEEN 1 AND 199),"
	" fails INTEGER NOT NULL CHECK (fails >= 0),"
	" window_start INTEGER NOT NULL CHECK (window_start >= 0),"
	" blocked_until INTEGER NOT NULL CHECK (blocked_until >= 0),"
	" offences INTEGER NOT NULL CHECK (offences >= 0),"
	" last_block INTEGER NOT NULL CHECK (last_block >= 0),"
	" updated_at INTEGER NOT NULL CHECK (updated_at >= 0)"
	");"
	"CREATE INDEX dialin_guard_updated ON dialin_guard (updated_at);";

/* API tokens (issue 14): an id to list and revoke them by, an expiry (0:
 * never) and the last use (0: never). SQLite cannot add a primary key to
 * a table, so the table is made anew and the tokens copied over. */
static const char migration_7[] =
	"CREATE TABLE api_tokens_new ("
	" id INTEGER PRIMARY KEY,"
	" digest TEXT NOT NULL UNIQUE CHECK (digest <> ''),"
	" name TEXT NOT NULL,"
	" created_at INTEGER NOT NULL,"
	" expires_at INTEGER NOT NULL DEFAULT 0,"
	" last_used_at INTEGER NOT NULL DEFAULT 0"
	");"
	"INSERT INTO api_tokens_new (digest, name, created_at)"
	" SELECT digest, name, created_at FROM api_tokens"
	" ORDER BY created_at, digest;"
	"DROP TABLE api_tokens;"
	"ALTER TABLE api_tokens_new RENAME TO api_tokens;";

/* Outbox leases that hold (issue 14): the random token of the claim that
 * holds a row's lease. A verdict or a renewal counts only under the token
 * the row still carries, so a worker whose lease ran out and was claimed
 * again by another can neither renew it nor report on it. */
static const char migration_8[] =
	"ALTER TABLE outbox ADD COLUMN claim_token TEXT"
	" CHECK (claim_token IS NULL OR length(claim_token) BETWEEN 16 AND 32);";

/* Jitsi Meet rooms mapped to conference IDs (app/jitsi.c). A room's ID is
 * a conference_ids row like any other, so the namespace, the live-unique
 * index and the quarantine hold for it too; its kind is 'meeting' with no
 * meeting and no user (step 1's CHECK on kind cannot change in SQLite
 * without rebuilding the table), and this table says which room it is.
 * A mapping is deleted when the room has been idle too long, after its
 * row in conference_ids was revoked (and so quarantined). The name is
 * bounded in bytes, as its C buffer is (STORE_JITSI_ROOM_SIZE). */
static const char migration_9[] =
	"CREATE TABLE jitsi_rooms ("
	" conference TEXT NOT NULL PRIMARY KEY"
	"  CHECK (length(CAST(conference AS BLOB)) BETWEEN 3 AND 255),"
	" confid_row INTEGER NOT NULL UNIQUE"
	"  REFERENCES conference_ids (row),"
	" created_at INTEGER NOT NULL,"
	" last_used_at INTEGER NOT NULL CHECK (last_used_at >= created_at)"
	");"
	"CREATE INDEX jitsi_rooms_used ON jitsi_rooms (last_used_at);";

/* Conference homes (issue 13, app/home.c): the one node that mixes a
 * conference, where its SIP side is reachable, and its lease (unix ms),
 * which the home renews once a second; another node may take the row
 * over once the lease has run out. cluster_secret: one row, the key
 * nodes sign their inter-node legs with (made once, first node wins). */
static const char migration_10[] =
	"CREATE TABLE conference_homes ("
	" kind TEXT NOT NULL CHECK (kind IN ('personal', 'meeting')),"
	" conf INTEGER NOT NULL,"
	" node TEXT NOT NULL CHECK (length(node) BETWEEN 1 AND 63),"
	" sip_uri TEXT NOT NULL CHECK (length(sip_uri) BETWEEN 1 AND 127),"
	" lease_until INTEGER NOT NULL,"
	" PRIMARY KEY (kind, conf)"
	");"
	"CREATE TABLE cluster_secret ("
	" id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),"
	" secret TEXT NOT NULL CHECK (length(secret) = 64)"
	");";

/* Call records (issue 15, app/records.c): one row per call of any node,
 * inserted when the call starts, updated as it goes and completed when it
 * ends, so that a crash of the node leaves a row a restart (or a peer)
 * marks 'crashed'. Times are unix milliseconds; ended_at NULL while live.
 * caller is masked, caller_key a keyed hash of the full number. nodes:
 * each node's heartbeat, once a second, which tells a live node from a
 * dead one and when a dead one was last seen. */
static const char migration_11[] =
	"CREATE TABLE call_records ("
	" id INTEGER PRIMARY KEY,"
	" call_id INTEGER NOT NULL,"
	" node TEXT NOT NULL,"
	" started_at INTEGER NOT NULL,"
	" answered_at INTEGER,"
	" joined_at INTEGER,"
	" ended_at INTEGER,"
	" dialed TEXT NOT NULL,"
	" caller TEXT NOT NULL,"
	" caller_key TEXT NOT NULL,"
	" conference_id TEXT,"
	" user_id INTEGER, meeting_id INTEGER,"
	" state TEXT,"
	" muted INTEGER NOT NULL DEFAULT 0,"
	" outcome TEXT NOT NULL,"
	" codec TEXT,"
	" conference_seconds INTEGER NOT NULL DEFAULT 0,"
	" UNIQUE (node, call_id));"
	"CREATE INDEX call_records_started ON call_records (started_at);"
	"CREATE INDEX call_records_live ON call_records (ended_at)"
	" WHERE ended_at IS NULL;"
	"CREATE TABLE nodes (name TEXT PRIMARY KEY, sip TEXT NOT NULL,"
	" http TEXT NOT NULL, started_at INTEGER NOT NULL,"
	" seen_at INTEGER NOT NULL);";

/* Live control commands for whichever node holds the call (app/control.c):
 * a call's id, or a conference's ID for a conference action; times in
 * unix milliseconds. */
static const char migration_12[] =
	"CREATE TABLE call_commands ("
	" id INTEGER PRIMARY KEY,"
	" call_id INTEGER,"
	" conference_id TEXT,"
	" action TEXT NOT NULL,"
	" actor TEXT NOT NULL,"
	" created_at INTEGER NOT NULL,"
	" claimed_by TEXT,"
	" done_at INTEGER,"
	" result TEXT,"
	" CHECK ((call_id IS NULL) <> (conference_id IS NULL))"
	");"
	"CREATE INDEX call_commands_created ON call_commands (created_at);";

/* Webhook events (app/webhook.c), a durable queue like the outbox: a row
 * is written in the transaction of the change it tells of (or by the
 * webhook thread, for the calls of the SIP thread), claimed under a lease
 * and a claim token by one delivery thread, and settled only under that
 * token. body is the JSON delivered, fixed when queued, so every try
 * carries the same bytes; it holds no PIN and no full caller number.
 * Delivered and failed rows are deleted after webhookRetentionDays. */
static const char migration_13[] =
	"CREATE TABLE webhook_events ("
	" id INTEGER PRIMARY KEY,"
	" event_id TEXT NOT NULL UNIQUE CHECK (length(event_id) = 32),"
	" type TEXT NOT NULL CHECK (length(type) BETWEEN 1 AND 31),"
	" body TEXT NOT NULL CHECK (length(body) BETWEEN 2 AND 4095),"
	" created_at INTEGER NOT NULL,"
	" state TEXT NOT NULL CHECK (state IN ('pending', 'delivered',"
	"  'failed')),"
	" attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),"
	" next_attempt_at INTEGER,"
	" lease_until INTEGER,"
	" claim_token TEXT"
	"  CHECK (claim_token IS NULL OR length(claim_token) BETWEEN 16 AND 32),"
	" delivered_at INTEGER,"
	" last_status INTEGER NOT NULL DEFAULT 0,"
	" last_error TEXT NOT NULL DEFAULT ''"
	");"
	"CREATE INDEX webhook_events_due ON webhook_events (next_attempt_at)"
	" WHERE state = 'pending';"
	"CREATE INDEX webhook_events_created ON webhook_events (created_at);";

const struct sqlstore_migration sqlstore_migrations[] = {
	{ .version = 1, .sql = migration_1 },
	{ .version = 2, .sql = migration_2 },
	{ .version = 3, .sql = migration_3 },
	{ .version = 4, .sql = migration_4 },
	{ .version = 5, .sql = migration_5 },
	{ .version = 6, .sql = migration_6 },
	{ .version = 7, .sql = migration_7 },
	{ .version = 8, .sql = migration_8 },
	{ .version = 9, .sql = migration_9 },
	{ .version = 10, .sql = migration_10 },
	{ .version = 11, .sql = migration_11 },
	{ .version = 12, .sql = migration_12 },
	{ .version = 13, .sql = migration_13 },
};

const size_t sqlstore_migration_count =
	sizeof(sqlstore_migrations) / sizeof(sqlstore_migrations[0]);
