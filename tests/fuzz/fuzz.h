/* fuzz: what the libFuzzer harnesses of tests/fuzz/ share. Each harness
 * is one fuzz_NAME.c defining LLVMFuzzerTestOneInput; this header turns
 * the fuzzer's bytes into the inputs our functions take: NUL-terminated
 * strings cut at NUL bytes (the seed files of corpus/NAME/ are written
 * that way) and small numbers taken off the front. Header only. */
#ifndef DIALCONF_TESTS_FUZZ_H
#define DIALCONF_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input cut into at most max strings at its NUL bytes, in one
 * allocation (free(*mem) when done). Missing strings are "". The count of
 * strings found, or 0 when out of memory (*mem NULL). */
static inline size_t fuzz_strs(const uint8_t *data, size_t size,
			       const char **s, size_t max, char **mem)
{
	char *p = malloc(size + 1);
	size_t n = 0, i, start = 0;

	*mem = p;
	if (!p || max == 0)
		return 0;
	memcpy(p, data, size);
	p[size] = '\0';
	for (i = 0; i < max; i++)
		s[i] = "";
	for (i = 0; i <= size && n < max; i++) {
		if (p[i] == '\0') {
			s[n++] = p + start;
			start = i + 1;
		}
	}
	/* The last string takes the rest, NULs and all cut off there. */
	return n ? n : 1;
}

/* One byte off the front of the input, 0 when it is empty. */
static inline uint8_t fuzz_byte(const uint8_t **data, size_t *size)
{
	uint8_t b;

	if (*size == 0)
		return 0;
	b = **data;
	(*data)++;
	(*size)--;
	return b;
}

#endif
