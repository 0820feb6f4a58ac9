/* pg_schema: the PostgreSQL schema, the same migrations as sqlite_schema.c
 * (same versions, same tables and columns, same invariants) in
 * PostgreSQL's dialect. A step is never edited once released; a change is
 * a new step at the end of both lists.
 *
 * Translation rules:
 *   - INTEGER PRIMARY KEY [AUTOINCREMENT] -> BIGINT GENERATED ALWAYS AS
 *     IDENTITY (a sequence never gives a number twice);
 *   - 0/1 flags -> BOOLEAN; unix times -> BIGINT;
 *   - email COLLATE NOCASE UNIQUE -> a unique index on
 *     lower(email COLLATE "C"), which folds ASCII only, as NOCASE does;
 *   - GLOB checks -> regular expressions; json_valid(x) -> x::json, whose
 *     failure (SQLSTATE 22P02) maps to EINVAL as a CHECK does;
 *   - each trigger -> a plpgsql function raising unique_violation (23505),
 *     mapped to EEXIST as SQLite's RAISE(ABORT) is; where SQLite's WHEN
 *     says all, the condition is the trigger's WHEN clause, so the common
 *     case runs no function (conference_ids_fixed and _final).
 *
 * Under concurrency (several nodes) a trigger that only looks at other
 * rows could be fooled by a transaction not yet committed, so:
 *   - every insert into conference_ids first takes a transaction-level
 *     advisory lock on its value (migration 5), then looks at the value's
 *     rows: two transactions inserting one value run one after the other,
 *     and in READ COMMITTED the trigger's look, a statement of its own
 *     taken after the lock was granted, sees what the first one committed.
 *     A revocation needs no lock: until it commits, others still see the
 *     value live and refuse it. Each row holds its value over
 *     [issued_at, quarantine_until), or from issued_at on while live, and
 *     an insert whose span meets another's of that value is refused, which
 *     is the live-value rule and SQLite's quarantine trigger in one (this
 *     was an exclusion constraint, btree_gist, until migration 5: it cost a
 *     reset more than the rest of its writes together);
 *   - issuing a personal ID locks the user's row (FOR SHARE) while it checks
 *     audio_enabled, and disabling a user locks the row by updating it, so
 *     one waits for the other and then sees what it did;
 *   - deleting a user locks the row; an insert referring to it takes a key
 *     share lock through the foreign key: again one waits for the other. */
#include <stddef.h>

#include "store/pg_priv.h"

