/* memo: this thread's copies of a few recent reads, each good for as long
 * as nobody has committed since it was read.
 *
 * The API's reads are asked of the database every time, so that a token
 * revoked or a user changed anywhere (this node, another process, a
 * restore) counts at the next request. On SQLite, asking costs a read
 * transaction, whose locks are most of a keyed GET's time; a stamp of the
 * WAL index (store_stamp) tells for the cost of reading 96 bytes whether
 * anything has committed since, and while nothing has, the copy is what
 * the read would give. Copies are per thread (no lock), a few slots each,
 * made only of plain structs; PostgreSQL has no stamp, so there every read
 * still asks the server. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_priv.h"

#define MEMO_SETS 64 /* a key may live in the MEMO_WAYS slots of its set */
#define MEMO_WAYS 4
#define MEMO_KEY_SIZE 256
#define MEMO_VALUE_SIZE 640

_Static_assert(sizeof(struct app_user) <= MEMO_VALUE_SIZE &&
	       sizeof(struct store_token) <= MEMO_VALUE_SIZE,
	       "a copy kept must fit its slot");

struct memo_slot {
	bool used;
	uint64_t app_id; /* the app (and so the database) it was read from */
	enum app_memo_kind kind;
	char key[MEMO_KEY_SIZE];
	struct store_stamp stamp;
	unsigned char value[MEMO_VALUE_SIZE];
};

struct memo_set {
	struct memo_slot way[MEMO_WAYS];
	unsigned int next; /* the way the next new key takes */
};

struct memo {
	struct memo_set set[MEMO_SETS];
};

static pthread_key_t memo_key;
static pthread_once_t memo_once = PTHREAD_ONCE_INIT;
static bool memo_key_ok;

static void memo_key_make(void)
{
	memo_key_ok = pthread_key_create(&memo_key, free) == 0;
}

/* This thread's memo, made at its first use; NULL without memory. */
static struct memo *memo_get(void)
{
	struct memo *m;

	(void)pthread_once(&memo_once, memo_key_make);
	if (!memo_key_ok)
		return NULL;
	m = pthread_getspecific(memo_key);
	if (!m) {
		m = calloc(1, sizeof(*m));
		if (m && pthread_setspecific(memo_key, m)) {
			free(m);
			m = NULL;
		}
	}
	return m;
}

/* FNV-1a of kind and key: the set they live in. */
static struct memo_set *set_of(struct memo *m, enum app_memo_kind kind,
			       const char *key)
{
	uint32_t h = 2166136261u ^ (uint32_t)kind;

	for (; *key; key++)
		h = (h ^ (unsigned char)*key) * 16777619u;
	return &m->set[h % MEMO_SETS];
}

/* The slot of set holding kind and key of app a, or NULL. */
static struct memo_slot *slot_find(struct memo_set *set, const struct app *a,
				   enum app_memo_kind kind, const char *key)
{
	int i;

	for (i = 0; i < MEMO_WAYS; i++) {
		struct memo_slot *s = &set->way[i];

		if (s->used && s->app_id == a->memo_id && s->kind == kind &&
		    !strcmp(s->key, key))
			return s;
	}
	return NULL;
}

/* A number of its own for each app opened, so that a copy is never taken
 * for one of another database (or of an app closed and opened again,
 * which may have emptied the WAL and so repeat a stamp). */
void app_memo_init(struct app *a)
{
	static uint64_t opened;

	a->memo_id = __atomic_add_fetch(&opened, 1, __ATOMIC_RELAXED);
}

int app_memo_now(struct app *a, struct store_stamp *now)
{
	return store_stamp(a->conns[0], now);
}

bool app_memo_find(struct app *a, enum app_memo_kind kind, const char *key,
		   const struct store_stamp *now, void *value, size_t size)
{
	struct memo *m = memo_get();
	struct memo_slot *s;

	if (!m || size > MEMO_VALUE_SIZE || strlen(key) >= MEMO_KEY_SIZE)
		return false;
	s = slot_find(set_of(m, kind, key), a, kind, key);
	if (!s || memcmp(&s->stamp, now, sizeof(*now)))
		return false;
	memcpy(value, s->value, size);
	return true;
}

void app_memo_keep(struct app *a, enum app_memo_kind kind, const char *key,
		   const struct store_stamp *read_at, const void *value,
		   size_t size)
{
	struct memo *m = memo_get();
	struct memo_set *set;
	struct memo_slot *s;

	if (!m || size > MEMO_VALUE_SIZE || strlen(key) >= MEMO_KEY_SIZE)
		return;
	set = set_of(m, kind, key);
	s = slot_find(set, a, kind, key);
	if (!s)
		s = &set->way[set->next++ % MEMO_WAYS];
	s->used = true;
	s->app_id = a->memo_id;
	s->kind = kind;
	snprintf(s->key, sizeof(s->key), "%s", key);
	s->stamp = *read_at;
	memcpy(s->value, value, size);
}
