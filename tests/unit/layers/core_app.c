/* Must not compile in core/: nothing of core includes a header from
 * another folder of ours. tests/unit/test_layers.in. */
#include "app/app.h"

int core_app_count(struct app *a);
