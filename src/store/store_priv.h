/* store_priv: what the storage front end (store.c) knows of its backends.
 * Each backend defines one const struct store_backend; store.c lists them
 * in its registry and picks one by URL scheme. */
#ifndef DIALCONF_STORE_STORE_PRIV_H
#define DIALCONF_STORE_STORE_PRIV_H

#include "store/store.h"

extern const struct store_backend store_sqlite_backend;
extern const struct store_backend store_pg_backend;     /* postgres:// */
extern const struct store_backend store_pg_backend_alt; /* postgresql:// */

#endif
