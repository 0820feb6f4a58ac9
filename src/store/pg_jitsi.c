/* pg_jitsi: Jitsi Meet rooms mapped to conference IDs in the PostgreSQL
 * backend (table jitsi_rooms, pg_schema.c migration 9); the same
 * statements as sqlite_jitsi.c. */
#include <errno.h>
#include <string.h>

#include "store/pg_priv.h"

#define ROOM_COLS \
	"SELECT j.conference, j.confid_row, c.value, j.created_at," \
	" j.last_used_at FROM jitsi_rooms j" \
	" JOIN conference_ids c ON c.\"row\" = j.confid_row "

static int read_room(const PGresult *res, int row, struct store_jitsi_room *r)
{
	memset(r, 0, sizeof(*r));
	r->confid_row = pgstore_int(res, row, 1);
	r->value = (uint32_t)pgstore_int(res, row, 2);
	r->created_at = pgstore_int(res, row, 3);
	r->last_used_at = pgstore_int(res, row, 4);
	return pgstore_text(res, row, 0, r->conference, sizeof(r->conference));
}

int pgstore_jitsi_room_insert(void *conn, const struct store_jitsi_room *r)
{
	static const char sql[] =
		"INSERT INTO jitsi_rooms (conference, confid_row, created_at,"
		" last_used_at) VALUES ($1, $2, $3, $4)";
	struct pgparams pp = { .n = 0 };

	pgp_text(&pp, r->conference, sizeof(r->conference));
	pgp_int(&pp, r->confid_row);
	pgp_int(&pp, r->created_at);
	pgp_int(&pp, r->last_used_at);
	return pgstore_changes(conn, PGS_OP(jitsi_room_insert), sql, &pp);
}

static int room_one(struct pgstore *p, enum pgstore_stmt id, const char *sql,
		    const struct pgparams *pp, struct store_jitsi_room *r)
{
	PGresult *res = NULL;
	int err;

	err = pgstore_one(p, id, sql, pp, &res);
	if (!err)
		err = read_room(res, 0, r);
	PQclear(res);
	return err;
}

int pgstore_jitsi_room_get(void *conn, const char *conference,
			   struct store_jitsi_room *r)
{
	struct pgparams pp = { .n = 0 };

	pgp_text(&pp, conference, STORE_JITSI_ROOM_SIZE);
	return room_one(conn, PGS_OP(jitsi_room_get),
			ROOM_COLS "WHERE j.conference = $1", &pp, r);
}

int pgstore_jitsi_room_by_value(void *conn, uint32_t value,
				struct store_jitsi_room *r)
{
	struct pgparams pp = { .n = 0 };

	pgp_int(&pp, value);
	return room_one(conn, PGS_OP(jitsi_room_by_value), ROOM_COLS
			"WHERE c.value = $1 AND c.revoked_at IS NULL", &pp, r);
}

int pgstore_jitsi_room_touch(void *conn, const char *conference, int64_t at)
{
	struct pgparams pp = { .n = 0 };

	pgp_text(&pp, conference, STORE_JITSI_ROOM_SIZE);
	pgp_int(&pp, at);
	return pgstore_changes(conn, PGS_OP(jitsi_room_touch),
			       "UPDATE jitsi_rooms SET last_used_at ="
			       " greatest(last_used_at, $2)"
			       " WHERE conference = $1", &pp);
}

int pgstore_jitsi_room_delete(void *conn, const char *conference)
{
	struct pgparams pp = { .n = 0 };

	pgp_text(&pp, conference, STORE_JITSI_ROOM_SIZE);
	return pgstore_changes(conn, PGS_OP(jitsi_room_delete),
			       "DELETE FROM jitsi_rooms WHERE conference = $1",
			       &pp);
}

int pgstore_jitsi_room_count(void *conn, int64_t *n)
{
	return pgstore_count(conn, PGS_OP(jitsi_room_count),
			     "SELECT count(*) FROM jitsi_rooms", n);
}

int pgstore_jitsi_room_list(void *conn, int64_t used_before,
			    store_jitsi_room_h *h, void *arg)
{
	static const char sql[] = ROOM_COLS
		"WHERE j.last_used_at < $1 ORDER BY j.conference COLLATE \"C\"";
	struct pgparams pp = { .n = 0 };
	struct store_jitsi_room r;
	PGresult *res = NULL;
	int i, err;

	pgp_int(&pp, used_before);
	err = pgstore_run(conn, PGS_OP(jitsi_room_list), sql, &pp, &res);
	for (i = 0; !err && i < PQntuples(res); i++) {
		err = read_room(res, i, &r);
		if (!err)
			err = h(&r, arg);
	}
	PQclear(res);
	return err;
}
