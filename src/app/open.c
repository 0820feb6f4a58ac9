/* open: building and tearing down a struct app: its connection pool, the
 * conference ID pool (issue.c) and the live calls registry (calls.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_priv.h"
#include "core/confid.h"
#include "core/secret.h"

#define APP_NCONN_MAX 64

static void app_free(struct app *a)
{
	int i;

	if (!a)
		return;
	app_records_fini(a); /* its writer uses the connections */
	app_home_stop(a); /* its thread uses the connections */
	if (a->conns) {
		for (i = 0; i < a->nconn; i++)
			store_close(a->conns[i]);
	}
	free(a->conns);
	free(a->conn_busy);
	confid_pool_free(a->pool);
	app_calls_fini(a);
	app_webhooks_fini(a);
	pthread_mutex_destroy(&a->conn_mtx);
	pthread_cond_destroy(&a->conn_cond);
	pthread_mutex_destroy(&a->pool_mtx);
	pthread_mutex_destroy(&a->mail_mtx);
	pthread_cond_destroy(&a->mail_cond);
	free(a->db_url);
	free(a->datadir);
	free(a->languages);
	free(a);
}

int app_db_url_check(const char *db_url, struct app_err *err)
{
	char safe[256];

	app_err_clear(err);
	if (!store_url_check(db_url))
		return 0;
	app_db_url_safe(safe, sizeof(safe), db_url);
	app_errf(err, "unknown database URL '%s': use " APP_DB_URL_FORMS,
		 safe);
	return EPROTONOSUPPORT;
}

void app_db_url_safe(char *out, size_t size, const char *db_url)
{
	store_url_safe(out, size, db_url);
}

static int open_conns(struct app *a, int nconn, struct app_err *err)
{
	char safe[256];
	int e;

	a->conns = calloc((size_t)nconn, sizeof(*a->conns));
	a->conn_busy = calloc((size_t)nconn, sizeof(*a->conn_busy));
	if (!a->conns || !a->conn_busy)
		return ENOMEM;
	for (a->nconn = 0; a->nconn < nconn; a->nconn++) {
		e = store_open(&a->conns[a->nconn], a->db_url, a->datadir);
		if (e) {
			app_db_url_safe(safe, sizeof(safe), a->db_url);
			app_errf(err, "cannot open database '%s': %s",
				 safe, strerror(e));
			return e;
		}
	}
	return 0;
}

int app_open(struct app **ap, const char *db_url, const char *datadir,
	     int nconn, struct app_err *err)
{
	struct app *a = NULL;
	int e;

	app_err_clear(err);
	if (!ap || !db_url) {
		app_errf(err, "no database URL");
		return EINVAL;
	}
	e = app_db_url_check(db_url, err);
	if (e)
		return e;
	if (nconn < 1 || nconn > APP_NCONN_MAX) {
		app_errf(err, "connections must be between 1 and %d",
			 APP_NCONN_MAX);
		return EINVAL;
	}
	e = secret_init();
	if (e) {
		app_errf(err, "cannot initialise libsodium");
		return e;
	}
	e = app_datadir_make(datadir);
	if (e) {
		app_errf(err, "cannot create data directory '%s': %s",
			 datadir, strerror(e));
		return e;
	}

	a = calloc(1, sizeof(*a));
	if (!a)
		return ENOMEM;
	pthread_mutex_init(&a->conn_mtx, NULL);
	pthread_cond_init(&a->conn_cond, NULL);
	pthread_mutex_init(&a->pool_mtx, NULL);
	pthread_mutex_init(&a->mail_mtx, NULL);
	pthread_cond_init(&a->mail_cond, NULL);
	a->db_url = strdup(db_url);
	a->datadir = strdup(datadir ? datadir : ".");
	if (!a->db_url || !a->datadir) {
		e = ENOMEM;
		goto out;
	}

	e = app_calls_init(a);
	if (!e)
		e = app_webhooks_init(a);
	if (!e)
		e = app_records_init(a);
	if (e)
		goto out;
	e = open_conns(a, nconn, err);
	if (e)
		goto out;
	app_memo_init(a);
	e = app_pool_load(a, a->conns[0]);
	if (e) {
		app_errf(err, "cannot load conference IDs: %s", strerror(e));
		goto out;
	}
	*ap = a;
	a = NULL;
 out:
	app_free(a);
	return e;
}

void app_close(struct app *a)
{
	app_free(a);
}
