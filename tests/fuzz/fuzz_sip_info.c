/* fuzz_sip_info: the body of a SIP INFO as call.c's INFO handler reads
 * it: at most 256 bytes, as application/dtmf-relay ("Signal=5") or
 * application/dtmf ("5"), the first byte of the input choosing which. A
 * digit comes out only as one of 0-9, *, #. */
#include <assert.h>

#include "sip/sipd_priv.h"
#include "fuzz.h"

#define INFO_BODY_MAX 256 /* as call.c */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char body[INFO_BODY_MAX + 1];
	bool relay = fuzz_byte(&data, &size) & 1;
	size_t len = size > INFO_BODY_MAX ? INFO_BODY_MAX : size;
	char d;

	memcpy(body, data, len);
	body[len] = '\0';
	d = call_info_digit(body, relay);
	assert(d == 0 || (d && strchr("0123456789*#", d)));
	return 0;
}
