/* Must compile in sip/: sip/ may use app/, core/ and media/. A control
 * case of tests/unit/test_layers.in. */
#include "app/app.h"
#include "media/mixer.h"

int sip_media_count(struct mixer *m);
