/* Must not compile in mail/: the outbox worker goes through app/.
 * tests/unit/test_layers.in. */
#include "store/store.h"

int mail_store_count(struct store *st);
