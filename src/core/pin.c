/* pin: organizer PIN rules (SPEC §4). A PIN may start with 0: unlike a
 * conference ID it is never typed into a spreadsheet, and the full digit
 * range keeps the most guesses per length. */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "core/pin.h"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

bool pin_is_trivial(const char *pin)
{
	int step;
	size_t i;

	if (!pin || !is_digit(pin[0]))
		return false;
	if (pin[1] == '\0')
		return true;
	if (!is_digit(pin[1]))
		return false;

	/* Same digit (step 0) or a straight run (step +1 or -1), without
	 * wrapping from 9 to 0: those are the patterns people pick first. */
	step = pin[1] - pin[0];
	if (step < -1 || step > 1)
		return false;

	for (i = 2; pin[i]; i++) {
		if (!is_digit(pin[i]) || pin[i] - pin[i - 1] != step)
			return false;
	}

	return true;
}

int pin_check(const char *pin, int len)
{
	int i;

	if (!pin || len < PIN_LEN_MIN || len > PIN_LEN_MAX)
		return EINVAL;

	/* Checking each character up to len first never reads past a short
	 * string's NUL, which is not a digit. */
	for (i = 0; i < len; i++) {
		if (!is_digit(pin[i]))
			return EINVAL;
	}
	if (pin[len] != '\0' || pin_is_trivial(pin))
		return EINVAL;

	return 0;
}

int pin_generate(char *buf, size_t size, int len)
{
	int i;

	if (!buf || len < PIN_LEN_MIN || len > PIN_LEN_MAX ||
	    size <= (size_t)len)
		return EINVAL;

	if (sodium_init() < 0)
		return EIO;

	/* Rejecting trivial results keeps the draw uniform over the PINs
	 * that pin_check accepts; at most 1 in 500 draws is rejected. */
	do {
		for (i = 0; i < len; i++)
			buf[i] = (char)('0' + randombytes_uniform(10));
		buf[len] = '\0';
	} while (pin_is_trivial(buf));

	return 0;
}
