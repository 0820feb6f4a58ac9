/* fuzz_emailaddr: core/emailaddr on any text given as an email address
 * (API bodies, CSV import, meeting attendees): no read past the string,
 * and what it accepts keeps the promises of emailaddr.h. */
#include <assert.h>

#include "core/emailaddr.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s[1];
	char *mem;

	if (!fuzz_strs(data, size, s, 1, &mem))
		return 0;
	if (emailaddr_valid(s[0])) {
		const char *at = strchr(s[0], '@');
		size_t i;

		assert(strlen(s[0]) <= EMAILADDR_MAX);
		assert(at && at != s[0] && !strchr(at + 1, '@'));
		assert(at - s[0] <= 64);
		for (i = 0; s[0][i]; i++)
			assert(s[0][i] > ' ' && s[0][i] < 0x7f);
	}
	free(mem);
	return 0;
}
