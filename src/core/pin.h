/* pin: organizer PIN rules of SPEC §4: pinLength digits (4-12), no trivial
 * patterns (all one digit, straight ascending or descending runs). */
#ifndef DIALCONF_CORE_PIN_H
#define DIALCONF_CORE_PIN_H

#include <stdbool.h>
#include <stddef.h>

#define PIN_LEN_MIN 4
#define PIN_LEN_MAX 12

/* True when pin (digits only) is all one digit or a straight run. */
bool pin_is_trivial(const char *pin);

/* 0 when pin is exactly len digits and not trivial; EINVAL otherwise. */
int pin_check(const char *pin, int len);

/* A new random PIN of len digits (CSPRNG), not trivial, NUL-terminated in
 * buf (size > len). Returns 0, or EINVAL for a bad len or a small buf. */
int pin_generate(char *buf, size_t size, int len);

#endif