static const char migration_1[] =
	"CREATE EXTENSION IF NOT EXISTS btree_gist;"

	"CREATE TABLE users ("
	" id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	" email TEXT NOT NULL CHECK (email <> ''),"
	" display_name TEXT NOT NULL DEFAULT '',"
	" audio_enabled BOOLEAN NOT NULL DEFAULT false,"
	" toll_number TEXT NOT NULL DEFAULT '',"
	" toll_free_number TEXT NOT NULL DEFAULT '',"
	" pin_hash TEXT CHECK (pin_hash <> ''),"
	" created_at BIGINT NOT NULL"
	");"
	"CREATE UNIQUE INDEX users_email ON users (lower(email COLLATE \"C\"));"

	"CREATE TABLE conference_ids ("
	" \"row\" BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	" value INTEGER NOT NULL CHECK (value BETWEEN 1000000 AND 9999999),"
	" kind TEXT NOT NULL CHECK (kind IN ('personal', 'meeting')),"
	" user_id BIGINT REFERENCES users (id) ON DELETE SET NULL,"
	" meeting_id BIGINT CHECK (meeting_id IS NULL OR kind = 'meeting'),"
	" issued_at BIGINT NOT NULL,"
	" revoked_at BIGINT,"
	" quarantine_until BIGINT,"
	" CHECK ((revoked_at IS NULL) = (quarantine_until IS NULL)),"
	" CHECK (kind <> 'personal' OR revoked_at IS NOT NULL"
	"        OR user_id IS NOT NULL),"
	" CONSTRAINT conference_ids_held EXCLUDE USING gist (value WITH =,"
	"  int8range(issued_at, CASE WHEN quarantine_until IS NULL THEN NULL"
	"   ELSE greatest(issued_at, quarantine_until) END) WITH &&)"
	");"
	"CREATE UNIQUE INDEX conference_ids_live ON conference_ids (value)"
	" WHERE revoked_at IS NULL;"
	"CREATE UNIQUE INDEX conference_ids_live_personal"
	" ON conference_ids (user_id)"
	" WHERE kind = 'personal' AND revoked_at IS NULL;"
	"CREATE INDEX conference_ids_value ON conference_ids (value, \"row\");"
	"CREATE INDEX conference_ids_user ON conference_ids (user_id);"
	"CREATE INDEX conference_ids_quarantine"
	" ON conference_ids (quarantine_until)"
	" WHERE quarantine_until IS NOT NULL;"

	"CREATE FUNCTION conference_ids_insert() RETURNS trigger"
	" LANGUAGE plpgsql AS $$ BEGIN"
	"  IF NEW.kind = 'personal' AND NEW.revoked_at IS NULL THEN"
	"   PERFORM 1 FROM users WHERE id = NEW.user_id AND audio_enabled"
	"    FOR SHARE;"
	"   IF NOT FOUND THEN"
	"    RAISE EXCEPTION 'user not enabled for audio'"
	"     USING ERRCODE = 'unique_violation';"
	"   END IF;"
	"  END IF;"
	"  RETURN NEW;"
	" END $$;"
	"CREATE TRIGGER conference_ids_personal_enabled"
	" BEFORE INSERT ON conference_ids"
	" FOR EACH ROW WHEN (NEW.kind = 'personal' AND NEW.revoked_at IS NULL)"
	" EXECUTE FUNCTION conference_ids_insert();"

	"CREATE FUNCTION dialconf_refuse() RETURNS trigger"
	" LANGUAGE plpgsql AS $$ BEGIN"
	"  RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'unique_violation';"
	" END $$;"
	"CREATE TRIGGER conference_ids_keep"
	" BEFORE DELETE ON conference_ids"
	" FOR EACH ROW EXECUTE FUNCTION"
	" dialconf_refuse('conference ID history is kept');"

	/* The history rule as the trigger's WHEN clause, so the usual update
	 * (a revocation) runs no function at all. */
	"CREATE TRIGGER conference_ids_history"
	" BEFORE UPDATE ON conference_ids"
	" FOR EACH ROW WHEN (NEW.\"row\" <> OLD.\"row\""
	"  OR NEW.value <> OLD.value"
	"  OR NEW.kind <> OLD.kind OR NEW.issued_at <> OLD.issued_at"
	"  OR NEW.meeting_id IS DISTINCT FROM OLD.meeting_id"
	"  OR (NEW.user_id IS DISTINCT FROM OLD.user_id"
	"      AND NEW.user_id IS NOT NULL)"
	"  OR (OLD.revoked_at IS NOT NULL"
	"      AND NEW.revoked_at IS DISTINCT FROM OLD.revoked_at))"
	" EXECUTE FUNCTION dialconf_refuse('conference ID history is fixed');"

	"CREATE FUNCTION users_disable() RETURNS trigger"
	" LANGUAGE plpgsql AS $$ BEGIN"
	"  IF EXISTS (SELECT 1 FROM conference_ids WHERE user_id = NEW.id"
	"   AND kind = 'personal' AND revoked_at IS NULL) THEN"
	"   RAISE EXCEPTION 'revoke the personal ID first'"
	"    USING ERRCODE = 'unique_violation';"
	"  END IF;"
	"  RETURN NEW;"
	" END $$;"
	"CREATE TRIGGER users_disable"
	" BEFORE UPDATE OF audio_enabled ON users"
	" FOR EACH ROW WHEN (NOT NEW.audio_enabled)"
	" EXECUTE FUNCTION users_disable();"

	"CREATE FUNCTION users_delete() RETURNS trigger"
	" LANGUAGE plpgsql AS $$ BEGIN"
	"  IF EXISTS (SELECT 1 FROM conference_ids WHERE user_id = OLD.id"
	"   AND revoked_at IS NULL) THEN"
	"   RAISE EXCEPTION 'user holds live conference IDs'"
	"    USING ERRCODE = 'unique_violation';"
	"  END IF;"
	"  RETURN OLD;"
	" END $$;"
	"CREATE TRIGGER users_delete BEFORE DELETE ON users"
	" FOR EACH ROW EXECUTE FUNCTION users_delete();"

	/* E.164 with its '+': 8 to 15 digits, no leading 0 (core/e164.h). */
	"CREATE TABLE dial_in_numbers ("
	" number TEXT NOT NULL PRIMARY KEY"
	"  CHECK (number ~ '^\\+[1-9][0-9]{7,14}$'),"
	" toll_free BOOLEAN NOT NULL,"
	" country TEXT NOT NULL CHECK (country ~ '^[A-Z][A-Z]$'),"
	" city TEXT NOT NULL DEFAULT '',"
	" languages TEXT NOT NULL DEFAULT '',"
	" is_default BOOLEAN NOT NULL DEFAULT false"
	");"
	"CREATE UNIQUE INDEX dial_in_numbers_default"
	" ON dial_in_numbers (toll_free) WHERE is_default;"

	"CREATE TABLE settings ("
	" name TEXT NOT NULL PRIMARY KEY,"
	" value TEXT NOT NULL"
	");"

	"CREATE TABLE audit ("
	" id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	" at BIGINT NOT NULL,"
	" actor TEXT NOT NULL,"
	" action TEXT NOT NULL CHECK (action <> ''),"
	" target TEXT NOT NULL DEFAULT '',"
	" detail TEXT NOT NULL DEFAULT '{}' CHECK (detail::json IS NOT NULL)"
	");"
	"CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
	" FOR EACH ROW EXECUTE FUNCTION"
	" dialconf_refuse('audit log is append-only');"
	"CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
	" FOR EACH ROW EXECUTE FUNCTION"
	" dialconf_refuse('audit log is append-only');"

	"CREATE TABLE api_tokens ("
	" digest TEXT NOT NULL PRIMARY KEY CHECK (digest <> ''),"
	" name TEXT NOT NULL,"
	" created_at BIGINT NOT NULL"
	");"

	"CREATE TABLE admins ("
	" id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	" username TEXT NOT NULL UNIQUE CHECK (username <> ''),"
	" password_hash TEXT NOT NULL"
	");";

