/* Must not compile in cli/: the CLI speaks to the REST API only and may
 * use core/ alone. tests/unit/test_layers.in. */
#include "app/app.h"

int cli_app_count(struct app *a);
