/* fuzz_e164: core/e164 on any text a user types as a phone number (the
 * API's dial-in numbers, the CLI, CSV import): normalise it, then format
 * what came out, and check the promises of e164.h. */
#include <assert.h>
#include <errno.h>

#include "core/e164.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char norm[E164_SIZE], shown[E164_FORMAT_SIZE], *mem;
	const char *s[1];

	if (!fuzz_strs(data, size, s, 1, &mem))
		return 0;
	if (e164_normalize(s[0], norm, sizeof(norm)) == 0) {
		size_t len = strlen(norm);

		assert(norm[0] == '+' && norm[1] != '0');
		assert(len - 1 >= E164_MIN_DIGITS && len - 1 <= E164_MAX_DIGITS);
		assert(strspn(norm + 1, "0123456789") == len - 1);
		/* Normal form is a fixed point. */
		char again[E164_SIZE];
		assert(e164_normalize(norm, again, sizeof(again)) == 0);
		assert(!strcmp(norm, again));
		assert(e164_format(norm, shown, sizeof(shown)) == 0);
	}
	/* Display formatting of whatever is stored (it trusts nothing). */
	(void)e164_format(s[0], shown, sizeof(shown));
	(void)e164_format(s[0], shown, 4);
	free(mem);
	return 0;
}