/* The email outbox (sqlite_schema.c migration 2). */
static const char migration_2[] =
	"CREATE TABLE outbox ("
	" id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	" created_at BIGINT NOT NULL,"
	" kind TEXT NOT NULL CHECK (kind <> ''),"
	" to_addr TEXT NOT NULL CHECK (to_addr <> ''),"
	" to_name TEXT NOT NULL DEFAULT '',"
	" from_addr TEXT NOT NULL CHECK (from_addr <> ''),"
	" from_name TEXT NOT NULL DEFAULT '',"
	" subject TEXT NOT NULL DEFAULT '',"
	" token TEXT NOT NULL UNIQUE CHECK (length(token) >= 16),"
	" vars TEXT NOT NULL DEFAULT '{}' CHECK (vars::json IS NOT NULL),"
	" state TEXT NOT NULL DEFAULT 'pending'"
	"  CHECK (state IN ('pending', 'sent', 'failed')),"
	" attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),"
	" next_attempt_at BIGINT,"
	" lease_until BIGINT,"
	" sent_at BIGINT,"
	" last_error TEXT,"
	" CHECK ((state = 'pending') = (next_attempt_at IS NOT NULL)),"
	" CHECK ((state = 'sent') = (sent_at IS NOT NULL))"
	");"
	"CREATE INDEX outbox_due ON outbox (next_attempt_at, id)"
	" WHERE state = 'pending';"
	"CREATE INDEX outbox_state ON outbox (state, id);";

