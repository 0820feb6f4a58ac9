/* G.711 (src/media/codec.c): what a listener would hear from the extremes
 * of 16-bit audio, and the payload types. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "media/codec.h"

/* -32768 is the loudest negative sample: it must come out as loud and
 * negative as -32767 (not as silence, a click; not read out of bounds). */
static void test_most_negative_sample(void **state)
{
	const enum codec_type codecs[] = {CODEC_PCMU, CODEC_PCMA};
	const int16_t in[2] = {INT16_MIN, -INT16_MAX};
	uint8_t enc[2];
	int16_t dec[2];
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		codec_encode(codecs[i], in, enc, 2);
		assert_int_equal(enc[0], enc[1]);
		codec_decode(codecs[i], enc, dec, 2);
		assert_true(dec[0] < -30000);
		assert_int_equal(dec[0], dec[1]);
	}
}

/* Every sample survives a round trip with its sign, within G.711's
 * quantization step (at most 1/16 of the value, plus a little near 0). */
static void test_round_trip_full_range(void **state)
{
	const enum codec_type codecs[] = {CODEC_PCMU, CODEC_PCMA};
	int16_t pcm, back;
	uint8_t b;
	int32_t v, err, tol;
	size_t c;

	(void)state;
	for (c = 0; c < 2; c++) {
		for (v = INT16_MIN; v <= INT16_MAX; v++) {
			pcm = (int16_t)v;
			codec_encode(codecs[c], &pcm, &b, 1);
			codec_decode(codecs[c], &b, &back, 1);
			err = back - v;
			if (err < 0)
				err = -err;
			tol = (v < 0 ? -v : v) / 16 + 40;
			if (err > tol)
				fail_msg("codec %zu: %d came back as %d", c,
					 (int)v, (int)back);
			if (v < -100)
				assert_true(back < 0);
			if (v > 100)
				assert_true(back > 0);
		}
	}
}

static void test_payload_types(void **state)
{
	(void)state;
	assert_int_equal(codec_pt(CODEC_PCMU), 0);
	assert_int_equal(codec_pt(CODEC_PCMA), 8);
	assert_int_equal(CODEC_FRAME, 160);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_most_negative_sample),
		cmocka_unit_test(test_round_trip_full_range),
		cmocka_unit_test(test_payload_types),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
