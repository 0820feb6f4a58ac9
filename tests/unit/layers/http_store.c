/* Must not compile in http/: the store is below app/, and http/ may use
 * app/ and core/ only (DESIGN.md). tests/unit/test_layers.in. */
#include "store/store.h"

int http_store_count(struct store *st);