/* Admin center sign-in (sqlite_schema.c migration 3). */
static const char migration_3[] =
	"CREATE TABLE admin_sessions ("
	" digest TEXT NOT NULL PRIMARY KEY CHECK (length(digest) = 64),"
	" admin_id BIGINT NOT NULL REFERENCES admins (id) ON DELETE CASCADE,"
	" csrf TEXT NOT NULL CHECK (length(csrf) >= 16),"
	" created_at BIGINT NOT NULL,"
	" last_seen_at BIGINT NOT NULL CHECK (last_seen_at >= created_at),"
	" expires_at BIGINT NOT NULL CHECK (expires_at > created_at)"
	");"
	"CREATE INDEX admin_sessions_admin ON admin_sessions (admin_id);"
	"ALTER TABLE admins ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0"
	" CHECK (failed_logins >= 0);"
	"ALTER TABLE admins ADD COLUMN locked_until BIGINT NOT NULL DEFAULT 0;";

/* Meetings (sqlite_schema.c migration 4). SQLite's
 * rowid order of attendees is the pos column here; their case-insensitive
 * uniqueness an index on lower(email COLLATE "C"). */
static const char migration_4[] =
	"CREATE TABLE meetings ("
	" id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	" organizer_id BIGINT REFERENCES users (id) ON DELETE SET NULL,"
	" subject TEXT NOT NULL CHECK (length(subject) BETWEEN 1 AND 255),"
	" start_at BIGINT NOT NULL,"
	" end_at BIGINT NOT NULL CHECK (end_at > start_at),"
	" uid TEXT NOT NULL UNIQUE CHECK (uid <> ''),"
	" sequence INTEGER NOT NULL DEFAULT 0 CHECK (sequence >= 0),"
	" state TEXT NOT NULL DEFAULT 'scheduled'"
	"  CHECK (state IN ('scheduled', 'cancelled')),"
	" created_at BIGINT NOT NULL"
	");"
	"CREATE INDEX meetings_organizer ON meetings (organizer_id, end_at);"
	"CREATE INDEX meetings_end ON meetings (end_at);"
	"CREATE TABLE meeting_attendees ("
	" pos BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	" meeting_id BIGINT NOT NULL REFERENCES meetings (id)"
	"  ON DELETE CASCADE,"
	" email TEXT NOT NULL CHECK (email <> '')"
	");"
	"CREATE UNIQUE INDEX meeting_attendees_email"
	" ON meeting_attendees (meeting_id, lower(email COLLATE \"C\"));"
	"CREATE INDEX conference_ids_meeting ON conference_ids (meeting_id)"
	" WHERE meeting_id IS NOT NULL;";

/* The quarantine and live-value rules move from the exclusion constraint
 * into the insert trigger (top of this file), and the history rule into
 * two triggers by column. A refused value is not an
 * error but a skipped row (the trigger returns NULL, so INSERT ... RETURNING
 * gives no row): the transaction goes on, as SQLite's does after a
 * constraint error, without a savepoint around every insert. Likewise a
 * user who holds a live personal ID already. A personal ID for a user not
 * enabled for audio stays an error. The unique index conference_ids_live
 * stays as a second line: under READ COMMITTED the lock means it never
 * fires. */
