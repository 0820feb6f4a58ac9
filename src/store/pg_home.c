/* pg_home: conference homes and the cluster secret in the PostgreSQL
 * backend (pg_schema.c, migration 10); the same statements as
 * sqlite_home.c. INSERT ... ON CONFLICT DO UPDATE ... WHERE is atomic
 * for a row (it locks the conflicting row before the WHERE), so two nodes
 * claiming one conference at once get one home: the loser's WHERE sees
 * the winner's fresh lease and changes nothing. */
#include <errno.h>
#include <string.h>

#include "store/pg_priv.h"

static const char *kind_of(bool personal)
{
	return personal ? "personal" : "meeting";
}

int pgstore_home_claim(void *conn, const struct store_home *h, int64_t now)
{
	static const char sql[] =
		"INSERT INTO conference_homes (kind, conf, node, sip_uri,"
		" lease_until) VALUES ($1, $2, $3, $4, $5)"
		" ON CONFLICT (kind, conf) DO UPDATE SET node = excluded.node,"
		" sip_uri = excluded.sip_uri,"
		" lease_until = excluded.lease_until"
		" WHERE conference_homes.node = excluded.node"
		" OR conference_homes.lease_until < $6";
	struct pgparams pp = { .n = 0 };
	int err;

	pgp_text(&pp, kind_of(h->personal), 16);
	pgp_int(&pp, h->conf);
	pgp_text(&pp, h->node, sizeof(h->node));
	pgp_text(&pp, h->sip_uri, sizeof(h->sip_uri));
	pgp_int(&pp, h->lease_until);
	pgp_int(&pp, now);
	err = pgstore_changes(conn, PGS_OP(home_claim), sql, &pp);
	return err == ENOENT ? EEXIST : err;
}

int pgstore_home_get(void *conn, bool personal, int64_t conf,
		     struct store_home *h)
{
	static const char sql[] =
		"SELECT node, sip_uri, lease_until FROM conference_homes"
		" WHERE kind = $1 AND conf = $2";
	struct pgparams pp = { .n = 0 };
	PGresult *res = NULL;
	int err;

	pgp_text(&pp, kind_of(personal), 16);
	pgp_int(&pp, conf);
	err = pgstore_one(conn, PGS_OP(home_get), sql, &pp, &res);
	if (err)
		return err;
	memset(h, 0, sizeof(*h));
	h->personal = personal;
	h->conf = conf;
	h->lease_until = pgstore_int(res, 0, 2);
	err = pgstore_text(res, 0, 0, h->node, sizeof(h->node));
	if (!err)
		err = pgstore_text(res, 0, 1, h->sip_uri, sizeof(h->sip_uri));
	PQclear(res);
	return err;
}

int pgstore_home_release(void *conn, bool personal, int64_t conf,
			 const char *node)
{
	static const char sql[] =
		"DELETE FROM conference_homes"
		" WHERE kind = $1 AND conf = $2 AND node = $3";
	struct pgparams pp = { .n = 0 };

	pgp_text(&pp, kind_of(personal), 16);
	pgp_int(&pp, conf);
	pgp_text(&pp, node, STORE_HOME_NODE_SIZE);
	return pgstore_changes(conn, PGS_OP(home_release), sql, &pp);
}

int pgstore_cluster_secret_init(void *conn, const char *fresh)
{
	static const char sql[] =
		"INSERT INTO cluster_secret (id, secret) VALUES (1, $1)"
		" ON CONFLICT (id) DO NOTHING";
	struct pgparams pp = { .n = 0 };

	pgp_text(&pp, fresh, STORE_CLUSTER_SECRET_SIZE);
	return pgstore_run(conn, PGS_OP(cluster_secret_init), sql, &pp, NULL);
}

int pgstore_cluster_secret_get(void *conn, char *out, size_t size)
{
	static const char sql[] = "SELECT secret FROM cluster_secret"
				  " WHERE id = 1";
	struct pgparams pp = { .n = 0 };
	PGresult *res = NULL;
	int err;

	err = pgstore_one(conn, PGS_OP(cluster_secret_get), sql, &pp, &res);
	if (!err)
		err = pgstore_text(res, 0, 0, out, size);
	PQclear(res);
	return err;
}
