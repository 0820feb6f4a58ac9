/* Must compile in http/: app/ is what http/ stands on. The control case of
 * tests/unit/test_layers.in (a refusal is the view's, not a broken
 * compiler command). */
#include "app/app.h"
#include "core/log.h"
#include "http/http.h"

int http_app_count(struct app *a);