static const char migration_5[] =
	"ALTER TABLE conference_ids DROP CONSTRAINT conference_ids_held;"
	"DROP TRIGGER conference_ids_personal_enabled ON conference_ids;"
	"CREATE OR REPLACE FUNCTION conference_ids_insert() RETURNS trigger"
	" LANGUAGE plpgsql AS $$ BEGIN"
	"  PERFORM pg_advisory_xact_lock(" PGSTORE_CONFID_LOCK_KEY ", NEW.value);"
	"  IF EXISTS (SELECT 1 FROM conference_ids c WHERE c.value = NEW.value"
	"   AND int8range(c.issued_at, CASE WHEN c.quarantine_until IS NULL"
	"    THEN NULL ELSE greatest(c.issued_at, c.quarantine_until) END)"
	"   && int8range(NEW.issued_at, CASE WHEN NEW.quarantine_until IS NULL"
	"    THEN NULL ELSE greatest(NEW.issued_at, NEW.quarantine_until) END))"
	"  THEN"
	"   RETURN NULL;"
	"  END IF;"
	"  IF NEW.kind = 'personal' AND NEW.revoked_at IS NULL THEN"
	"   IF EXISTS (SELECT 1 FROM conference_ids WHERE user_id = NEW.user_id"
	"    AND kind = 'personal' AND revoked_at IS NULL) THEN"
	"    RETURN NULL;"
	"   END IF;"
	"   PERFORM 1 FROM users WHERE id = NEW.user_id AND audio_enabled"
	"    FOR SHARE;"
	"   IF NOT FOUND THEN"
	"    RAISE EXCEPTION 'user not enabled for audio'"
	"     USING ERRCODE = 'unique_violation';"
	"   END IF;"
	"  END IF;"
	"  RETURN NEW;"
	" END $$;"
	"CREATE TRIGGER conference_ids_insert BEFORE INSERT ON conference_ids"
	" FOR EACH ROW EXECUTE FUNCTION conference_ids_insert();"
	/* PostgreSQL reads a trigger's WHEN clause anew for every statement
	 * that may fire it, and the one of step 1 cost each revocation more
	 * than the update itself. Split by the columns an UPDATE names, a
	 * revocation (which names revoked_at and quarantine_until) meets only
	 * the short clause of conference_ids_final. */
	"DROP TRIGGER conference_ids_history ON conference_ids;"
	"CREATE TRIGGER conference_ids_fixed"
	" BEFORE UPDATE OF \"row\", value, kind, issued_at, meeting_id, user_id"
	" ON conference_ids"
	" FOR EACH ROW WHEN (NEW.\"row\" <> OLD.\"row\""
	"  OR NEW.value <> OLD.value"
	"  OR NEW.kind <> OLD.kind OR NEW.issued_at <> OLD.issued_at"
	"  OR NEW.meeting_id IS DISTINCT FROM OLD.meeting_id"
	"  OR (NEW.user_id IS DISTINCT FROM OLD.user_id"
	"      AND NEW.user_id IS NOT NULL))"
	" EXECUTE FUNCTION dialconf_refuse('conference ID history is fixed');"
	"CREATE TRIGGER conference_ids_final"
	" BEFORE UPDATE OF revoked_at ON conference_ids"
	" FOR EACH ROW WHEN (OLD.revoked_at IS NOT NULL"
	"  AND NEW.revoked_at IS DISTINCT FROM OLD.revoked_at)"
	" EXECUTE FUNCTION dialconf_refuse('conference ID history is fixed');";

/* The abuse guard's counters (sqlite_schema.c migration 6). A row is
 * read FOR UPDATE, a missing one behind an advisory lock (pg_guard.c). */
static const char migration_6[] =
	"CREATE TABLE dialin_guard ("
	" key TEXT NOT NULL PRIMARY KEY"
	"  CHECK (octet_length(key) BETWEEN 1 AND 199),"
	" fails INTEGER NOT NULL CHECK (fails >= 0),"
	" window_start BIGINT NOT NULL CHECK (window_start >= 0),"
	" blocked_until BIGINT NOT NULL CHECK (blocked_until >= 0),"
	" offences INTEGER NOT NULL CHECK (offences >= 0),"
	" last_block BIGINT NOT NULL CHECK (last_block >= 0),"
	" updated_at BIGINT NOT NULL CHECK (updated_at >= 0)"
	");"
	"CREATE INDEX dialin_guard_updated ON dialin_guard (updated_at);";

/* API tokens: id, expiry and last use (sqlite_schema.c migration 7). */
static const char migration_7[] =
	"ALTER TABLE api_tokens"
	" ADD COLUMN id BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,"
	" ADD COLUMN expires_at BIGINT NOT NULL DEFAULT 0,"
	" ADD COLUMN last_used_at BIGINT NOT NULL DEFAULT 0;";

/* The claim holding a row's lease (sqlite_schema.c migration 8). */
static const char migration_8[] =
	"ALTER TABLE outbox ADD COLUMN claim_token TEXT"
	" CHECK (claim_token IS NULL OR length(claim_token) BETWEEN 16 AND 32);";

/* Jitsi Meet rooms mapped to conference IDs (sqlite_schema.c
 * migration 9). */
static const char migration_9[] =
	"CREATE TABLE jitsi_rooms ("
	" conference TEXT NOT NULL PRIMARY KEY"
	"  CHECK (octet_length(conference) BETWEEN 3 AND 255),"
	" confid_row BIGINT NOT NULL UNIQUE"
	"  REFERENCES conference_ids (\"row\"),"
	" created_at BIGINT NOT NULL,"
	" last_used_at BIGINT NOT NULL CHECK (last_used_at >= created_at)"
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
	" conf BIGINT NOT NULL,"
	" node TEXT NOT NULL CHECK (octet_length(node) BETWEEN 1 AND 63),"
	" sip_uri TEXT NOT NULL CHECK (octet_length(sip_uri) BETWEEN 1 AND 127),"
	" lease_until BIGINT NOT NULL,"
	" PRIMARY KEY (kind, conf)"
	");"
	"CREATE TABLE cluster_secret ("
	" id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),"
	" secret TEXT NOT NULL CHECK (octet_length(secret) = 64)"
	");";

/* Call records and node heartbeats (sqlite_schema.c migration 11). */
static const char migration_11[] =
	"CREATE TABLE call_records ("
	" id BIGSERIAL PRIMARY KEY,"
	" call_id BIGINT NOT NULL,"
	" node TEXT NOT NULL,"
	" started_at BIGINT NOT NULL,"
	" answered_at BIGINT,"
	" joined_at BIGINT,"
	" ended_at BIGINT,"
	" dialed TEXT NOT NULL,"
	" caller TEXT NOT NULL,"
	" caller_key TEXT NOT NULL,"
	" conference_id TEXT,"
	" user_id BIGINT, meeting_id BIGINT,"
	" state TEXT,"
	" muted INTEGER NOT NULL DEFAULT 0,"
	" outcome TEXT NOT NULL,"
	" codec TEXT,"
	" conference_seconds BIGINT NOT NULL DEFAULT 0,"
	" UNIQUE (node, call_id));"
	"CREATE INDEX call_records_started ON call_records (started_at);"
	"CREATE INDEX call_records_live ON call_records (ended_at)"
	" WHERE ended_at IS NULL;"
	"CREATE TABLE nodes (name TEXT PRIMARY KEY, sip TEXT NOT NULL,"
	" http TEXT NOT NULL, started_at BIGINT NOT NULL,"
	" seen_at BIGINT NOT NULL);";

/* Live control commands for whichever node holds the call (app/control.c):
 * a call's id, or a conference's ID for a conference action; times in
 * unix milliseconds. */
static const char migration_12[] =
	"CREATE TABLE call_commands ("
	" id BIGSERIAL PRIMARY KEY,"
	" call_id BIGINT,"
	" conference_id TEXT,"
	" action TEXT NOT NULL,"
	" actor TEXT NOT NULL,"
	" created_at BIGINT NOT NULL,"
	" claimed_by TEXT,"
	" done_at BIGINT,"
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
	" id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	" event_id TEXT NOT NULL UNIQUE CHECK (octet_length(event_id) = 32),"
	" type TEXT NOT NULL CHECK (octet_length(type) BETWEEN 1 AND 31),"
	" body TEXT NOT NULL CHECK (octet_length(body) BETWEEN 2 AND 4095),"
	" created_at BIGINT NOT NULL,"
	" state TEXT NOT NULL CHECK (state IN ('pending', 'delivered',"
	"  'failed')),"
	" attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),"
	" next_attempt_at BIGINT,"
	" lease_until BIGINT,"
	" claim_token TEXT"
	"  CHECK (claim_token IS NULL OR length(claim_token) BETWEEN 16 AND 32),"
	" delivered_at BIGINT,"
	" last_status INTEGER NOT NULL DEFAULT 0,"
	" last_error TEXT NOT NULL DEFAULT ''"
	");"
	"CREATE INDEX webhook_events_due ON webhook_events (next_attempt_at)"
	" WHERE state = 'pending';"
	"CREATE INDEX webhook_events_created ON webhook_events (created_at);";

const struct pgstore_migration pgstore_migrations[] = {
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

const size_t pgstore_migration_count =
	sizeof(pgstore_migrations) / sizeof(pgstore_migrations[0]);
